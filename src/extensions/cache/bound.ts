// The cache's size bound (`max_bytes`), through the Store alone, so that it holds on every backend and
// for every gateway sharing one Redis: 20,000 unique 64 KiB answers took a TTL-only cache to 1.41 GB of
// RSS (finding 14). Entries are evicted oldest first, in the order they were stored.
//
// A counter (`bytes`) is the running total of bytes ever stored, so each entry owns the byte range
// [end - cost, end) that its increment returned, and the cache holds only the newest `max_bytes` of
// that stream: an entry whose range starts before `total - max_bytes` is evicted. A log (`stored`)
// indexes the entries by where their range starts; eviction reads the records below the cut (an index
// scan), deletes their entries, and trims the log there. The increment is atomic on every backend, so
// instances sharing a store never claim the same bytes and together stay within one bound. (One race is
// left between instances: an entry whose increment and index record straddle another instance's
// eviction, which needs the shared window of max_bytes to turn over within one round trip, stays until
// its TTL. Within one gateway the trim never passes a store in flight.)
//
// Why oldest first and not least recently used: moving an entry on a hit would be a write on every hit,
// on a shared order (the sorted set on Redis), for the cheapest answer the gateway gives; and a hit does
// not extend an entry's TTL, so the order entries were stored in is the order they expire in anyway:
// the oldest is the one the TTL would take next.
import { MEMORY_LOG_CAP } from '../../storage/memory'
import type { Store } from '../../storage/store'

/** Bytes an entry costs beyond its value: its key, its index record, the backend's bookkeeping. */
export const ENTRY_OVERHEAD = 256
/** Entries one eviction step deletes (one index read, then the deletes, pipelined on Redis). */
export const EVICT_BATCH = 256
/** Storage names, inside the cache's namespace. */
export const BYTES = 'bytes'
export const STORED = 'stored'

export interface SizeBound {
  /** Stores `value` (of `bytes` bytes) under `key` and evicts what no longer fits; false when it cannot fit. */
  put(key: string, value: string, bytes: number, ttlMs: number): Promise<boolean>
  /** The cost `bytes` of value are counted at. */
  costOf(bytes: number): number
}

export function sizeBound(store: Store, maxBytes: number, defer: (work: Promise<unknown>) => void): SizeBound {
  // The memory store keeps at most MEMORY_LOG_CAP records a log: an entry costs at least a share of the
  // bound that keeps the index below half of that, so no index record is dropped under the bound.
  const minCost = store.kind === 'memory' ? Math.ceil(maxBytes / (MEMORY_LOG_CAP / 2)) : 0
  const costOf = (bytes: number) => Math.max(minCost, bytes + ENTRY_OVERHEAD)
  /** Entries whose range starts before this offset go. */
  let target = 0
  /** Whether the target moved (or a late entry below it landed) since the running eviction read. */
  let dirty = false
  let running: Promise<void> | undefined
  /** Where this gateway's stores in flight start: counted, but their index records not written yet. */
  const inflight = new Set<number>()
  const evict = async () => {
    while (dirty) {
      dirty = false
      const cut = target
      let until = cut - 1
      for (;;) {
        const page = await store.recent(STORED, { until, limit: EVICT_BATCH })
        if (page.length) await Promise.all(page.map((r) => store.delete(r.value)))
        if (page.length < EVICT_BATCH) break
        // Ranges are disjoint, so starts are distinct: the next page starts below this one.
        until = page[page.length - 1]!.time - 1
      }
      // Not past a store still in flight: its record, once written, is read by the next eviction.
      await store.trimLog(STORED, { before: Math.min(cut, ...inflight) })
    }
  }
  /** One eviction at a time per gateway: a put while it runs moves its target and has it read again. */
  const evictBelow = (cut: number) => {
    if (cut > target) target = cut
    dirty = true
    if (running) return
    running = evict().finally(() => {
      running = undefined
    })
    defer(running)
  }
  return {
    costOf,
    async put(key, value, bytes, ttlMs) {
      const cost = costOf(bytes)
      if (cost > maxBytes) return false
      const end = await store.increment(BYTES, cost)
      const start = end - cost
      inflight.add(start)
      try {
        await Promise.all([store.set(key, value, ttlMs), store.append(STORED, start, key)])
      } finally {
        inflight.delete(start)
      }
      // Past the bound, or already below the cut (an eviction ran while this store was in flight).
      if (end > maxBytes || start < target) evictBelow(end - maxBytes)
      return true
    },
  }
}
