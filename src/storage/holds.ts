// Holds on a limit kept in the process (memory and SQLite stores): one process owns that data, so a
// crash frees its holds with it, and every check-and-hold is one synchronous step of the event loop.
// Redis keeps its holds in Redis instead (redis.ts), checked and taken by one script.
import { checkSettle, type Store } from './store'

interface Hold {
  amount: number
  /** ms since epoch. */
  expires: number
}

export interface Holds {
  /** The sum of the live holds on `key` (expired ones dropped). */
  total(key: string, now: number): number
  hold(key: string, id: string, amount: number, expires: number): void
  release(key: string, id: string): void
  /** Drops every expired hold. */
  sweep(now: number): void
}

export function createHolds(): Holds {
  const byKey = new Map<string, Map<string, Hold>>()
  return {
    total(key, now) {
      const holds = byKey.get(key)
      if (!holds) return 0
      let sum = 0
      for (const [id, h] of holds) {
        if (h.expires <= now) holds.delete(id)
        else sum += h.amount
      }
      if (holds.size === 0) byKey.delete(key)
      return sum
    },
    hold(key, id, amount, expires) {
      let holds = byKey.get(key)
      if (!holds) byKey.set(key, (holds = new Map()))
      holds.set(id, { amount, expires })
    },
    release(key, id) {
      const holds = byKey.get(key)
      if (!holds) return
      holds.delete(id)
      if (holds.size === 0) byKey.delete(key)
    },
    sweep(now) {
      for (const [key, holds] of byKey) {
        for (const [id, h] of holds) if (h.expires <= now) holds.delete(id)
        if (holds.size === 0) byKey.delete(key)
      }
    },
  }
}

/**
 * Store.settle for the stores whose holds live in the process (memory, SQLite): `increment` (the
 * store's own, which awaits nothing, so it runs to its end when called) and the release are one step of
 * the event loop, so no reservation runs between them.
 */
export function settleHeld(
  increment: Store['increment'],
  holds: Holds,
  key: string,
  id: string,
  by = 0,
  counter = key,
  ttlMs?: number,
): Promise<void> {
  try {
    checkSettle(key, by, counter, ttlMs)
  } catch (err) {
    return Promise.reject(err)
  }
  const charged = by > 0 ? increment(counter, by, ttlMs) : undefined
  holds.release(key, id)
  return charged ? charged.then(() => {}) : Promise.resolve()
}
