// Retries, Retry-After, fallback, timeouts and the stream commit rule, through real HTTP against
// recording mocks. Backoff is shortened (FAST_DISPATCH); its jitter is unit-tested in backoff.test.ts.
// Then the answers dispatch does not relay as they came (issue [2/6]): redirects, encodings not asked
// for, bodies over max_answer_size and error bodies over MAX_ERROR_BODY, and the provider's secrets
// masked in its upstream's errors.
import { afterEach, describe, expect, test } from 'bun:test'
import { MAX_ERROR_BODY, secretScrubber } from '../../src/core/upstream-error'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import {
  chatChunks,
  chatCompletion,
  closedPort,
  type MockUpstream,
  openAiError,
  startMockUpstream,
} from '../support/mock-upstream'

const open: AsyncDisposable[] = []
afterEach(async () => {
  for (const d of open.splice(0).reverse()) await d[Symbol.asyncDispose]()
})
async function mock(): Promise<MockUpstream> {
  const m = await startMockUpstream()
  open.push(m)
  return m
}
async function gateway(toml: string, dispatch = {}): Promise<TestGateway> {
  const g = await startGateway(toml, { dispatch })
  open.push(g)
  return g
}
const ask = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
const askStream = { ...ask, stream: true }

describe('retries on one deployment', () => {
  test.each([429, 500, 502, 503, 504, 529])('a %i is retried and the retry answers', async (status) => {
    const up = await mock()
    up.enqueue(openAiError(status, 'transient'))
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect(up.requests.length).toBe(2)
    // The retry carries the same bytes.
    expect(up.requests[1]!.text()).toBe(up.requests[0]!.text())
    expect(gw.errors()).toEqual([])
  })

  test('max_retries bounds the attempts, then the last upstream error is relayed as-is', async () => {
    const up = await mock()
    up.fallback = () => openAiError(503, 'overloaded', 'server_error', 'overloaded')
    const gw = await gateway(provider('a', up.url, ['m'], 'max_retries = 3'))
    const res = await gw.chat(ask)
    expect(res.status).toBe(503)
    expect(await jsonOf(res)).toEqual({
      error: { message: 'overloaded', type: 'server_error', param: null, code: 'overloaded' },
    })
    expect(up.requests.length).toBe(4)
  })

  test('max_retries = 0 makes one attempt', async () => {
    const up = await mock()
    up.fallback = () => openAiError(500, 'boom', 'server_error')
    const gw = await gateway(provider('a', up.url, ['m'], 'max_retries = 0'))
    expect((await gw.chat(ask)).status).toBe(500)
    expect(up.requests.length).toBe(1)
  })

  test('a connection reset is retried', async () => {
    const up = await mock()
    up.enqueue({ reset: true })
    const gw = await gateway(provider('a', up.url, ['m']))
    expect((await gw.chat(ask)).status).toBe(200)
    expect(up.requests.length).toBe(2)
  })

  test('a body cut mid-way is retried for a non-stream request', async () => {
    const up = await mock()
    up.enqueue({ json: chatCompletion(), cutAfter: 0 })
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).object).toBe('chat.completion')
    expect(up.requests.length).toBe(2)
  })

  test('Retry-After is honoured (and capped) before the retry', async () => {
    const up = await mock()
    up.enqueue({ ...openAiError(429, 'slow down', 'rate_limit_error'), headers: { 'retry-after': '7' } })
    const waits: number[] = []
    const gw = await gateway(provider('a', up.url, ['m']), {
      retryAfterCapMs: 20_000,
      sleep: async (ms: number) => void waits.push(ms),
    })
    expect((await gw.chat(ask)).status).toBe(200)
    expect(waits).toEqual([7000])
  })

  test('retry-after-ms wins over retry-after', async () => {
    const up = await mock()
    up.enqueue({ ...openAiError(429, 'slow down'), headers: { 'retry-after-ms': '250', 'retry-after': '9' } })
    const waits: number[] = []
    const gw = await gateway(provider('a', up.url, ['m']), { sleep: async (ms: number) => void waits.push(ms) })
    expect((await gw.chat(ask)).status).toBe(200)
    expect(waits).toEqual([50]) // FAST_DISPATCH caps Retry-After at 50 ms
  })
})

