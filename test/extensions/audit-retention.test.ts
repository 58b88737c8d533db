// Audit retention and aggregated refusals (issue [2/6], finding 9), on memory, SQLite and Redis: the
// extension driven directly on a clock and timer the test moves. Records older than retention_days and
// beyond max_records are pruned by the timer (0 = no limit); refusals are counted in memory and written
// as one record per minute, key, model and error with its count, which the logs API and the stats read;
// SQLite trims a large backlog in batches, yielding the event loop between them.
import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { summarize } from '../../src/admin/stats'
import { catalogOf } from '../../src/catalog'
import { parseConfig } from '../../src/config/load'
import { badRequest, GatewayError, overloaded, upstreamTimeout } from '../../src/core/errors'
import { memoryLogger } from '../../src/core/log'
import { UpstreamHttpError } from '../../src/core/upstream-error'
import {
  AUDIT_LOG,
  type AuditOptions,
  type AuditRecord,
  createAuditExtension,
  PRUNE_MS,
  TICK_MS,
} from '../../src/extensions/audit'
import { readLogs } from '../../src/extensions/audit/query'
import { isRefusal, MAX_GROUPS } from '../../src/extensions/audit/refusals'
import type { RequestContext } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import { sqliteStore } from '../../src/storage/sqlite'
import type { Store } from '../../src/storage/store'
import { BACKENDS, closeAll } from '../support/stores'

afterAll(closeAll)

const DAY = 86_400_000
/** A minute boundary, so that tests can place refusals in one minute or the next. */
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % 60_000)
const config = parseConfig(
  '[providers.local]\nkind = "echo"\nmodels = ["echo"]\n[extensions.audit]\n',
  'test.toml',
  PROVIDER_RULES,
  {},
)

/** The audit extension on `store`, with a clock and a timer the test moves; its writes are collected. */
function harness(store: Store, options: Partial<AuditOptions> = {}) {
  const state = { clock: T0, ticks: 0 }
  let tick: (() => void) | undefined
  const writes: Promise<unknown>[] = []
  const log = memoryLogger('info')
  const ext = createAuditExtension({
    now: () => state.clock,
    every: (fn, ms) => {
      expect(ms).toBe(TICK_MS)
      tick = fn
      return () => {
        tick = undefined
      }
    },
  })({
    options: { retention_days: 30, max_records: 1_000_000, ...options },
    config,
    store,
    log,
    defer: (w) => void writes.push(w),
    catalog: catalogOf(config),
    principals: () => [],
  })
  return {
    ext,
    log,
    state,
    /** Runs the timer once (as it would every TICK_MS) and waits for what it started. */
    async tick() {
      expect(tick).toBeDefined()
      tick!()
      await Promise.all(writes)
    },
    settle: () => Promise.all(writes),
    armed: () => tick !== undefined,
  }
}

const put = (store: Store, time: number, key = 'k') =>
  store.append(AUDIT_LOG, time, JSON.stringify({ request_id: `r-${time}`, time, key, count: 1 }))
const times = async (store: Store) => (await store.recent(AUDIT_LOG, { limit: 10_000 })).map((r) => r.time)
const records = async (store: Store) =>
  (await store.recent(AUDIT_LOG, { limit: 10_000 })).map((r) => JSON.parse(r.value) as AuditRecord)

let seq = 0
/** A request context as the relay builds it for a refused (or failed) request. */
function refused(key: string, at: number, status = 429, model = 'echo'): RequestContext {
  return {
    requestId: `req-${++seq}`,
    key,
    principal: { name: key } as RequestContext['principal'],
    model,
    requestedModel: model,
    surface: 'chat',
    stream: false,
    json: {},
    request: new Request('http://x/v1/chat/completions', { method: 'POST' }),
    started: performance.now(),
    startedAt: at,
    clientWantsUsage: false,
    status,
    headers: {},
  }
}
const rateLimited = () => new GatewayError(429, 'requests', 'rate_limit_exceeded', 'Rate limit reached.')
const budgetExceeded = () => new GatewayError(429, 'insufficient_quota', 'budget_exceeded', 'Budget exceeded.')

