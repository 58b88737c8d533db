// GET /v1/admin/stats: the aggregation as a pure function (buckets, percentiles, errors, top lists,
// providers, records that stand for many refused requests), then through the real gateway: numbers
// that follow the requests it served, both windows, the read bound (truncated, complete_since), live
// gauges while a stream is open, the answer without the audit extension, bad parameters, and the
// admin gate.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  AUDIT_HINT,
  MAX_STATS_RECORDS,
  percentile,
  STATS_WINDOWS,
  summarize,
  weightedPercentile,
} from '../../src/admin/stats'
import { AUDIT_LOG, type AuditRecord } from '../../src/extensions/audit'
import type { LogRecord } from '../../src/storage/store'
import type { Stats } from '../../src/wire/admin'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const ADMIN = 'admin-token-stats-0123456789abcdef'
const TEAM = 'sk-stats-team-0123456789abcdefghij'
const OTHER = 'sk-stats-other-0123456789abcdefghi'

function record(time: number, fields: Partial<AuditRecord> = {}): LogRecord {
  const r: AuditRecord = {
    request_id: `r-${time}-${Math.random()}`,
    timestamp: new Date(time).toISOString(),
    time,
    key: 'team',
    model: 'echo',
    requested_model: 'echo',
    provider: 'local',
    surface: 'chat',
    stream: false,
    status: 200,
    outcome: null,
    prompt_tokens: 10,
    completion_tokens: 5,
    total_tokens: 15,
    cost_usd: 0.000025,
    latency_ms: 10,
    cached: false,
    error: null,
    ...fields,
  }
  return { time, value: JSON.stringify(r) }
}

describe('percentile', () => {
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
  test.each([
    ['p50 of nothing is null', [], 0.5, null],
    ['p50 of [7] is 7', [7], 0.5, 7],
    ['p99 of [7] is 7', [7], 0.99, 7],
    ['p50 of 1..4 is 2', upTo(4), 0.5, 2],
    ['p99 of 1..4 is 4', upTo(4), 0.99, 4],
    ['p50 of 1..100 is 50', upTo(100), 0.5, 50],
    ['p99 of 1..100 is 99', upTo(100), 0.99, 99],
    ['p99 of 1..1000 is 990', upTo(1000), 0.99, 990],
  ] as const)('%s (nearest rank)', (_, sorted, p, expected) => {
    expect(percentile(sorted, p)).toBe(expected)
  })
})

describe('weightedPercentile', () => {
  test('equals percentile over the values repeated by their weights', () => {
    const pairs: [number, number][] = [
      [1, 98],
      [5, 1],
      [100, 1],
    ]
    const expanded = pairs.flatMap(([v, w]) => Array<number>(w).fill(v))
    for (const p of [0, 0.01, 0.5, 0.98, 0.99, 1]) expect(weightedPercentile(pairs, p)).toBe(percentile(expanded, p))
    expect(weightedPercentile([], 0.5)).toBeNull()
  })
})

