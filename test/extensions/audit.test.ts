// The audit extension through the real gateway, on memory, SQLite and Redis: a record per request
// (JSON, streams that finished or were cut, upstream 4xx and 5xx, a refusal by another extension),
// GET /v1/admin/logs with its filters, order, limits, paging and errors, admin-only access, refusals
// aggregated with a count, and records that survive a graceful shutdown (the next gateway on the same
// store reads them). Retention and the aggregation on a moved clock: audit-retention.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { digest, keyIdOf } from '../../src/auth'
import { AUDIT_LOG, type AuditRecord } from '../../src/extensions/audit'
import type { Store } from '../../src/storage/store'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'
import { BACKENDS, closeAll } from '../support/stores'

const ADMIN = 'admin-token-audit-0123456789'
const TEAM = 'sk-audit-team-0123456789abcdef'
const OTHER = 'sk-audit-other-0123456789abcdef'
const BROKE = 'sk-audit-broke-0123456789abcdef'

function toml(upstream: string): string {
  return `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${TEAM}"
[[keys]]
name = "other"
key = "${OTHER}"
[[keys]]
name = "broke"
key = "${BROKE}"
${provider('up', upstream, ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small', 'local-embedder'], 'max_retries = 1')}
[aliases]
fast = "gpt-4o-mini"
[models."gpt-4o-mini"]
prompt_cost_per_million = 1.0
completion_cost_per_million = 2.0
[extensions.budget]
default_budget = 1000
[extensions.budget.keys.broke]
budget = 0
[extensions.audit]
# The bounded-read tests write records dated 1970: no age limit, so that retention keeps them.
retention_days = 0
`
}

let mock: MockUpstream
beforeAll(async () => {
  mock = await startMockUpstream()
})
afterAll(async () => {
  await mock.close()
  await closeAll()
})

let seq = 0
/** A request id unique to this run, sent as x-request-id (the gateway keeps a sane one). */
const rid = (name: string) => `audit-${name}-${process.pid}-${++seq}`

