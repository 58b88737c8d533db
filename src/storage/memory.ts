// In-process store: one Map with expiry times. Expired entries are dropped when read and by a sweep
// every `sweepMs`, so keys written once and never read again do not grow memory without bound.
import { checkIncrement, checkKey, checkTtl, type Entry, prefixed, type Store } from './store'

interface Slot {
  value: string
  /** ms since epoch; Infinity = never. */
  expires: number
}

/** `size` counts stored entries, expired ones not yet swept included (for tests and metrics). */
export function memoryStore(options: { now?: () => number; sweepMs?: number } = {}): Store & { readonly size: number } {
  const now = options.now ?? Date.now
  const map = new Map<string, Slot>()
  const live = (key: string): Slot | undefined => {
    const slot = map.get(key)
    if (slot && slot.expires <= now()) {
      map.delete(key)
      return undefined
    }
    return slot
  }
  const sweep = setInterval(() => {
    const t = now()
    for (const [key, slot] of map) if (slot.expires <= t) map.delete(key)
  }, options.sweepMs ?? 30_000)
  sweep.unref?.()
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
    namespace: (name) => prefixed(store, `${name}:`),
    async close() {
      clearInterval(sweep)
      map.clear()
    },
  }
  return store
}