describe('summarize', () => {
  const since = 1_700_000_000_000
  const options = { since, bucketMs: 60_000, buckets: 3, top: 2 }

  test('puts each record in its bucket and adds up tokens, cost, errors and latency', () => {
    const records = [
      record(since + 10, { latency_ms: 10 }),
      record(since + 20, { latency_ms: 30 }),
      record(since + 60_000, {
        status: 429,
        error: 'rate_limit_exceeded',
        provider: null,
        prompt_tokens: null,
        completion_tokens: null,
        total_tokens: null,
        cost_usd: null,
        latency_ms: 1,
      }),
      record(since + 60_001, { stream: true, outcome: 'upstream_error', latency_ms: 500 }),
      record(since + 60_002, { stream: true, outcome: 'client_closed', latency_ms: 40 }),
      // Outside the window: ignored.
      record(since - 1),
      record(since + 180_000),
    ]
    const s = summarize(records, options)
    expect(s.buckets.map((b) => b.time)).toEqual([since, since + 60_000, since + 120_000])
    expect(s.buckets.map((b) => b.requests)).toEqual([2, 3, 0])
    // A 429 and a stream cut by its upstream are failures; a stream the client closed is not.
    expect(s.buckets.map((b) => b.errors)).toEqual([0, 2, 0])
    expect(s.buckets[0]).toMatchObject({
      prompt_tokens: 20,
      completion_tokens: 10,
      total_tokens: 30,
      cost_usd: 0.00005,
      latency_p50_ms: 10,
      latency_p99_ms: 30,
    })
    expect(s.buckets[2]).toMatchObject({ requests: 0, cost_usd: 0, latency_p50_ms: null, latency_p99_ms: null })
    expect(s.totals).toMatchObject({
      requests: 5,
      errors: 2,
      prompt_tokens: 40,
      total_tokens: 60,
      latency_p50_ms: 30,
      latency_p99_ms: 500,
    })
    // The refusal had no provider: it is not counted against one.
    expect(s.providers).toEqual([expect.objectContaining({ name: 'local', requests: 4, errors: 1 })])
  })

  test('a record of aggregated refusals counts its requests and weighs its latency by them', () => {
    const refusals = {
      status: 429,
      error: 'rate_limit_exceeded',
      provider: null,
      prompt_tokens: null,
      completion_tokens: null,
      total_tokens: null,
      cost_usd: null,
      latency_ms: 1,
      count: 98,
    }
    const s = summarize([record(since + 10, { latency_ms: 100 }), record(since + 20, refusals)], options)
    expect(s.totals).toMatchObject({
      requests: 99,
      errors: 98,
      total_tokens: 15,
      latency_p50_ms: 1,
      latency_p99_ms: 100,
    })
    expect(s.buckets[0]).toMatchObject({ requests: 99, errors: 98 })
    expect(s.top_keys.by_requests).toEqual([expect.objectContaining({ name: 'team', requests: 99, errors: 98 })])
    // The refusals had no provider: only the answer counts against it.
    expect(s.providers).toEqual([expect.objectContaining({ name: 'local', requests: 1, errors: 0 })])
  })

  test('sums costs exactly (micro-dollars) and ranks top lists by requests and by spend', () => {
    const records = [
      ...Array.from({ length: 3 }, (_, i) => record(since + i, { key: 'busy', model: 'cheap', cost_usd: 0.000001 })),
      record(since + 5, { key: 'rich', model: 'dear', cost_usd: 0.1 }),
      record(since + 6, { key: 'free', model: 'cheap', cost_usd: null }),
      record(since + 7, { key: 'free', model: 'cheap', cost_usd: 0 }),
    ]
    const s = summarize(records, options)
    expect(s.totals.cost_usd).toBe(0.100003)
    expect(s.top_keys.by_requests.map((r) => [r.name, r.requests])).toEqual([
      ['busy', 3],
      ['free', 2],
    ])
    expect(s.top_keys.by_spend.map((r) => [r.name, r.cost_usd])).toEqual([
      ['rich', 0.1],
      ['busy', 0.000003],
    ])
    expect(s.top_models.by_requests.map((r) => r.name)).toEqual(['cheap', 'dear'])
    expect(s.top_models.by_spend.map((r) => r.name)).toEqual(['dear', 'cheap'])
  })

  test('skips records that are not JSON', () => {
    const s = summarize([{ time: since, value: '{not json' }, record(since + 1)], options)
    expect(s.totals.requests).toBe(1)
  })
})

function toml(
  upstream: string,
  extensions = '[extensions.audit]\n[extensions.usage]\n[extensions.budget]\ndefault_budget = 5\n',
  header = `admin_token = "${ADMIN}"`,
): string {
  return `${header}
[[keys]]
name = "team"
key = "${TEAM}"
[[keys]]
name = "other"
key = "${OTHER}"
[providers.local]
kind = "echo"
models = ["echo"]
${provider('up', upstream, ['gpt-4o-mini'], 'max_retries = 0')}
[models.echo]
prompt_cost_per_million = 1.0
completion_cost_per_million = 2.0
${extensions}`
}

let mock: MockUpstream
beforeAll(async () => {
  mock = await startMockUpstream()
})
afterAll(async () => {
  await mock.close()
})

