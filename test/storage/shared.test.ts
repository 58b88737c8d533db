// The store the workers of one gateway share (storage/shared.ts): the storage contract through the Unix
// socket with the owner holding a memory or an SQLite store, then what the socket carries besides:
// publish/subscribe between workers, gather, values larger than a socket buffer, the owner going away.

import { Database } from 'bun:sqlite'
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStore } from '../../src/storage/memory'
import { connectOwner, type OwnerLink, serveOwner, type WorkerSnapshot } from '../../src/storage/shared'
import { sqliteStore } from '../../src/storage/sqlite'
import type { Store } from '../../src/storage/store'
import { clocked, storageContract } from '../support/storage-contract'

const dir = mkdtempSync(join(tmpdir(), 'crabllm-shared-'))
const cleanups: (() => void | Promise<void>)[] = []
let sockets = 0
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
  rmSync(dir, { recursive: true, force: true })
})

/** An owner serving `store` and one worker linked to it; the worker's store is what the tests use. */
async function linked(store: Store | null, worker = 1): Promise<{ link: OwnerLink; path: string; stop(): void }> {
  const path = join(dir, `owner-${++sockets}.sock`)
  const owner = serveOwner(store, store ? store.kind : '', path)
  const link = await connectOwner(path, worker)
  cleanups.push(() => {
    link.close()
    owner.stop()
  })
  return { link, path, stop: () => owner.stop() }
}

storageContract(
  'shared (memory owner)',
  clocked(async (now) => (await linked(memoryStore({ now }))).link.store),
)
storageContract(
  'shared (SQLite owner)',
  clocked(async (now) => {
    const db = new Database(':memory:', { strict: true })
    const store = sqliteStore(db, { now })
    cleanups.push(async () => {
      await store.close()
      db.close()
    })
    return (await linked(store)).link.store
  }),
)

describe('the shared channel', () => {
  test('the owner says what it serves; a worker sees the SQLite owner can wait for commits', async () => {
    const db = new Database(':memory:', { strict: true })
    const sqlite = sqliteStore(db)
    cleanups.push(async () => {
      await sqlite.close()
      db.close()
    })
    const { link } = await linked(sqlite)
    expect(link.info).toEqual({ kind: 'sqlite', location: 'sqlite', durable: true })
    expect(link.store.kind).toBe('sqlite')
    await link.store.increment('n', 2)
    await link.store.durable?.()
    expect(db.query("SELECT value FROM crabllm_kv WHERE key = 'n'").get()).toEqual({ value: '2' })
    const mem = await linked(memoryStore())
    expect(mem.link.info.durable).toBe(false)
    expect(mem.link.store.durable).toBeUndefined()
  })

  test('increments from two workers interleaved are all counted, in order of arrival', async () => {
    const path = join(dir, `owner-${++sockets}.sock`)
    const owner = serveOwner(memoryStore(), 'memory', path)
    const [a, b] = await Promise.all([connectOwner(path, 1), connectOwner(path, 2)])
    cleanups.push(() => {
      a.close()
      b.close()
      owner.stop()
    })
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => (i % 2 ? a : b).store.increment('hits')))
    expect(results.sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1))
    const held = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).store.reserve('budget', `r${i}`, 3, 30, 60_000)),
    )
    expect(held.filter((r) => r.held)).toHaveLength(10)
  })

  test("a turn's increments of one counter go as one, yet each caller gets its own value and later calls see them", async () => {
    const { link } = await linked(memoryStore())
    const s = link.store
    // One turn: three increments, a read, two more increments with another TTL, a commit-free append.
    const [a, b, c, read, d, e] = await Promise.all([
      s.increment('n', 2),
      s.increment('n', 3),
      s.increment('n'),
      s.get('n'),
      s.increment('n', 10, 60_000),
      s.increment('n', -4, 60_000),
      s.append('log', 1, 'x'),
    ])
    expect([a, b, c]).toEqual([2, 5, 6])
    expect(read).toBe('6')
    expect([d, e]).toEqual([16, 12])
    expect(await s.recent('log', { limit: 10 })).toEqual([{ time: 1, value: 'x' }])
    // A bad call fails on its own, before anything is sent.
    let message = ''
    await s.append('log', Number.NaN, 'y').catch((err: Error) => {
      message = err.message
    })
    expect(message).toContain('log time must be a finite number')
  })

  test('a publish reaches every subscribed worker, the sender included, and only those', async () => {
    const path = join(dir, `owner-${++sockets}.sock`)
    const owner = serveOwner(memoryStore(), 'memory', path)
    const [a, b, c] = await Promise.all([connectOwner(path, 1), connectOwner(path, 2), connectOwner(path, 3)])
    cleanups.push(() => {
      for (const l of [a, b, c]) l.close()
      owner.stop()
    })
    const heard: string[] = []
    const both = Promise.withResolvers<void>()
    for (const [name, link] of [
      ['a', a],
      ['b', b],
    ] as const)
      await link.store.subscribe!('changes', (m) => {
        heard.push(`${name}:${m}`)
        if (heard.length === 2) both.resolve()
      })
    await c.store.subscribe!('other', (m) => heard.push(`c:${m}`))
    await a.store.publish!('changes', '7')
    await both.promise
    expect(heard.sort()).toEqual(['a:7', 'b:7'])
  })

  test("gather collects every worker's snapshot, by worker number", async () => {
    const path = join(dir, `owner-${++sockets}.sock`)
    const owner = serveOwner(null, '', path)
    const links = await Promise.all([2, 1].map((n) => connectOwner(path, n)))
    cleanups.push(() => {
      for (const l of links) l.close()
      owner.stop()
    })
    for (const link of links)
      link.onGather(async (): Promise<WorkerSnapshot> => {
        const n = link === links[0] ? 2 : 1
        return { worker: n, pid: 100 + n, metrics: `m${n}`, inflight: n, openStreams: 10 * n }
      })
    const all = await links[0]!.gather()
    expect(all.map((s) => [s.worker, s.pid, s.metrics, s.inflight, s.openStreams])).toEqual([
      [1, 101, 'm1', 1, 10],
      [2, 102, 'm2', 2, 20],
    ])
  })

  test('an owner without a store refuses store calls with the reason, and still gathers', async () => {
    const { link } = await linked(null)
    expect(link.info.kind).toBeNull()
    let message = ''
    await link.store.get('x').catch((err: Error) => {
      message = err.message
    })
    expect(message).toBe('shared store: this gateway has no shared store (each worker opens its own storage)')
    expect((await link.gather()).map((s) => s.worker)).toEqual([1])
  })

  test('values larger than a socket buffer and multi-byte text cross whole', async () => {
    const { link } = await linked(memoryStore())
    const big = `${'é🦀'.repeat(400_000)}end` // ~2.8 MB of UTF-8, split across many reads and writes
    const keys = Array.from({ length: 8 }, (_, i) => `big${i}`)
    await Promise.all(keys.map((k) => link.store.set(k, big + k)))
    const back = await Promise.all(keys.map((k) => link.store.get(k)))
    expect(back).toEqual(keys.map((k) => big + k))
  })

  test('when the owner goes away, calls in flight and later calls fail and the worker is told once', async () => {
    const { link, stop } = await linked(memoryStore())
    let told = 0
    const closed = Promise.withResolvers<void>()
    link.onClose(() => {
      told++
      closed.resolve()
    })
    await link.store.set('a', '1')
    stop()
    await closed.promise
    let message = ''
    await link.store.get('a').catch((err: Error) => {
      message = err.message
    })
    expect(message).toBe('shared store: the gateway supervisor is gone')
    expect(told).toBe(1)
  })
})
