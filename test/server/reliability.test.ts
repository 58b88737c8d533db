// The gateway's own defences, in process against the recording mock: the circuit breaker in dispatch,
// stream_idle_timeout, the max_inflight caps (global and per key) and the health route while saturated.
import { afterAll, beforeAll, describe, expect, setSystemTime, test } from 'bun:test'
import { jsonOf, readSse, startGateway } from '../support/gateway'
import { chatChunks, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-reliability-0123456789abcdef'
const CAPPED = 'sk-capped-key-0123456789abcdefg'
const ADMIN = 'admin-token-reliability-0123456789'
let a: MockUpstream
let b: MockUpstream

beforeAll(async () => {
  a = await startMockUpstream()
  b = await startMockUpstream()
})
afterAll(async () => {
  await a.close()
  await b.close()
})

const body = (model: string, stream = false) => ({ model, stream, messages: [{ role: 'user', content: 'hi' }] })
const providerToml = (name: string, url: string, extra: string) =>
  `[providers.${name}]\nkind = "openai"\napi_key = "k"\nbase_url = "${url}/v1"\nmodels = ["m"]\nmax_retries = 0\n${extra}\n`

describe('circuit breaker', () => {
  test('after cooldown_failures failures in a row the provider is skipped, shown open, then probed', async () => {
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\n${providerToml('a', a.url, 'weight = 100\ncooldown_failures = 3\ncooldown_seconds = 30')}${providerToml('b', b.url, 'weight = 0.001')}`,
    )
    const beforeA = a.requests.length
    for (let i = 0; i < 3; i++) a.enqueue({ status: 503, json: { error: { message: 'down', type: 'server_error' } } })
    // Weight 100 vs 0.001: a goes first each time (then falls back to b, which answers).
    const chat = () => gw.chat(body('m'), { key: ADMIN })
    for (let i = 0; i < 3; i++) expect((await chat()).status).toBe(200)
    expect(a.requests.length - beforeA).toBe(3)
    // Open: a is not called any more, b answers.
    const listed = await jsonOf(
      await gw.fetch('/v1/admin/providers/a', { headers: { authorization: `Bearer ${ADMIN}` } }),
    )
    expect(listed.health).toMatchObject({ state: 'open', consecutive_failures: 3, cooldowns: 1 })
    expect(Date.parse(listed.health.cooldown_until)).toBeGreaterThan(Date.now())
    for (let i = 0; i < 5; i++) expect((await chat()).status).toBe(200)
    expect(a.requests.length - beforeA).toBe(3)
    // After the cooldown one request probes a; it answers, so the breaker closes. The breaker reads the
    // clock (Breaker's `now`, Date.now: the registry passes no other), so the test sets the clock to the
    // moment the gateway named instead of sleeping until it; bun:test's system time, restored after.
    const cooldownUntil = Date.parse(listed.health.cooldown_until)
    using _clock = { [Symbol.dispose]: () => void setSystemTime() }
    setSystemTime(cooldownUntil - 1)
    expect((await chat()).status).toBe(200)
    expect(a.requests.length - beforeA).toBe(3) // still skipped 1 ms before
    setSystemTime(cooldownUntil)
    expect((await chat()).status).toBe(200)
    expect(a.requests.length - beforeA).toBe(4)
    const after = await jsonOf(
      await gw.fetch('/v1/admin/providers/a', { headers: { authorization: `Bearer ${ADMIN}` } }),
    )
    expect(after.health).toMatchObject({ state: 'closed', consecutive_failures: 0 })
  })

  test('when every deployment is cooling down: 503 providers_cooling_down at once, with Retry-After', async () => {
    await using gw = await startGateway(providerToml('a', a.url, 'cooldown_failures = 2\ncooldown_seconds = 30'))
    for (let i = 0; i < 2; i++) a.enqueue({ status: 500, json: { error: { message: 'boom', type: 'server_error' } } })
    expect((await gw.chat(body('m'))).status).toBe(500)
    expect((await gw.chat(body('m'))).status).toBe(500)
    const before = a.requests.length
    const res = await gw.chat(body('m'))
    expect(res.status).toBe(503)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(20)
    const error = (await jsonOf(res)).error
    expect(error.code).toBe('providers_cooling_down')
    expect(error.message).toContain("'m'")
    expect(a.requests.length).toBe(before)
  })

  test('client errors (4xx other than 429) do not count as failures', async () => {
    await using gw = await startGateway(providerToml('a', a.url, 'cooldown_failures = 2'))
    for (let i = 0; i < 4; i++)
      a.enqueue({ status: 400, json: { error: { message: 'bad', type: 'invalid_request_error' } } })
    for (let i = 0; i < 4; i++) expect((await gw.chat(body('m'))).status).toBe(400)
    expect(gw.ctx.registry.breakers.get('a')!.state).toBe('closed')
  })
})

describe('stream_idle_timeout', () => {
  test('a stream that goes silent is ended with the in-band error naming the timeout', async () => {
    await using gw = await startGateway(providerToml('a', a.url, 'stream_idle_timeout = 0.3'))
    const never = new Promise(() => {})
    a.enqueue({ sse: chatChunks(['one', 'two']), holdFrames: never, holdFramesAfter: 2 })
    const events = await readSse(await gw.chat(body('m', true)))
    expect(events.at(-1)).toContain('stream_idle_timeout')
    expect(events).not.toContain('[DONE]')
    expect(events.length).toBe(3)
  })
})

describe('max_inflight', () => {
  test('beyond the global cap: 503 server_overloaded at once with Retry-After; /health still answers', async () => {
    await using gw = await startGateway(`max_inflight = 2\n${providerToml('a', a.url, '')}`)
    const release = Promise.withResolvers<void>()
    a.enqueue({ hold: release.promise, json: { id: 'x', choices: [] } })
    a.enqueue({ hold: release.promise, json: { id: 'y', choices: [] } })
    const arrived = a.waitForRequest(a.requests.length + 2)
    const held = [gw.chat(body('m')), gw.chat(body('m'))]
    await arrived // both reached the upstream, which holds them: both are in flight
    expect(gw.ctx.inflight.count).toBe(2)
    const refused = await gw.chat(body('m'))
    expect(refused.status).toBe(503)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect((await jsonOf(refused)).error.code).toBe('server_overloaded')
    expect((await gw.fetch('/health')).status).toBe(200)
    release.resolve()
    for (const res of await Promise.all(held)) expect(res.status).toBe(200)
    expect(gw.ctx.inflight.count).toBe(0)
    expect((await gw.chat(body('m'))).status).toBe(200)
  })

  test("a key's own cap: 429 concurrency_limit_exceeded for that key only", async () => {
    await using gw = await startGateway(
      `[[keys]]\nname = "capped"\nkey = "${CAPPED}"\nmax_inflight = 1\n[[keys]]\nname = "free"\nkey = "${KEY}"\n${providerToml('a', a.url, '')}`,
    )
    const release = Promise.withResolvers<void>()
    a.enqueue({ hold: release.promise, json: { id: 'x', choices: [] } })
    const arrived = a.waitForRequest(a.requests.length + 1)
    const held = gw.chat(body('m'), { key: CAPPED })
    await arrived // it reached the upstream, which holds it: it is in flight
    expect(gw.ctx.inflight.count).toBe(1)
    expect(gw.ctx.inflight.byKey.get('capped')).toBe(1)
    const refused = await gw.chat(body('m'), { key: CAPPED })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect((await jsonOf(refused)).error.code).toBe('concurrency_limit_exceeded')
    expect((await gw.chat(body('m'), { key: KEY })).status).toBe(200)
    release.resolve()
    expect((await held).status).toBe(200)
    expect(gw.ctx.inflight.byKey.size).toBe(0)
    expect((await gw.chat(body('m'), { key: CAPPED })).status).toBe(200)
  })

  test('a stream holds its slot until it ends', async () => {
    await using gw = await startGateway(`max_inflight = 1\n${providerToml('a', a.url, '')}`)
    const release = Promise.withResolvers<void>()
    a.enqueue({ sse: chatChunks(['a', 'b']), holdFrames: release.promise, holdFramesAfter: 1 })
    const stream = await gw.chat(body('m', true))
    expect(stream.status).toBe(200)
    expect((await gw.chat(body('m'))).status).toBe(503)
    release.resolve()
    await stream.text()
    expect((await gw.chat(body('m'))).status).toBe(200)
  })
})
