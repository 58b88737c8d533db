// SQLite store through bun:sqlite: WAL, prepared statements, increments as one
// INSERT … ON CONFLICT … RETURNING statement (atomic: SQLite serialises writers). Expired rows are
// ignored by every read and deleted by a periodic sweep.
// Group commit: the writes of one event-loop turn share one transaction, committed on the next turn
// (setImmediate). bun:sqlite is synchronous, so a commit per counter update would cost the request
// path a WAL append each; batched, the requests in flight share them. This connection reads its own
// uncommitted writes, so every answer stays exact; other processes see them one turn later.
import type { Database } from 'bun:sqlite'
import { checkIncrement, checkKey, checkRange, checkTime, checkTtl, type Entry, type LogRecord, prefixed, type Store } from './store'

export function sqliteStore(db: Database, options: { now?: () => number; sweepMs?: number } = {}): Store {
  const now = options.now ?? Date.now
  db.run('CREATE TABLE IF NOT EXISTS crabllm_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER) WITHOUT ROWID')
  db.run('CREATE INDEX IF NOT EXISTS crabllm_kv_expires ON crabllm_kv (expires) WHERE expires IS NOT NULL')
  db.run('CREATE TABLE IF NOT EXISTS crabllm_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, time INTEGER NOT NULL, value TEXT NOT NULL)')
  db.run('CREATE INDEX IF NOT EXISTS crabllm_log_time ON crabllm_log (log, time, seq)')
  const append = db.query<unknown, [string, number, string]>('INSERT INTO crabllm_log (log, time, value) VALUES (?, ?, ?)')
  const recent = db.query<LogRecord, [string, number, number, number]>(
    'SELECT time, value FROM crabllm_log WHERE log = ? AND time >= ? AND time <= ? ORDER BY time DESC, seq DESC LIMIT ?',
  )
  // An expired row counts as absent: it is replaced.
  const add = db.query<{ key: string }, [string, string, number]>(
    'INSERT INTO crabllm_kv (key, value, expires) VALUES (?1, ?2, NULL) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = NULL WHERE crabllm_kv.expires IS NOT NULL AND crabllm_kv.expires <= ?3 RETURNING key',
  )
  const get = db.query<{ value: string }, [string, number]>('SELECT value FROM crabllm_kv WHERE key = ? AND (expires IS NULL OR expires > ?)')
  const set = db.query<unknown, [string, string, number | null]>(
    'INSERT INTO crabllm_kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
  )
  const del = db.query<{ key: string }, [string, number]>('DELETE FROM crabllm_kv WHERE key = ? RETURNING key, (expires IS NULL OR expires > ?) AS live')
  // An expired counter restarts from `by` with a fresh TTL; a live one keeps its expiry.
  const incr = db.query<{ value: string }, [string, string, number | null, number, string, number | null]>(
    `INSERT INTO crabllm_kv (key, value, expires) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET
       value = CASE WHEN crabllm_kv.expires IS NOT NULL AND crabllm_kv.expires <= ?4 THEN ?5 ELSE CAST(CAST(crabllm_kv.value AS INTEGER) + CAST(?5 AS INTEGER) AS TEXT) END,
       expires = CASE WHEN crabllm_kv.expires IS NOT NULL AND crabllm_kv.expires <= ?4 THEN ?6 ELSE crabllm_kv.expires END
     RETURNING value`,
  )
  const list = db.query<Entry, [string, string, number, number]>(
    'SELECT key, value FROM crabllm_kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?) ORDER BY key LIMIT ?',
  )
  const counterCheck = db.query<{ value: string }, [string]>('SELECT value FROM crabllm_kv WHERE key = ?')
  const sweepQuery = db.query<unknown, [number]>('DELETE FROM crabllm_kv WHERE expires IS NOT NULL AND expires <= ?')
  let open = false
  const commit = () => {
    if (!open) return
    open = false
    db.run('COMMIT')
  }
  /** Called before every write: opens this turn's transaction. */
  const write = () => {
    if (open) return
    db.run('BEGIN IMMEDIATE')
    open = true
    setImmediate(commit)
  }
  const sweep = setInterval(() => {
    write()
    sweepQuery.run(now())
  }, options.sweepMs ?? 60_000)
  sweep.unref?.()
  const store: Store = {
    kind: 'sqlite',
    async get(key) {
      checkKey(key)
      return get.get(key, now())?.value
    },
    async set(key, value, ttlMs) {
      checkKey(key)
      checkTtl(ttlMs)
      write()
      set.run(key, value, ttlMs ? now() + ttlMs : null)
    },
    async add(key, value) {
      checkKey(key)
      write()
      return add.get(key, value, now()) !== null
    },
    async delete(key) {
      checkKey(key)
      write()
      const row = del.get(key, now()) as { live: number } | null
      return row !== null && row.live === 1
    },
    async increment(key, by = 1, ttlMs) {
      checkKey(key)
      checkIncrement(by)
      checkTtl(ttlMs)
      const existing = counterCheck.get(key)?.value
      if (existing !== undefined && !/^-?\d+$/.test(existing)) throw new TypeError(`storage key '${key}' does not hold a counter`)
      const t = now()
      const expires = ttlMs ? t + ttlMs : null
      write()
      const row = incr.get(key, String(by), expires, t, String(by), expires)
      return Number(row!.value)
    },
    async list(prefix, limit) {
      return list.all(prefix, upperBound(prefix), now(), limit)
    },
    async append(log, time, value) {
      checkKey(log)
      checkTime(time)
      write()
      append.run(log, Math.round(time), value)
    },
    async recent(log, range) {
      checkKey(log)
      checkRange(range)
      return recent.all(log, range.since ?? Number.MIN_SAFE_INTEGER, range.until ?? Number.MAX_SAFE_INTEGER, range.limit)
    },
    namespace: (name) => prefixed(store, `${name}:`),
    async close() {
      clearInterval(sweep)
      commit()
    },
  }
  return store
}

/** The smallest string greater than every string starting with `prefix` (for a range scan). */
function upperBound(prefix: string): string {
  return prefix + '\u{10FFFF}'
}
