// on_storage_error, in process: the real pipeline and extensions over a store whose every call rejects
// while it is "down" (what the Redis client does while Redis is away). rate_limit fails open by
// default (the request is served, the failure logged) and closed when told (503 storage_unavailable
// with Retry-After, no upstream call); budget fails closed by default and open when told. Writes made
// after the answer (usage, audit, spend) fail without touching the answer, and the store coming back
// brings the counting back. The compiled binary against a real Redis outage: test/e2e/redis-outage.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { memoryStore } from '../../src/storage/memory'
import type { Store } from '../../src/storage/store'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-fail-mode-0123456789abcdefgh'
const ADMIN = 'admin-token-fail-mode-0123456789'
const MODEL = 'gpt-4o-mini'

let mock: MockUpstream
beforeAll(async () => {
  mock = await startMockUpstream()
})
afterAll(async () => {
  await mock.close()
})

/** A store that rejects every call while `down` is set, as a Redis client does while Redis is away. */
interface FlakyStore extends Store {
  down: boolean
  /** Calls rejected so far. */
  readonly rejected: number
}

function flakyStore(inner: Store = memoryStore()): FlakyStore {
  const state = { down: false, rejected: 0 }
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (!state.down) return call(...args)
      state.rejected++
      return Promise.reject(new Error("Stream isn't writeable and enableOfflineQueue options is false"))
    }
  const wrap = (store: Store): Store => ({
    kind: store.kind,
    get: guard(store.get),
    set: guard(store.set),
    add: guard(store.add),
    delete: guard(store.delete),
    increment: guard(store.increment),
    move: guard(store.move),
    list: guard(store.list),
    append: guard(store.append),
    recent: guard(store.recent),
    trimLog: guard(store.trimLog),
    reserve: guard(store.reserve),
    settle: guard(store.settle),
    namespace: (name) => wrap(store.namespace(name)),
    close: () => store.close(),
  })
  return Object.defineProperties(wrap(inner), {
    down: { get: () => state.down, set: (v: boolean) => void (state.down = v) },
    rejected: { get: () => state.rejected },
  }) as FlakyStore
}

function toml(extensions: string): string {
  return `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${KEY}"
${provider('up', mock.url, [MODEL])}
[models."${MODEL}"]
prompt_cost_per_million = 1000
completion_cost_per_million = 2000
${extensions}`
}

const RATE_LIMIT = '[extensions.rate_limit]\nrequests_per_minute = 1000\n'
const ask = { model: MODEL, messages: [{ role: 'user', content: 'hello' }] }

/** A gateway over a flaky store, with the store down. */
async function downGateway(extensions: string): Promise<{ gw: TestGateway; store: FlakyStore }> {
  const store = flakyStore()
  const gw = await startGateway(toml(extensions), { store })
  store.down = true
  return { gw, store }
}

/** Error log lines of one extension's hook. */
const hookFailures = (gw: TestGateway, extension: string, hook = 'onRequest') =>
  gw
    .errors()
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === 'extension hook failed' && l.extension === extension && l.hook === hook)

async function expectStorageUnavailable(res: Response, extension: string): Promise<void> {
  expect(res.status).toBe(503)
  expect(res.headers.get('retry-after')).toBe('1')
  expect(res.headers.get('x-request-id')).toBeTruthy()
  const body = await jsonOf(res)
  expect(body).toEqual({
    error: {
      message: `The gateway cannot check this request: ${extension} storage is unavailable. Retry shortly.`,
      type: 'server_error',
      param: null,
      code: 'storage_unavailable',
    },
  })
}