describe('non-transient answers', () => {
  test.each([400, 401, 403, 404, 422])(
    'an upstream %i is relayed at once, with no retry and no fallback',
    async (status) => {
      const a = await mock()
      const b = await mock()
      const error = openAiError(status, `upstream said ${status}`, 'invalid_request_error', 'some_code')
      a.fallback = () => error
      const gw = await gateway(
        provider('a', a.url, ['m'], 'weight = 100') + provider('b', b.url, ['m'], 'weight = 1'),
        { random: () => 0 },
      )
      const res = await gw.chat(ask)
      expect(res.status).toBe(status)
      expect(await jsonOf(res)).toEqual(error.json as object)
      expect(a.requests.length).toBe(1)
      expect(b.requests.length).toBe(0)
    },
  )
})

describe('fallback', () => {
  test('after the retries on one deployment, the next one answers', async () => {
    const a = await mock()
    const b = await mock()
    a.fallback = () => openAiError(502, 'bad gateway', 'server_error')
    const gw = await gateway(
      provider('a', a.url, ['m'], 'weight = 10\nmax_retries = 1') + provider('b', b.url, ['m'], 'weight = 1'),
      { random: () => 0 },
    )
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect(a.requests.length).toBe(2)
    expect(b.requests.length).toBe(1)
    expect(b.requests[0]!.headers.authorization).toBe('Bearer sk-upstream-b')
  })

  test('a refused connection falls back; when every deployment is down the client gets a 502', async () => {
    const port = await closedPort()
    const b = await mock()
    const down = `http://127.0.0.1:${port}`
    const gw = await gateway(provider('a', down, ['m'], 'weight = 10\nmax_retries = 0') + provider('b', b.url, ['m']), {
      random: () => 0,
    })
    expect((await gw.chat(ask)).status).toBe(200)
    expect(b.requests.length).toBe(1)

    const dead = await gateway(provider('a', down, ['m'], 'max_retries = 1'))
    const res = await dead.chat(ask)
    expect(res.status).toBe(502)
    const { error } = await jsonOf(res)
    expect(error.type).toBe('server_error')
    expect(error.code).toBe('upstream_unreachable')
    expect(error.message).toContain("'a'")
    expect(dead.errors()).toEqual([])
  })

  test('weights spread traffic across deployments', async () => {
    const a = await mock()
    const b = await mock()
    let i = 0
    const sequence = [0.1, 0.9, 0.5, 0.95, 0.2]
    const gw = await gateway(provider('a', a.url, ['m'], 'weight = 3') + provider('b', b.url, ['m'], 'weight = 1'), {
      random: () => sequence[i++ % sequence.length]!,
    })
    for (let n = 0; n < 5; n++) expect((await gw.chat(ask)).status).toBe(200)
    expect(a.requests.length).toBe(3)
    expect(b.requests.length).toBe(2)
  })
})

