// Key identity and reloads through the compiled binary: a key deleted and made again under the same
// name starts from zero (usage, spend, request rate) on memory, SQLite and Redis; counters an older
// release wrote under key names (written here in that release's format, before the binary starts) are
// moved to the keys' ids at start, once; and SIGHUP with a new price changes the next answer's cost.
// Every wait awaits an event (a line, a response).
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { digest, keyIdOf } from '../../src/auth'
import { redisStore } from '../../src/storage/redis'
import { sqliteStore } from '../../src/storage/sqlite'
import type { Store } from '../../src/storage/store'
import { type CrabllmProcess, crabllmBin, spawnCrabllm } from '../support/binary'
import { IN_ONE_MINUTE_TIMEOUT_MS, inOneMinute } from '../support/minute'
import { REDIS_URL } from '../support/stores'

const ADMIN = 'admin-token-identity-e2e-0123456789'
const ALICE = 'sk-identity-e2e-alice-0123456789abcdef'
const ALICE_ID = keyIdOf(digest(ALICE))

let root: string
let seq = 0
const redisPrefix = `crabllm-e2e-identity:${process.pid}:${Date.now()}:`
beforeAll(() => {
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-identity-'))
})
afterAll(async () => {
  rmSync(root, { recursive: true, force: true })
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length) await client.del(...keys)
    } while (cursor !== '0')
  } finally {
    await client.quit()
  }
})

interface Storage {
  name: 'memory' | 'sqlite' | 'redis'
  /** The [storage] table of a test's own storage (a SQLite path is relative to the config file). */
  table(n: number): string
  /** That storage opened as the gateway opens it, to write what an older release wrote. */
  open?(dir: string, n: number): Promise<{ store: Store; close(): Promise<void> }>
}

const STORAGES: Storage[] = [
  { name: 'memory', table: () => '' },
  {
    name: 'sqlite',
    table: () => '[storage]\nkind = "sqlite"\npath = "state/crabllm.db"\n',
    async open(dir) {
      const db = new Database(join(dir, 'state/crabllm.db'), { create: true, strict: true })
      db.run('PRAGMA journal_mode = WAL')
      const store = sqliteStore(db)
      return {
        store,
        async close() {
          await store.close()
          db.close()
        },
      }
    },
  },
  {
    name: 'redis',
    table: (n) => `[storage]\nkind = "redis"\npath = "${REDIS_URL}"\nprefix = "${redisPrefix}${n}:"\n`,
    async open(_dir, n) {
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
      return {
        store: redisStore(client, { keyPrefix: `${redisPrefix}${n}:` }),
        close: () => client.quit().then(() => {}),
      }
    },
  },
]

/** The echo model at 1 µ$ per prompt token and 2 per completion token (`prompt`, `completion`). */
function config(storage: string, prompt = 1, completion = 2, rpm = 1): string {
  return `admin_token = "${ADMIN}"
[[keys]]
name = "alice"
key = "${ALICE}"
[providers.echo]
kind = "echo"
[models.echo]
prompt_cost_per_million = ${prompt}
completion_cost_per_million = ${completion}
${storage}
[extensions.audit]
[extensions.usage]
[extensions.budget]
default_budget = 10
[extensions.rate_limit]
requests_per_minute = ${rpm}
`
}

/** A fresh directory with the config written; returns it and its storage number. */
function setup(storage: Storage, toml: (table: string) => string): { dir: string; n: number } {
  const n = ++seq
  const dir = join(root, `t${n}`)
  mkdirSync(join(dir, 'state'), { recursive: true })
  writeFileSync(join(dir, 'crabllm.toml'), toml(storage.table(n)))
  return { dir, n }
}

const chat = (gw: CrabllmProcess, key: string, id?: string) =>
  gw.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      ...(id ? { 'x-request-id': id } : {}),
    },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'how much is this' }] }),
  })

async function get(gw: CrabllmProcess, path: string, key = ADMIN): Promise<any> {
  const res = await gw.fetch(path, { headers: { authorization: `Bearer ${key}` } })
  expect(res.status).toBe(200)
  return res.json()
}