describe('rate_limit when storage fails', () => {
  test('default ("open"): the request is served without x-ratelimit-* headers, and the failure is logged', async () => {
    const { gw, store } = await downGateway(RATE_LIMIT)
    await using _ = gw
    const before = mock.requests.length
    const res = await gw.chat(ask, { key: KEY })
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).choices[0].message.content).toBeString()
    expect([...res.headers.keys()].filter((h) => h.startsWith('x-ratelimit-'))).toEqual([])
    expect(mock.requests.length).toBe(before + 1)
    expect(store.rejected).toBeGreaterThan(0)
    const [line] = hookFailures(gw, 'rate_limit', 'onKey')
    expect(line).toMatchObject({
      level: 'error',
      extension: 'rate_limit',
      hook: 'onKey',
      request_id: res.headers.get('x-request-id'),
    })
    expect(line.error).toContain('enableOfflineQueue')
  })

  test('"closed": 503 storage_unavailable with Retry-After, and the upstream is not called', async () => {
    const { gw } = await downGateway(`${RATE_LIMIT}on_storage_error = "closed"\n`)
    await using _ = gw
    const before = mock.requests.length
    await expectStorageUnavailable(await gw.chat(ask, { key: KEY }), 'rate_limit')
    // A stream is refused the same way, before it starts: a JSON error, not an event stream.
    const stream = await gw.chat({ ...ask, stream: true }, { key: KEY })
    expect(stream.headers.get('content-type')).toContain('application/json')
    await expectStorageUnavailable(stream, 'rate_limit')
    expect(mock.requests.length).toBe(before)
    // Logged (repeats of one failure may be condensed into a count, so at least once).
    expect(hookFailures(gw, 'rate_limit', 'onKey').length).toBeGreaterThanOrEqual(1)
  })

  test('"closed" on /v1/messages: the 503 in Anthropic\'s shape', async () => {
    const { gw } = await downGateway(`${RATE_LIMIT}on_storage_error = "closed"\n`)
    await using _ = gw
    const res = await gw.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await jsonOf(res)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } })
  })

  test('when storage is back, requests are counted again', async () => {
    const { gw, store } = await downGateway(`${RATE_LIMIT}on_storage_error = "closed"\n`)
    await using _ = gw
    expect((await gw.chat(ask, { key: KEY })).status).toBe(503)
    store.down = false
    const res = await gw.chat(ask, { key: KEY })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('1000')
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('999')
  })
})

describe('budget when storage fails', () => {
  const BUDGET = '[extensions.budget]\ndefault_budget = 10\n'

  test('default ("closed"): 503 storage_unavailable, the spend cannot be checked', async () => {
    const { gw } = await downGateway(BUDGET)
    await using _ = gw
    const before = mock.requests.length
    await expectStorageUnavailable(await gw.chat(ask, { key: KEY }), 'budget')
    expect(mock.requests.length).toBe(before)
    expect(hookFailures(gw, 'budget')).toHaveLength(1)
  })

  test('"open": the request is served, and the failure is logged', async () => {
    const { gw } = await downGateway(`${BUDGET}on_storage_error = "open"\n`)
    await using _ = gw
    const res = await gw.chat(ask, { key: KEY })
    expect(res.status).toBe(200)
    await res.text()
    expect(hookFailures(gw, 'budget')).toHaveLength(1)
  })

  test('the admin token is not budgeted, so it is served even when budget fails closed', async () => {
    const { gw } = await downGateway(BUDGET)
    await using _ = gw
    const res = await gw.chat(ask, { key: ADMIN })
    expect(res.status).toBe(200)
    await res.text()
    expect(hookFailures(gw, 'budget')).toEqual([])
  })

  test('rate_limit open before budget closed: the budget decides (503)', async () => {
    const { gw } = await downGateway(`${RATE_LIMIT}${BUDGET}`)
    await using _ = gw
    await expectStorageUnavailable(await gw.chat(ask, { key: KEY }), 'budget')
    expect(hookFailures(gw, 'rate_limit', 'onKey')).toHaveLength(1)
    expect(hookFailures(gw, 'budget')).toHaveLength(1)
  })
})

describe('writes after the answer when storage fails', () => {
  test('usage, audit and spend writes fail without touching the answers, and flush still completes', async () => {
    const { gw, store } = await downGateway(
      '[extensions.usage]\n[extensions.audit]\n[extensions.budget]\ndefault_budget = 10\non_storage_error = "open"\n',
    )
    await using _ = gw
    const res = await gw.chat(ask, { key: KEY })
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).usage.total_tokens).toBeGreaterThan(0)
    const stream = await gw.chat({ ...ask, stream: true }, { key: KEY })
    expect(stream.status).toBe(200)
    expect((await readSse(stream)).at(-1)).toBe('[DONE]')
    await gw.ctx.pipeline.flush()
    const failed = gw
      .errors()
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'extension write failed')
    // Per answer: usage (requests and tokens), audit (one record), budget (its spend).
    expect(new Set(failed.map((l) => l.extension))).toEqual(new Set(['usage', 'audit', 'budget']))
    // Back up: the routes that read the store answer again, and counting resumes.
    store.down = false
    expect((await gw.chat(ask, { key: KEY })).status).toBe(200)
    await gw.ctx.pipeline.flush()
    const usage = await gw.fetch('/v1/usage', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(usage.status).toBe(200)
    expect(await jsonOf(usage)).toEqual([expect.objectContaining({ key: 'team', model: MODEL, requests: 1 })])
  })
})