describe('weight 0: fallback only (crabllm)', () => {
  test('a weight-0 deployment is never called first', async () => {
    const a = await mock()
    const z = await mock()
    let i = 0
    const draws = [0, 0.5, 0.99, 0.999999]
    const gw = await gateway(provider('z', z.url, ['m'], 'weight = 0') + provider('a', a.url, ['m'], 'weight = 1'), {
      random: () => draws[i++ % draws.length]!,
    })
    for (let n = 0; n < draws.length; n++) expect((await gw.chat(ask)).status).toBe(200)
    expect(a.requests.length).toBe(draws.length)
    expect(z.requests.length).toBe(0)
  })

  test('it answers once every weighted deployment failed', async () => {
    const a = await mock()
    const b = await mock()
    const z = await mock()
    a.fallback = () => openAiError(503, 'a is down', 'server_error')
    b.fallback = () => openAiError(500, 'b is down', 'server_error')
    z.fallback = () => ({ json: chatCompletion('from the fallback') })
    const gw = await gateway(
      provider('z', z.url, ['m'], 'weight = 0') +
        provider('a', a.url, ['m'], 'weight = 2\nmax_retries = 1') +
        provider('b', b.url, ['m'], 'weight = 1\nmax_retries = 0'),
      { random: () => 0.9 },
    )
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).choices[0].message.content).toBe('from the fallback')
    // b was drawn first (0.9 of 3 falls in b's share), then a (its retry too), then z.
    expect([b.requests.length, a.requests.length, z.requests.length]).toEqual([1, 2, 1])
    expect(gw.errors()).toEqual([])
  })

  test('a model served only by weight-0 deployments works, in config order', async () => {
    const y = await mock()
    const z = await mock()
    y.fallback = () => openAiError(502, 'y is down', 'server_error')
    const gw = await gateway(
      provider('y', y.url, ['m'], 'weight = 0\nmax_retries = 0') + provider('z', z.url, ['m'], 'weight = 0'),
    )
    expect((await gw.chat(ask)).status).toBe(200)
    expect([y.requests.length, z.requests.length]).toEqual([1, 1])
  })

  test('a non-transient answer from the weighted deployment is final: the fallback is not called', async () => {
    const a = await mock()
    const z = await mock()
    a.fallback = () => openAiError(400, 'bad request', 'invalid_request_error')
    const gw = await gateway(provider('a', a.url, ['m']) + provider('z', z.url, ['m'], 'weight = 0'))
    expect((await gw.chat(ask)).status).toBe(400)
    expect(z.requests.length).toBe(0)
  })
})

describe('timeouts', () => {
  test('a silent upstream is a 504 after the deployment timeout, then falls back', async () => {
    const slow = await mock()
    const never = Promise.withResolvers<void>()
    slow.fallback = () => ({ hold: never.promise, json: chatCompletion() })
    const b = await mock()
    const gw = await gateway(
      provider('slow', slow.url, ['m'], 'weight = 10\ntimeout = 0.05\nmax_retries = 0') + provider('b', b.url, ['m']),
      { random: () => 0 },
    )
    expect((await gw.chat(ask)).status).toBe(200)
    expect(b.requests.length).toBe(1)

    const alone = await gateway(provider('slow', slow.url, ['m'], 'timeout = 0.05\nmax_retries = 1'))
    const res = await alone.chat(ask)
    expect(res.status).toBe(504)
    const { error } = await jsonOf(res)
    expect(error.code).toBe('upstream_timeout')
    expect(error.message).toContain('50 ms')
    never.resolve()
  })
})

describe('the stream commit rule', () => {
  test('a stream that fails before its first byte is retried invisibly', async () => {
    const up = await mock()
    up.enqueue({ sse: chatChunks(), cutAfter: 0 })
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(askStream)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(chatChunks().join(''))
    expect(up.requests.length).toBe(2)
  })

  test('a 429 on a stream is retried like any other', async () => {
    const up = await mock()
    up.enqueue(openAiError(429, 'later'))
    const gw = await gateway(provider('a', up.url, ['m']))
    const events = await readSse(await gw.chat(askStream))
    expect(events.at(-1)).toBe('[DONE]')
    expect(up.requests.length).toBe(2)
  })

  test('a stream cut after its first bytes ends with an in-band error event and no [DONE]', async () => {
    const up = await mock()
    const frames = chatChunks(['one', 'two', 'three'])
    up.enqueue({ sse: frames, cutAfter: 2 })
    const gw = await gateway(provider('a', up.url, ['m']))
    const res = await gw.chat(askStream)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text.startsWith(frames.slice(0, 2).join(''))).toBe(true)
    const events = text.split('\n\n').filter(Boolean)
    const last = JSON.parse(events.at(-1)!.replace(/^data: /, ''))
    expect(last.error.type).toBe('server_error')
    expect(last.error.code).toBe('upstream_stream_error')
    expect(text).not.toContain('[DONE]')
    expect(up.requests.length).toBe(1)
    expect(gw.errors()).toEqual([])
  })

  test('a stream that ends cleanly without [DONE] is reported as truncated', async () => {
    const up = await mock()
    up.enqueue({ sse: chatChunks().slice(0, -1) })
    const gw = await gateway(provider('a', up.url, ['m']))
    const text = await (await gw.chat(askStream)).text()
    expect(text).toContain('upstream_stream_error')
    expect(text).toContain('before [DONE]')
    expect(text).not.toContain('data: [DONE]')
  })
})

