// SQLite store through bun:sqlite: WAL, prepared statements. Expired rows are ignored by every read and
// deleted by a periodic sweep.
//
// SQLite storage belongs to one process (README, "Many instances"), so the counters it holds are kept
// in memory too: an increment or a counter read is arithmetic on that mirror, exact under any
// concurrency because the event loop serialises it, and costs the request path no SQL. The first touch
// of a counter loads it from the file. Keys under `admin:` are never mirrored: other processes on the
// same file poll the admin change counter, so it is read from and written to the file every time.
//
// Write-behind, one event-loop turn deep: every write (counter values, log records, sets) joins the
// turn's transaction, committed on the next turn (setImmediate), after the answers of this turn have
// been handed to the sockets. Counters changed several times in a turn are written once. A crashed
// process loses at most the writes of the turn it died in; a graceful close commits them.
import type { Database } from 'bun:sqlite'
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

export interface SqliteStoreOptions {
  /** The clock expiry is measured on (ms since epoch); tests pass their own and move it. */
  now?: () => number
  sweepMs?: number
  /** The timer the sweep runs on (tests pass their own and run the sweep themselves). */
  every?: Every
  /** Which counters live in memory as well as in the file (default: all but `admin:` keys). */
  mirrored?: (key: string) => boolean
  /** Mirrored counters kept before the clean ones are dropped (they are reloaded on their next use). */
  maxMirrored?: number
  /** Offer durable() so that answers can wait for their records' commit (default true). */
  waitForCommit?: boolean
}

interface Counter {
  value: number
  /** ms since epoch, or null for no expiry. */
  expires: number | null
}

const INTEGER = /^-?\d+$/

