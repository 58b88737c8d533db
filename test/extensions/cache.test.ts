// The cache extension through the real gateway, on every storage backend: misses then hits without
// reaching upstream, keys that ignore key order and transport fields, SSE replay of a cached answer
// (the official SDK included), what is never cached, Cache-Control opt-outs, TTL expiry on a fake
// clock, and DELETE /v1/cache for the admin only. Pure parts (key, replay, directives) are unit-tested.
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { catalogOf } from '../../src/catalog'
import { memoryLogger } from '../../src/core/log'
import { cacheExtension } from '../../src/extensions/cache'
import { cacheDirectives } from '../../src/extensions/cache/cache-control'
import { cacheKey, canonicalJson } from '../../src/extensions/cache/key'
import { type ChatCompletion, parseCompletion, replayAsSse } from '../../src/extensions/cache/replay'
import type { RequestContext } from '../../src/extensions/types'
import { memoryStore } from '../../src/storage/memory'
import { sqliteStore } from '../../src/storage/sqlite'
import type { Store } from '../../src/storage/store'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatCompletion, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'
import { BACKENDS, closeAll } from '../support/stores'

const ADMIN = 'admin-token-0123456789abcdef'
const KEY = 'sk-cache-test-0123456789abcdefghij'
const MINI = 'sk-cache-mini-0123456789abcdefghij'

const config = (url: string, ttl = 60) => `
admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${KEY}"
[[keys]]
name = "mini"
key = "${MINI}"
models = ["gpt-4o-mini"]
${provider('up', url, ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'])}
[aliases]
fast = "gpt-4o-mini"
[extensions.cache]
ttl_seconds = ${ttl}
`

let seq = 0
/** A request no other test sends (the gateway and its cache are shared within a backend). */
const fresh = (extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: `question ${++seq} ${crypto.randomUUID()}` }],
  ...extra,
})

/** SSE frames' JSON payloads, `[DONE]` checked to be last and removed. */
async function chunksOf(res: Response): Promise<any[]> {
  const frames = await readSse(res)
  expect(frames.at(-1)).toBe('[DONE]')
  return frames.slice(0, -1).map((f) => JSON.parse(f))
}

