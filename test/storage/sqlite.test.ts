import { Database } from 'bun:sqlite'
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '../../src/storage/sqlite'
import type { Store } from '../../src/storage/store'
import { clocked, manualTimer, storageContract } from '../support/storage-contract'

const dir = mkdtempSync(join(tmpdir(), 'crabllm-sqlite-'))
const opened: { store: Store; db: Database }[] = []
afterAll(async () => {
  for (const { store, db } of opened) {
    await store.close()
    db.close()
  }
  rmSync(dir, { recursive: true, force: true })
})
let n = 0
storageContract(
  'sqlite',
  clocked((now) => {
    // A real file in WAL mode, as the gateway opens it.
    const db = new Database(join(dir, `t${++n}.db`), { create: true, strict: true })
    db.run('PRAGMA journal_mode = WAL')
    const store = sqliteStore(db, { now })
    opened.push({ store, db })
    return store
  }),
)

test('the sweep deletes expired rows from the table', async () => {
  let t = 1_000
  const db = new Database(join(dir, 'sweep.db'), { create: true, strict: true })
  const timer = manualTimer()
  const store = sqliteStore(db, { now: () => t, sweepMs: 5, every: timer.every })
  opened.push({ store, db })
  expect(timer.ms).toBe(5) // the sweep is scheduled every sweepMs
  for (let i = 0; i < 50; i++) await store.set(`k${i}`, 'v', 10)
  await store.set('keep', 'v')
  t += 11
  timer.tick() // one run of the sweep timer
  await store.durable?.() // its DELETE is committed with the turn
  expect(db.query('SELECT key FROM crabllm_kv').all()).toEqual([{ key: 'keep' }])
  await store.close()
  expect(timer.stopped).toBe(true) // close() stops the sweep
})

// The counter mirror and the one-turn write-behind (sqlite.ts): what reaches the file, and when.
function openPair(name: string, options: Parameters<typeof sqliteStore>[1] = {}) {
  const path = join(dir, `${name}.db`)
  const db = new Database(path, { create: true, strict: true })
  db.run('PRAGMA journal_mode = WAL')
  const store = sqliteStore(db, options)
  opened.push({ store, db })
  // A second connection, as another process would see the file.
  const other = new Database(path, { readonly: true })
  const fileValue = (key: string) =>
    (other.query('SELECT value FROM crabllm_kv WHERE key = ?').get(key) as { value: string } | null)?.value
  const fileLog = (log: string) =>
    (other.query('SELECT value FROM crabllm_log WHERE log = ? ORDER BY seq').all(log) as { value: string }[]).map(
      (r) => r.value,
    )
  return { db, store, fileValue, fileLog, closeOther: () => other.close() }
}
const nextTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)))

test('counter increments reach the file one turn later, written once per turn', async () => {
  const { store, fileValue, closeOther } = openPair('mirror-turn')
  const results = await Promise.all(Array.from({ length: 100 }, () => store.increment('usage:k/m/requests', 3)))
  expect(new Set(results).size).toBe(100) // every increment saw a distinct value: exact
  expect(Math.max(...results)).toBe(300)
  expect(fileValue('usage:k/m/requests')).toBeUndefined() // not yet committed
  await nextTurn()
  expect(fileValue('usage:k/m/requests')).toBe('300')
  expect(await store.get('usage:k/m/requests')).toBe('300')
  closeOther()
})

test('close() commits pending counters and log records', async () => {
  const { store, fileValue, fileLog, closeOther } = openPair('mirror-close')
  await store.increment('budget:spent:a', 42)
  await store.append('audit:requests', 1000, '{"n":1}')
  await store.close()
  expect(fileValue('budget:spent:a')).toBe('42')
  expect(fileLog('audit:requests')).toEqual(['{"n":1}'])
  closeOther()
})

test('a restarted store continues counting from the file', async () => {
  const path = join(dir, 'mirror-restart.db')
  const first = new Database(path, { create: true, strict: true })
  const a = sqliteStore(first)
  await a.increment('usage:x', 5)
  await a.increment('usage:ttl', 1, 60_000)
  await a.close()
  first.close()
  const second = new Database(path, { create: true, strict: true })
  const b = sqliteStore(second)
  opened.push({ store: b, db: second })
  expect(await b.increment('usage:x', 1)).toBe(6)
  expect(await b.increment('usage:ttl', 1, 60_000)).toBe(2)
})

test('admin: counters are not mirrored: another process bumping them is seen at once', async () => {
  const { store, db } = openPair('mirror-admin')
  const path = db.filename
  expect(await store.increment('admin:version')).toBe(1)
  await nextTurn()
  // Another process writing the file directly.
  const otherWriter = new Database(path, { strict: true })
  otherWriter.run("UPDATE crabllm_kv SET value = '7' WHERE key = 'admin:version'")
  otherWriter.close()
  expect(await store.get('admin:version')).toBe('7')
  expect(await store.increment('admin:version')).toBe(8)
})

test('set and delete on a counter with a pending value apply in order', async () => {
  const { store, fileValue, closeOther } = openPair('mirror-order')
  await store.increment('c', 5)
  await store.set('c', '10')
  expect(await store.increment('c', 1)).toBe(11)
  await nextTurn()
  expect(fileValue('c')).toBe('11')
  await store.increment('d', 2)
  expect(await store.delete('d')).toBe(true) // pending, but there
  expect(await store.get('d')).toBeUndefined()
  expect(await store.increment('d', 1)).toBe(1)
  await nextTurn()
  expect(fileValue('d')).toBe('1')
  closeOther()
})

test('list and recent see this turn’s pending writes', async () => {
  const { store } = openPair('mirror-reads')
  await store.increment('p/a', 1)
  await store.increment('p/b', 2)
  await store.append('log', 5, 'r1')
  expect(await store.list('p/', 10)).toEqual([
    { key: 'p/a', value: '1' },
    { key: 'p/b', value: '2' },
  ])
  expect((await store.recent('log', { limit: 5 })).map((r) => r.value)).toEqual(['r1'])
})

test('the mirror stays bounded: clean counters are dropped and reloaded with the right value', async () => {
  const { store } = openPair('mirror-bound', { maxMirrored: 10 })
  for (let i = 0; i < 50; i++) await store.increment(`k${i}`, i + 1)
  await nextTurn()
  for (let i = 0; i < 50; i++) expect(await store.increment(`k${i}`, 1)).toBe(i + 2)
})
