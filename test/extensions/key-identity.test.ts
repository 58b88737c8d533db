// Counters by key identity, on every storage backend: usage, spend and rate-limit windows are kept under
// a key's id, so a key deleted and made again under the same name starts from zero; and the counters an
// older release wrote under key names (written here directly, in that release's format) move to the ids
// of the keys that have those names at the first start, once (a marker), atomically per counter (two
// gateways migrating one Redis at once count nothing twice). Memory storage has nothing to migrate.
import { afterAll, describe, expect, test } from 'bun:test'
import { digest, keyIdOf } from '../../src/auth'
import { memoryLogger } from '../../src/core/log'
import { migrateToKeyIds } from '../../src/extensions'
import { migrateBudget } from '../../src/extensions/budget'
import { KEY_IDS_MARKER } from '../../src/extensions/key-identity'
import type { Store } from '../../src/storage/store'
import { jsonOf, startGateway, type TestGateway } from '../support/gateway'
import { BACKENDS, closeAll, openSharedRedis } from '../support/stores'

afterAll(closeAll)

const ADMIN = 'admin-token-identity-0123456789'
const ALICE = 'sk-identity-alice-0123456789abcdef'
const BOB = 'sk-identity-bob-0123456789abcdefgh'
const ALICE_ID = keyIdOf(digest(ALICE))
const BOB_ID = keyIdOf(digest(BOB))
/** The echo model's price: 1 µ$ per prompt token, 2 per completion token. */
const toml = (rpm = 100) => `admin_token = "${ADMIN}"
[[keys]]
name = "alice"
key = "${ALICE}"
[providers.echo]
kind = "echo"
[models.echo]
prompt_cost_per_million = 1
completion_cost_per_million = 2
[extensions.usage]
[extensions.budget]
default_budget = 10
[extensions.rate_limit]
requests_per_minute = ${rpm}
`

const ask = { model: 'echo', messages: [{ role: 'user', content: 'hello there' }] }
const WINDOW_MS = 60_000

async function get(gw: TestGateway, path: string, key = ADMIN): Promise<any> {
  await gw.ctx.pipeline.flush()
  const res = await gw.fetch(path, { headers: { authorization: `Bearer ${key}` } })
  expect(res.status).toBe(200)
  return jsonOf(res)
}

