// In-process store: one Map with expiry times. Expired entries are dropped when read and by a sweep
// every `sweepMs`, so keys written once and never read again do not grow memory without bound.
import { createHolds, settleHeld } from './holds'
import {
  checkIncrement,
  checkKey,
  checkRange,
  checkReservation,
  checkTime,
  checkTrim,
  checkTtl,
  type Entry,
  type Every,
  every,
  type LogRecord,
  prefixed,
  type Store,
} from './store'

/** Records kept per log in memory; the oldest go first beyond it (memory is for development). */
export const MEMORY_LOG_CAP = 100_000

interface Slot {
  value: string
  /** ms since epoch; Infinity = never. */
  expires: number
}

export interface MemoryStoreOptions {
  /** The clock expiry is measured on (ms since epoch); tests pass their own and move it. */
  now?: () => number
  sweepMs?: number
  /** The timer the sweep runs on (tests pass their own and run the sweep themselves). */
  every?: Every
}

/** `size` counts stored entries, expired ones not yet swept included (for tests and metrics). */
export function memoryStore(options: MemoryStoreOptions = {}): Store & { readonly size: number } {
  const now = options.now ?? Date.now
  const map = new Map<string, Slot>()
  const logs = new Map<string, LogRecord[]>()
  const live = (key: string): Slot | undefined => {
    const slot = map.get(key)
    if (slot && slot.expires <= now()) {
      map.delete(key)
      return undefined
    }
    return slot
  }
  const holds = createHolds()
  /** The integer counter at `key` (0 when absent or expired). */
  const counter = (key: string): number => {
    const slot = live(key)
    if (!slot) return 0
    const n = Number.parseInt(slot.value, 10)
    if (!Number.isSafeInteger(n)) throw new TypeError(`storage key '${key}' does not hold a counter`)
    return n
  }
  const stopSweep = (options.every ?? every)(() => {
    const t = now()
    for (const [key, slot] of map) if (slot.expires <= t) map.delete(key)
    holds.sweep(t)
  }, options.sweepMs ?? 30_000)
  const store: Store & { readonly size: number } = {
    kind: 'memory',
    get size() {
      return map.size
    },
    async get(key) {
      checkKey(key)
      return live(key)?.value
    },
    async set(key, value, ttlMs) {
      checkKey(key)
      checkTtl(ttlMs)
      map.set(key, { value, expires: ttlMs ? now() + ttlMs : Infinity })
    },
    async add(key, value) {
      checkKey(key)
      if (live(key)) return false
      map.set(key, { value, expires: Infinity })
      return true
    },
    async delete(key) {
      checkKey(key)
      const had = live(key) !== undefined
      map.delete(key)
      return had
    },
    async increment(key, by = 1, ttlMs) {
      checkKey(key)
      checkIncrement(by)
      checkTtl(ttlMs)
      const slot = live(key)
      if (!slot) {
        map.set(key, { value: String(by), expires: ttlMs ? now() + ttlMs : Infinity })
        return by
      }
      const current = Number.parseInt(slot.value, 10)
      if (!Number.isSafeInteger(current)) throw new TypeError(`storage key '${key}' does not hold a counter`)
      slot.value = String(current + by)
      return current + by
    },
    async move(from, to) {
      checkKey(from)
      checkKey(to)
      const source = live(from)
      if (!source || from === to) return 0
      const amount = counter(from)
      const target = live(to)
      if (target) {
        const sum = counter(to) + amount
        if (!Number.isSafeInteger(sum)) throw new RangeError(`storage counter '${to}' would overflow`)
        target.value = String(sum)
      } else map.set(to, { value: String(amount), expires: source.expires })
      map.delete(from)
      return amount
    },
    async reserve(key, id, amount, limit, ttlMs) {
      checkKey(key)
      checkReservation(amount, limit, ttlMs)
      const t = now()
      const used = counter(key) + holds.total(key, t)
      if (used >= limit) return { held: false, used, amount: 0 }
      const held = Math.min(amount, limit - used)
      holds.hold(key, id, held, t + ttlMs)
      return { held: true, used, amount: held }
    },
    settle: (key, id, by, counter, ttlMs) => settleHeld(store.increment, holds, key, id, by, counter, ttlMs),
    async list(prefix, limit) {
      const out: Entry[] = []
      const keys = [...map.keys()].filter((k) => k.startsWith(prefix)).sort()
      for (const key of keys) {
        if (out.length >= limit) break
        const slot = live(key)
        if (slot) out.push({ key, value: slot.value })
      }
      return out
    },
    async append(log, time, value) {
      checkKey(log)
      checkTime(time)
      let records = logs.get(log)
      if (!records) logs.set(log, (records = []))
      // Appends come in time order almost always: insert from the end.
      let i = records.length
      while (i > 0 && records[i - 1]!.time > time) i--
      records.splice(i, 0, { time, value })
      if (records.length > MEMORY_LOG_CAP) records.splice(0, records.length - MEMORY_LOG_CAP)
    },
    async recent(log, range) {
      checkKey(log)
      checkRange(range)
      const records = logs.get(log) ?? []
      const since = range.since ?? -Infinity
      const until = range.until ?? Infinity
      const out: LogRecord[] = []
      // Binary search for the newest record at or before `until`, then walk back.
      let lo = 0
      let hi = records.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (records[mid]!.time <= until) lo = mid + 1
        else hi = mid
      }
      for (let i = lo - 1; i >= 0 && out.length < range.limit; i--) {
        const r = records[i]!
        if (r.time < since) break
        out.push({ time: r.time, value: r.value })
      }
      return out
    },
    async trimLog(log, trim) {
      checkKey(log)
      checkTrim(trim)
      const records = logs.get(log)
      if (!records) return 0
      // Records are in time order: the old ones are a prefix.
      let cut = 0
      if (trim.before !== undefined) while (cut < records.length && records[cut]!.time < trim.before) cut++
      if (trim.keep !== undefined) cut = Math.max(cut, records.length - trim.keep)
      records.splice(0, cut)
      return cut
    },
    namespace: (name) => prefixed(store, `${name}:`),
    async close() {
      stopSweep()
      map.clear()
      logs.clear()
    },
  }
  return store
}
