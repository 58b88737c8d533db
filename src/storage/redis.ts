// Redis store through ioredis: GET, SET PX, INCRBY (+ PEXPIRE NX when the increment created the
// counter, in one MULTI so a crash cannot leave a window without expiry), SCAN MATCH for prefixes, and
// Lua scripts for reservations (the counter and the live holds read, checked and held in one step,
// on Redis's clock, so that instances sharing a budget cannot both take its last share), for settling
// them (the charge counted and the hold dropped in one step, so no reader sees both) and for moving
// a counter (read, added and deleted in one step, so that two gateways cannot both move it).
// Connection errors are not swallowed: they reject the call (at once while disconnected, with the
// options storage/index.ts sets), and ioredis reconnects in the background.
import type Redis from 'ioredis'
import {
  checkIncrement,
  checkKey,
  checkRange,
  checkReservation,
  checkSettle,
  checkTime,
  checkTrim,
  checkTtl,
  type Entry,
  type LogRecord,
  prefixed,
  type Store,
} from './store'

/**
 * KEYS: the counter, the holds hash (id → "amount:expires"). ARGV: id, amount, limit, ttl ms. Expired
 * holds are dropped as they are read; the hash lives as long as its longest hold.
 * Holds min(amount, limit - used) when used < limit. Returns {held (1|0), used before, amount held}.
 */
const RESERVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local used = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local holds = redis.call('HGETALL', KEYS[2])
for i = 1, #holds, 2 do
  local amount, expires = string.match(holds[i + 1], '^(%d+):(%d+)$')
  if amount == nil or tonumber(expires) <= now then
    redis.call('HDEL', KEYS[2], holds[i])
  else
    used = used + tonumber(amount)
  end
end
local limit = tonumber(ARGV[3])
if used >= limit then return {0, tostring(used), '0'} end
local amount = math.min(tonumber(ARGV[2]), limit - used)
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], string.format('%d', amount) .. ':' .. string.format('%d', now + ttl))
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return {1, tostring(used), string.format('%d', amount)}
`

/**
 * KEYS: from, to. Adds the counter at `from` to `to` and deletes `from`; a `to` it creates takes
 * `from`'s expiry. Returns the amount moved ('0' when `from` is absent).
 */
const MOVE = `
local amount = redis.call('GET', KEYS[1])
if not amount then return '0' end
local ttl = redis.call('PTTL', KEYS[1])
local existed = redis.call('EXISTS', KEYS[2])
redis.call('INCRBY', KEYS[2], amount)
if existed == 0 and ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
redis.call('DEL', KEYS[1])
return amount
`

/**
 * KEYS: the counter, the holds hash. ARGV: id, amount (≥ 0), ttl ms (0: none). Adds the amount to the
 * counter (PEXPIRE when this created it, as increment does) and drops the hold, in one step.
 */
const SETTLE = `
redis.call('HDEL', KEYS[2], ARGV[1])
local by = tonumber(ARGV[2])
if by > 0 then
  local value = redis.call('INCRBY', KEYS[1], by)
  local ttl = tonumber(ARGV[3])
  if ttl > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ttl) end
end
return 1
`

type SettleCommand = (counter: string, holds: string, id: string, by: string, ttl: string) => Promise<number>

type MoveCommand = (from: string, to: string) => Promise<string>

type ReserveCommand = (
  counter: string,
  holds: string,
  id: string,
  amount: string,
  limit: string,
  ttl: string,
) => Promise<[number, string, string]>

export function redisStore(client: Redis, options: { keyPrefix?: string } = {}): Store {
  const base = options.keyPrefix ?? 'crabllm:'
  // EVALSHA, with the script sent again after a NOSCRIPT (a restarted or flushed Redis).
  if (!('crabllmReserve' in client)) client.defineCommand('crabllmReserve', { numberOfKeys: 2, lua: RESERVE })
  const reserveCommand = (client as unknown as { crabllmReserve: ReserveCommand }).crabllmReserve.bind(client)
  if (!('crabllmSettle' in client)) client.defineCommand('crabllmSettle', { numberOfKeys: 2, lua: SETTLE })
  const settleCommand = (client as unknown as { crabllmSettle: SettleCommand }).crabllmSettle.bind(client)
  if (!('crabllmMove' in client)) client.defineCommand('crabllmMove', { numberOfKeys: 2, lua: MOVE })
  const moveCommand = (client as unknown as { crabllmMove: MoveCommand }).crabllmMove.bind(client)
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
    async move(from, to) {
      checkKey(from)
      checkKey(to)
      if (from === to) return 0
      return Number(await moveCommand(base + from, base + to))
    },
    async reserve(key, id, amount, limit, ttlMs) {
      checkKey(key)
      checkReservation(amount, limit, ttlMs)
      const [held, used, amountHeld] = await reserveCommand(
        base + key,
        `${base}holds:${key}`,
        id,
        String(amount),
        String(limit),
        String(Math.ceil(ttlMs)),
      )
      return { held: held === 1, used: Number(used), amount: Number(amountHeld) }
    },
    async settle(key, id, by = 0, counter = key, ttlMs) {
      checkSettle(key, by, counter, ttlMs)
      await settleCommand(base + counter, `${base}holds:${key}`, id, String(by), String(ttlMs ? Math.ceil(ttlMs) : 0))
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
    async trimLog(log, trim) {
      checkKey(log)
      checkTrim(trim)
      const name = `${base}log:${log}`
      let removed = 0
      if (trim.before !== undefined)
        removed += await client.zremrangebyscore(name, '-inf', `(${Math.round(trim.before)}`)
      if (trim.keep !== undefined) removed += await client.zremrangebyrank(name, 0, -(trim.keep + 1))
      return removed
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
