// audit: one record per request that reached the pipeline (answers, streams with how they ended, and
// failures), appended to the store's time-ordered log off the response path; refusals (requests the
// gateway refused before any upstream) are counted in memory and written as one record per minute, key,
// model and error (refusals.ts). GET /v1/admin/logs reads the log back newest first (query.ts).
//
// Each record is one store.append through deps.defer: the pipeline's flush (graceful shutdown) waits
// for every deferred write before storage closes, and flush() writes the refusal groups still open.
// A cache hit reaches onResponse with ctx.cached set and no provider: it is recorded as such.
//
// Retention: a timer (unref'd, never on the response path) writes the refusal groups of past minutes
// and, every PRUNE_MS, trims the log to `retention_days` and `max_records` with store.trimLog, one trim
// at a time (SQLite trims in batches across event-loop turns). flush() stops the timer; the next hook
// starts it again (tests flush between requests; a gateway flushes once, at shutdown).
import type { ExtensionsConfig } from '../../config/schema'
import type { GatewayError } from '../../core/errors'
import { type Every, type LogTrim, every as realEvery } from '../../storage/store'
import type { Extension, ExtensionFactory, RelayOutcome, RequestContext } from '../types'
import { parseLogQuery, readLogs } from './query'
import { type AuditRecord, auditRecord, type Ending } from './record'
import { isRefusal, MINUTE_MS, RefusalTally } from './refusals'

export { type AuditRecord, countOf, isFailure } from './record'

/** The store log (in this extension's namespace) that holds the records. */
export const AUDIT_LOG = 'records'

export type AuditOptions = NonNullable<ExtensionsConfig['audit']>

/** How often the timer runs (closing refusal groups), and how often retention trims the log. */
export const TICK_MS = 10_000
export const PRUNE_MS = 60_000
const DAY_MS = 86_400_000

export interface AuditClock {
  /** ms since the epoch: the minute refusal groups close on, and the age retention measures. */
  now?: () => number
  /** The timer; tests pass their own and call its tick. The default also runs a first tick at once. */
  every?: Every
}

/** The factory, with the clock and timer injected (tests drive them). */
export function createAuditExtension(clock: AuditClock = {}): ExtensionFactory<AuditOptions> {
  const now = clock.now ?? Date.now
  const every = clock.every ?? everyFromNow
  return (deps) => {
    const { store, options, log } = deps
    const refusals = new RefusalTally()
    const append = (record: AuditRecord) => store.append(AUDIT_LOG, record.time, JSON.stringify(record))
    const write = (ctx: RequestContext, ending: Ending) => {
      arm()
      deps.defer(append(auditRecord(ctx, ending)))
    }
    const writeAll = (records: readonly AuditRecord[]) => {
      for (const record of records) deps.defer(append(record))
    }

    let lastPrune = Number.NEGATIVE_INFINITY
    let pruning: Promise<void> | undefined
    const prune = async () => {
      const trim: LogTrim = {}
      const t = now()
      if (options.retention_days > 0) trim.before = t - options.retention_days * DAY_MS
      if (options.max_records > 0) trim.keep = options.max_records
      if (trim.before === undefined && trim.keep === undefined) return
      const started = performance.now()
      const removed = await store.trimLog(AUDIT_LOG, trim)
      if (removed > 0)
        log.info('audit records pruned', { removed, ms: Math.round(performance.now() - started), ...trim })
    }
    const tick = () => {
      const t = now()
      writeAll(refusals.closeBefore(Math.floor(t / MINUTE_MS)))
      if (pruning || t - lastPrune < PRUNE_MS) return
      lastPrune = t
      pruning = prune().finally(() => {
        pruning = undefined
      })
      deps.defer(pruning)
    }
    let disarm: (() => void) | undefined
    const arm = () => {
      disarm ??= every(tick, TICK_MS)
    }
    arm()

    const extension: Extension = {
      name: 'audit',
      needsUsage: true,
      onResponse(ctx) {
        write(ctx, {})
      },
      onStreamEnd(ctx, outcome: RelayOutcome) {
        write(ctx, { outcome })
      },
      onError(ctx, error: GatewayError) {
        if (!isRefusal(error)) return write(ctx, { error: { code: error.code, type: error.type } })
        arm()
        writeAll(refusals.add(ctx, error))
      },
      async flush() {
        disarm?.()
        disarm = undefined
        await Promise.all(refusals.drain().map(append))
        // A failed prune was reported through defer; flush still completes.
        await pruning?.catch(() => {})
      },
      routes: [
        {
          method: 'GET',
          path: '/v1/admin/logs',
          admin: true,
          async handle(request) {
            // A base: Bun's request.url is relative ("/v1/…") when the Host header is empty.
            const query = parseLogQuery(new URL(request.url, 'http://invalid-host').searchParams)
            // Refusals still being counted are written first: the page shows this minute's 429s too (the
            // group is split in two records then, whose counts add up).
            await Promise.all(refusals.drain().map(append))
            const page = await readLogs(store, AUDIT_LOG, query)
            return Response.json(page)
          },
        },
      ],
    }
    return extension
  }
}

export const auditExtension: ExtensionFactory<AuditOptions> = createAuditExtension()

// --- internal ---

/** The real timer, plus a first tick on the next turn: a backlog is pruned at start, not a minute later. */
function everyFromNow(tick: () => void, ms: number): () => void {
  const stop = realEvery(tick, ms)
  const first = setImmediate(tick)
  return () => {
    clearImmediate(first)
    stop()
  }
}