const contentOf = (chunks: any[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')

afterAll(closeAll)

describe.each(BACKENDS)('cache on $name', (backend) => {
  let mock: MockUpstream
  let gw: TestGateway
  let store: Store
  const chat = (body: unknown, headers: Record<string, string> = {}, key = KEY) => gw.chat(body, { key, headers })
  /** Waits for the deferred cache writes of the requests answered so far. */
  const settle = () => gw.ctx.pipeline.flush()
  const upstreamCalls = () => mock.requests.length

  beforeAll(async () => {
    store = await backend.open()
    mock = await startMockUpstream()
    gw = await startGateway(config(mock.url), { store })
  })
  afterAll(async () => {
    await gw[Symbol.asyncDispose]()
    await mock.close()
  })

  test('a miss goes upstream and is stored; the identical request is a byte-identical hit', async () => {
    const body = fresh()
    const first = await chat(body)
    expect(first.status).toBe(200)
    expect(first.headers.get('x-crabllm-cache')).toBe('miss')
    const firstText = await first.text()
    await settle()
    const before = upstreamCalls()
    const second = await chat(body)
    expect(second.status).toBe(200)
    expect(second.headers.get('x-crabllm-cache')).toBe('hit')
    expect(second.headers.get('content-type')).toBe('application/json')
    expect(second.headers.get('x-request-id')).toBeTruthy()
    expect(await second.text()).toBe(firstText)
    expect(upstreamCalls()).toBe(before)
  })

  test('key order and whitespace in the JSON do not matter', async () => {
    const content = `order ${crypto.randomUUID()}`
    const a = `{"model":"gpt-4o-mini","temperature":0.5,"messages":[{"role":"user","content":"${content}"}],"response_format":{"type":"json_object"}}`
    const b = `{ "response_format" : {"type":"json_object"}, "messages": [ {"content":"${content}", "role":"user"} ], "temperature": 0.5, "model": "gpt-4o-mini" }`
    expect((await chat(a)).headers.get('x-crabllm-cache')).toBe('miss')
    await settle()
    const before = upstreamCalls()
    const hit = await chat(b)
    expect(hit.headers.get('x-crabllm-cache')).toBe('hit')
    expect(upstreamCalls()).toBe(before)
  })

  test('a different model or parameter is a different entry', async () => {
    const body = fresh({ temperature: 0 })
    await (await chat(body)).text()
    await settle()
    const before = upstreamCalls()
    const variants = [
      { ...body, model: 'gpt-4o' },
      { ...body, temperature: 1 },
      { ...body, user: 'someone-else' },
      { ...body, messages: [...body.messages, { role: 'user', content: 'more' }] },
    ]
    for (const variant of variants) {
      const res = await chat(variant)
      expect(res.headers.get('x-crabllm-cache')).toBe('miss')
      await res.text()
    }
    expect(upstreamCalls()).toBe(before + variants.length)
  })

  test('an alias and its canonical name share an entry', async () => {
    const body = fresh({ model: 'fast' })
    await (await chat(body)).text()
    await settle()
    const before = upstreamCalls()
    const hit = await chat({ ...body, model: 'gpt-4o-mini' })
    expect(hit.headers.get('x-crabllm-cache')).toBe('hit')
    expect(upstreamCalls()).toBe(before)
  })

  test('a hit does not bypass the key allowlist', async () => {
    const body = fresh({ model: 'gpt-4o' })
    await (await chat(body)).text()
    await settle()
    const before = upstreamCalls()
    const res = await chat(body, {}, MINI)
    expect(res.status).toBe(403)
    expect((await jsonOf(res)).error.code).toBe('model_not_allowed')
    expect(upstreamCalls()).toBe(before)
  })

  test('a stream request replays a cached answer as SSE chunks', async () => {
    const text = `A long answer 🦀 that is split into a few chunks: ${'lorem ipsum dolor sit amet '.repeat(8)}🦀 end`
    const body = fresh()
    mock.enqueue({ json: chatCompletion(text) })
    const original = await jsonOf(await chat(body))
    await settle()
    const before = upstreamCalls()
    const res = await chat({ ...body, stream: true })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(res.headers.get('x-crabllm-cache')).toBe('hit')
    const chunks = await chunksOf(res)
    expect(upstreamCalls()).toBe(before)
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk')
      expect(c.id).toBe(original.id)
      expect(c.model).toBe(original.model)
    }
    expect(chunks[0].choices[0].delta.role).toBe('assistant')
    expect(chunks.length).toBeGreaterThan(4)
    expect(contentOf(chunks)).toBe(text)
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop')
    expect(chunks.some((c) => c.usage)).toBe(false)
  })

  test('the replay carries a usage chunk only when the client asked for one', async () => {
    const body = fresh()
    const original = await jsonOf(await chat(body))
    await settle()
    const chunks = await chunksOf(await chat({ ...body, stream: true, stream_options: { include_usage: true } }))
    const last = chunks.at(-1)
    expect(last.choices).toEqual([])
    expect(last.usage).toEqual(original.usage)
    expect(chunks.filter((c) => c.usage)).toHaveLength(1)
  })

  test('tool calls are replayed', async () => {
    const body = fresh({
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    })
    const answer = chatCompletion('')
    answer.choices[0] = {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    } as any
    mock.enqueue({ json: answer })
    await (await chat(body)).text()
    await settle()
    const chunks = await chunksOf(await chat({ ...body, stream: true }))
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? [])
    expect(calls).toEqual([
      { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ])
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls')
  })

  test('the official OpenAI SDK reads a replayed stream', async () => {
    const body = fresh()
    mock.enqueue({
      json: chatCompletion('Replayed through the SDK, with a few more words to make more than one chunk of text.'),
    })
    await (await chat(body)).text()
    await settle()
    const before = upstreamCalls()
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 })
    const stream = await client.chat.completions.create({
      model: 'fast',
      messages: body.messages as OpenAI.ChatCompletionMessageParam[],
      stream: true,
      stream_options: { include_usage: true },
    })
    let content = ''
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? ''
      finish = chunk.choices[0]?.finish_reason ?? finish
      usage = chunk.usage ?? usage
    }
    expect(content).toBe('Replayed through the SDK, with a few more words to make more than one chunk of text.')
    expect(finish).toBe('stop')
    expect(usage?.total_tokens).toBe(13)
    expect(upstreamCalls()).toBe(before)
  })

  test('errors are not cached', async () => {
    const body = fresh()
    mock.enqueue(openAiError(400, 'bad request from upstream'))
    const failed = await chat(body)
    expect(failed.status).toBe(400)
    await failed.text()
    await settle()
    const before = upstreamCalls()
    const ok = await chat(body)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('x-crabllm-cache')).toBe('miss')
    expect(upstreamCalls()).toBe(before + 1)
  })

  test('a 200 that is not a chat.completion is not cached', async () => {
    const body = fresh()
    mock.enqueue({ json: { object: 'something.else', choices: 'no' } })
    await (await chat(body)).text()
    await settle()
    const before = upstreamCalls()
    await (await chat(body)).text()
    expect(upstreamCalls()).toBe(before + 1)
  })

  test('stream answers are not cached', async () => {
    const body = fresh({ stream: true })
    const streamed = await chat(body)
    expect(streamed.headers.get('x-crabllm-cache')).toBe('miss')
    await streamed.text()
    await settle()
    const before = upstreamCalls()
    for (const again of [body, { ...body, stream: false }]) {
      const res = await chat(again)
      expect(res.headers.get('x-crabllm-cache')).toBe('miss')
      await res.text()
    }
    expect(upstreamCalls()).toBe(before + 2)
  })

  test('embeddings are not cached', async () => {
    const body = { model: 'text-embedding-3-small', input: `embed ${crypto.randomUUID()}` }
    const post = () =>
      gw.fetch('/v1/embeddings', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const before = upstreamCalls()
    await (await post()).text()
    await settle()
    const res = await post()
    expect(res.headers.get('x-crabllm-cache')).toBeNull()
    await res.text()
    expect(upstreamCalls()).toBe(before + 2)
  })

  test('Cache-Control: no-cache skips the lookup but stores the fresh answer', async () => {
    const body = fresh()
    await (await chat(body)).text()
    await settle()
    const before = upstreamCalls()
    mock.enqueue({ json: chatCompletion('the fresh answer') })
    const refreshed = await chat(body, { 'cache-control': 'no-cache' })
    expect(refreshed.headers.get('x-crabllm-cache')).toBe('bypass')
    expect((await jsonOf(refreshed)).choices[0].message.content).toBe('the fresh answer')
    expect(upstreamCalls()).toBe(before + 1)
    await settle()
    const hit = await chat(body)
    expect(hit.headers.get('x-crabllm-cache')).toBe('hit')
    expect((await jsonOf(hit)).choices[0].message.content).toBe('the fresh answer')
    expect(upstreamCalls()).toBe(before + 1)
  })

  test('Cache-Control: no-store skips the lookup and the store', async () => {
    const cached = fresh()
    await (await chat(cached)).text()
    await settle()
    const before = upstreamCalls()
    const skipped = await chat(cached, { 'Cache-Control': 'max-age=0, No-Store' })
    expect(skipped.headers.get('x-crabllm-cache')).toBe('bypass')
    await skipped.text()
    expect(upstreamCalls()).toBe(before + 1)

    const body = fresh()
    await (await chat(body, { 'cache-control': 'no-store' })).text()
    await settle()
    const res = await chat(body)
    expect(res.headers.get('x-crabllm-cache')).toBe('miss')
    await res.text()
    expect(upstreamCalls()).toBe(before + 3)
  })

  test('DELETE /v1/cache needs the admin token and clears every entry', async () => {
    const bodies = [fresh(), fresh({ model: 'gpt-4o' })]
    for (const b of bodies) await (await chat(b)).text()
    await settle()
    for (const b of bodies) expect((await chat(b)).headers.get('x-crabllm-cache')).toBe('hit')

    const del = (token?: string) =>
      gw.fetch('/v1/cache', { method: 'DELETE', headers: token ? { authorization: `Bearer ${token}` } : {} })
    const anonymous = await del()
    expect(anonymous.status).toBe(401)
    expect((await jsonOf(anonymous)).error.type).toBe('authentication_error')
    const normal = await del(KEY)
    expect(normal.status).toBe(403)
    expect((await jsonOf(normal)).error.code).toBe('admin_only')
    for (const b of bodies) expect((await chat(b)).headers.get('x-crabllm-cache')).toBe('hit')

    const cleared = await del(ADMIN)
    expect(cleared.status).toBe(200)
    expect(await jsonOf(cleared)).toMatchObject({ cleared: true })
    const before = upstreamCalls()
    for (const b of bodies) {
      const res = await chat(b)
      expect(res.headers.get('x-crabllm-cache')).toBe('miss')
      await res.text()
    }
    expect(upstreamCalls()).toBe(before + bodies.length)
    // Cached again after the clear.
    await settle()
    for (const b of bodies) expect((await chat(b)).headers.get('x-crabllm-cache')).toBe('hit')
  })

  test('an answer stored after a clear by a request from before it is not served', async () => {
    const writes: Promise<unknown>[] = []
    const ext = cacheExtension({
      options: { ttl_seconds: 60, max_bytes: 1 << 20 },
      config: gw.ctx.config,
      store: store.namespace('direct'),
      log: memoryLogger('error'),
      defer: (w) => void writes.push(w),
      catalog: catalogOf(gw.ctx.config),
      principals: () => [],
    })
    const ctx = contextFor(fresh())
    expect(await ext.onCacheLookup!(ctx)).toBeUndefined()
    const clear = ext.routes!.find((r) => r.method === 'DELETE')!
    await clear.handle(new Request('http://x/v1/cache', { method: 'DELETE' }), { name: 'admin' } as any)
    ctx.status = 200
    await ext.onResponse!(ctx, new TextEncoder().encode(JSON.stringify(chatCompletion())))
    await Promise.all(writes)
    expect(writes).toHaveLength(1)
    expect(await ext.onCacheLookup!(contextFor(ctx.json))).toBeUndefined()
  })

  test('entries are written with the configured TTL', async () => {
    const ttls: (number | undefined)[] = []
    const spy: Store = {
      ...store,
      set: (key, value, ttlMs) => {
        ttls.push(ttlMs)
        return store.set(key, value, ttlMs)
      },
    }
    const writes: Promise<unknown>[] = []
    const ext = cacheExtension({
      options: { ttl_seconds: 42, max_bytes: 1 << 20 },
      config: gw.ctx.config,
      store: spy,
      log: memoryLogger('error'),
      defer: (w) => void writes.push(w),
      catalog: catalogOf(gw.ctx.config),
      principals: () => [],
    })
    const ctx = contextFor(fresh())
    await ext.onCacheLookup!(ctx)
    ctx.status = 200
    await ext.onResponse!(ctx, new TextEncoder().encode(JSON.stringify(chatCompletion())))
    await Promise.all(writes)
    expect(ttls).toEqual([42_000])
    const hit = await ext.onCacheLookup!(contextFor(ctx.json))
    expect(hit?.headers.get('x-crabllm-cache')).toBe('hit')
  })

  test('nothing unexpected was logged', () => {
    expect(gw.errors()).toEqual([])
  })
})

