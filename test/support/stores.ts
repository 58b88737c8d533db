// The three storage backends, opened fresh and isolated for a test: memory, SQLite on a temp file (WAL),
// and Redis (REDIS_URL or 127.0.0.1:6379; .ci/run starts one) under a unique key prefix that is deleted
// afterwards. Use with describe.each(BACKENDS) so every extension test runs on all three.
import { Database } from 'bun:sqlite'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { memoryStore } from '../../src/storage/memory'
import { redisStore } from '../../src/storage/redis'
import { sqliteStore } from '../../src/storage/sqlite'
import type { Store } from '../../src/storage/store'

export interface Backend {
  readonly name: 'memory' | 'sqlite' | 'redis'
  /** A fresh, empty store; closed (and its data removed) by `closeAll`. */
  open(): Promise<Store>
}

const cleanups: (() => Promise<void>)[] = []
let seq = 0

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export const BACKENDS: readonly Backend[] = [
  {
    name: 'memory',
    async open() {
      const store = memoryStore()
      cleanups.push(() => store.close())
      return store
    },
  },
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'crabllm-store-'))
      const db = new Database(join(dir, 'test.db'), { create: true, strict: true })
      db.run('PRAGMA journal_mode = WAL')
      db.run('PRAGMA busy_timeout = 5000')
      const store = sqliteStore(db)
      cleanups.push(async () => {
        await store.close()
        db.close()
        rmSync(dir, { recursive: true, force: true })
      })
      return store
    },
  },
  {
    name: 'redis',
    async open() {
      const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
      try {
        await client.connect()
      } catch (err) {
        throw new Error(
          `these tests need a redis-server at ${REDIS_URL} (set REDIS_URL, or run .ci/run): ${(err as Error).message}`,
        )
      }
      const prefix = `crabllm-test:${process.pid}:${++seq}:${Date.now()}:`
      cleanups.push(async () => {
        let cursor = '0'
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
          cursor = next
          if (keys.length) await client.del(...keys)
        } while (cursor !== '0')
        await client.quit()
      })
      return redisStore(client, { keyPrefix: prefix })
    },
  },
]

/** Closes every store opened so far (call from afterAll). */
export async function closeAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
}

/**
 * `count` Redis stores, each on its own client, sharing one fresh key prefix: what separate gateway
 * processes on one Redis see. Closed (and the prefix's keys deleted) by `closeAll`. `prefix` is there
 * for tests that count what was written.
 */
export async function openSharedRedis(count: number): Promise<{ prefix: string; stores: Store[] }> {
  const prefix = `crabllm-test:${process.pid}:${++seq}:${Date.now()}:`
  const clients: Redis[] = []
  for (let i = 0; i < count; i++) {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await client.connect()
    } catch (err) {
      throw new Error(
        `these tests need a redis-server at ${REDIS_URL} (set REDIS_URL, or run .ci/run): ${(err as Error).message}`,
      )
    }
    clients.push(client)
  }
  cleanups.push(async () => {
    const client = clients[0]!
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length) await client.del(...keys)
    } while (cursor !== '0')
    for (const c of clients) await c.quit().catch(() => c.disconnect())
  })
  return { prefix, stores: clients.map((client) => redisStore(client, { keyPrefix: prefix })) }
}
