// [extensions.usage] through the real gateway, on every storage backend: tokens and requests per key
// and model from JSON answers, streams (with and without upstream usage, cut short), /v1/messages and
// embeddings; cache hits are requests with 0 tokens; errors count nothing; GET /v1/usage shows a key its
// own rows and the admin token all.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { digest, keyIdOf } from '../../src/auth'
import { listUsage } from '../../src/extensions/usage/index'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'
import { BACKENDS, closeAll } from '../support/stores'

const ALICE = 'sk-usage-alice-0123456789abcdef'
const COLON = 'sk-usage-colon-0123456789abcdef'
const SLASH = 'sk-usage-slash-0123456789abcdef'
const ADMIN = 'admin-usage-0123456789abcdef'
/** Counters are kept under each key's id (from its secret); rows show the name and the id. */
const IDS: Record<string, string> = {
  alice: keyIdOf(digest(ALICE)),
  'team:b': keyIdOf(digest(COLON)),
  'team:b/x': keyIdOf(digest(SLASH)),
  admin: 'admin',
}

let openai: MockUpstream
let claude: MockUpstream

beforeAll(async () => {
  openai = await startMockUpstream()
  claude = await startMockUpstream()
})
afterAll(async () => {
  await openai.close()
  await claude.close()
  await closeAll()
})

// Key names with ':' and '/', one a prefix of the other, and a model name with ':' (Ollama style).
const toml = () => `
admin_token = "${ADMIN}"
[[keys]]
name = "alice"
key = "${ALICE}"
[[keys]]
name = "team:b"
key = "${COLON}"
[[keys]]
name = "team:b/x"
key = "${SLASH}"
${provider('oai', openai.url, ['gpt-4o-mini', 'llama3:8b', 'text-embedding-3-small'])}
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${claude.url}/v1"
models = ["claude-sonnet-4-6"]
[extensions.usage]
`

// Anthropic's framing: `event: <type>` then `data: {"type": <type>, ...}`.
const frame = (o: { type: string } & Record<string, unknown>) => `event: ${o.type}\ndata: ${JSON.stringify(o)}\n\n`
const anthropicMessage = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [{ type: 'text', text: 'Hello from Claude' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 3 },
}
const anthropicStream = [
  frame({
    type: 'message_start',
    message: { ...anthropicMessage, content: [], stop_reason: null, usage: { input_tokens: 20, output_tokens: 1 } },
  }),
  frame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  frame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  frame({ type: 'content_block_stop', index: 0 }),
  frame({
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 7 },
  }),
  frame({ type: 'message_stop' }),
]

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
})
const row = (
  key: string,
  model: string,
  prompt: number,
  completion: number,
  requests: number,
  cacheRead = 0,
  cachedRequests = 0,
  reasoning = 0,
) => ({
  key,
  key_id: IDS[key]!,
  model,
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  cache_read_tokens: cacheRead,
  reasoning_tokens: reasoning,
  requests,
  cached_requests: cachedRequests,
})

