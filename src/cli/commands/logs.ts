// `crabllm logs`: the audit log from GET /v1/admin/logs ([extensions.audit], admin token), oldest first
// so that the newest line is the last, with the route's own filters (key, model, status, since, limit).
// `--json` prints one record per line (NDJSON). `--follow` then polls every --interval seconds and
// prints only records not printed before, until Ctrl-C (exit 0).
//
// Following: a record is indexed by the time its request ARRIVED but written when it ENDED, so a slow
// request's record lands behind records printed already. Each poll therefore re-reads the last
// FOLLOW_LOOKBACK_MS (before the newest record seen, in the gateway's clock) and prints what it has not
// printed (by request id). A request that ran longer than that window, or a window holding more than
// FOLLOW_MAX_PAGES pages of records, can be missed; refusals (429s…) are written per minute and count
// groups, so they show up within a poll or two.
import type { Static } from '@sinclair/typebox'
import { UsageError } from '../../config/errors'
import { formatUsd, usdToMicros } from '../../extensions/pricing'
import type { AuditRecordSchema, LogPageSchema } from '../../wire/extensions'
import { type AdminClient, AdminError } from '../admin-client'
import type { AdminCommand, Output } from '../admin-command'
import { type FlagSpec, type Flags, numberFlag, stringFlag } from '../args'
import { callExtension, LOGS_ROUTE } from '../extension-route'
import { isLive, type LiveOutput } from '../live-command'
import { clean, NONE, width } from '../table'

export type AuditRecord = Static<typeof AuditRecordSchema>
export type LogPage = Static<typeof LogPageSchema>

/** What the route is asked: its filters; `since` in ms since the epoch. */
export interface LogQuery {
  key?: string
  model?: string
  status?: string
  since?: number
  limit?: number
}

/** The route's largest page. */
export const MAX_LIMIT = 1000
/** How far before the newest record a follow poll looks for records written late. */
export const FOLLOW_LOOKBACK_MS = 5 * 60_000
/** Pages of MAX_LIMIT records one follow poll reads at most. */
export const FOLLOW_MAX_PAGES = 10
export const DEFAULT_INTERVAL_S = 2

const FLAGS: FlagSpec[] = [
  { name: 'key', value: true, placeholder: 'KEY', description: "only this key's records" },
  {
    name: 'model',
    value: true,
    placeholder: 'MODEL',
    description: 'only this model (the served name or the name the client sent)',
  },
  {
    name: 'status',
    value: true,
    placeholder: 'N|4xx',
    description: 'only this status (429), class (4xx, 5xx), "error" (any failure) or "ok"',
  },
  {
    name: 'since',
    value: true,
    placeholder: 'WHEN',
    description: 'only from then on: RFC 3339 (2025-06-01T12:00:00Z) or ago (90s, 30m, 1h, 7d, 2w)',
  },
  {
    name: 'limit',
    value: true,
    placeholder: 'N',
    description: `the newest N records (1 to ${MAX_LIMIT}; default 100)`,
  },
  {
    name: 'follow',
    short: 'f',
    value: false,
    description: 'then keep printing new records as they arrive, until Ctrl-C',
  },
  {
    name: 'interval',
    value: true,
    placeholder: 'SECONDS',
    description: `with --follow: seconds between polls (default ${DEFAULT_INTERVAL_S})`,
  },
]

export const logsCommand: AdminCommand = {
  summary: 'the audit log, newest last; --follow for new records, --json for NDJSON (needs [extensions.audit])',
  flags: FLAGS,
  async run(client, flags, output, command) {
    const query = readLogQuery(flags, command)
    const interval = numberFlag(flags, 'interval', command, { min: 0.1 })
    if (interval !== undefined && !flags.follow) throw new UsageError('--interval needs --follow', command)
    const print = printer(flags, output)
    if (flags.follow) {
      if (!isLive(output)) throw new Error('logs --follow needs a LiveOutput (runLiveCommand)')
      return followLogs(client, query, output, print, (interval ?? DEFAULT_INTERVAL_S) * 1000)
    }
    const page = await readPage(client, query)
    if (!page.data.length && !flags.json) output.out('no records')
    print(page.data.toReversed())
    if (!flags.json) {
      if (page.truncated)
        output.err('the gateway stopped scanning before --limit records matched: older matching records may remain')
      else if (page.has_more) output.err(`older records remain: raise --limit (up to ${MAX_LIMIT}) or narrow --since`)
    }
  },
}