// --- answers not relayed as they came (issue [2/6]) ---

describe('redirects (finding 2)', () => {
  test.each([301, 302, 303, 307, 308])(
    'a %i is a 502 upstream_redirect: not followed, not retried, named by its host only',
    async (status) => {
      const a = await mock()
      const elsewhere = await mock()
      a.fallback = () => ({ status, headers: { location: `${elsewhere.url}/steal?key=sk-in-query` } })
      const gw = await gateway(provider('a', a.url, ['m']))
      const res = await gw.chat(ask)
      expect(res.status).toBe(502)
      const { error } = await jsonOf(res)
      expect(error).toMatchObject({ type: 'server_error', code: 'upstream_redirect' })
      expect(error.message).toContain(`a redirect to host 127.0.0.1:${elsewhere.port}`)
      expect(error.message).not.toContain('sk-in-query')
      expect(a.requests.length).toBe(1) // max_retries = 2: a redirect is not retried
      expect(elsewhere.requests.length).toBe(0)
      expect(gw.errors()).toEqual([])
    },
  )

  test('the next deployment answers, and the redirect counts against the first one’s breaker', async () => {
    const a = await mock()
    const b = await mock()
    a.fallback = () => ({ status: 307, headers: { location: 'http://elsewhere.invalid/v1/chat/completions' } })
    const gw = await gateway(
      provider('a', a.url, ['m'], 'weight = 100\ncooldown_failures = 1') + provider('b', b.url, ['m'], 'weight = 1'),
      { random: () => 0 },
    )
    expect((await gw.chat(ask)).status).toBe(200)
    expect([a.requests.length, b.requests.length]).toEqual([1, 1])
    expect(gw.ctx.registry.breakers.get('a')!.state).toBe('open')
  })
})

describe('encodings and sizes (finding 6)', () => {
  test('a gzip answer is a 502 upstream_unexpected_encoding, not inflated', async () => {
    const a = await mock()
    a.fallback = () => ({
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: Bun.gzipSync(new Uint8Array(1024 * 1024)),
    })
    const gw = await gateway(provider('a', a.url, ['m']))
    const res = await gw.chat(ask)
    expect(res.status).toBe(502)
    expect((await jsonOf(res)).error.code).toBe('upstream_unexpected_encoding')
    expect(a.requests.length).toBe(1)
  })

  test.each([
    ['with a content-length', {}],
    ['chunked', { 'transfer-encoding': 'chunked' }],
  ])('an answer over max_answer_size (%s): 502 upstream_answer_too_large, final', async (_name, headers) => {
    const a = await mock()
    const b = await mock()
    a.fallback = () => ({ json: chatCompletion('x'.repeat(4096)), headers })
    const gw = await gateway(
      `max_answer_size = 2048\n${provider('a', a.url, ['m'], 'weight = 100')}${provider('b', b.url, ['m'], 'weight = 1')}`,
      { random: () => 0 },
    )
    const res = await gw.chat(ask)
    expect(res.status).toBe(502)
    const { error } = await jsonOf(res)
    expect(error).toMatchObject({ type: 'server_error', code: 'upstream_answer_too_large' })
    expect(error.message).toContain('over 2048 bytes (max_answer_size)')
    // The request may be what made it large: no retry, no fallback.
    expect([a.requests.length, b.requests.length]).toEqual([1, 0])
  })

  test('an answer within max_answer_size is relayed byte for byte', async () => {
    const a = await mock()
    const completion = chatCompletion('y'.repeat(1000))
    a.fallback = () => ({ json: completion })
    const gw = await gateway(`max_answer_size = 2048\n${provider('a', a.url, ['m'])}`)
    const res = await gw.chat(ask)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(JSON.stringify(completion))
  })

  test('an error body over MAX_ERROR_BODY: its status kept, a message of the gateway’s, Retry-After kept', async () => {
    const a = await mock()
    a.fallback = () => ({ status: 400, headers: { 'retry-after': '3' }, body: 'x'.repeat(MAX_ERROR_BODY + 1) })
    const gw = await gateway(provider('a', a.url, ['m']))
    const res = await gw.chat(ask)
    expect(res.status).toBe(400)
    expect(res.headers.get('retry-after')).toBe('3')
    const { error } = await jsonOf(res)
    expect(error.code).toBe('upstream_error')
    expect(error.message).toContain(`an error body over ${MAX_ERROR_BODY} bytes`)
  })
})