describe.each(BACKENDS)('audit on $name', (backend) => {
  let store: Store
  let gw: TestGateway

  beforeAll(async () => {
    store = await backend.open()
    gw = await startGateway(toml(mock.url), { store })
  })
  afterAll(async () => {
    await gw[Symbol.asyncDispose]()
    expect(gw.errors()).toEqual([])
  })

  const chat = (body: object, key: string, id: string) => gw.chat(body, { key, headers: { 'x-request-id': id } })
  const logs = (query = '', key = ADMIN) =>
    gw.fetch(`/v1/admin/logs${query ? `?${query}` : ''}`, key ? { headers: { authorization: `Bearer ${key}` } } : {})
  const all = async (): Promise<AuditRecord[]> => {
    await gw.ctx.pipeline.flush()
    const res = await logs('limit=1000')
    expect(res.status).toBe(200)
    return (await jsonOf(res)).data
  }
  const recordOf = async (id: string): Promise<AuditRecord> => {
    const found = (await all()).filter((r) => r.request_id === id)
    expect(found).toHaveLength(1)
    return found[0]!
  }

  describe('records', () => {
    test('a JSON answer: who, what, tokens, cost from pricing, latency', async () => {
      const id = rid('json')
      const before = Date.now()
      const res = await chat({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, TEAM, id)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      const r = await recordOf(id)
      expect(r).toMatchObject({
        request_id: id,
        key: 'team',
        model: 'gpt-4o-mini',
        requested_model: 'fast',
        provider: 'up',
        surface: 'chat',
        stream: false,
        status: 200,
        outcome: null,
        prompt_tokens: 9,
        completion_tokens: 4,
        total_tokens: 13,
        // 9 × $1/M + 4 × $2/M = 17 micro-dollars.
        cost_usd: 0.000017,
        cached: false,
        error: null,
      })
      expect(r.time).toBeGreaterThanOrEqual(before)
      expect(r.time).toBeLessThanOrEqual(Date.now())
      expect(r.timestamp).toBe(new Date(r.time).toISOString())
      expect(typeof r.latency_ms).toBe('number')
      expect(r.latency_ms).toBeGreaterThanOrEqual(0)
    })

    test('embeddings are recorded with their surface, priced from the catalog; a model without a price has cost_usd null and why', async () => {
      const embed = (model: string, key: string, id: string) =>
        gw.fetch('/v1/embeddings', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ model, input: 'hello' }),
        })
      const id = rid('embed')
      const res = await embed('text-embedding-3-small', TEAM, id)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      // The catalog's $0.02 per million tokens: 2 tokens are 0.04 µ$, rounded up to one.
      expect(await recordOf(id)).toMatchObject({
        surface: 'embeddings',
        model: 'text-embedding-3-small',
        key: 'team',
        key_id: keyIdOf(digest(TEAM)),
        prompt_tokens: 2,
        total_tokens: 2,
        cost_usd: 0.000001,
        status: 200,
      })
      expect((await recordOf(id)).cost_reason).toBeUndefined()
      // Unpriced: the admin token (not budgeted) is answered, and the record says why it has no cost.
      const unpriced = rid('unpriced')
      const answered = await embed('local-embedder', ADMIN, unpriced)
      expect(answered.status).toBe(200)
      await answered.arrayBuffer()
      expect(await recordOf(unpriced)).toMatchObject({
        model: 'local-embedder',
        key: 'admin',
        key_id: 'admin',
        prompt_tokens: 2,
        cost_usd: null,
        cost_reason: 'no price for model local-embedder in the catalog or [models]',
      })
    })

    test('a stream that finished: outcome done, with the usage the gateway asked for', async () => {
      const id = rid('stream')
      mock.enqueue({ sse: chatChunks(['a', 'b'], 'gpt-4o-mini', true) })
      const res = await chat({ model: 'gpt-4o-mini', messages: [], stream: true }, TEAM, id)
      expect((await readSse(res)).at(-1)).toBe('[DONE]')
      expect(await recordOf(id)).toMatchObject({
        stream: true,
        outcome: 'done',
        status: 200,
        provider: 'up',
        prompt_tokens: 9,
        completion_tokens: 2,
        total_tokens: 11,
        cost_usd: 0.000013,
        error: null,
      })
    })

    test('a stream cut mid-way: outcome upstream_error, the usage of what it delivered, marked estimated', async () => {
      const id = rid('cut')
      mock.enqueue({ sse: chatChunks(['x', 'y', 'z']), cutAfter: 2 })
      const res = await chat({ model: 'gpt-4o-mini', messages: [], stream: true }, TEAM, id)
      await res.text()
      // No messages: the request's framing (3); delivered 'x' (1).
      expect(await recordOf(id)).toMatchObject({
        stream: true,
        outcome: 'upstream_error',
        status: 200,
        prompt_tokens: 3,
        completion_tokens: 1,
        total_tokens: 4,
        usage_estimated: true,
      })
    })

    test("an upstream 4xx: the upstream's status, the provider, the error code", async () => {
      const id = rid('4xx')
      mock.enqueue(openAiError(400, 'bad request from upstream'))
      const res = await chat({ model: 'gpt-4o-mini', messages: [] }, TEAM, id)
      expect(res.status).toBe(400)
      expect(await recordOf(id)).toMatchObject({
        status: 400,
        provider: 'up',
        error: 'upstream_error',
        prompt_tokens: null,
        cost_usd: null,
        outcome: null,
      })
    })

    test('a 5xx after retries is one record with the final status', async () => {
      const id = rid('5xx')
      mock.enqueue(openAiError(500, 'boom', 'server_error'), openAiError(500, 'boom again', 'server_error'))
      const before = mock.requests.length
      const res = await chat({ model: 'gpt-4o', messages: [] }, TEAM, id)
      expect(res.status).toBe(500)
      expect(mock.requests.length - before).toBe(2)
      expect(await recordOf(id)).toMatchObject({
        status: 500,
        model: 'gpt-4o',
        provider: 'up',
        error: 'upstream_error',
      })
    })

    test('a request refused by another extension (budget 429) is recorded, with no provider', async () => {
      const id = rid('refused')
      const before = mock.requests.length
      const res = await chat({ model: 'gpt-4o-mini', messages: [] }, BROKE, id)
      expect(res.status).toBe(429)
      const code = (await jsonOf(res)).error.code
      expect(mock.requests.length).toBe(before)
      expect(await recordOf(id)).toMatchObject({
        key: 'broke',
        status: 429,
        provider: null,
        error: code,
        total_tokens: null,
      })
    })

    // Finding 9: each refusal was a full record (300,000 429s grew SQLite by 276 MB). They are one record
    // per minute, key, model and error, with a count that the logs and the stats add up.
    test('refusals are aggregated: one record with their count, counted by the logs and the stats', async () => {
      await using g = await startGateway(toml(mock.url), { store: await backend.open() })
      const before = mock.requests.length
      const statuses = await Promise.all(
        Array.from({ length: 40 }, async () => {
          const res = await g.chat({ model: 'gpt-4o-mini', messages: [] }, { key: BROKE })
          await res.arrayBuffer()
          return res.status
        }),
      )
      expect(statuses).toEqual(Array(40).fill(429))
      expect(mock.requests.length).toBe(before)
      await g.ctx.pipeline.flush()
      const admin = { headers: { authorization: `Bearer ${ADMIN}` } }
      const page = await jsonOf(await g.fetch('/v1/admin/logs?key=broke', admin))
      // One record, or two when the requests straddled a minute.
      expect(page.data.length).toBeLessThanOrEqual(2)
      expect(page.requests).toBe(40)
      expect(page.data.reduce((n: number, r: AuditRecord) => n + r.count!, 0)).toBe(40)
      expect(page.data[0]).toMatchObject({ key: 'broke', status: 429, provider: null, error: 'budget_exceeded' })
      const stats = await jsonOf(await g.fetch('/v1/admin/stats', admin))
      expect(stats.totals).toMatchObject({ requests: 40, errors: 40 })
      expect(stats.top_keys.by_requests[0]).toMatchObject({ name: 'broke', requests: 40, errors: 40 })
    })

    test('a request that never reached the pipeline (unknown model) is not recorded', async () => {
      const id = rid('unknown')
      const res = await chat({ model: 'no-such-model', messages: [] }, TEAM, id)
      expect(res.status).toBe(404)
      expect((await all()).some((r) => r.request_id === id)).toBe(false)
    })
  })

  describe('GET /v1/admin/logs', () => {
    test('newest first, as a list', async () => {
      const ids = [rid('order'), rid('order'), rid('order')]
      for (const id of ids) {
        const res = await chat({ model: 'gpt-4o-mini', messages: [] }, TEAM, id)
        await res.arrayBuffer()
        await gw.ctx.pipeline.flush()
      }
      const res = await logs()
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('application/json')
      const body = await jsonOf(res)
      expect(body.object).toBe('list')
      const times: number[] = body.data.map((r: AuditRecord) => r.time)
      expect(times).toEqual([...times].sort((a, b) => b - a))
      for (const id of ids) expect(body.data.some((r: AuditRecord) => r.request_id === id)).toBe(true)
    })

    test('key and model filters (model matches the canonical name or the alias sent)', async () => {
      const id = rid('other')
      const res = await chat({ model: 'fast', messages: [] }, OTHER, id)
      await res.arrayBuffer()
      await gw.ctx.pipeline.flush()
      const byKey = (await jsonOf(await logs('key=other'))).data as AuditRecord[]
      expect(byKey.map((r) => r.request_id)).toEqual([id])
      const byAlias = (await jsonOf(await logs('key=other&model=fast'))).data as AuditRecord[]
      expect(byAlias.map((r) => r.request_id)).toEqual([id])
      const byModel = (await jsonOf(await logs('key=other&model=gpt-4o-mini'))).data as AuditRecord[]
      expect(byModel.map((r) => r.request_id)).toEqual([id])
      expect((await jsonOf(await logs('key=other&model=gpt-4o'))).data).toEqual([])
      const gpt4o = (await jsonOf(await logs('model=gpt-4o'))).data as AuditRecord[]
      expect(gpt4o.length).toBeGreaterThan(0)
      expect(gpt4o.every((r) => r.model === 'gpt-4o' || r.requested_model === 'gpt-4o')).toBe(true)
    })

    test('status filter: a code, a class, "error" (any failure, cut streams included) or "ok"', async () => {
      const records = await all()
      const ids = (rs: AuditRecord[]) => rs.map((r) => r.request_id)
      const read = async (status: string) =>
        (await jsonOf(await logs(`status=${status}&limit=1000`))).data as AuditRecord[]
      const failed = (r: AuditRecord) =>
        (r.status !== null && r.status >= 400) ||
        r.outcome === 'upstream_error' ||
        r.outcome === 'truncated' ||
        r.error !== null
      expect(records.some(failed)).toBe(true)
      expect(records.some((r) => r.status === 200 && r.outcome === 'upstream_error')).toBe(true)
      expect(ids(await read('error'))).toEqual(ids(records.filter(failed)))
      expect(ids(await read('ok'))).toEqual(ids(records.filter((r) => !failed(r))))
      expect(ids(await read('4xx'))).toEqual(
        ids(records.filter((r) => r.status !== null && r.status >= 400 && r.status < 500)),
      )
      expect(ids(await read('2XX'))).toEqual(
        ids(records.filter((r) => r.status !== null && r.status >= 200 && r.status < 300)),
      )
      expect(ids(await read('429'))).toEqual(ids(records.filter((r) => r.status === 429)))
      expect((await read('429')).length).toBeGreaterThan(0)
      expect(ids(await read('418'))).toEqual([])
    })

    test('since and until, as ms or ISO timestamps, are inclusive', async () => {
      const records = await all()
      const pivot = records[Math.floor(records.length / 2)]!
      const since = (await jsonOf(await logs(`since=${pivot.time}`))).data as AuditRecord[]
      expect(since.length).toBeGreaterThan(0)
      expect(since.every((r) => r.time >= pivot.time)).toBe(true)
      expect(since.some((r) => r.request_id === pivot.request_id)).toBe(true)
      const until = (await jsonOf(await logs(`until=${encodeURIComponent(pivot.timestamp)}&limit=1000`)))
        .data as AuditRecord[]
      expect(until.every((r) => r.time <= pivot.time)).toBe(true)
      expect(until.some((r) => r.request_id === pivot.request_id)).toBe(true)
      const exact = (await jsonOf(await logs(`since=${pivot.timestamp}&until=${pivot.time}`))).data as AuditRecord[]
      expect(exact.every((r) => r.time === pivot.time)).toBe(true)
      expect(exact.some((r) => r.request_id === pivot.request_id)).toBe(true)
    })

    test('limit: default 100, at most 1000; pages continue with next_until without repeats or gaps', async () => {
      const records = await all()
      expect(records.length).toBeGreaterThan(5)
      const first = await jsonOf(await logs('limit=2'))
      // Fewer than 2 when the records of one millisecond straddle the end of the page (left whole for the next).
      expect(first.data.length).toBeGreaterThanOrEqual(1)
      expect(first.data.length).toBeLessThanOrEqual(2)
      expect(first.has_more).toBe(true)
      expect(typeof first.next_until).toBe('number')
      const paged: string[] = []
      let query = 'limit=2'
      for (let i = 0; i < 100; i++) {
        const page = await jsonOf(await logs(query))
        paged.push(...page.data.map((r: AuditRecord) => r.request_id))
        if (!page.has_more) break
        query = `limit=2&until=${page.next_until}`
      }
      expect(paged).toEqual(records.map((r) => r.request_id))
      expect((await logs('limit=1000')).status).toBe(200)
    })

    test('bad parameters are a 400 naming the parameter', async () => {
      const cases: [string, string][] = [
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['limit=-1', 'limit'],
        ['limit=abc', 'limit'],
        ['limit=1.5', 'limit'],
        ['since=yesterday', 'since'],
        ['until=2024-13-45T99:00:00Z', 'until'],
        ['since=2024-06-02T00:00:00Z&until=2024-06-01T00:00:00Z', 'since'],
        ['key=', 'key'],
        ['model=a&model=b', 'model'],
        ['status=600', 'status'],
        ['status=4x', 'status'],
        ['status=failed', 'status'],
      ]
      for (const [query, param] of cases) {
        const res = await logs(query)
        expect({ query, status: res.status }).toEqual({ query, status: 400 })
        const body = await jsonOf(res)
        expect(body.error).toMatchObject({ type: 'invalid_request_error', param })
        expect(body.error.message).toContain(param)
      }
    })

    test('admin only, behind the admin API gate: 401 with a key and without', async () => {
      const forbidden = await logs('', TEAM)
      expect(forbidden.status).toBe(401)
      expect((await jsonOf(forbidden)).error.type).toBe('authentication_error')
      const anonymous = await logs('', '')
      expect(anonymous.status).toBe(401)
      expect((await jsonOf(anonymous)).error.type).toBe('authentication_error')
    })
  })

  describe('bounded reads', () => {
    // Records written straight into the audit log at times long before the requests above, and read
    // with `until` so that the real ones stay out of the way.
    const put = (time: number, key: string, n = 1) => {
      const log = store.namespace('audit')
      const writes = []
      for (let i = 0; i < n; i++) {
        const record = {
          request_id: `synthetic-${key}-${time}-${i}`,
          time,
          timestamp: new Date(time).toISOString(),
          key,
          model: 'm',
          requested_model: 'm',
        }
        writes.push(log.append(AUDIT_LOG, time, JSON.stringify(record)))
      }
      return Promise.all(writes)
    }

    test('a filter that drops records stops after 10 × limit scanned and says where to go on', async () => {
      await put(1_000, 'rare')
      for (let t = 1_001; t <= 1_030; t++) await put(t, 'busy')
      const first = await jsonOf(await logs('key=rare&limit=1&until=1999'))
      expect(first).toMatchObject({ object: 'list', data: [], has_more: true, truncated: true })
      expect(first.next_until).toBeLessThan(1_030)
      let page = first
      const found: string[] = []
      for (let i = 0; i < 10 && page.has_more; i++) {
        page = await jsonOf(await logs(`key=rare&limit=1&until=${page.next_until}`))
        found.push(...page.data.map((r: AuditRecord) => r.request_id))
      }
      expect(found).toEqual(['synthetic-rare-1000-0'])
      // A filter that matches everything is answered without truncation.
      const busy = await jsonOf(await logs('key=busy&limit=5&until=1999'))
      expect(busy).toMatchObject({ has_more: true, truncated: false, next_until: 1_025 })
      expect(busy.data.map((r: AuditRecord) => r.time)).toEqual([1_030, 1_029, 1_028, 1_027, 1_026])
    })

    test('the default limit is 100', async () => {
      await Promise.all(Array.from({ length: 105 }, (_, i) => put(2_000 + i, 'many')))
      const page = await jsonOf(await logs('since=2000&until=2999'))
      expect(page.data).toHaveLength(100)
      expect(page).toMatchObject({ has_more: true, next_until: 2_004, truncated: false })
      expect(page.data[0].time).toBe(2_104)
    })

    test('a millisecond that straddles a page is left whole for the next page', async () => {
      await put(503, 'tie')
      await put(502, 'tie', 3)
      await put(501, 'tie')
      const first = await jsonOf(await logs('limit=3&until=600&since=500'))
      expect(first.data.map((r: AuditRecord) => r.time)).toEqual([503])
      expect(first).toMatchObject({ has_more: true, next_until: 502 })
      const second = await jsonOf(await logs('limit=3&until=502&since=500'))
      expect(second.data.map((r: AuditRecord) => r.time)).toEqual([502, 502, 502])
      expect(new Set(second.data.map((r: AuditRecord) => r.request_id)).size).toBe(3)
      expect(second).toMatchObject({ has_more: true, next_until: 501 })
      const third = await jsonOf(await logs('limit=3&until=501&since=500'))
      expect(third.data.map((r: AuditRecord) => r.time)).toEqual([501])
      expect(third.has_more).toBe(false)
    })
  })

  test('a cache hit is recorded as cached, with no provider and no cost', async () => {
    const cached = `${toml(mock.url).replace('[extensions.audit]', '[extensions.cache]\n[extensions.audit]')}`
    await using g = await startGateway(cached, { store: await backend.open() })
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `cache me ${rid('cache')}` }] }
    const ids = [rid('miss'), rid('hit')]
    for (const id of ids) await (await g.chat(body, { key: TEAM, headers: { 'x-request-id': id } })).arrayBuffer()
    await g.ctx.pipeline.flush()
    const data = (await jsonOf(await g.fetch('/v1/admin/logs', { headers: { authorization: `Bearer ${ADMIN}` } })))
      .data as AuditRecord[]
    expect(data.find((r) => r.request_id === ids[0])).toMatchObject({
      cached: false,
      provider: 'up',
      total_tokens: 13,
      cost_usd: 0.000017,
    })
    expect(data.find((r) => r.request_id === ids[1])).toMatchObject({
      cached: true,
      provider: null,
      status: 200,
      total_tokens: null,
      cost_usd: 0,
    })
  })

  test('records written just before a graceful shutdown are read by the next gateway on the same store', async () => {
    const shared = await backend.open()
    const first = await startGateway(toml(mock.url), { store: shared })
    const ids = [rid('shutdown'), rid('shutdown'), rid('shutdown')]
    mock.enqueue({ sse: chatChunks(['s'], 'gpt-4o-mini', true) })
    const stream = await first.chat(
      { model: 'gpt-4o-mini', messages: [], stream: true },
      { key: TEAM, headers: { 'x-request-id': ids[0]! } },
    )
    await stream.text()
    for (const id of ids.slice(1))
      await (
        await first.chat({ model: 'gpt-4o-mini', messages: [] }, { key: TEAM, headers: { 'x-request-id': id } })
      ).arrayBuffer()
    // No flush here: dispose is the graceful shutdown (drain, then flush the pipeline).
    await first[Symbol.asyncDispose]()
    await using second = await startGateway(toml(mock.url), { store: shared })
    const res = await second.fetch('/v1/admin/logs', { headers: { authorization: `Bearer ${ADMIN}` } })
    const data = (await jsonOf(res)).data as AuditRecord[]
    expect(data.map((r) => r.request_id).sort()).toEqual([...ids].sort())
    expect(data.find((r) => r.request_id === ids[0])).toMatchObject({ stream: true, outcome: 'done', total_tokens: 10 })
  })
})