describe.each(BACKENDS)('usage on $name', (backend) => {
  /** A gateway on a fresh, empty store of this backend. */
  const fresh = async () => startGateway(toml(), { store: await backend.open() })
  /** GET /v1/usage once every deferred write has landed. */
  const usage = async (gw: TestGateway, key: string | undefined = ADMIN) => {
    await gw.ctx.pipeline.flush()
    const res = await gw.fetch('/v1/usage', key ? { headers: { authorization: `Bearer ${key}` } } : {})
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    return jsonOf(res)
  }
  const messages = (gw: TestGateway, body: unknown) =>
    gw.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': ALICE, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  test('JSON answers: prompt and completion tokens and requests add up per key and model', async () => {
    await using gw = await fresh()
    for (let i = 0; i < 2; i++) expect((await gw.chat(ask('gpt-4o-mini'), { key: ALICE })).status).toBe(200)
    expect(await usage(gw)).toEqual([row('alice', 'gpt-4o-mini', 18, 8, 2)])
  })

  test('a stream with upstream usage is counted; the usage chunk the gateway asked for stays hidden', async () => {
    await using gw = await fresh()
    openai.enqueue({ sse: chatChunks(['a', 'b', 'c'], 'gpt-4o-mini', true) })
    const before = openai.requests.length
    const res = await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: ALICE })
    const frames = await readSse(res)
    expect(openai.requests[before]!.json().stream_options).toEqual({ include_usage: true })
    expect(frames.some((f) => f.includes('"usage"'))).toBe(false)
    expect(frames.at(-1)).toBe('[DONE]')
    expect(await usage(gw)).toEqual([row('alice', 'gpt-4o-mini', 9, 3, 1)])
  })

  test('a stream without any upstream usage counts what it carried, tokenized by the gateway', async () => {
    await using gw = await fresh()
    openai.enqueue({ sse: chatChunks(['Hello', ' there', ', friend']) })
    await readSse(await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: ALICE }))
    // The prompt as OpenAI frames it: 3 per request, 4 per message (role included), 'hi' is 1 token;
    // the completion 'Hello there, friend' is 4 tokens in o200k_base.
    expect(await usage(gw)).toEqual([row('alice', 'gpt-4o-mini', 8, 4, 1)])
  })

  test('a stream cut after its usage arrived counts it; one cut before counts what it had delivered', async () => {
    await using gw = await fresh()
    const frames = chatChunks(['a', 'b'], 'gpt-4o-mini', true)
    openai.enqueue({ sse: frames, cutAfter: frames.length - 1 }) // everything but [DONE]
    const cut = await (await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: ALICE })).text()
    expect(cut).toContain('upstream_stream_error')
    expect(cut).not.toContain('[DONE]')
    openai.enqueue({ sse: frames, cutAfter: 2 })
    const early = await (await gw.chat(ask('llama3:8b', { stream: true }), { key: ALICE })).text()
    expect(early).toContain('upstream_stream_error')
    // The early cut delivered the role chunk and 'a': the prompt (8) and one completion token.
    expect(await usage(gw)).toEqual([row('alice', 'gpt-4o-mini', 9, 2, 1), row('alice', 'llama3:8b', 8, 1, 1)])
  })

  test('errors count nothing: upstream errors (retries exhausted included) and a request refused before dispatch', async () => {
    await using gw = await fresh()
    openai.enqueue(openAiError(400, 'bad request from upstream'))
    expect((await gw.chat(ask('gpt-4o-mini'), { key: ALICE })).status).toBe(400)
    const before = openai.requests.length
    openai.enqueue(
      openAiError(503, 'busy', 'server_error'),
      openAiError(503, 'busy', 'server_error'),
      openAiError(503, 'busy', 'server_error'),
    )
    expect((await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: ALICE })).status).toBe(503)
    expect(openai.requests.length - before).toBe(3) // max_retries = 2: the three scripted replies are used up
    expect((await gw.chat(ask('no-such-model'), { key: ALICE })).status).toBe(404)
    expect(await usage(gw)).toEqual([])
  })

  test('/v1/messages: Anthropic input/output tokens (cache reads included in prompt), JSON and stream', async () => {
    await using gw = await fresh()
    claude.enqueue({ json: anthropicMessage })
    expect((await messages(gw, { ...ask('claude-sonnet-4-6'), max_tokens: 64 })).status).toBe(200)
    claude.enqueue({ sse: anthropicStream })
    const res = await messages(gw, { ...ask('claude-sonnet-4-6'), max_tokens: 64, stream: true })
    expect(await res.text()).toContain('message_stop')
    // JSON: 12 + 3 cache-read prompt, 5 completion; stream: 20 prompt, 7 completion.
    expect(await usage(gw)).toEqual([row('alice', 'claude-sonnet-4-6', 35, 12, 2, 3)])
  })

  test('/v1/messages served by an OpenAI upstream (translated), JSON and stream', async () => {
    await using gw = await fresh()
    expect((await messages(gw, { ...ask('gpt-4o-mini'), max_tokens: 64 })).status).toBe(200)
    openai.enqueue({ sse: chatChunks(['a', 'b', 'c'], 'gpt-4o-mini', true) })
    const res = await messages(gw, { ...ask('gpt-4o-mini'), max_tokens: 64, stream: true })
    expect(await res.text()).toContain('message_stop')
    expect(await usage(gw)).toEqual([row('alice', 'gpt-4o-mini', 18, 7, 2)])
  })

  test('embeddings: prompt tokens, no completion tokens', async () => {
    await using gw = await fresh()
    const res = await gw.fetch('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hello' }),
    })
    expect(res.status).toBe(200)
    expect(await usage(gw)).toEqual([row('alice', 'text-embedding-3-small', 2, 0, 1)])
  })

  test('a key sees only its own rows, the admin token all of them sorted by key then model', async () => {
    await using gw = await fresh()
    await gw.chat(ask('llama3:8b'), { key: SLASH })
    await gw.chat(ask('gpt-4o-mini'), { key: COLON })
    await gw.chat(ask('llama3:8b'), { key: ALICE })
    await gw.chat(ask('gpt-4o-mini'), { key: ALICE })
    await gw.chat(ask('gpt-4o-mini'), { key: ADMIN })
    expect(await usage(gw, ADMIN)).toEqual([
      row('admin', 'gpt-4o-mini', 9, 4, 1),
      row('alice', 'gpt-4o-mini', 9, 4, 1),
      row('alice', 'llama3:8b', 9, 4, 1),
      row('team:b', 'gpt-4o-mini', 9, 4, 1),
      row('team:b/x', 'llama3:8b', 9, 4, 1),
    ])
    expect(await usage(gw, ALICE)).toEqual([row('alice', 'gpt-4o-mini', 9, 4, 1), row('alice', 'llama3:8b', 9, 4, 1)])
    // 'team:b' is a prefix of 'team:b/x': neither sees the other's rows.
    expect(await usage(gw, COLON)).toEqual([row('team:b', 'gpt-4o-mini', 9, 4, 1)])
    expect(await usage(gw, SLASH)).toEqual([row('team:b/x', 'llama3:8b', 9, 4, 1)])
  })

  // Finding 12: the header said cache hits count nothing, while each one counted as a request. A hit is
  // a request the key made and got its answer for, but no provider was paid: a request, a cached
  // request, no tokens (so `requests - cached_requests` reached a provider).
  test('a cache hit is a request and a cached request, with 0 tokens (JSON and replayed stream)', async () => {
    await using gw = await startGateway(`${toml()}[extensions.cache]\n`, { store: await backend.open() })
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `cache ${crypto.randomUUID()}` }] }
    const miss = await gw.chat(body, { key: ALICE })
    expect(miss.headers.get('x-crabllm-cache')).toBe('miss')
    await miss.text()
    await gw.ctx.pipeline.flush()
    const before = openai.requests.length
    for (const again of [body, body, { ...body, stream: true }]) {
      const hit = await gw.chat(again, { key: ALICE })
      expect(hit.headers.get('x-crabllm-cache')).toBe('hit')
      await hit.text()
    }
    expect(openai.requests.length).toBe(before)
    expect(await usage(gw)).toEqual([row('alice', 'gpt-4o-mini', 9, 4, 4, 0, 3)])
  })

  test('GET /v1/usage without a key or with a wrong one is 401', async () => {
    await using gw = await fresh()
    const none = await gw.fetch('/v1/usage')
    expect(none.status).toBe(401)
    expect((await jsonOf(none)).error.code).toBe('missing_api_key')
    const wrong = await gw.fetch('/v1/usage', { headers: { authorization: 'Bearer sk-not-a-key-0123456789' } })
    expect(wrong.status).toBe(401)
    expect((await jsonOf(wrong)).error.code).toBe('invalid_api_key')
  })

  test('the listing is bounded: the first rows in storage order, complete, and marked truncated', async () => {
    await using gw = await fresh()
    for (const model of ['gpt-4o-mini', 'llama3:8b', 'text-embedding-3-small'])
      await gw.chat(ask(model), { key: ALICE })
    await gw.ctx.pipeline.flush()
    const all = await listUsage(gw.ctx.store.namespace('usage'), undefined)
    expect(all.truncated).toBe(false)
    expect(all.rows).toHaveLength(3)
    const two = await listUsage(gw.ctx.store.namespace('usage'), IDS.alice, 2)
    expect(two.truncated).toBe(true)
    expect(two.rows).toHaveLength(2)
    for (const r of two.rows) expect(r).toEqual(row('alice', r.model, 9, 4, 1))
  })

  test('concurrent answers lose no count', async () => {
    await using gw = await fresh()
    const n = 60
    const statuses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        gw.chat(ask(i % 2 ? 'gpt-4o-mini' : 'llama3:8b'), { key: ALICE }).then((r) => r.status),
      ),
    )
    expect(statuses.every((s) => s === 200)).toBe(true)
    expect(await usage(gw, ALICE)).toEqual([
      row('alice', 'gpt-4o-mini', 9 * 30, 4 * 30, 30),
      row('alice', 'llama3:8b', 9 * 30, 4 * 30, 30),
    ])
    expect(gw.errors()).toEqual([])
  })
})
