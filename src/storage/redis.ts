// Redis store through ioredis: GET, SET PX, INCRBY (+ PEXPIRE NX when the increment created the
// counter, in one MULTI so a crash cannot leave a window without expiry), SCAN MATCH for prefixes.
// Connection errors are not swallowed: they reject the call (at once while disconnected, with the
// options storage/index.ts sets), and ioredis reconnects in the background.
import type Redis from 'ioredis'
import {
  checkIncrement,
  checkKey,
  checkRange,
  checkTime,
  checkTtl,
  type Entry,
  type LogRecord,
  prefixed,
  type Store,
} from './store'

export function redisStore(client: Redis, options: { keyPrefix?: string } = {}): Store {
  const base = options.keyPrefix ?? 'crabllm:'
  const store: Store = {
    kind: 'redis',
    async get(key) {
      checkKey(key)
      return (await client.get(base + key)) ?? undefined
    },
    async set(key, value, ttlMs) {
      checkKey(key)
      checkTtl(ttlMs)
      if (ttlMs) await client.set(base + key, value, 'PX', Math.ceil(ttlMs))
      else await client.set(base + key, value)
    },
    async add(key, value) {
      checkKey(key)
      return (await client.set(base + key, value, 'NX')) === 'OK'
    },
    async delete(key) {
      checkKey(key)
      return (await client.del(base + key)) > 0
    },
    async increment(key, by = 1, ttlMs) {
      checkKey(key)
      checkIncrement(by)
      checkTtl(ttlMs)
      if (!ttlMs) return await client.incrby(base + key, by)
      // PEXPIRE NX sets the expiry only when the key has none: the window starts with the first hit.
      const results = await client
        .multi()
        .incrby(base + key, by)
        .pexpire(base + key, Math.ceil(ttlMs), 'NX')
        .exec()
      const [err, value] = results?.[0] ?? [new Error('redis transaction aborted'), null]
      if (err) throw err
      return Number(value)
    },
    async list(prefix, limit) {
      const keys = new Set<string>()
      let cursor = '0'
      const match = `${escapeGlob(base + prefix)}*`
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', 500)
        cursor = next
        for (const k of batch) keys.add(k)
      } while (cursor !== '0')
      const sorted = [...keys].sort()
      const out: Entry[] = []
      for (let i = 0; i < sorted.length && out.length < limit; i += 100) {
        const slice = sorted.slice(i, i + 100)
        const values = await client.mget(...slice)
        slice.forEach((k, j) => {
          const value = values[j]
          if (value !== null && value !== undefined && out.length < limit)
            out.push({ key: k.slice(base.length), value })
        })
      }
      return out
    },
    // A log is a sorted set scored by time; members carry a unique id so equal values stay distinct.
    async append(log, time, value) {
      checkKey(log)
      checkTime(time)
      await client.zadd(`${base}log:${log}`, Math.round(time), `${crypto.randomUUID()}\n${value}`)
    },
    async recent(log, range) {
      checkKey(log)
      checkRange(range)
      if (range.limit === 0) return []
      const max = range.until ?? '+inf'
      const min = range.since ?? '-inf'
      const flat = await client.zrevrangebyscore(`${base}log:${log}`, max, min, 'WITHSCORES', 'LIMIT', 0, range.limit)
      const out: LogRecord[] = []
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const member = flat[i]!
        out.push({ time: Number(flat[i + 1]), value: member.slice(member.indexOf('\n') + 1) })
      }
      return out
    },
    async publish(channel, message) {
      await client.publish(`${base}chan:${channel}`, message)
    },
    // A subscribed connection can do nothing else, so each subscription gets its own duplicate. It is
    // connected before SUBSCRIBE: the client may have no offline queue (storage/index.ts), and a command
    // sent before the connection is ready would then fail. After a reconnection ioredis subscribes again.
    async subscribe(channel, onMessage) {
      const subscriber = client.duplicate({ lazyConnect: true })
      subscriber.on('error', () => {})
      const name = `${base}chan:${channel}`
      subscriber.on('message', (from: string, message: string) => {
        if (from === name) onMessage(message)
      })
      try {
        await subscriber.connect()
        await subscriber.subscribe(name)
      } catch (err) {
        // Otherwise the duplicate would go on reconnecting in the background, for nothing.
        subscriber.disconnect()
        throw err
      }
      return async () => {
        // UNSUBSCRIBE first: its reply means Redis delivers nothing more (QUIT alone frees the
        // connection only after its reply, so a publish right after could still count it).
        await subscriber
          .unsubscribe(name)
          .then(() => subscriber.quit())
          .catch(() => subscriber.disconnect())
      }
    },
    namespace: (name) => prefixed(store, `${name}:`),
    async close() {
      await client.quit().catch(() => client.disconnect())
    },
  }
  return store
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