async function admin(gw: TestGateway, method: string, path: string, body?: unknown): Promise<any> {
  const res = await gw.fetch(`/v1/admin/keys${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  expect(res.status).toBeLessThan(300)
  return method === 'DELETE' ? undefined : jsonOf(res)
}

/**
 * Counters as the previous release wrote them, under key names: usage `{name}/{model}/{field}`, spend
 * `spent:{name}`, rate-limit windows `req:{name}:{window}` (this window and the next, so a minute
 * boundary during the test changes nothing), and bob's API key record without an id.
 */
async function writeOldFormat(store: Store, names: readonly string[], rpm: number): Promise<void> {
  const usage = store.namespace('usage')
  const budget = store.namespace('budget')
  const rate = store.namespace('rate_limit')
  const window = Math.floor(Date.now() / WINDOW_MS)
  for (const name of names) {
    const row = `${encodeURIComponent(name)}/${encodeURIComponent('echo')}/`
    await usage.increment(`${row}prompt_tokens`, 90)
    await usage.increment(`${row}completion_tokens`, 40)
    await usage.increment(`${row}requests`, 10)
    await budget.increment(`spent:${name}`, 1234)
    for (const w of [window, window + 1]) await rate.increment(`req:${name}:${w}`, rpm, 2 * WINDOW_MS)
  }
  const now = new Date().toISOString()
  await store.namespace('admin').set(
    'key/bob',
    JSON.stringify({
      name: 'bob',
      hash: digest(BOB),
      prefix: BOB.slice(0, 7),
      last4: BOB.slice(-4),
      models: ['*'],
      created_at: now,
      updated_at: now,
    }),
  )
  await store.durable?.()
}

const usageRow = (key: string, id: string, prompt: number, completion: number, requests: number) => ({
  key,
  key_id: id,
  model: 'echo',
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  cache_read_tokens: 0,
  reasoning_tokens: 0,
  requests,
  cached_requests: 0,
})
const budgetRow = (key: string, id: string | null, spentMicros: number) => ({
  key,
  key_id: id,
  spent_usd: spentMicros / 1e6,
  budget_usd: 10,
  remaining_usd: 10 - spentMicros / 1e6,
})

describe.each(BACKENDS)('key identity on $name', (backend) => {
  test('a key deleted and made again under the same name starts from zero: usage, spend and its request rate', async () => {
    await using gw = await startGateway(toml(1), { store: await backend.open() })
    const first = await admin(gw, 'POST', '', { name: 'carol' })
    expect(first.id).toBe(keyIdOf(digest(first.key)))
    expect((await gw.chat(ask, { key: first.key })).status).toBe(200)
    expect((await gw.chat(ask, { key: first.key })).status).toBe(429)
    const [spent] = await get(gw, '/v1/budget', first.key)
    expect(spent.spent_usd).toBeGreaterThan(0)
    expect(spent).toMatchObject({ key: 'carol', key_id: first.id })

    await admin(gw, 'DELETE', '/carol')
    const second = await admin(gw, 'POST', '', { name: 'carol' })
    expect(second.id).not.toBe(first.id)
    expect(await get(gw, '/v1/usage', second.key)).toEqual([])
    expect(await get(gw, '/v1/budget', second.key)).toEqual([budgetRow('carol', second.id, 0)])
    // The old key used the minute's one request; the new one has its own.
    expect((await gw.chat(ask, { key: second.key })).status).toBe(200)
    // The admin sees both, by name and id: the deleted key's rows keep the name it had.
    const rows = (await get(gw, '/v1/usage')) as { key: string; key_id: string; requests: number }[]
    expect(rows.map((r) => [r.key, r.key_id, r.requests])).toEqual(
      [
        ['carol', first.id, 1],
        ['carol', second.id, 1],
      ].sort((a, b) => (String(a[1]) < String(b[1]) ? -1 : 1)),
    )
    const spends = (await get(gw, '/v1/budget')) as { key: string; key_id: string }[]
    expect(spends.filter((r) => r.key === 'carol').map((r) => r.key_id)).toEqual([first.id, second.id].sort())
    expect(gw.errors()).toEqual([])
  })

  test('counters an older release kept under key names move to the keys’ ids at start, once', async () => {
    const store = await backend.open()
    const rpm = 3
    // carol has no key: her counters stay where they are.
    await writeOldFormat(store, ['alice', 'bob', 'carol'], rpm)
    {
      await using gw = await startGateway(toml(rpm), { store })
      if (backend.name === 'memory') {
        // Nothing to migrate on memory (a fresh process starts empty): no marker is written either.
        expect(await store.namespace('migrations').get(KEY_IDS_MARKER)).toBeUndefined()
        return
      }
      const usage = (await get(gw, '/v1/usage')) as ReturnType<typeof usageRow>[]
      expect(usage).toEqual([
        usageRow('alice', ALICE_ID, 90, 40, 10),
        usageRow('bob', BOB_ID, 90, 40, 10),
        usageRow('carol', 'carol', 90, 40, 10),
      ])
      // Each key sees its own migrated row.
      expect(await get(gw, '/v1/usage', ALICE)).toEqual([usageRow('alice', ALICE_ID, 90, 40, 10)])
      expect(await get(gw, '/v1/budget', BOB)).toEqual([budgetRow('bob', BOB_ID, 1234)])
      expect(await get(gw, '/v1/budget')).toEqual([
        budgetRow('alice', ALICE_ID, 1234),
        budgetRow('bob', BOB_ID, 1234),
        budgetRow('carol', 'carol', 1234),
      ])
      // The request rate moved too: alice used this minute's requests under her name.
      const refused = await gw.chat(ask, { key: ALICE })
      expect(refused.status).toBe(429)
      expect((await jsonOf(refused)).error.code).toBe('rate_limit_exceeded')
      expect(gw.logs().some((l) => l.includes('counters moved from key names to key ids'))).toBe(true)
      // A straggler written under a name later (an older gateway still running) is not moved again.
      await store.namespace('budget').increment('spent:alice', 1)
      await store.durable?.()
    }
    const marker = JSON.parse((await store.namespace('migrations').get(KEY_IDS_MARKER))!)
    expect(marker.moved).toEqual({ usage: 6, budget: 2, rate_limit: 4 })
    await using again = await startGateway(toml(rpm), { store })
    expect(await get(again, '/v1/budget', ALICE)).toEqual([budgetRow('alice', ALICE_ID, 1234)])
    expect(await store.namespace('budget').get('spent:alice')).toBe('1')
    expect(again.errors()).toEqual([])
  })

  test('a migration cut short is finished by the next run without counting anything twice', async () => {
    const store = await backend.open()
    await writeOldFormat(store, ['alice'], 1)
    const ids = new Map([['alice', ALICE_ID]])
    // The spend moved, then the process died before the rest and the marker.
    expect(await migrateBudget(store.namespace('budget'), ids)).toBe(1)
    const keys = [{ id: ALICE_ID, name: 'alice' }]
    const moved = await migrateToKeyIds(store, keys, memoryLogger('error'))
    if (backend.name === 'memory') return expect(moved).toBeUndefined()
    expect(moved).toEqual({ usage: 3, budget: 0, rate_limit: 2 })
    expect(await store.namespace('budget').get(`spent:${ALICE_ID}`)).toBe('1234')
    expect(await store.namespace('budget').get('spent:alice')).toBeUndefined()
    expect(await migrateToKeyIds(store, keys, memoryLogger('error'))).toBeUndefined()
  })
})

test('two gateways migrating one Redis at once move each counter exactly once', async () => {
  const { stores } = await openSharedRedis(2)
  const [a, b] = stores as [Store, Store]
  await writeOldFormat(a, ['alice', 'bob'], 2)
  const keys = [
    { id: ALICE_ID, name: 'alice' },
    { id: BOB_ID, name: 'bob' },
  ]
  const [first, second] = await Promise.all([
    migrateToKeyIds(a, keys, memoryLogger('error')),
    migrateToKeyIds(b, keys, memoryLogger('error')),
  ])
  // Between them, every counter moved once (either may have moved any of them).
  const total = (m: typeof first) => (m ? m.usage + m.budget + m.rate_limit : 0)
  expect(total(first) + total(second)).toBe(2 * (3 + 1 + 2))
  const budget = a.namespace('budget')
  expect(await budget.get(`spent:${ALICE_ID}`)).toBe('1234')
  expect(await budget.get(`spent:${BOB_ID}`)).toBe('1234')
  const usage = a.namespace('usage')
  expect(await usage.get(`${ALICE_ID}/echo/prompt_tokens`)).toBe('90')
  expect(await usage.get(`${BOB_ID}/echo/requests`)).toBe('10')
  expect(await usage.get(`${ALICE_ID}/name`)).toBe('alice')
  const window = Math.floor(Date.now() / WINDOW_MS)
  const moved = await a.namespace('rate_limit').get(`req:${ALICE_ID}:${window}`)
  // This window's counter, unless the minute turned since it was written (then the next one's).
  expect(moved ?? (await a.namespace('rate_limit').get(`req:${ALICE_ID}:${window + 1}`))).toBe('2')
  expect(await a.namespace('rate_limit').list('req:alice:', 10)).toEqual([])
})