// --- TTL expiry, on a clock the test moves (Redis keeps its own clock: its TTL is checked above) ---

/** A store on a clock the test moves, removed when disposed. */
type ClockedStore = { store: Store } & AsyncDisposable

const CLOCKED: { name: string; open(now: () => number): ClockedStore }[] = [
  {
    name: 'memory',
    open: (now) => {
      const store = memoryStore({ now })
      return { store, [Symbol.asyncDispose]: () => store.close() }
    },
  },
  {
    name: 'sqlite',
    open: (now) => {
      const dir = mkdtempSync(join(tmpdir(), 'crabllm-cache-'))
      const db = new Database(join(dir, 'cache.db'), { create: true, strict: true })
      const store = sqliteStore(db, { now })
      return {
        store,
        async [Symbol.asyncDispose]() {
          await store.close()
          db.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  },
]

describe.each(CLOCKED)('cache TTL on $name', (backend) => {
  test('an entry is served until ttl_seconds have passed, then it is a miss', async () => {
    let clock = 1_700_000_000_000
    await using clocked = backend.open(() => clock)
    await using mock = await startMockUpstream()
    await using gw = await startGateway(config(mock.url, 60), { store: clocked.store })
    const body = fresh()
    await (await gw.chat(body, { key: KEY })).text()
    await gw.ctx.pipeline.flush()
    clock += 59_999
    expect((await gw.chat(body, { key: KEY })).headers.get('x-crabllm-cache')).toBe('hit')
    expect(mock.requests).toHaveLength(1)
    clock += 1
    const expired = await gw.chat(body, { key: KEY })
    expect(expired.headers.get('x-crabllm-cache')).toBe('miss')
    await expired.text()
    expect(mock.requests).toHaveLength(2)
  })
})

// --- the pure parts ---

describe('cache key', () => {
  const messages = [{ role: 'user', content: 'hi' }]

  test('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    )
    expect(canonicalJson([2, 1])).toBe('[2,1]')
    expect(canonicalJson('é"')).toBe('"é\\""')
  })

  test('is SHA-256 hex, ignores stream fields and the body model, and keeps everything else', () => {
    const key = cacheKey('gpt-4o-mini', { model: 'fast', messages })
    expect(key).toMatch(/^[0-9a-f]{64}$/)
    expect(
      cacheKey('gpt-4o-mini', {
        messages,
        stream: true,
        stream_options: { include_usage: true },
        model: 'gpt-4o-mini',
      }),
    ).toBe(key)
    expect(cacheKey('gpt-4o', { messages })).not.toBe(key)
    expect(cacheKey('gpt-4o-mini', { messages, user: 'u1' })).not.toBe(key)
    expect(cacheKey('gpt-4o-mini', { messages, temperature: 0 })).not.toBe(key)
  })
})

describe('Cache-Control directives', () => {
  const directives = (value?: string) =>
    cacheDirectives(new Request('http://x', { headers: value ? { 'cache-control': value } : {} }))
  test.each([
    [undefined, { lookup: true, store: true }],
    ['max-age=0', { lookup: true, store: true }],
    ['no-cache', { lookup: false, store: true }],
    ['No-Cache="x"', { lookup: false, store: true }],
    ['private, no-store', { lookup: false, store: false }],
    ['no-cache,no-store', { lookup: false, store: false }],
  ])('%p', (value, expected) => {
    expect(directives(value)).toEqual(expected)
  })
})

describe('SSE replay', () => {
  test('every choice gets role, content, refusal and finish chunks; usage only when asked', () => {
    const completion: ChatCompletion = {
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      system_fingerprint: 'fp',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'one' }, finish_reason: 'stop' },
        { index: 1, message: { role: 'assistant', content: null, refusal: 'no' }, finish_reason: 'content_filter' },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    }
    const parse = (sse: string) =>
      sse
        .split('\n\n')
        .filter(Boolean)
        .map((f) => f.slice('data: '.length))
    const frames = parse(replayAsSse(completion, false))
    expect(frames.at(-1)).toBe('[DONE]')
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f))
    expect(chunks.map((c) => [c.choices[0].index, c.choices[0].delta, c.choices[0].finish_reason])).toEqual([
      [0, { role: 'assistant', content: '' }, null],
      [0, { content: 'one' }, null],
      [0, {}, 'stop'],
      [1, { role: 'assistant', content: '' }, null],
      [1, { refusal: 'no' }, null],
      [1, {}, 'content_filter'],
    ])
    expect(chunks[0]).toMatchObject({
      id: 'c1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      system_fingerprint: 'fp',
    })
    const withUsage = parse(replayAsSse(completion, true))
    expect(JSON.parse(withUsage.at(-2)!)).toMatchObject({ choices: [], usage: completion.usage })
  })

  test('long content is split on code points, never inside a character', () => {
    const text = '🦀'.repeat(150)
    const completion = parseCompletion(JSON.stringify(chatCompletion(text)))!
    const chunks = replayAsSse(completion, false)
      .split('\n\n')
      .filter((f) => f && f !== 'data: [DONE]')
      .map((f) => JSON.parse(f.slice(6)))
    const pieces = chunks.map((c) => c.choices[0].delta.content).filter((c) => c)
    expect(pieces.length).toBe(3)
    for (const p of pieces) expect(p).toMatch(/^(🦀)+$/u)
    expect(pieces.join('')).toBe(text)
  })

  test('only a chat.completion is replayable', () => {
    expect(parseCompletion('not json')).toBeUndefined()
    expect(parseCompletion('{"object":"list","data":[]}')).toBeUndefined()
    expect(parseCompletion('[]')).toBeUndefined()
    expect(parseCompletion(JSON.stringify(chatCompletion()))?.choices).toHaveLength(1)
  })
})

/** A request context for driving the extension directly. */
function contextFor(json: Readonly<Record<string, unknown>>, stream = false): RequestContext {
  return {
    requestId: crypto.randomUUID(),
    key: 'team',
    principal: { name: 'team' } as RequestContext['principal'],
    model: String(json.model),
    requestedModel: String(json.model),
    surface: 'chat',
    stream,
    json,
    request: new Request('http://x/v1/chat/completions', { method: 'POST' }),
    started: performance.now(),
    startedAt: Date.now(),
    clientWantsUsage: false,
    headers: {},
  }
}
