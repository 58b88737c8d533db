// The relay's stages one by one (src/relay/*): admit, read, prepare, the answer modes, the deployments a
// surface calls and the two dialects, each as a table against real parts (config, registry, keys,
// pipeline) with no network. The HTTP tests (test/server/*, test/anthropic-messages/http.test.ts) stay
// the contract; these say which stage owns each decision.
import { describe, expect, test } from 'bun:test'
import { ANONYMOUS, createAuthenticator } from '../../src/auth'
import { parseConfig } from '../../src/config/load'
import type { Config } from '../../src/config/schema'
import { GatewayError } from '../../src/core/errors'
import { memoryLogger } from '../../src/core/log'
import { UpstreamHttpError } from '../../src/core/upstream-error'
import { createPipeline, PendingWrites } from '../../src/extensions/pipeline'
import type { Extension } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import { admit, type Inflight, type ServerLike } from '../../src/relay/admit'
import { answerMode, type ReadCall, startCall } from '../../src/relay/call'
import type { RelayContext } from '../../src/relay/context'
import { dialectOf } from '../../src/relay/dialects'
import { identify } from '../../src/relay/identify'
import { prepare, withIncludeUsage } from '../../src/relay/prepare'
import { deploymentsFor, readCall } from '../../src/relay/read'
import { screen } from '../../src/relay/screen'
import {
  CHAT,
  COUNT_TOKENS,
  EMBEDDINGS,
  IMAGES,
  MESSAGES,
  RESPONSES,
  SPEECH,
  SURFACES,
  type Surface,
  TRANSCRIPTIONS,
  TRANSLATIONS,
} from '../../src/relay/surfaces'
import { abortableSleep } from '../../src/routing/dispatch'
import { buildRegistry } from '../../src/routing/registry'
import { memoryStore } from '../../src/storage/memory'

const KEY = 'sk-stage-0123456789abcdef'
const NARROW = 'sk-stage-narrow-0123456789ab'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

const TOML = `
max_inflight = 2

[[keys]]
name = "wide"
key = "${KEY}"
max_inflight = 1

[[keys]]
name = "narrow"
key = "${NARROW}"
models = ["gpt-x"]

[aliases]
fast = "gpt-x"

[providers.oai]
kind = "openai"
api_key = "sk-up"
base_url = "http://127.0.0.1:9/v1"
models = ["gpt-x", "mixed"]

[providers.claude]
kind = "anthropic"
api_key = "sk-ant"
base_url = "http://127.0.0.1:9/v1"
models = ["claude-x", "mixed"]
weight = 5
`

function context(extensions: Extension[] = [], toml = TOML): RelayContext {
  const config: Config = parseConfig(toml, 'stages.toml', PROVIDER_RULES, {})
  const log = memoryLogger('info')
  return {
    config,
    registry: buildRegistry(config),
    auth: createAuthenticator(config.keys, config.admin_token),
    log,
    dispatch: { backoffBaseMs: 1, retryAfterCapMs: 1, random: () => 0, sleep: abortableSleep },
    inflight: { count: 0, byKey: new Map() },
    store: {},
    responses: memoryStore().namespace('responses'),
    pipeline: createPipeline(extensions, log, new PendingWrites(log)),
  }
}

