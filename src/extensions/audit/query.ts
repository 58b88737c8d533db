// GET /v1/admin/logs: the query (key, model, status, since, until, limit) and the read, newest first,
// from the store's time index. Without filters that is one index scan of `limit` records. With a key,
// model or status filter, records that do not match are read and dropped, so the read pages back
// through the index and stops after SCAN_FACTOR × limit records: the answer then says
// `truncated: true` and gives `next_until` to continue from.
//
// Pages end on a millisecond boundary: when the records of one millisecond straddle the end of a page,
// they are all left for the next one (`next_until` is that millisecond, inclusive), so that paging with
// `until = next_until` neither repeats nor skips a record. (Only when a single millisecond holds more
// than a page are the records of that millisecond past the page skipped.)
//
// A record may stand for many refused requests (`count`, refusals.ts): filters, `limit` and the scan
// bound count records; the page's `requests` adds up the counts of its records.
import { badRequest } from '../../core/errors'
import type { LogRecord, Store } from '../../storage/store'
import { type AuditRecord, countOf, isFailure } from './record'

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000
/** A filtered read scans at most this many records per record asked for. */
export const SCAN_FACTOR = 10
/** Records read per index scan when filtering (at least). */
const MIN_BATCH = 100

export interface LogQuery {
  /** A key's name, or its id. */
  key?: string
  model?: string
  /** An exact status ("429"), a class ("4xx"), "error" (any failure, isFailure) or "ok" (the rest). */
  status?: string
  /** Oldest and newest times included, ms since the epoch. */
  since?: number
  until?: number
  limit: number
}

export interface LogPage {
  object: 'list'
  data: AuditRecord[]
  /** Whether older records (matching or not) may remain in the range. */
  has_more: boolean
  /** Pass as `until` to read the next page (present when has_more). */
  next_until?: number
  /** True when the scan bound stopped the read before `limit` matching records were found. */
  truncated: boolean
  /** The requests the page's records stand for (the sum of their `count`). */
  requests: number
}