export function sqliteStore(db: Database, options: SqliteStoreOptions = {}): Store {
  const now = options.now ?? Date.now
  const mirrored = options.mirrored ?? ((key: string) => !key.startsWith('admin:'))
  const maxMirrored = options.maxMirrored ?? 100_000
  db.run(
    'CREATE TABLE IF NOT EXISTS crabllm_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER) WITHOUT ROWID',
  )
  db.run('CREATE INDEX IF NOT EXISTS crabllm_kv_expires ON crabllm_kv (expires) WHERE expires IS NOT NULL')
  db.run(
    'CREATE TABLE IF NOT EXISTS crabllm_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, time INTEGER NOT NULL, value TEXT NOT NULL)',
  )
  db.run('CREATE INDEX IF NOT EXISTS crabllm_log_time ON crabllm_log (log, time, seq)')
  const appendQuery = db.query<unknown, [string, number, string]>(
    'INSERT INTO crabllm_log (log, time, value) VALUES (?, ?, ?)',
  )
  const recentQuery = db.query<LogRecord, [string, number, number, number]>(
    'SELECT time, value FROM crabllm_log WHERE log = ? AND time >= ? AND time <= ? ORDER BY time DESC, seq DESC LIMIT ?',
  )
  // An expired row counts as absent: it is replaced.
  const addQuery = db.query<{ key: string }, [string, string, number]>(
    'INSERT INTO crabllm_kv (key, value, expires) VALUES (?1, ?2, NULL) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = NULL WHERE crabllm_kv.expires IS NOT NULL AND crabllm_kv.expires <= ?3 RETURNING key',
  )
  const getQuery = db.query<{ value: string }, [string, number]>(
    'SELECT value FROM crabllm_kv WHERE key = ? AND (expires IS NULL OR expires > ?)',
  )
  const rowQuery = db.query<{ value: string; expires: number | null }, [string]>(
    'SELECT value, expires FROM crabllm_kv WHERE key = ?',
  )
  const setQuery = db.query<unknown, [string, string, number | null]>(
    'INSERT INTO crabllm_kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
  )
  const deleteQuery = db.query<{ key: string }, [string, number]>(
    'DELETE FROM crabllm_kv WHERE key = ? RETURNING key, (expires IS NULL OR expires > ?) AS live',
  )
  // Unmirrored counters (admin:): an expired counter restarts from `by` with a fresh TTL; a live one keeps its expiry.
  const incrementQuery = db.query<{ value: string }, [string, string, number | null, number, string, number | null]>(
    `INSERT INTO crabllm_kv (key, value, expires) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET
       value = CASE WHEN crabllm_kv.expires IS NOT NULL AND crabllm_kv.expires <= ?4 THEN ?5 ELSE CAST(CAST(crabllm_kv.value AS INTEGER) + CAST(?5 AS INTEGER) AS TEXT) END,
       expires = CASE WHEN crabllm_kv.expires IS NOT NULL AND crabllm_kv.expires <= ?4 THEN ?6 ELSE crabllm_kv.expires END
     RETURNING value`,
  )
  const listQuery = db.query<Entry, [string, string, number, number]>(
    'SELECT key, value FROM crabllm_kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?) ORDER BY key LIMIT ?',
  )
  const sweepQuery = db.query<unknown, [number]>('DELETE FROM crabllm_kv WHERE expires IS NOT NULL AND expires <= ?')
  // trimLog works in steps of one event-loop turn each, so that a backlog never holds the loop: one
  // DELETE of 300,000 records took ~0.6 s; TRIM_BATCH records take ~1-2 ms, and reading TRIM_SCAN index
  // entries to find the keep-th newest record ~2 ms (measured on a 1M-record log).
  /** The `offset`-th record (0 = the first) older than (time, seq), newest first, by the index's order. */
  const trimScanQuery = db.query<{ time: number; seq: number }, [string, number, number, number]>(
    'SELECT time, seq FROM crabllm_log WHERE log = ?1 AND (time, seq) < (?2, ?3) ORDER BY time DESC, seq DESC LIMIT 1 OFFSET ?4',
  )
  /** Deletes the oldest `limit` records older than (time, seq). */
  const trimBatchQuery = db.query<unknown, [string, number, number, number]>(
    'DELETE FROM crabllm_log WHERE seq IN (SELECT seq FROM crabllm_log WHERE log = ?1 AND (time, seq) < (?2, ?3) ORDER BY time, seq LIMIT ?4)',
  )
  /** Set by close(): a trim in progress stops at its next step. */
  let closed = false
  // Holds live in this process only: a crash frees them with it (SQLite storage has one process).
  const holds = createHolds()

  /** The mirror: counters this process has touched, authoritative for it. */
  const counters = new Map<string, Counter>()
  /** Mirrored counters changed since the last write-out. */
  const dirty = new Set<string>()
  /** Log records not yet inserted. */
  let appends: [string, number, string][] = []
  let open = false
  let scheduled = false
  /** Settles when the scheduled commit ran (the writes made before it are in the file). */
  let turn: PromiseWithResolvers<void> | undefined

  /** Opens this turn's transaction when none is open. */
  const begin = () => {
    if (open) return
    db.run('BEGIN IMMEDIATE')
    open = true
  }
  /** Moves the pending counter values and log records into the open transaction. */
  const writeOut = () => {
    if (dirty.size === 0 && appends.length === 0) return
    begin()
    for (const key of dirty) {
      const c = counters.get(key)
      if (c) setQuery.run(key, String(c.value), c.expires)
    }
    dirty.clear()
    if (appends.length) {
      const batch = appends
      appends = []
      for (const [log, time, value] of batch) appendQuery.run(log, time, value)
    }
  }
  const commit = () => {
    scheduled = false
    const done = turn
    turn = undefined
    try {
      writeOut()
      if (!open) return
      open = false
      db.run('COMMIT')
    } finally {
      done?.resolve()
    }
  }
  /** Every write calls this: the turn's writes are committed together on the next turn. */
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(commit)
  }
  /** A direct write: joins the open transaction (opening it), committed with the turn. */
  const write = () => {
    begin()
    schedule()
  }
  /** Before a key is written or deleted directly: its pending value goes first, and its mirror goes. */
  const settle = (key: string) => {
    if (dirty.delete(key)) {
      const c = counters.get(key)!
      begin()
      setQuery.run(key, String(c.value), c.expires)
    }
    counters.delete(key)
  }
  /** The mirrored counter at `key`, loaded from the file on first use; undefined when absent or expired. */
  const mirror = (key: string, t: number): Counter | undefined => {
    let c = counters.get(key)
    if (c === undefined) {
      const row = rowQuery.get(key)
      if (row === null) return undefined
      if (!INTEGER.test(row.value)) throw new TypeError(`storage key '${key}' does not hold a counter`)
      c = { value: Number(row.value), expires: row.expires }
      if (counters.size >= maxMirrored) trim()
      counters.set(key, c)
    }
    return c.expires !== null && c.expires <= t ? undefined : c
  }
  /** The counter at `key`, mirrored or read from the file; undefined when absent or expired. */
  const counterAt = (key: string, t: number): Counter | undefined => {
    if (mirrored(key)) return mirror(key, t)
    const row = rowQuery.get(key)
    if (row === null || (row.expires !== null && row.expires <= t)) return undefined
    if (!INTEGER.test(row.value)) throw new TypeError(`storage key '${key}' does not hold a counter`)
    return { value: Number(row.value), expires: row.expires }
  }
  /** Drops the counters that have nothing pending (they reload from the file when used again). */
  const trim = () => {
    for (const key of counters.keys()) if (!dirty.has(key)) counters.delete(key)
  }
  const stopSweep = (options.every ?? every)(() => {
    const t = now()
    for (const [key, c] of counters) if (c.expires !== null && c.expires <= t && !dirty.has(key)) counters.delete(key)
    holds.sweep(t)
    try {
      write()
      sweepQuery.run(t)
    } catch {
      // The database was closed under the store (or is busy past busy_timeout): the next sweep retries.
    }
  }, options.sweepMs ?? 60_000)

  /** The keep-th newest record of `log` (the oldest to keep), read TRIM_SCAN index entries a turn; undefined when fewer. */
  const keepFrom = async (log: string, keep: number): Promise<[number, number] | undefined> => {
    let from: [number, number] = MAX_CUT
    for (let left = keep; left > 0; ) {
      if (closed) return undefined
      const step = Math.min(left, TRIM_SCAN)
      const row = trimScanQuery.get(log, from[0], from[1], step - 1)
      if (row === null) return undefined
      from = [row.time, row.seq]
      left -= step
      if (left > 0) await nextTurn()
    }
    return from
  }

  const store: Store = {
    kind: 'sqlite',
    async get(key) {
      checkKey(key)
      const t = now()
      if (mirrored(key)) {
        const c = counters.get(key)
        if (c !== undefined) return c.expires !== null && c.expires <= t ? undefined : String(c.value)
      }
      return getQuery.get(key, t)?.value
    },
    async set(key, value, ttlMs) {
      checkKey(key)
      checkTtl(ttlMs)
      settle(key)
      write()
      setQuery.run(key, value, ttlMs ? now() + ttlMs : null)
    },
    async add(key, value) {
      checkKey(key)
      settle(key)
      write()
      return addQuery.get(key, value, now()) !== null
    },
    async delete(key) {
      checkKey(key)
      settle(key)
      write()
      const row = deleteQuery.get(key, now()) as { live: number } | null
      return row !== null && row.live === 1
    },
    async increment(key, by = 1, ttlMs) {
      checkKey(key)
      checkIncrement(by)
      checkTtl(ttlMs)
      const t = now()
      if (!mirrored(key)) {
        const existing = rowQuery.get(key)?.value
        if (existing !== undefined && !INTEGER.test(existing))
          throw new TypeError(`storage key '${key}' does not hold a counter`)
        const expires = ttlMs ? t + ttlMs : null
        write()
        return Number(incrementQuery.get(key, String(by), expires, t, String(by), expires)!.value)
      }
      const c = mirror(key, t)
      let value: number
      if (c === undefined) {
        value = by
        counters.set(key, { value, expires: ttlMs ? t + ttlMs : null })
      } else {
        value = c.value + by
        if (!Number.isSafeInteger(value)) throw new RangeError(`storage counter '${key}' would overflow`)
        c.value = value
      }
      dirty.add(key)
      schedule()
      return value
    },
    async move(from, to) {
      checkKey(from)
      checkKey(to)
      if (from === to) return 0
      // Read, add and delete in one synchronous step, in one transaction: nothing runs in between.
      const t = now()
      const source = counterAt(from, t)
      if (source === undefined) return 0
      const target = counterAt(to, t)
      const value = (target?.value ?? 0) + source.value
      if (!Number.isSafeInteger(value)) throw new RangeError(`storage counter '${to}' would overflow`)
      const expires = target ? target.expires : source.expires
      if (mirrored(to)) {
        // A mirrored target is the mirror's own object: updated in place, or added.
        if (target) target.value = value
        else counters.set(to, { value, expires })
        dirty.add(to)
        schedule()
      } else {
        write()
        setQuery.run(to, String(value), expires)
      }
      settle(from)
      write()
      deleteQuery.get(from, t)
      return source.value
    },
    async reserve(key, id, amount, limit, ttlMs) {
      checkKey(key)
      checkReservation(amount, limit, ttlMs)
      const t = now()
      // The mirror makes the read and the hold one synchronous step (unmirrored keys read the file).
      const value = mirrored(key) ? (mirror(key, t)?.value ?? 0) : Number(getQuery.get(key, t)?.value ?? 0)
      const used = (Number.isSafeInteger(value) ? value : 0) + holds.total(key, t)
      if (used >= limit) return { held: false, used, amount: 0 }
      const held = Math.min(amount, limit - used)
      holds.hold(key, id, held, t + ttlMs)
      return { held: true, used, amount: held }
    },
    settle: (key, id, by, counter, ttlMs) => settleHeld(store.increment, holds, key, id, by, counter, ttlMs),
    async list(prefix, limit) {
      writeOut()
      return listQuery.all(prefix, upperBound(prefix), now(), limit)
    },
    async append(log, time, value) {
      checkKey(log)
      checkTime(time)
      appends.push([log, Math.round(time), value])
      schedule()
    },
    async recent(log, range) {
      checkKey(log)
      checkRange(range)
      writeOut()
      return recentQuery.all(
        log,
        range.since ?? Number.MIN_SAFE_INTEGER,
        range.until ?? Number.MAX_SAFE_INTEGER,
        range.limit,
      )
    },
    async trimLog(log, trim) {
      checkKey(log)
      checkTrim(trim)
      writeOut()
      // Records before `cut`, in the index's (time, seq) order, go. seq starts at 1, so (before, 0)
      // cuts exactly the records with time < before (times are stored rounded: ceil keeps that exact).
      let cut: [number, number] | undefined = trim.before === undefined ? undefined : [Math.ceil(trim.before), 0]
      if (trim.keep !== undefined) {
        const from = trim.keep === 0 ? MAX_CUT : await keepFrom(log, trim.keep)
        if (from && (!cut || from[0] > cut[0] || (from[0] === cut[0] && from[1] > cut[1]))) cut = from
      }
      let removed = 0
      while (cut && !closed) {
        write()
        const n = trimBatchQuery.run(log, cut[0], cut[1], TRIM_BATCH).changes
        removed += n
        if (n < TRIM_BATCH) break
        await nextTurn()
      }
      return removed
    },
    ...(options.waitForCommit === false
      ? {}
      : {
          durable() {
            if (!scheduled) return undefined
            turn ??= Promise.withResolvers<void>()
            return turn.promise
          },
        }),
    namespace: (name) => prefixed(store, `${name}:`),
    async close() {
      closed = true
      stopSweep()
      commit()
    },
  }
  return store
}

/** The smallest string greater than every string starting with `prefix` (for a range scan). */
function upperBound(prefix: string): string {
  return `${prefix}\u{10FFFF}`
}

/** Records one trimLog step deletes, and index entries one step reads to find the keep-th newest. */
const TRIM_BATCH = 1000
const TRIM_SCAN = 50_000
/** A cut after every record. */
const MAX_CUT: [number, number] = [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
