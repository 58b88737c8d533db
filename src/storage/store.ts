// The one key-value interface every extension uses, whatever the backend (memory, SQLite, Redis).
// Values are strings (callers serialise); counters are integers kept apart from values so that an
// increment is one atomic step on every backend.

export interface Entry {
  key: string
  value: string
}

/** One record of a time-ordered log. */
export interface LogRecord {
  /** ms since epoch. */
  time: number
  value: string
}

export interface LogRange {
  /** Oldest time included (ms since epoch). */
  since?: number
  /** Newest time included. */
  until?: number
  limit: number
}

export interface LogTrim {
  /** Records older than this (ms since epoch) go. */
  before?: number
  /** At most this many of the newest records stay. */
  keep?: number
}

export interface Reservation {
  /** false: the limit was already reached; nothing is held. */
  held: boolean
  /** What was in use before this reservation: the counter plus the live holds. */
  used: number
  /** What is held: `amount`, or what was left of the limit when that was less (0 when refused). */
  amount: number
}

export interface Store {
  readonly kind: 'memory' | 'sqlite' | 'redis'
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>
  /** Sets a value; with `ttlMs` it expires after that many milliseconds. */
  set(key: string, value: string, ttlMs?: number): Promise<void>
  /** Sets a value only when the key holds none (atomically); true when it was set. */
  add(key: string, value: string): Promise<boolean>
  /** Deletes a value or counter; true when something was there. */
  delete(key: string): Promise<boolean>
  /**
   * Adds `by` to the integer counter at `key` (absent = 0) and returns the new value, atomically under
   * concurrency. `ttlMs` applies when the increment creates the counter (a fixed window).
   */
  increment(key: string, by?: number, ttlMs?: number): Promise<number>
  /**
   * Adds the counter at `from` to the counter at `to` and deletes `from`, as one atomic step on every
   * backend (one script on Redis), so that two gateways moving the same counter cannot both add it;
   * resolves with the amount moved (0 when `from` is absent or expired). A `to` it creates takes
   * `from`'s expiry; an existing `to` keeps its own. Migrations rename counters with it.
   */
  move(from: string, to: string): Promise<number>
  /**
   * Holds up to `amount` of a limit for request `id`, as one atomic step on every backend: when the
   * counter at `key` plus the live holds on it are below `limit`, it holds `amount`, or what is left of
   * the limit when that is less; at or over the limit it holds nothing and refuses. A hold lasts until
   * settled or until `ttlMs` passes (so a holder that crashed frees it). Budgets and token limits
   * reserve with it, then settle. `id` must be unique to the holder: a second hold under the same id
   * replaces the first (callers make one with holdId(), never from a client's input).
   */
  reserve(key: string, id: string, amount: number, limit: number, ttlMs: number): Promise<Reservation>
  /**
   * Settles the hold `id` on `key` as one atomic step on every backend (one script on Redis): adds `by`
   * (the real amount, ≥ 0) to the counter at `counter` (default `key`; `ttlMs` applies when this creates
   * it, as with increment) and gives back the hold. No reader ever sees both the charge and the hold, or
   * neither. `by` 0 only gives back the hold; an absent or expired hold: the charge is made all the same.
   */
  settle(key: string, id: string, by?: number, counter?: string, ttlMs?: number): Promise<void>
  /** Live entries whose key starts with `prefix`, in key order, at most `limit` of them. */
  list(prefix: string, limit: number): Promise<Entry[]>
  /** Appends a record to the time-ordered log `log` (kept apart from the key-value entries). */
  append(log: string, time: number, value: string): Promise<void>
  /** Records of `log` with time in [since, until], newest first, at most `limit`: an index scan. */
  recent(log: string, range: LogRange): Promise<LogRecord[]>
  /**
   * Drops the records of `log` older than `before` (ms since epoch) and those beyond the newest `keep`;
   * resolves with how many went. Retention runs it in the background.
   */
  trimLog(log: string, options: LogTrim): Promise<number>
  /**
   * Cross-instance notifications: present on Redis (pub/sub), absent on backends that one process owns.
   * `subscribe` resolves once subscribed, with a function that unsubscribes.
   */
  publish?(channel: string, message: string): Promise<void>
  subscribe?(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>>
  /**
   * Resolves once every write made so far is committed (SQLite: the turn's transaction); undefined when
   * nothing is pending or the backend writes through (memory, Redis: the command is on the wire).
   */
  durable?(): Promise<void> | undefined
  /** A view whose keys and logs are prefixed with `namespace:` (one per extension). */
  namespace(name: string): Store
  close(): Promise<void>
}

/** This process's part of every hold id: random, so that gateways sharing a store never collide. */
const HOLDER = crypto.randomUUID()
let holdSeq = 0

/** An id for one hold (Store.reserve), unique across processes and gateways that share a store. */
export function holdId(): string {
  return `${HOLDER}:${++holdSeq}`
}

/**
 * A periodic timer: runs `tick` every `ms` until the returned function is called. The stores' expiry
 * sweeps run on one; tests pass their own and call the tick themselves instead of waiting for it.
 */
export type Every = (tick: () => void, ms: number) => () => void

/** The real timer: setInterval, unref'd so that a sweep alone does not keep the process alive. */
export const every: Every = (tick, ms) => {
  const timer = setInterval(tick, ms)
  timer.unref?.()
  return () => clearInterval(timer)
}

/** Keys, prefixes and TTLs are checked the same way on every backend. */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('storage key must be a non-empty string')
}