const get = (gw: TestGateway, query = '', token: string | null = ADMIN) =>
  gw.fetch(`/v1/admin/stats${query}`, token === null ? {} : { headers: { authorization: `Bearer ${token}` } })

async function stats(gw: TestGateway, query = ''): Promise<Stats> {
  await gw.ctx.pipeline.flush()
  const res = await get(gw, query)
  const json = await jsonOf(res)
  expect(res.status, JSON.stringify(json)).toBe(200)
  return json
}

const ask = (model = 'echo', stream = false) => ({
  model,
  stream,
  messages: [{ role: 'user', content: 'count these four words' }],
})

describe('GET /v1/admin/stats', () => {
  let gw: TestGateway
  beforeAll(async () => {
    gw = await startGateway(toml(mock.url))
  })
  afterAll(async () => {
    await gw[Symbol.asyncDispose]()
    expect(gw.errors()).toEqual([])
  })

  test('follows the requests served: totals, the current bucket, top keys and models, providers', async () => {
    const before = Date.now()
    for (const key of [TEAM, TEAM, OTHER]) expect((await gw.chat(ask(), { key })).status).toBe(200)
    const streamed = await gw.chat(ask('echo', true), { key: TEAM })
    await streamed.text()
    // An upstream's 500 is a failure, counted against its provider.
    mock.enqueue({ status: 500, json: { error: { message: 'boom', type: 'server_error', param: null, code: null } } })
    expect((await gw.chat(ask('gpt-4o-mini'), { key: OTHER })).status).toBe(500)

    const s = await stats(gw)
    expect(s).toMatchObject({
      object: 'stats',
      window: '1h',
      bucket_seconds: 60,
      audit: true,
      truncated: false,
      max_records: MAX_STATS_RECORDS,
    })
    expect(s.extensions).toEqual(['audit', 'usage', 'budget'])
    expect(s.hint).toBeUndefined()
    expect(s.records).toBe(5)
    expect(s.buckets).toHaveLength(60)
    expect(s.since).toBe(Math.floor(s.until / 60_000) * 60_000 - 59 * 60_000)
    expect(s.buckets.every((b, i) => b.time === s.since + i * 60_000)).toBe(true)
    expect(s.until).toBeGreaterThanOrEqual(before)
    const t = s.totals!
    expect(t.requests).toBe(5)
    expect(t.errors).toBe(1)
    expect(t.prompt_tokens).toBeGreaterThan(0)
    expect(t.completion_tokens).toBeGreaterThan(0)
    expect(t.total_tokens).toBe(t.prompt_tokens + t.completion_tokens)
    expect(t.cost_usd).toBeGreaterThan(0)
    expect(t.latency_p50_ms).toBeGreaterThanOrEqual(0)
    expect(t.latency_p99_ms!).toBeGreaterThanOrEqual(t.latency_p50_ms!)
    // The buckets add up to the totals.
    expect(s.buckets.reduce((n, b) => n + b.requests, 0)).toBe(5)
    expect(s.buckets.reduce((n, b) => n + b.errors, 0)).toBe(1)
    expect(s.top_keys.by_requests.map((r) => [r.name, r.requests, r.errors])).toEqual([
      ['team', 3, 0],
      ['other', 2, 1],
    ])
    expect(s.top_keys.by_spend.map((r) => r.name)).toEqual(['team', 'other'])
    expect(s.top_models.by_requests.map((r) => [r.name, r.requests])).toEqual([
      ['echo', 4],
      ['gpt-4o-mini', 1],
    ])
    expect(s.providers.map((p) => [p.name, p.requests, p.errors])).toEqual([
      ['local', 4, 0],
      ['up', 1, 1],
    ])
    expect(s.live).toEqual({ inflight_requests: 0, open_streams: 0 })
  })

  test('window=24h: 48 buckets of 30 minutes; top limits each list', async () => {
    const s = await stats(gw, '?window=24h&top=1')
    expect(s.window).toBe('24h')
    expect(s.bucket_seconds).toBe(1800)
    expect(s.buckets).toHaveLength(STATS_WINDOWS['24h'].buckets)
    expect(s.since % 1_800_000).toBe(0)
    expect(s.totals!.requests).toBeGreaterThanOrEqual(5)
    expect(s.top_keys.by_requests).toHaveLength(1)
    expect(s.top_models.by_requests).toHaveLength(1)
  })

  test('counts an open stream and the request in flight while it lasts', async () => {
    const release = Promise.withResolvers<void>()
    mock.enqueue({ sse: chatChunks(['a', 'b', 'c']), holdFrames: release.promise, holdFramesAfter: 1 })
    const res = await gw.chat({ ...ask('gpt-4o-mini'), stream: true }, { key: TEAM })
    const reader = res.body!.getReader()
    await reader.read()
    const during = await stats(gw)
    expect(during.live).toEqual({ inflight_requests: 1, open_streams: 1 })
    release.resolve()
    while (!(await reader.read()).done);
    const after = await stats(gw)
    expect(after.live).toEqual({ inflight_requests: 0, open_streams: 0 })
  })

  test('reads at most MAX_STATS_RECORDS records, the newest, and says so', async () => {
    await using big = await startGateway(toml(mock.url))
    const store = big.ctx.store.namespace('audit')
    const now = Date.now()
    const oldest = now - 30 * 60_000
    const n = MAX_STATS_RECORDS + 5
    for (let i = 0; i < n; i++) {
      const time = oldest + Math.floor((i * (now - oldest - 1000)) / n)
      const r = record(time)
      await store.append(AUDIT_LOG, r.time, r.value)
    }
    const s = await stats(big)
    expect(s.truncated).toBe(true)
    expect(s.records).toBe(MAX_STATS_RECORDS)
    expect(s.totals!.requests).toBe(MAX_STATS_RECORDS)
    expect(s.complete_since!).toBeGreaterThan(oldest)
    expect(s.complete_since!).toBeLessThan(now)
  })

  test('bad parameters are 400s that name them', async () => {
    for (const [query, param] of [
      ['?window=7d', 'window'],
      ['?window=', 'window'],
      ['?top=0', 'top'],
      ['?top=101', 'top'],
      ['?top=x', 'top'],
    ] as const) {
      const res = await get(gw, query)
      const json = await jsonOf(res)
      expect(res.status, query).toBe(400)
      expect(json.error.param, query).toBe(param)
    }
  })

  test('needs the admin token: none or a key is 401', async () => {
    for (const token of [null, TEAM, 'sk-wrong-0123456789abcdefghijkl']) {
      const res = await get(gw, '', token)
      expect(res.status).toBe(401)
      expect((await jsonOf(res)).error.code).toBe(token === null ? 'missing_api_key' : 'invalid_api_key')
    }
  })
})