describe.each(BACKENDS)('audit retention on $name', (backend) => {
  test('records older than retention_days are pruned by the timer, newer ones stay', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store, { retention_days: 2 })
    for (const age of [5 * DAY, 3 * DAY, 2 * DAY + 1, 2 * DAY - 1, DAY, 0]) await put(store, T0 - age)
    await h.tick()
    expect(await times(store)).toEqual([T0, T0 - DAY, T0 - 2 * DAY + 1])
    expect(h.log.lines.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ msg: 'audit records pruned', removed: 3, before: T0 - 2 * DAY }),
    )
    // A day later, the next prune (PRUNE_MS after the last) takes what aged out meanwhile.
    h.state.clock += DAY
    await h.tick()
    expect(await times(store)).toEqual([T0, T0 - DAY])
  })

  test('at most max_records are kept: the oldest go first', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store, { max_records: 3 })
    for (let i = 0; i < 10; i++) await put(store, T0 - 1000 + i)
    await h.tick()
    expect(await times(store)).toEqual([T0 - 991, T0 - 992, T0 - 993])
  })

  test('0 turns each limit off', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store, { retention_days: 0, max_records: 0 })
    for (let i = 0; i < 5; i++) await put(store, T0 - 365 * DAY * i)
    await h.tick()
    expect(await times(store)).toHaveLength(5)
  })

  test('the log is trimmed at most every PRUNE_MS, however often the timer runs', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store, { max_records: 1 })
    await h.tick()
    await put(store, T0 - 2)
    await put(store, T0 - 1)
    h.state.clock += PRUNE_MS - 1
    await h.tick()
    expect(await times(store)).toHaveLength(2)
    h.state.clock += 1
    await h.tick()
    expect(await times(store)).toEqual([T0 - 1])
  })

  test('refusals of one key, model and error in one minute are one record with their count', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store)
    for (let i = 0; i < 1000; i++) h.ext.onError!(refused('flood', T0 + i), rateLimited())
    for (let i = 0; i < 7; i++) h.ext.onError!(refused('flood', T0 + 5_000 + i), budgetExceeded())
    for (let i = 0; i < 3; i++) h.ext.onError!(refused('other', T0 + 10_000 + i), rateLimited())
    await h.settle()
    // Nothing is written while the minute is open.
    expect(await times(store)).toEqual([])
    h.state.clock = T0 + 60_000
    await h.tick()
    const written = await records(store)
    expect(written.map((r) => [r.key, r.error, r.count, r.time])).toEqual([
      ['other', 'rate_limit_exceeded', 3, T0 + 10_000],
      ['flood', 'budget_exceeded', 7, T0 + 5_000],
      ['flood', 'rate_limit_exceeded', 1000, T0],
    ])
    // The record describes the first refusal of its group.
    expect(written[2]).toMatchObject({ status: 429, provider: null, model: 'echo', total_tokens: null, cached: false })
    expect(written[2]!.request_id).toMatch(/^req-/)
  })

  test('a refusal in a later minute writes the groups of the earlier ones; flush writes the open ones', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store)
    for (let i = 0; i < 10; i++) h.ext.onError!(refused('k', T0 + i * 1000), rateLimited())
    h.ext.onError!(refused('k', T0 + 60_000), rateLimited())
    await h.settle()
    expect((await records(store)).map((r) => r.count)).toEqual([10])
    h.ext.onError!(refused('k', T0 + 60_001), rateLimited())
    await h.ext.flush!()
    expect((await records(store)).map((r) => r.count)).toEqual([2, 10])
    // flush stopped the timer; the next hook starts it again.
    expect(h.armed()).toBe(false)
    h.ext.onError!(refused('k', T0 + 60_002), rateLimited())
    expect(h.armed()).toBe(true)
  })

  test('failures that are not refusals keep a record each', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store)
    const upstream429 = new UpstreamHttpError('up', 429, new Uint8Array(), 'application/json', undefined)
    h.ext.onError!(refused('k', T0, 429), upstream429)
    h.ext.onError!(refused('k', T0 + 1, 429), upstream429)
    h.ext.onError!(refused('k', T0 + 2, 504), upstreamTimeout('up', 1000))
    await h.settle()
    expect((await records(store)).map((r) => [r.status, r.error, r.count])).toEqual([
      [504, 'upstream_timeout', 1],
      [429, 'upstream_error', 1],
      [429, 'upstream_error', 1],
    ])
  })

  test('GET /v1/admin/logs and the stats count the requests behind each record', async () => {
    const store = (await backend.open()).namespace('audit')
    const h = harness(store)
    for (let i = 0; i < 500; i++) h.ext.onError!(refused('flood', T0 + i), rateLimited())
    // A record from before counts existed stands for one request.
    const old = { request_id: 'old', time: T0 - 1, key: 'flood', status: 200, outcome: null, error: null }
    await store.append(AUDIT_LOG, T0 - 1, JSON.stringify(old))
    await h.ext.flush!()
    const page = await readLogs(store, AUDIT_LOG, { limit: 100 })
    expect(page.data.map((r) => r.count)).toEqual([500, 1])
    expect(page.requests).toBe(501)
    const filtered = await readLogs(store, AUDIT_LOG, { limit: 100, status: '429' })
    expect(filtered.requests).toBe(500)
    const stats = summarize(await store.recent(AUDIT_LOG, { limit: 100 }), {
      since: T0 - 60_000,
      bucketMs: 60_000,
      buckets: 2,
      top: 5,
    })
    expect(stats.totals).toMatchObject({ requests: 501, errors: 500 })
    expect(stats.buckets.map((b) => b.requests)).toEqual([1, 500])
    expect(stats.top_keys.by_requests).toEqual([expect.objectContaining({ name: 'flood', requests: 501, errors: 500 })])
  })
})