function post(surface: Surface, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) {
  return new Request(`http://gateway${surface.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function read(ctx: RelayContext, surface: Surface, request: Request): Promise<ReadCall> {
  const admission = admit(ctx, request, undefined)
  return readCall(ctx, await identify(ctx, startCall(surface, request), admission))
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(GatewayError)
  return err as GatewayError
}

// --- the surface table ---

describe('surfaces', () => {
  test('every model endpoint is in the table once, with its own path', () => {
    expect(SURFACES.map((s): string => s.endpoint).sort()).toEqual(
      [
        'chat',
        'embeddings',
        'responses',
        'images',
        'messages',
        'count_tokens',
        'speech',
        'transcriptions',
        'translations',
      ].sort(),
    )
    expect(new Set(SURFACES.map((s) => s.path)).size).toBe(SURFACES.length)
  })

  test.each([
    // surface, answer when the client does not stream, when it streams
    [CHAT, 'buffered', 'sse'],
    [EMBEDDINGS, 'buffered', 'buffered'],
    [RESPONSES, 'buffered', 'sse'],
    [MESSAGES, 'buffered', 'sse'],
    [IMAGES, 'buffered', 'raw'],
    [SPEECH, 'raw', 'raw'],
    [TRANSCRIPTIONS, 'buffered', 'raw'],
    [TRANSLATIONS, 'buffered', 'buffered'],
    [COUNT_TOKENS, 'buffered', 'buffered'],
  ] as const)('%o answers %s, or %s when the client streams', (surface, whole, streaming) => {
    expect(answerMode(surface, false)).toBe(whole)
    expect(answerMode(surface, true)).toBe(streaming)
  })

  test('media surfaces never call a deployment twice; model surfaces may', () => {
    for (const s of [IMAGES, SPEECH, TRANSCRIPTIONS, TRANSLATIONS]) expect(s.retry).toBe(false)
    for (const s of [CHAT, EMBEDDINGS, RESPONSES, MESSAGES, COUNT_TOKENS]) expect(s.retry).toBe(true)
  })
})

// --- admit ---

describe('admit', () => {
  const ctx = (inflight: Inflight) => ({ config: context().config, inflight })

  test('takes a global slot up to max_inflight, then refuses with 503 and Retry-After', () => {
    const inflight: Inflight = { count: 0, byKey: new Map() }
    const request = post(CHAT, {})
    const a = admit(ctx(inflight), request, undefined)
    a.holdGlobal()
    admit(ctx(inflight), request, undefined).holdGlobal()
    expect(inflight.count).toBe(2)
    const third = admit(ctx(inflight), request, undefined)
    expect(() => third.holdGlobal()).toThrow(expect.objectContaining({ status: 503, code: 'server_overloaded' }))
    third.release() // held nothing: gives back nothing
    expect(inflight.count).toBe(2)
    a.release()
    a.release() // idempotent
    expect(inflight.count).toBe(1)
  })

  test("a key's own max_inflight: 429 beyond it, given back on release", () => {
    const inflight: Inflight = { count: 0, byKey: new Map() }
    const principal = { id: 'key_wide', name: 'wide', models: '*' as const, maxInflight: 1 }
    const first = admit(ctx(inflight), post(CHAT, {}), undefined)
    first.holdKey(principal)
    const second = admit(ctx(inflight), post(CHAT, {}), undefined)
    expect(() => second.holdKey(principal)).toThrow(GatewayError)
    second.release()
    expect(inflight.byKey.get('wide')).toBe(1)
    first.release()
    expect(inflight.byKey.has('wide')).toBe(false)
    expect(inflight.count).toBe(0)
  })

  test.each([
    // max_inflight, key_max_inflight, the share a key without its own max_inflight gets
    [2, undefined, 1],
    [4096, undefined, 1024],
    [10, 7, 7],
  ])('max_inflight %i, key_max_inflight %p: a key without its own cap gets %i slots', (max, share, expected) => {
    const config = { ...context().config, max_inflight: max, key_max_inflight: share }
    const inflight: Inflight = { count: 0, byKey: new Map() }
    const principal = { id: 'key_plain', name: 'plain', models: '*' as const }
    for (let i = 0; i < expected; i++) admit({ config, inflight }, post(CHAT, {}), undefined).holdKey(principal)
    expect(() => admit({ config, inflight }, post(CHAT, {}), undefined).holdKey(principal)).toThrow(
      expect.objectContaining({ status: 429, code: 'concurrency_limit_exceeded' }),
    )
    // The admin token and the one principal of a gateway without auth have no share.
    for (let i = 0; i < expected + 2; i++) admit({ config, inflight }, post(CHAT, {}), undefined).holdKey(ANONYMOUS)
  })

  test('the idle timeout is lifted for the upstream wait and put back on release, only when lifted', () => {
    const timeouts: number[] = []
    const server: ServerLike = { timeout: (_request, seconds) => void timeouts.push(seconds) }
    const inflight: Inflight = { count: 0, byKey: new Map() }
    const untouched = admit(ctx(inflight), post(CHAT, {}), server)
    untouched.release()
    expect(timeouts).toEqual([])
    const lifted = admit(ctx(inflight), post(CHAT, {}), server)
    lifted.liftIdleTimeout()
    lifted.release()
    lifted.release()
    expect(timeouts).toEqual([0, 60])
  })
})

// --- read ---

describe('read', () => {
  test.each([
    ['no key', CHAT, post(CHAT, { model: 'gpt-x' }, {}), 401, 'missing_api_key', null],
    [
      'an unknown key',
      CHAT,
      post(CHAT, { model: 'gpt-x' }, { authorization: 'Bearer nope' }),
      401,
      'invalid_api_key',
      null,
    ],
    ['a body that is not JSON', CHAT, post(CHAT, '{"model":'), 400, 'invalid_json', null],
    ['a JSON array', CHAT, post(CHAT, '[1]'), 400, 'invalid_json', null],
    ['no model', CHAT, post(CHAT, { messages: [] }), 400, 'missing_required_parameter', 'model'],
    ['a model that is a number', CHAT, post(CHAT, { model: 7 }), 400, 'invalid_type', 'model'],
    ['stream that is a string', CHAT, post(CHAT, { model: 'gpt-x', stream: 'yes' }), 400, 'invalid_type', 'stream'],
    ['a model nobody serves', CHAT, post(CHAT, { model: 'gpt-9' }), 404, 'model_not_found', 'model'],
    [
      'a model the key may not use',
      CHAT,
      post(CHAT, { model: 'claude-x' }, { authorization: `Bearer ${NARROW}` }),
      403,
      'model_not_allowed',
      'model',
    ],
    [
      'embeddings of a model only Anthropic serves',
      EMBEDDINGS,
      post(EMBEDDINGS, { model: 'claude-x' }),
      400,
      'unsupported_endpoint',
      null,
    ],
    [
      'an image from a model only Anthropic serves',
      IMAGES,
      post(IMAGES, { model: 'claude-x' }),
      400,
      'unsupported_endpoint',
      null,
    ],
  ])('%s: %i %s', async (_name, surface, request, status, code, param) => {
    const err = await refusal(read(context(), surface, request))
    expect({ status: err.status, code: err.code, param: err.param }).toEqual({ status, code, param })
  })

  test('an alias resolves to its model; the key, model and mode are on the call', async () => {
    const call = await read(context(), CHAT, post(CHAT, { model: 'fast', stream: true }))
    expect(call).toMatchObject({ key: 'wide', model: 'gpt-x', requestedModel: 'fast', stream: true, mode: 'sse' })
    expect(call.deployments.map((d) => d.provider.name)).toEqual(['oai'])
  })

  test('what read learnt before it failed is on the call (for the access line and the error path)', async () => {
    const ctx = context()
    const call = startCall(CHAT, post(CHAT, { model: 'gpt-9' }))
    await refusal(identify(ctx, call, admit(ctx, call.request, undefined)).then((keyed) => readCall(ctx, keyed)))
    expect(call).toMatchObject({ key: 'wide', model: 'gpt-9' })
  })

  test("deployments that cannot serve a surface's endpoint are left out; the list is computed once", () => {
    const ctx = context()
    const mixed = ctx.registry.deployments('mixed')!
    expect(mixed.map((d) => d.provider.name)).toEqual(['claude', 'oai'])
    expect(deploymentsFor(CHAT, mixed)).toBe(mixed)
    expect(deploymentsFor(MESSAGES, mixed)).toBe(mixed)
    const embeddings = deploymentsFor(EMBEDDINGS, mixed)
    expect(embeddings.map((d) => d.provider.name)).toEqual(['oai'])
    expect(deploymentsFor(EMBEDDINGS, mixed)).toBe(embeddings)
  })
})

// --- screen and prepare ---

describe('prepare', () => {
  const usage: Extension = { name: 'usage', needsUsage: true }

  async function prepared(body: string, extensions: Extension[] = []) {
    const ctx = context(extensions)
    const request = post(CHAT, body)
    const call = await read(ctx, CHAT, request)
    expect(await screen(ctx, call)).toBeUndefined()
    const out = await prepare(ctx, call)
    return { call, out, text: decoder.decode(out.body) }
  }

  test.each([
    ['no alias, no extensions: the bytes as they came', '{ "model": "gpt-x",\n "stream": true }', [], 'same'],
    ['an alias: serialised once, with the model', '{"model":"fast"}', [], '{"model":"gpt-x"}'],
    [
      'a stream accounted: include_usage spliced after the brace, every other byte the client’s',
      '{ "model": "gpt-x", "stream": true }',
      [usage],
      '{"stream_options":{"include_usage":true}, "model": "gpt-x", "stream": true }',
    ],
    [
      'a stream accounted with stream_options already: merged and serialised once',
      '{"model":"gpt-x","stream":true,"stream_options":{"x":1}}',
      [usage],
      '{"model":"gpt-x","stream":true,"stream_options":{"x":1,"include_usage":true}}',
    ],
    [
      'a client that asked for usage itself: untouched',
      '{"model":"gpt-x","stream":true,"stream_options":{"include_usage":true}}',
      [usage],
      'same',
    ],
    ['a whole answer: no usage chunk to ask for', '{"model":"gpt-x"}', [usage], 'same'],
  ] as const)('%s', async (_name, body, extensions, expected) => {
    const { out, text } = await prepared(body, [...extensions])
    expect(text).toBe(expected === 'same' ? body : expected)
    if (expected === 'same') expect(out.body.byteLength).toBe(encoder.encode(body).byteLength)
  })

  test('the usage chunk the gateway asked for is hidden from a client that did not ask', async () => {
    expect((await prepared('{"model":"gpt-x","stream":true}', [usage])).out.stripUsage).toBe(true)
    const asked = await prepared('{"model":"gpt-x","stream":true,"stream_options":{"include_usage":true}}', [usage])
    expect(asked.out.stripUsage).toBe(false)
  })

  test('screen builds the hooks object only when an extension is configured; a decision hook refuses', async () => {
    const quiet = context()
    const call = await read(quiet, CHAT, post(CHAT, { model: 'gpt-x' }))
    await screen(quiet, call)
    expect(call.hooks).toBeUndefined()
    const refusing: Extension = {
      name: 'no',
      onRequest() {
        throw new GatewayError(429, 'requests', 'rate_limit_exceeded', 'slow down')
      },
    }
    const ctx = context([refusing])
    const limited = await read(ctx, CHAT, post(CHAT, { model: 'fast' }))
    const err = await refusal(screen(ctx, limited))
    expect(err.code).toBe('rate_limit_exceeded')
    expect(limited.hooks).toMatchObject({ key: 'wide', model: 'gpt-x', requestedModel: 'fast', surface: 'chat' })
  })

  test('withIncludeUsage keeps every byte of the client and adds the field after the first brace', () => {
    const body = encoder.encode('  {"model":"m","messages":[]}')
    expect(decoder.decode(withIncludeUsage(body))).toBe(
      '  {"stream_options":{"include_usage":true},"model":"m","messages":[]}',
    )
  })
})

// --- dialects ---

describe('dialects', () => {
  const error = new GatewayError(429, 'requests', 'rate_limit_exceeded', 'slow down', null, { 'retry-after': '3' })

  test('OpenAI: the error object; Anthropic: {"type":"error"} with the type from the status', async () => {
    const openai = dialectOf(CHAT).errorResponse(error, { 'x-request-id': 'r' })
    expect(openai.status).toBe(429)
    expect(openai.headers.get('retry-after')).toBe('3')
    expect(await openai.json()).toEqual({
      error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    })
    const anthropic = dialectOf(MESSAGES).errorResponse(error, { 'x-request-id': 'r' })
    expect(anthropic.headers.get('retry-after')).toBe('3')
    expect(anthropic.headers.get('x-request-id')).toBe('r')
    expect(await anthropic.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } })
  })

  test("an upstream's own error goes as it came, in both dialects", async () => {
    const upstream = new UpstreamHttpError('p', 529, encoder.encode('{"raw":true}'), 'application/json', undefined)
    for (const surface of [CHAT, MESSAGES]) {
      const res = dialectOf(surface).errorResponse(upstream, {})
      expect(res.status).toBe(529)
      expect(await res.text()).toBe('{"raw":true}')
    }
  })

  test.each([
    [CHAT, 'data: {"a":1}\n\ndata: [DONE]\n\n', true],
    [CHAT, 'data: {"a":1}\n\n', false],
    [MESSAGES, 'event: message_delta\ndata: {}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n', true],
    [MESSAGES, 'event: message_stop\ndata: {"type":"message_stop"}\n\nevent: ping\ndata: {}\n\n', false],
    [RESPONSES, 'event: response.completed\ndata: {"type":"response.completed","response":{}}\n\n', true],
    [RESPONSES, 'event: response.incomplete\ndata: {"type":"response.incomplete","response":{}}\n\n', true],
    [RESPONSES, 'event: response.failed\ndata: {"type":"response.failed","response":{}}\n\n', true],
    [
      RESPONSES,
      'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"x"}\n\n',
      false,
    ],
    [RESPONSES, 'data: [DONE]\n\n', false],
  ] as const)('%o: end of stream in %j is %p', (surface, events, ends) => {
    expect(dialectOf(surface).isStreamEnd(encoder.encode(events))).toBe(ends)
  })

  test('a stream that fails after it started ends with an in-band frame in the dialect', () => {
    expect(dialectOf(CHAT).streamFailure('p', 'cut').toSseFrame()).toStartWith('data: {"error":')
    expect(dialectOf(MESSAGES).streamFailure('p', 'cut').toSseFrame()).toStartWith('event: error\n')
    expect(dialectOf(RESPONSES).streamFailure('p', 'cut').toSseFrame()).toBe(
      'event: error\ndata: {"type":"error","code":"upstream_stream_error","message":"The stream from provider \'p\' failed: cut","param":null}\n\n',
    )
  })
})