/** The route's query from the flags; a bad value is a UsageError (exit 2) before anything is sent. */
export function readLogQuery(flags: Flags, command?: string, now = Date.now()): LogQuery {
  const query: LogQuery = {}
  const key = stringFlag(flags, 'key')
  if (key !== undefined) query.key = key
  const model = stringFlag(flags, 'model')
  if (model !== undefined) query.model = model
  const status = stringFlag(flags, 'status')
  if (status !== undefined) {
    if (!/^([1-5]\d\d|[1-5]xx|error|ok)$/i.test(status.trim()))
      throw new UsageError(
        `--status: expected a status code (429), a class (2xx, 4xx, 5xx), "error" or "ok", got "${status}"`,
        command,
      )
    query.status = status.trim().toLowerCase()
  }
  const since = stringFlag(flags, 'since')
  if (since !== undefined) query.since = parseSince(since, now, command)
  const limit = numberFlag(flags, 'limit', command, { integer: true, min: 1 })
  if (limit !== undefined) {
    if (limit > MAX_LIMIT) throw new UsageError(`--limit: at most ${MAX_LIMIT}, got ${limit}`, command)
    query.limit = limit
  }
  return query
}

/**
 * `--since`: an RFC 3339 time (a date alone is its UTC midnight; a time without an offset is local),
 * or a duration ago (`90s`, `30m`, `1h`, `7d`, `2w`), as ms since the epoch.
 */
export function parseSince(value: string, now = Date.now(), command?: string): number {
  const text = value.trim()
  const ago = /^(\d+)\s*([smhdw])$/i.exec(text)
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2]!.toLowerCase()]!
  const at = RFC_3339.test(text) ? Date.parse(text.toUpperCase().replace(' ', 'T')) : Number.NaN
  if (!Number.isFinite(at))
    throw new UsageError(
      `--since: "${value}" is neither an RFC 3339 time (2025-06-01T12:00:00Z) nor a duration ago (30m, 1h, 7d)`,
      command,
    )
  return at
}

/** One record's table cells: TIME, KEY, MODEL, PROVIDER, STATUS, TOKENS, COST, LATENCY, ERROR. */
export function logCells(r: AuditRecord): string[] {
  const status = [
    r.status === null ? NONE : String(r.status),
    r.cached ? 'cached' : '',
    r.outcome && r.outcome !== 'done' ? r.outcome : '',
    r.count !== undefined && r.count > 1 ? `×${r.count}` : '',
  ]
  return [
    r.timestamp,
    r.key,
    r.model,
    r.provider ?? NONE,
    status.filter(Boolean).join(' '),
    r.total_tokens === null ? NONE : `${r.usage_estimated ? '~' : ''}${r.total_tokens}`,
    r.cost_usd === null ? NONE : formatUsd(usdToMicros(r.cost_usd)),
    `${Math.round(r.latency_ms)} ms`,
    r.error ?? NONE,
  ]
}

export const LOG_HEADERS = ['TIME', 'KEY', 'MODEL', 'PROVIDER', 'STATUS', 'TOKENS', 'COST', 'LATENCY', 'ERROR']

/**
 * A table printed in parts (the header with the first part): a column is as wide as its widest cell
 * so far, so the rows of later parts line up with the earlier ones unless a cell is wider.
 */
export class GrowingTable {
  private readonly widths: number[]
  private started = false

  constructor(private readonly headers: readonly string[]) {
    this.widths = headers.map(width)
  }

  render(rows: readonly (readonly string[])[]): string {
    const lines = (this.started ? rows : [this.headers, ...rows]).map((row) =>
      this.headers.map((_, i) => clean(row[i] ?? NONE)),
    )
    this.started = true
    for (const row of lines) row.forEach((cell, i) => void (this.widths[i] = Math.max(this.widths[i]!, width(cell))))
    return lines
      .map((row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(this.widths[i]! - width(cell))))
          .join('  ')
          .trimEnd(),
      )
      .join('\n')
  }
}

// --- internal ---

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const RFC_3339 = /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/

/** Prints records (oldest first): NDJSON lines, or table rows (the header with the first). */
function printer(flags: Flags, output: Output): (records: readonly AuditRecord[]) => void {
  if (flags.json)
    return (records) => {
      for (const r of records) output.out(JSON.stringify(r))
    }
  const table = new GrowingTable(LOG_HEADERS)
  let first = true
  return (records) => {
    // Following, the header goes out at once, with rows or without.
    if (records.length || (first && flags.follow)) output.out(table.render(records.map(logCells)))
    first = false
  }
}