describe('refusals', () => {
  test('are the errors the gateway answers itself before any upstream (as crabllm_rejections_total)', () => {
    expect(isRefusal(rateLimited())).toBe(true)
    expect(isRefusal(budgetExceeded())).toBe(true)
    expect(isRefusal(overloaded(10))).toBe(true)
    expect(isRefusal(badRequest('messages[0].content cannot be translated', 'messages'))).toBe(true)
    expect(isRefusal(new UpstreamHttpError('up', 400, new Uint8Array(), 'application/json', undefined))).toBe(false)
    expect(isRefusal(upstreamTimeout('up', 1000))).toBe(false)
    expect(isRefusal(new GatewayError(499, 'invalid_request_error', 'client_closed', 'gone'))).toBe(false)
  })

  test('the groups held in memory are bounded: past MAX_GROUPS they are all written', async () => {
    const store = await BACKENDS[0]!.open()
    const h = harness(store)
    for (let i = 0; i <= MAX_GROUPS; i++) h.ext.onError!(refused(`key-${i}`, T0), rateLimited())
    await h.settle()
    expect(await times(store)).toHaveLength(MAX_GROUPS)
  })

  test('300,000 refusals of one key in three minutes are three records', async () => {
    const store = await BACKENDS[0]!.open()
    const h = harness(store)
    for (let i = 0; i < 300_000; i++)
      h.ext.onError!(refused('flood', T0 + Math.floor(i / 100_000) * 60_000), rateLimited())
    await h.ext.flush!()
    const written = await records(store)
    expect(written.map((r) => r.count)).toEqual([100_000, 100_000, 100_000])
    expect(JSON.stringify(written).length).toBeLessThan(2_000)
  })
})

describe('SQLite trimLog', () => {
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), 'crabllm-trim-'))
    const db = new Database(join(dir, 'trim.db'), { create: true, strict: true })
    db.run('PRAGMA journal_mode = WAL')
    const store = sqliteStore(db)
    return {
      store,
      async [Symbol.asyncDispose]() {
        await store.close()
        db.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  /** Counts the event-loop turns that pass while `work` runs. */
  const turnsDuring = async <T>(work: Promise<T>): Promise<[T, number]> => {
    let turns = 0
    let done = false
    const spin = () => {
      if (done) return
      turns++
      setImmediate(spin)
    }
    setImmediate(spin)
    const result = await work
    done = true
    return [result, turns]
  }

  test('a large backlog is deleted in batches, the event loop turning between them', async () => {
    await using s = open()
    for (let i = 0; i < 10_500; i++) s.store.append('big', 1_000 + i, 'x'.repeat(100))
    const [removed, turns] = await turnsDuring(s.store.trimLog('big', { before: 1_000 + 10_000 }))
    expect(removed).toBe(10_000)
    // 1,000 records a batch: ten batches, with turns of the loop between them.
    expect(turns).toBeGreaterThanOrEqual(5)
    expect((await s.store.recent('big', { limit: 1, until: 1_000_000 })).map((r) => r.time)).toEqual([11_499])
    expect(await s.store.recent('big', { limit: 1000, until: 10_999 })).toEqual([])
  })

  test('finding the keep-th newest record reads the index in steps across turns', async () => {
    await using s = open()
    for (let i = 0; i < 120_000; i++) s.store.append('big', 1_000 + (i >> 1), '')
    const [removed, turns] = await turnsDuring(s.store.trimLog('big', { keep: 110_001 }))
    expect(removed).toBe(9_999)
    // 50,000 index entries a step: three steps, then ten batches of deletes.
    expect(turns).toBeGreaterThanOrEqual(5)
    // Records share a millisecond two by two: the cut falls between the two of 1000 + 4999, by
    // insertion order (the newer stays).
    const oldest = await s.store.recent('big', { limit: 3, until: 1_000 + 5_000 })
    expect(oldest.map((r) => r.time)).toEqual([1_000 + 5_000, 1_000 + 5_000, 1_000 + 4_999])
    expect(await s.store.recent('big', { limit: 10, until: 1_000 + 4_999 })).toHaveLength(1)
  })
})