/** Reads and checks the query string; a bad value is a 400 that names the parameter. */
export function parseLogQuery(params: URLSearchParams): LogQuery {
  const query: LogQuery = { limit: DEFAULT_LIMIT }
  // Names are matched exactly as given, spaces included (a config key's name may have any characters).
  const key = single(params, 'key', false)
  if (key !== undefined) query.key = key
  const model = single(params, 'model', false)
  if (model !== undefined) query.model = model
  const status = single(params, 'status')
  if (status !== undefined) {
    if (!STATUS_FILTER.test(status))
      throw badRequest(
        `status must be a status code (429), a class (2xx, 4xx, 5xx), "error" or "ok", got "${status}".`,
        'status',
      )
    query.status = status.toLowerCase()
  }
  const since = single(params, 'since')
  if (since !== undefined) query.since = timeOf(since, 'since')
  const until = single(params, 'until')
  if (until !== undefined) query.until = timeOf(until, 'until')
  const limit = single(params, 'limit')
  if (limit !== undefined) {
    const n = /^\d{1,7}$/.test(limit) ? Number(limit) : Number.NaN
    if (!(n >= 1 && n <= MAX_LIMIT))
      throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}, got "${limit}".`, 'limit')
    query.limit = n
  }
  if (query.since !== undefined && query.until !== undefined && query.since > query.until)
    throw badRequest(`since (${since}) is later than until (${until}).`, 'since')
  return query
}

/** The records matching `query`, newest first, with the cursor to the next page. */
export async function readLogs(store: Store, log: string, query: LogQuery): Promise<LogPage> {
  const { key, model, since, limit } = query
  const status = statusMatcher(query.status)
  const filtered = key !== undefined || model !== undefined || status !== undefined
  const budget = limit * SCAN_FACTOR
  const matches = (r: AuditRecord) =>
    (key === undefined || r.key === key || r.key_id === key) &&
    (model === undefined || r.model === model || r.requested_model === model) &&
    (status === undefined || status(r))
  const out: AuditRecord[] = []
  let scanned = 0
  let cursor = query.until
  let want = filtered ? Math.max(limit, MIN_BATCH) : limit

  const requests = () => out.reduce((n, r) => n + countOf(r), 0)
  const page = (nextUntil: number, truncated = false): LogPage =>
    since !== undefined && nextUntil < since
      ? { object: 'list', data: out, has_more: false, truncated, requests: requests() }
      : { object: 'list', data: out, has_more: true, next_until: nextUntil, truncated, requests: requests() }
  const end = (): LogPage => ({ object: 'list', data: out, has_more: false, truncated: false, requests: requests() })

  for (;;) {
    const room = budget - scanned
    const n = Math.min(want, room)
    // One record more than we mean to use: it tells whether the last millisecond read is complete.
    const batch = await store.recent(log, { since, until: cursor, limit: n + 1 })
    const full = batch.length > n
    // Records at `edge` may continue past this batch; every newer millisecond is complete.
    const edge = full ? batch[n]!.time : Number.NEGATIVE_INFINITY
    let i = 0
    while (i < batch.length && batch[i]!.time > edge) {
      const t = batch[i]!.time
      let j = i
      while (j < batch.length && batch[j]!.time === t) j++
      scanned += j - i
      const found = parse(batch, i, j).filter(matches)
      if (out.length + found.length > limit) {
        if (out.length > 0) return page(t)
        out.push(...found.slice(0, limit))
        return page(t - 1)
      }
      out.push(...found)
      i = j
      if (out.length === limit) return i < batch.length ? page(t - 1) : end()
    }
    if (!full) return end()
    if (i === 0) {
      // One millisecond fills the whole batch: read it whole if the bound allows, else take what was
      // read of it and step past it.
      if (n < room) {
        want = room
        continue
      }
      scanned += n
      out.push(
        ...parse(batch, 0, n)
          .filter(matches)
          .slice(0, limit - out.length),
      )
      return page(edge - 1, out.length < limit)
    }
    cursor = edge
    if (scanned >= budget) return page(cursor, true)
    if (!filtered) want = Math.max(limit - out.length, 1)
  }
}

// --- internal ---

const STATUS_FILTER = /^([1-5]\d\d|[1-5]xx|error|ok)$/i

function statusMatcher(filter: string | undefined): ((r: AuditRecord) => boolean) | undefined {
  if (filter === undefined) return undefined
  if (filter === 'error') return isFailure
  if (filter === 'ok') return (r) => !isFailure(r)
  if (filter.endsWith('xx')) {
    const low = Number(filter[0]) * 100
    return (r) => r.status !== null && r.status >= low && r.status < low + 100
  }
  const code = Number(filter)
  return (r) => r.status === code
}

function single(params: URLSearchParams, name: string, trim = true): string | undefined {
  const values = params.getAll(name)
  if (values.length === 0) return undefined
  if (values.length > 1) throw badRequest(`${name} was given ${values.length} times; give it once.`, name)
  const value = trim ? values[0]!.trim() : values[0]!
  if (value === '') throw badRequest(`${name} must not be empty.`, name)
  return value
}

/** ms since the epoch ("1717171717000") or an ISO 8601 date or date-time ("2024-06-01T12:00:00Z"). */
function timeOf(value: string, name: string): number {
  if (/^\d{1,16}$/.test(value)) return Number(value)
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN
  if (!Number.isFinite(ms))
    throw badRequest(
      `${name} must be an ISO 8601 timestamp (2024-06-01T12:00:00Z) or ms since the epoch, got "${value}".`,
      name,
    )
  return ms
}

function parse(batch: LogRecord[], from: number, to: number): AuditRecord[] {
  const out: AuditRecord[] = []
  for (let i = from; i < to; i++) {
    try {
      const record = JSON.parse(batch[i]!.value) as AuditRecord
      // Records written before counts existed stand for one request.
      record.count = countOf(record)
      out.push(record)
    } catch {
      // A record that is not JSON is skipped (it was counted as scanned).
    }
  }
  return out
}