async function keys(gw: CrabllmProcess, method: 'POST' | 'DELETE', body: { name: string }): Promise<any> {
  const res = await gw.fetch(`/v1/admin/keys${method === 'DELETE' ? `/${body.name}` : ''}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: method === 'POST' ? JSON.stringify(body) : undefined,
  })
  expect(res.status).toBeLessThan(300)
  return method === 'POST' ? res.json() : undefined
}

describe.each(STORAGES)('key identity with $name storage', (storage) => {
  test(
    'a key deleted and made again under the same name starts from zero',
    async () => {
      const { dir } = setup(storage, (table) => config(table))
      await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
      await gw.ready()
      const first = await keys(gw, 'POST', { name: 'bob' })
      await inOneMinute() // one request a minute, in fixed minutes: both requests fall in one
      expect((await chat(gw, first.key)).status).toBe(200)
      // One request a minute: the key has used it.
      expect((await chat(gw, first.key)).status).toBe(429)
      const [used] = await get(gw, '/v1/usage', first.key)
      expect(used).toMatchObject({ key: 'bob', key_id: first.id, requests: 1 })
      const [spent] = await get(gw, '/v1/budget', first.key)
      expect(spent.spent_usd).toBeGreaterThan(0)

      await keys(gw, 'DELETE', { name: 'bob' })
      const second = await keys(gw, 'POST', { name: 'bob' })
      expect(second.id).not.toBe(first.id)
      expect(await get(gw, '/v1/usage', second.key)).toEqual([])
      expect(await get(gw, '/v1/budget', second.key)).toEqual([
        { key: 'bob', key_id: second.id, spent_usd: 0, budget_usd: 10, remaining_usd: 10 },
      ])
      expect((await chat(gw, second.key)).status).toBe(200)
    },
    IN_ONE_MINUTE_TIMEOUT_MS,
  )

  if (storage.open)
    test('counters an older release wrote under key names move to the key ids at start, once', async () => {
      const { dir, n } = setup(storage, (table) => config(table, 1, 2, 100))
      const old = await storage.open!(dir, n)
      // The previous release's format: usage `{name}/{model}/{field}`, spend `spent:{name}`.
      const row = `${encodeURIComponent('alice')}/echo/`
      await old.store.namespace('usage').increment(`${row}prompt_tokens`, 900)
      await old.store.namespace('usage').increment(`${row}completion_tokens`, 400)
      await old.store.namespace('usage').increment(`${row}requests`, 100)
      await old.store.namespace('budget').increment('spent:alice', 1_700)
      await old.close()
      for (let start = 0; start < 2; start++) {
        await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
        await gw.ready()
        expect(await get(gw, '/v1/usage', ALICE)).toEqual([
          {
            key: 'alice',
            key_id: ALICE_ID,
            model: 'echo',
            prompt_tokens: 900,
            completion_tokens: 400,
            total_tokens: 1300,
            cache_read_tokens: 0,
            reasoning_tokens: 0,
            requests: 100,
            cached_requests: 0,
          },
        ])
        expect(await get(gw, '/v1/budget', ALICE)).toEqual([
          { key: 'alice', key_id: ALICE_ID, spent_usd: 0.0017, budget_usd: 10, remaining_usd: 10 - 0.0017 },
        ])
        // Once: the second start finds the marker and moves nothing (the same numbers, not twice them).
        if (start === 0) await gw.waitForLine(/counters moved from key names to key ids/, 'stderr')
        gw.kill('SIGTERM')
        expect(await gw.exited).toBe(0)
      }
    })
})

describe.each(STORAGES)('pricing reload with $name storage', (storage) => {
  test('SIGHUP with a new price: the next answer costs the new price', async () => {
    let table = ''
    const { dir } = setup(storage, (t) => {
      table = t
      return config(t, 1, 2, 100)
    })
    await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
    await gw.ready()
    const costOf = async (id: string) => {
      const page = await get(gw, '/v1/admin/logs')
      const record = (page.data as { request_id: string; cost_usd: number; total_tokens: number }[]).find(
        (r) => r.request_id === id,
      )!
      return record
    }
    const answer = async (id: string) => {
      const res = await chat(gw, ALICE, id)
      expect(res.status).toBe(200)
      return ((await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage
    }
    const before = await answer('sighup-price-1')
    expect((await costOf('sighup-price-1')).cost_usd).toBeCloseTo(
      (before.prompt_tokens * 1 + before.completion_tokens * 2) / 1e6,
      12,
    )
    writeFileSync(join(dir, 'crabllm.toml'), config(table, 100, 200, 100))
    gw.kill('SIGHUP')
    await gw.waitForLine(/config reloaded/, 'stderr')
    const after = await answer('sighup-price-2')
    expect((await costOf('sighup-price-2')).cost_usd).toBeCloseTo(
      (after.prompt_tokens * 100 + after.completion_tokens * 200) / 1e6,
      12,
    )
  })
})