export function checkTtl(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs <= 0))
    throw new RangeError(`storage TTL must be a positive number of ms, got ${ttlMs}`)
}

export function checkRange(range: LogRange): void {
  if (!Number.isSafeInteger(range.limit) || range.limit < 0)
    throw new RangeError(`log limit must be a non-negative integer, got ${range.limit}`)
}

export function checkTime(time: number): void {
  if (!Number.isFinite(time)) throw new RangeError(`log time must be a finite number of ms, got ${time}`)
}

export function checkReservation(amount: number, limit: number, ttlMs: number): void {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`reservation amount must be a non-negative safe integer, got ${amount}`)
  if (!Number.isSafeInteger(limit)) throw new RangeError(`reservation limit must be a safe integer, got ${limit}`)
  checkTtl(ttlMs)
}

/** The checks of settle's arguments. */
export function checkSettle(key: string, by: number, counter: string | undefined, ttlMs: number | undefined): void {
  checkKey(key)
  if (counter !== undefined) checkKey(counter)
  if (!Number.isSafeInteger(by) || by < 0)
    throw new RangeError(`settled amount must be a non-negative safe integer, got ${by}`)
  checkTtl(ttlMs)
}

export function checkTrim(options: LogTrim): void {
  if (options.before !== undefined) checkTime(options.before)
  if (options.keep !== undefined && (!Number.isSafeInteger(options.keep) || options.keep < 0))
    throw new RangeError(`log keep must be a non-negative integer, got ${options.keep}`)
}

export function checkIncrement(by: number): void {
  if (!Number.isSafeInteger(by)) throw new RangeError(`storage increment must be a safe integer, got ${by}`)
}

/** Wraps a store so that every key carries `prefix`; list() strips it again. */
export function prefixed(inner: Store, prefix: string): Store {
  const view: Store = {
    kind: inner.kind,
    get: (key) => inner.get(prefix + key),
    set: (key, value, ttlMs) => inner.set(prefix + key, value, ttlMs),
    delete: (key) => inner.delete(prefix + key),
    add: (key, value) => inner.add(prefix + key, value),
    increment: (key, by, ttlMs) => inner.increment(prefix + key, by, ttlMs),
    move: (from, to) => inner.move(prefix + from, prefix + to),
    list: async (p, limit) =>
      (await inner.list(prefix + p, limit)).map((e) => ({ key: e.key.slice(prefix.length), value: e.value })),
    append: (log, time, value) => inner.append(prefix + log, time, value),
    ...(inner.publish
      ? { publish: (channel: string, message: string) => inner.publish!(prefix + channel, message) }
      : {}),
    ...(inner.subscribe
      ? {
          subscribe: (channel: string, onMessage: (message: string) => void) =>
            inner.subscribe!(prefix + channel, onMessage),
        }
      : {}),
    recent: (log, range) => inner.recent(prefix + log, range),
    trimLog: (log, options) => inner.trimLog(prefix + log, options),
    reserve: (key, id, amount, limit, ttlMs) => inner.reserve(prefix + key, id, amount, limit, ttlMs),
    settle: (key, id, by, counter, ttlMs) => inner.settle(prefix + key, id, by, prefix + (counter ?? key), ttlMs),
    ...(inner.durable ? { durable: () => inner.durable!() } : {}),
    namespace: (name) => prefixed(inner, `${prefix}${name}:`),
    close: () => inner.close(),
  }
  return view
}
