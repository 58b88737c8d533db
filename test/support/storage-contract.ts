// One contract for every storage backend: the same tests run against memory, SQLite and a real Redis.
// Expiry is driven, not slept on: memory and SQLite take a clock that the contract moves (clocked());
// Redis expires keys on the server's clock, which no client moves (redisExpiry()).
import { describe, expect, test } from 'bun:test'
import type Redis from 'ioredis'
import type { Every, Reservation, Store } from '../../src/storage/store'

export interface ContractBackend {
  /** A fresh, empty store (isolated from other tests). */
  open(): Promise<Store>
  /** Lets `keys` of `store`, each written with a TTL of `ttlMs` (and none since), expire. */
  expire(store: Store, keys: readonly string[], ttlMs: number): Promise<void>
}

/**
 * For the stores that take a clock (`now`: memory, SQLite): each store gets its own, frozen until
 * expire() moves it forward by exactly the TTL, the first moment the keys count as expired.
 */
export function clocked(open: (now: () => number) => Store | Promise<Store>): ContractBackend {
  const clocks = new WeakMap<Store, { t: number }>()
  return {
    async open() {
      const clock = { t: 1_700_000_000_000 }
      const store = await open(() => clock.t)
      clocks.set(store, clock)
      return store
    },
    async expire(store, _keys, ttlMs) {
      const clock = clocks.get(store)
      if (!clock) throw new Error('expire() on a store this backend did not open')
      clock.t += ttlMs
    },
  }
}

/**
 * expire() for Redis. Redis expires keys on its own clock (SET PX, PEXPIRE), which no client can move,
 * so this checks what the store asked of Redis and then awaits the expiry itself: each key must carry
 * a server-side expiry of at most `ttlMs` (PTTL > 0: written with PX / PEXPIRE, not left to live
 * forever), and then EXISTS is asked until Redis reports the key gone. Each turn of that loop awaits
 * one round trip to the server (no fixed sleep); EXISTS on a key past its TTL expires it there and
 * then, so the loop ends at the TTL. The bound guards against a hung test; it is not a timing assumption.
 */
export function redisExpiry(
  client: Redis,
  prefixOf: (store: Store) => string,
  boundMs = 5000,
): ContractBackend['expire'] {
  return async (store, keys, ttlMs) => {
    const names = keys.map((key) => prefixOf(store) + key)
    for (const name of names) {
      const pttl = await client.pttl(name)
      expect(pttl).toBeGreaterThan(0)
      expect(pttl).toBeLessThanOrEqual(ttlMs)
    }
    const deadline = performance.now() + boundMs
    for (const name of names)
      while ((await client.exists(name)) !== 0)
        if (performance.now() > deadline) throw new Error(`redis kept ${name} past its TTL of ${ttlMs} ms`)
  }
}

/**
 * A hand-run timer for the stores' expiry sweeps (the `every` option): it records the interval and
 * the tick it was given, and the test runs one sweep with tick() instead of waiting for the interval.
 */
export function manualTimer(): { every: Every; readonly ms: number | undefined; stopped: boolean; tick(): void } {
  let tick: (() => void) | undefined
  const timer = {
    ms: undefined as number | undefined,
    stopped: false,
    every: ((fn, ms) => {
      tick = fn
      timer.ms = ms
      return () => {
        timer.stopped = true
      }
    }) as Every,
    tick() {
      if (!tick) throw new Error('no sweep was scheduled on this timer')
      tick()
    },
  }
  return timer
}