function readPage(client: AdminClient, query: LogQuery, until?: number): Promise<LogPage> {
  const params = new URLSearchParams()
  if (query.key !== undefined) params.set('key', query.key)
  if (query.model !== undefined) params.set('model', query.model)
  if (query.status !== undefined) params.set('status', query.status)
  if (query.since !== undefined) params.set('since', String(Math.floor(query.since)))
  if (until !== undefined) params.set('until', String(until))
  if (query.limit !== undefined) params.set('limit', String(query.limit))
  return callExtension<LogPage>(client, LOGS_ROUTE, params).then((answer) => answer.value)
}

interface Scan {
  /** Newest first. */
  records: AuditRecord[]
  /** False when FOLLOW_MAX_PAGES stopped the read: records at or before `until` were not read. */
  complete: boolean
  until?: number
}

/** The records from `since` on (before `until`, inclusive, when given), page after page. */
async function scan(client: AdminClient, query: LogQuery, since: number, until?: number): Promise<Scan> {
  const records: AuditRecord[] = []
  let cursor = until
  for (let pages = 0; pages < FOLLOW_MAX_PAGES; pages++) {
    const page = await readPage(client, { ...query, since, limit: MAX_LIMIT }, cursor)
    records.push(...page.data)
    if (!page.has_more || page.next_until === undefined) return { records, complete: true }
    cursor = page.next_until
  }
  return { records, complete: false, until: cursor }
}

async function followLogs(
  client: AdminClient,
  query: LogQuery,
  output: LiveOutput,
  print: (records: readonly AuditRecord[]) => void,
  intervalMs: number,
): Promise<void> {
  const signal = output.interruptible()
  /** The records read (printed, or older than the first page) by id, with their time, while in the window. */
  const seen = new Map<string, number>()
  let newest: number | undefined
  /** Records before this were not read when following began (the first scan was cut): never printed. */
  let floor = Number.NEGATIVE_INFINITY
  // Before any record is seen, the window starts from this machine's clock.
  const startedAt = Date.now()
  const windowStart = () =>
    Math.max(query.since ?? Number.NEGATIVE_INFINITY, (newest ?? startedAt) - FOLLOW_LOOKBACK_MS, floor)
  const remember = (records: readonly AuditRecord[]) => {
    for (const r of records) {
      seen.set(idOf(r), r.time)
      if (newest === undefined || r.time > newest) newest = r.time
    }
  }

  const first = await unlessAborted(readPage(client, query), signal)
  if (first === undefined) return
  remember(first.data)
  print(first.data.toReversed())
  await output.flush()
  // What the first page left out of the window is old, not new: remember it without printing it.
  if (first.has_more && first.next_until !== undefined) {
    const rest = await scan(client, query, windowStart(), first.next_until)
    remember(rest.records)
    if (!rest.complete && rest.until !== undefined) floor = rest.until + 1
  }

  let lost = false
  while (!(await pause(intervalMs, signal))) {
    let found: Scan | undefined
    try {
      found = await unlessAborted(scan(client, query, windowStart()), signal)
    } catch (err) {
      // The gateway restarting is waited out; any answer that is an error ends the command (exit 1).
      if (!(err instanceof AdminError) || err.status !== 0) throw err
      if (!lost) output.err(`${err.message.split(';')[0]}; trying again every ${intervalMs / 1000} s`)
      lost = true
      continue
    }
    if (found === undefined) break
    if (lost) output.err('reconnected')
    lost = false
    const fresh = found.records.filter((r) => !seen.has(idOf(r))).reverse()
    remember(fresh)
    const start = windowStart()
    for (const [id, time] of seen) if (time < start) seen.delete(id)
    print(fresh)
    await output.flush()
  }
}

function idOf(r: AuditRecord): string {
  return `${r.time} ${r.request_id}`
}

/** Waits `ms`; true when the signal was aborted (before or during the wait). */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve(signal.aborted)
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}

/** The promise's value, or undefined as soon as the signal is aborted (the promise is then ignored). */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.resolve(undefined)
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {})
      resolve(undefined)
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (err) => {
        signal.removeEventListener('abort', onAbort)
        reject(err)
      },
    )
  })
}
