// openStorage: the SQLite file as the gateway opens it (checkpoints run on their own thread, the event
// loop's connection has auto-checkpoints off, close() leaves a complete database file), and Redis's
// persistence check (a warning when AOF is off; test/e2e/redis-durability.test.ts runs both settings).
import { Database } from 'bun:sqlite'
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { memoryLogger } from '../../src/core/log'
import { openStorage } from '../../src/storage'
import { REDIS_URL } from '../support/stores'

const dir = mkdtempSync(join(tmpdir(), 'crabllm-open-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const size = (path: string) => {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

test('the WAL is checkpointed into the database file by the checkpoint thread, not by commits', async () => {
  const handle = await openStorage({ kind: 'sqlite', path: 'a.db' }, dir, join(dir, 'crabllm.toml'))
  const db = join(dir, 'a.db')
  const store = handle.store.namespace('audit')
  const before = size(db)
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 100; i++)
      await store.append('records', Date.now(), JSON.stringify({ turn, i, pad: 'x'.repeat(200) }))
    await new Promise((resolve) => setImmediate(resolve))
  }
  // Committed into the WAL; the database file itself only grows when a checkpoint copies pages into it.
  expect(size(`${db}-wal`)).toBeGreaterThan(100_000)
  // Each turn awaits one checkpoint of the thread (a PASSIVE one may copy part of the WAL), at most 5.
  let grown = false
  for (let checkpoints = 0; checkpoints < 5 && !grown; checkpoints++) {
    await handle.nextCheckpoint!()
    grown = size(db) > before + 100_000
  }
  expect(grown).toBe(true)
  await handle.close()
  const check = new Database(db, { readonly: true })
  expect(
    (check.query("SELECT count(*) AS n FROM crabllm_log WHERE log = 'audit:records'").get() as { n: number }).n,
  ).toBe(2000)
  check.close()
})

test('auto-checkpoints are off on the gateway connection', async () => {
  const handle = await openStorage({ kind: 'sqlite', path: 'b.db' }, dir, join(dir, 'crabllm.toml'))
  // 6 MB of records in one commit: SQLite's default would checkpoint right after it (over 1000 pages).
  const store = handle.store
  for (let i = 0; i < 3000; i++) await store.append('log', i, 'y'.repeat(2000))
  await new Promise((resolve) => setImmediate(resolve))
  // Right after the commit, before the checkpoint thread's first tick (1 s): all in the WAL, none in the file.
  expect(size(join(dir, 'b.db-wal'))).toBeGreaterThan(5_000_000)
  expect(size(join(dir, 'b.db'))).toBeLessThan(1_000_000)
  await handle.close()
})

test('wait_for_commit: answers wait for the commit by default; false offers no durable()', async () => {
  const on = await openStorage({ kind: 'sqlite', path: 'c.db' }, dir, join(dir, 'crabllm.toml'))
  await on.store.increment('usage:x', 1)
  const pending = on.store.durable?.()
  expect(pending).toBeInstanceOf(Promise)
  await pending
  await on.close()
  const off = await openStorage(
    { kind: 'sqlite', path: 'd.db', wait_for_commit: false },
    dir,
    join(dir, 'crabllm.toml'),
  )
  await off.store.increment('usage:x', 1)
  expect(off.store.durable).toBeUndefined()
  await off.close()
})

test('Redis without AOF: one warning at start naming the fix; none when AOF is on', async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await probe.connect()
  } catch (err) {
    throw new Error(`this test needs a redis-server at ${REDIS_URL}: ${(err as Error).message}`)
  }
  const [, appendonly] = (await probe.config('GET', 'appendonly')) as [string, string]
  await probe.quit()
  const log = memoryLogger('warn')
  const handle = await openStorage({ kind: 'redis', path: REDIS_URL }, dir, join(dir, 'crabllm.toml'), log)
  await handle.close()
  const lines = log.lines.map((l) => JSON.parse(l))
  if (appendonly === 'yes') {
    expect(lines).toEqual([])
    return
  }
  expect(lines).toHaveLength(1)
  expect(lines[0].level).toBe('warn')
  expect(lines[0].msg).toBe(
    'redis has AOF off: a Redis restart loses or rolls back rate-limit windows, budgets, usage and admin keys',
  )
  expect(lines[0].fix).toContain('appendonly yes, appendfsync everysec')
})