export function storageContract(name: string, backend: ContractBackend): void {
  describe(`${name} store contract`, () => {
    test('get / set / delete', async () => {
      const s = await backend.open()
      expect(await s.get('a')).toBeUndefined()
      await s.set('a', 'one')
      expect(await s.get('a')).toBe('one')
      await s.set('a', 'two ✓ {"json":true}')
      expect(await s.get('a')).toBe('two ✓ {"json":true}')
      expect(await s.delete('a')).toBe(true)
      expect(await s.delete('a')).toBe(false)
      expect(await s.get('a')).toBeUndefined()
    })

    test('a TTL expires the value', async () => {
      const s = await backend.open()
      await s.set('short', 'x', 30)
      await s.set('long', 'y', 60_000)
      expect(await s.get('short')).toBe('x')
      await backend.expire(s, ['short'], 30)
      expect(await s.get('short')).toBeUndefined()
      expect(await s.get('long')).toBe('y')
      expect(await s.list('', 10)).toEqual([{ key: 'long', value: 'y' }])
    })

    test('increment creates, adds and returns the new value', async () => {
      const s = await backend.open()
      expect(await s.increment('n')).toBe(1)
      expect(await s.increment('n', 41)).toBe(42)
      expect(await s.increment('n', -2)).toBe(40)
      expect(await s.get('n')).toBe('40')
    })

    test('increments are exact under concurrency', async () => {
      const s = await backend.open()
      const all = await Promise.all(Array.from({ length: 200 }, (_, i) => s.increment('hits', (i % 3) + 1)))
      const expected = Array.from({ length: 200 }, (_, i) => (i % 3) + 1).reduce((a, b) => a + b, 0)
      expect(await s.increment('hits', 0)).toBe(expected)
      // Every intermediate value was returned to exactly one caller.
      expect(new Set(all).size).toBe(200)
      expect(Math.max(...all)).toBe(expected)
    })

    test('an increment TTL is a fixed window: set on creation, then the counter restarts', async () => {
      const s = await backend.open()
      expect(await s.increment('w', 1, 50)).toBe(1)
      expect(await s.increment('w', 1, 50)).toBe(2)
      await backend.expire(s, ['w'], 50)
      expect(await s.get('w')).toBeUndefined()
      expect(await s.increment('w', 5, 50)).toBe(5)
    })

    test('incrementing a non-counter value is an error, not corruption', async () => {
      const s = await backend.open()
      await s.set('text', 'hello')
      expect(s.increment('text')).rejects.toThrow()
      expect(await s.get('text')).toBe('hello')
    })

    test('list by prefix: in key order, bounded, nothing outside the prefix', async () => {
      const s = await backend.open()
      for (const k of ['u:3', 'u:1', 'u:2', 'v:1', 'u']) await s.set(k, `val-${k}`)
      expect(await s.list('u:', 10)).toEqual([
        { key: 'u:1', value: 'val-u:1' },
        { key: 'u:2', value: 'val-u:2' },
        { key: 'u:3', value: 'val-u:3' },
      ])
      expect((await s.list('u:', 2)).map((e) => e.key)).toEqual(['u:1', 'u:2'])
      expect(await s.list('zzz', 10)).toEqual([])
    })

    test('prefixes with glob or LIKE characters are literal', async () => {
      const s = await backend.open()
      await s.set('a*b:1', 'star')
      await s.set('axb:1', 'x')
      await s.set('a%b:1', 'percent')
      await s.set('a_b:1', 'underscore')
      expect(await s.list('a*b:', 10)).toEqual([{ key: 'a*b:1', value: 'star' }])
      expect(await s.list('a%', 10)).toEqual([{ key: 'a%b:1', value: 'percent' }])
      expect(await s.list('a_', 10)).toEqual([{ key: 'a_b:1', value: 'underscore' }])
    })

    test('namespaces isolate extensions and nest', async () => {
      const s = await backend.open()
      const cache = s.namespace('cache')
      const usage = s.namespace('usage')
      await cache.set('k', 'from cache')
      await usage.set('k', 'from usage')
      await usage.namespace('day').increment('k', 3)
      expect(await cache.get('k')).toBe('from cache')
      expect(await usage.get('k')).toBe('from usage')
      expect(await s.get('cache:k')).toBe('from cache')
      expect(await usage.list('', 10)).toEqual([
        { key: 'day:k', value: '3' },
        { key: 'k', value: 'from usage' },
      ])
    })

    test('a log returns records newest first within [since, until], bounded', async () => {
      const s = await backend.open()
      for (const t of [1000, 3000, 2000, 4000, 3000]) await s.append('audit', t, `at ${t}`)
      await s.append('other', 3500, 'elsewhere')
      const all = await s.recent('audit', { limit: 10 })
      expect(all.map((r) => r.time)).toEqual([4000, 3000, 3000, 2000, 1000])
      expect(all[0]).toEqual({ time: 4000, value: 'at 4000' })
      expect((await s.recent('audit', { since: 2000, until: 3000, limit: 10 })).map((r) => r.time)).toEqual([
        3000, 3000, 2000,
      ])
      expect((await s.recent('audit', { limit: 2 })).map((r) => r.time)).toEqual([4000, 3000])
      expect(await s.recent('audit', { since: 5000, limit: 10 })).toEqual([])
      expect(await s.recent('nothing', { limit: 10 })).toEqual([])
      expect(await s.recent('audit', { limit: 0 })).toEqual([])
    })

    test('identical log records are all kept; logs are namespaced', async () => {
      const s = await backend.open()
      const ns = s.namespace('audit')
      await ns.append('log', 5, 'same')
      await ns.append('log', 5, 'same')
      expect(await ns.recent('log', { limit: 10 })).toEqual([
        { time: 5, value: 'same' },
        { time: 5, value: 'same' },
      ])
      expect(await s.recent('log', { limit: 10 })).toEqual([])
      expect(await s.recent('audit:log', { limit: 10 })).toHaveLength(2)
      // Logs do not show up as key-value entries.
      expect(await s.list('', 10)).toEqual([])
    })

    test('add sets only when absent, atomically', async () => {
      const s = await backend.open()
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => s.add('only-once', `v${i}`)))
      expect(wins.filter(Boolean)).toHaveLength(1)
      const winner = wins.indexOf(true)
      expect(await s.get('only-once')).toBe(`v${winner}`)
      await s.set('temp', 'old', 30)
      await backend.expire(s, ['temp'], 30) // an expired value counts as absent
      expect(await s.add('temp', 'new')).toBe(true)
      expect(await s.get('temp')).toBe('new')
      expect(await s.namespace('ns').add('k', '1')).toBe(true)
      expect(await s.namespace('ns').add('k', '2')).toBe(false)
      expect(await s.get('ns:k')).toBe('1')
    })

    test('reserve holds a share of a limit atomically: concurrent reservations never pass it', async () => {
      const s = await backend.open()
      await s.increment('spent', 30)
      // 200 concurrent reservations of 7 against a limit of 100 with 30 spent: exactly 10 fit.
      const all = await Promise.all(Array.from({ length: 200 }, (_, i) => s.reserve('spent', `r${i}`, 7, 100, 60_000)))
      expect(all.filter((r) => r.held)).toHaveLength(10)
      expect(Math.max(...all.map((r) => r.used))).toBeLessThanOrEqual(100)
      expect(await s.reserve('spent', 'more', 1, 100, 60_000)).toEqual({ held: false, used: 100, amount: 0 })
      // Settling: the real amount is counted and the hold given back.
      await s.settle('spent', 'r0', 5)
      expect(await s.get('spent')).toBe('35')
      expect(await s.reserve('spent', 'next', 2, 100, 60_000)).toEqual({ held: true, used: 98, amount: 2 })
      await s.settle('spent', 'never-held')
      // Below the limit, a reservation larger than what is left holds what is left.
      expect(await s.reserve('spent', 'last', 50, 101, 60_000)).toEqual({ held: true, used: 100, amount: 1 })
      // Holds are per key, namespaced like everything else.
      expect(await s.namespace('x').reserve('spent', 'a', 100, 100, 60_000)).toEqual({
        held: true,
        used: 0,
        amount: 100,
      })
    })

    test('settle charges and gives back the hold in one step: a reservation racing it never sees both', async () => {
      const s = await backend.open()
      // Ten holds of 10 fill a limit of 100.
      for (let i = 0; i < 10; i++) expect((await s.reserve('budget', `old${i}`, 10, 100, 60_000)).held).toBe(true)
      // Each settles for 6 (gives back 4), and a reservation of 4 sent right after it fits in what it gave
      // back. Were the charge and the release two steps, a reservation between them would see 106.
      const racing = await Promise.all(
        Array.from({ length: 10 }, (_, i) => [
          s.settle('budget', `old${i}`, 6),
          s.reserve('budget', `new${i}`, 4, 100, 60_000),
        ]).flat(),
      )
      const reservations = racing.filter((r) => r !== undefined) as Reservation[]
      expect(reservations.map((r) => r.held)).toEqual(Array(10).fill(true))
      expect(await s.get('budget')).toBe('60')
      // A hold that is not there: the charge is made all the same; 0 only gives back a hold.
      await s.settle('budget', 'never-held', 1)
      await s.settle('budget', 'new0')
      expect(await s.reserve('budget', 'probe', 0, 100, 60_000)).toEqual({ held: true, used: 97, amount: 0 })
      await s.settle('budget', 'probe')
      expect(await s.get('budget')).toBe('61')
      // A charge may go to another counter (a token window that turned while the request ran), with
      // that counter's TTL when it creates it; the hold goes from its own key.
      expect((await s.reserve('tok:w1', 'h', 50, 100, 60_000)).held).toBe(true)
      await s.settle('tok:w1', 'h', 30, 'tok:w2', 40)
      expect(await s.reserve('tok:w1', 'probe', 0, 100, 60_000)).toEqual({ held: true, used: 0, amount: 0 })
      expect(await s.get('tok:w2')).toBe('30')
      await backend.expire(s, ['tok:w2'], 40)
      expect(await s.get('tok:w2')).toBeUndefined()
      // Namespaced like everything else.
      const ns = s.namespace('x')
      expect((await ns.reserve('spent', 'a', 10, 10, 60_000)).held).toBe(true)
      await ns.settle('spent', 'a', 3)
      expect(await s.get('x:spent')).toBe('3')
      expect(await ns.reserve('spent', 'b', 10, 10, 60_000)).toEqual({ held: true, used: 3, amount: 7 })
      // Bad amounts are refused before anything changes.
      await expect(s.settle('budget', 'new1', -1)).rejects.toThrow(/non-negative/)
      await expect(s.settle('budget', 'new1', 1.5)).rejects.toThrow(/non-negative/)
      await expect(s.settle('', 'new1', 1)).rejects.toThrow(/non-empty/)
      expect(await s.get('budget')).toBe('61')
    })

    test('a hold that is never released expires with its TTL (a crashed holder frees it)', async () => {
      const s = await backend.open()
      expect((await s.reserve('tok', 'a', 60, 100, 40)).held).toBe(true)
      expect(await s.reserve('tok', 'b', 60, 100, 40)).toEqual({ held: true, used: 60, amount: 40 })
      expect((await s.reserve('tok', 'c', 1, 100, 60_000)).held).toBe(false)
      await backend.expire(s, ['holds:tok'], 40)
      expect(await s.reserve('tok', 'c', 60, 100, 60_000)).toEqual({ held: true, used: 0, amount: 60 })
    })

    test('trimLog drops records older than a time and beyond the newest N', async () => {
      const s = await backend.open()
      for (const t of [1000, 2000, 3000, 4000, 5000, 5000]) await s.append('audit', t, `at ${t}`)
      await s.append('other', 1000, 'kept')
      expect(await s.trimLog('audit', { before: 2500 })).toBe(2)
      expect((await s.recent('audit', { limit: 10 })).map((r) => r.time)).toEqual([5000, 5000, 4000, 3000])
      expect(await s.trimLog('audit', { keep: 3 })).toBe(1)
      expect((await s.recent('audit', { limit: 10 })).map((r) => r.time)).toEqual([5000, 5000, 4000])
      expect(await s.trimLog('audit', { keep: 10, before: 0 })).toBe(0)
      expect(await s.trimLog('nothing', { keep: 1 })).toBe(0)
      expect(await s.recent('other', { limit: 10 })).toHaveLength(1)
      expect(await s.trimLog('audit', { keep: 0 })).toBe(3)
      expect(await s.recent('audit', { limit: 10 })).toEqual([])
    })

    test('bad arguments are rejected', async () => {
      const s = await backend.open()
      expect(s.set('', 'x')).rejects.toThrow(/non-empty/)
      expect(s.set('k', 'x', -5)).rejects.toThrow(/TTL/)
      expect(s.increment('k', 1.5)).rejects.toThrow(/integer/)
    })
  })
}
