import { Database } from 'bun:sqlite'
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStore } from '../../src/storage/sqlite'
import type { Store } from '../../src/storage/store'
import { storageContract } from '../support/storage-contract'

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
storageContract('sqlite', {
  async open() {
    // A real file in WAL mode, as the gateway opens it.
    const db = new Database(join(dir, `t${++n}.db`), { create: true, strict: true })
    db.run('PRAGMA journal_mode = WAL')
    const store = sqliteStore(db)
    opened.push({ store, db })
    return store
  },
})

test('the sweep deletes expired rows from the table', async () => {
  let t = 1_000
  const db = new Database(join(dir, 'sweep.db'), { create: true, strict: true })
  const store = sqliteStore(db, { now: () => t, sweepMs: 5 })
  opened.push({ store, db })
  for (let i = 0; i < 50; i++) await store.set(`k${i}`, 'v', 10)
  await store.set('keep', 'v')
  t += 11
  await Bun.sleep(20) // let the sweep timer run
  expect(db.query('SELECT key FROM crabllm_kv').all()).toEqual([{ key: 'keep' }])
})
