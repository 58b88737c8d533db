// Runs the contract against a real redis-server: REDIS_URL, or 127.0.0.1:6379 (.ci/run starts one).
// Each store gets its own key prefix, and every key it wrote is deleted afterwards.
import { afterAll } from 'bun:test'
import Redis from 'ioredis'
import { redisStore } from '../../src/storage/redis'
import type { Store } from '../../src/storage/store'
import { redisExpiry, storageContract } from '../support/storage-contract'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
try {
  await client.connect()
  await client.ping()
} catch (err) {
  throw new Error(
    `the Redis contract tests need a redis-server at ${url} (set REDIS_URL, or run .ci/run which starts one): ${(err as Error).message}`,
  )
}
const run = `crabllm-test:${process.pid}:${Date.now()}:`
afterAll(async () => {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${run}*`, 'COUNT', 500)
    cursor = next
    if (keys.length) await client.del(...keys)
  } while (cursor !== '0')
  await client.quit()
})
let n = 0
/** Each store's key prefix, for the expiry checks that look at Redis itself. */
const prefixes = new WeakMap<Store, string>()
storageContract('redis', {
  async open() {
    const prefix = `${run}${++n}:`
    const store = redisStore(client, { keyPrefix: prefix })
    prefixes.set(store, prefix)
    return store
  },
  expire: redisExpiry(client, (store) => prefixes.get(store)!),
})