describe("the provider's secrets in its upstream's errors (finding 10)", () => {
  const KEY = 'sk-proj-0123456789abcdefghijklmnopqrstuvwxyz'

  test('a passthrough error quoting the key is relayed with the key masked, the rest byte for byte', async () => {
    const a = await mock()
    a.fallback = () =>
      openAiError(401, `Incorrect API key provided: ${KEY}.`, 'invalid_request_error', 'invalid_api_key')
    const gw = await gateway(provider('a', a.url, ['m']).replace('sk-upstream-a', KEY))
    expect(a.requests.length).toBe(0)
    const res = await gw.chat(ask)
    expect(res.status).toBe(401)
    expect(await jsonOf(res)).toEqual({
      error: {
        message: 'Incorrect API key provided: sk-…wxyz.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    })
  })

  test('a translated error (anthropic) quoting the key is masked', async () => {
    const a = await mock()
    a.fallback = () => ({
      status: 401,
      json: { type: 'error', error: { type: 'authentication_error', message: `invalid x-api-key: ${KEY}` } },
    })
    const gw = await gateway(
      `[providers.claude]\nkind = "anthropic"\napi_key = "${KEY}"\nbase_url = "${a.url}/v1"\nmodels = ["m"]\n`,
    )
    const res = await gw.chat(ask)
    expect(res.status).toBe(401)
    const text = await res.text()
    expect(text).not.toContain(KEY)
    expect(text).toContain('invalid x-api-key: sk-…wxyz')
  })

  test('bedrock: the secret key and session token are masked, also URL-encoded', async () => {
    const a = await mock()
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
    const token = 'FwoGZXIvYXdzEBYaDEXAMPLESESSIONTOKEN+abc/def=='
    a.fallback = () => ({
      status: 403,
      json: { message: `signed with ${secret} and ${encodeURIComponent(token)}` },
    })
    const gw = await gateway(
      `[providers.aws]\nkind = "bedrock"\nregion = "us-east-1"\naccess_key = "AKIAEXAMPLE0123"\nsecret_key = "${secret}"\nsession_token = "${token}"\nbase_url = "${a.url}"\nmodels = ["m"]\n`,
    )
    const res = await gw.chat(ask)
    expect(res.status).toBe(403)
    const text = await res.text()
    expect(text).not.toContain(secret)
    expect(text).not.toContain(encodeURIComponent(token))
    expect(text).toContain('signed with wJa…EKEY and Fwo…ef==')
  })
})

describe('secretScrubber', () => {
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()

  test.each([
    ['raw', 'key sk-abcdefghijklmnop here', 'key sk-…mnop here'],
    ['twice', 'sk-abcdefghijklmnop/sk-abcdefghijklmnop', 'sk-…mnop/sk-…mnop'],
    ['JSON-escaped slashes', '{"k":"ab\\/cdefghijklmnop"}', '{"k":"ab/…mnop"}'],
    ['absent', 'nothing to hide', 'nothing to hide'],
  ])('%s', (_name, text, expected) => {
    const scrub = secretScrubber(['sk-abcdefghijklmnop', 'ab/cdefghijklmnop'])!
    expect(decoder.decode(scrub(encoder.encode(text)))).toBe(expected)
  })

  test('bytes without a secret come back as the same array (nothing decoded)', () => {
    const bytes = encoder.encode('{"error":"busy"}')
    expect(secretScrubber(['sk-abcdefghijklmnop'])!(bytes)).toBe(bytes)
  })

  test('short secrets show as ****; none at all (or only tiny ones) builds no scrub', () => {
    expect(decoder.decode(secretScrubber(['short-key'])!(encoder.encode('a short-key b')))).toBe('a **** b')
    expect(secretScrubber([undefined, '', 'abc'])).toBeUndefined()
  })
})