describe('GET /v1/admin/stats without the audit extension', () => {
  test('answers the live gauges only, with audit: false and a hint', async () => {
    await using gw = await startGateway(toml(mock.url, '[extensions.usage]\n'))
    expect((await gw.chat(ask(), { key: TEAM })).status).toBe(200)
    const s = await stats(gw)
    expect(s).toMatchObject({
      audit: false,
      hint: AUDIT_HINT,
      records: 0,
      truncated: false,
      totals: null,
      buckets: [],
      top_keys: { by_requests: [], by_spend: [] },
      top_models: { by_requests: [], by_spend: [] },
      providers: [],
      extensions: ['usage'],
      live: { inflight_requests: 0, open_streams: 0 },
    })
  })

  test('metrics = false: open_streams is null', async () => {
    await using gw = await startGateway(`metrics = false\n${toml(mock.url, '')}`)
    const s = await stats(gw)
    expect(s.live).toEqual({ inflight_requests: 0, open_streams: null })
    expect(s.extensions).toEqual([])
  })

  test('without admin_token the route is the admin API: 404 admin_api_disabled', async () => {
    await using gw = await startGateway(toml(mock.url, '', '# no admin token'))
    const res = await get(gw, '', TEAM)
    expect(res.status).toBe(404)
    expect((await jsonOf(res)).error.code).toBe('admin_api_disabled')
  })
})
