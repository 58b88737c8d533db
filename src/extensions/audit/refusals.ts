// Refusals in the audit log: a request the gateway refused itself, before any upstream (rate limit,
// budget, overload, input a provider cannot translate), is counted in memory, not written as a record of
// its own; one record per minute, key, model, surface, status and error carries the count. Written one
// record each, 300,000 refusals from one key grew SQLite by 276 MB and Redis by 156 MB (finding 9).
import type { GatewayError } from '../../core/errors'
import { UpstreamHttpError } from '../../core/upstream-error'
import type { RequestContext } from '../types'
import { type AuditRecord, auditRecord } from './record'

export const MINUTE_MS = 60_000
/** Groups held at once; past it every group is written (a bound on memory: keys × models × codes). */
export const MAX_GROUPS = 10_000

/**
 * Whether the gateway refused the request itself, before calling any upstream: an extension's refusal
 * (by code), or a 4xx of the gateway's own (not an upstream's, not a client gone: 499). The same rule as
 * metrics/refusals.ts pipelineRefusal (crabllm_rejections_total), which sits a floor above extensions.
 */
export function isRefusal(error: GatewayError): boolean {
  if (error.code !== null && REFUSAL_CODES.has(error.code)) return true
  return !(error instanceof UpstreamHttpError) && error.status >= 400 && error.status < 500 && error.status !== 499
}

/**
 * The open groups of refusals. add() counts one (a map lookup and two additions: it runs in onError,
 * before the answer leaves); a group's record is returned to be written once its minute is over (the
 * first refusal of a later minute, or closeBefore from the extension's timer), or by drain() on flush.
 */
export class RefusalTally {
  private readonly groups = new Map<string, Group>()
  /** The oldest minute held (Infinity when none). */
  private oldest = Number.POSITIVE_INFINITY

  get size(): number {
    return this.groups.size
  }

  /** Counts a refusal; returns the records of the groups this closed (earlier minutes; all when full). */
  add(ctx: RequestContext, error: GatewayError, now = performance.now()): AuditRecord[] {
    const minute = Math.floor(ctx.startedAt / MINUTE_MS)
    const code = error.code ?? error.type
    const id = `${minute}\n${ctx.principal.id}\n${ctx.key}\n${ctx.model}\n${ctx.requestedModel}\n${ctx.surface}\n${ctx.stream}\n${ctx.status}\n${code}`
    const latency = now - ctx.started
    const group = this.groups.get(id)
    if (group) {
      group.count++
      group.latency += latency
      return NONE
    }
    const closed =
      minute > this.oldest ? this.closeBefore(minute) : this.groups.size >= MAX_GROUPS ? this.drain() : NONE
    const record = auditRecord(ctx, { error: { code: error.code, type: error.type } }, now)
    this.groups.set(id, { minute, record, count: 1, latency })
    if (minute < this.oldest) this.oldest = minute
    return closed
  }

  /** Closes the groups of minutes before `minute` (ms since the epoch / MINUTE_MS). */
  closeBefore(minute: number): AuditRecord[] {
    if (minute <= this.oldest) return NONE
    const out: AuditRecord[] = []
    let oldest = Number.POSITIVE_INFINITY
    for (const [id, group] of this.groups) {
      if (group.minute < minute) {
        this.groups.delete(id)
        out.push(recordOf(group))
      } else if (group.minute < oldest) oldest = group.minute
    }
    this.oldest = oldest
    return out
  }

  /** Closes every group (flush, shutdown). */
  drain(): AuditRecord[] {
    const out = [...this.groups.values()].map(recordOf)
    this.groups.clear()
    this.oldest = Number.POSITIVE_INFINITY
    return out
  }
}

// --- internal ---

/** The codes of extensions' refusals (metrics/refusals.ts BY_CODE). */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'rate_limit_exceeded',
  'budget_exceeded',
  'server_overloaded',
  'concurrency_limit_exceeded',
  'storage_unavailable',
])

const NONE: AuditRecord[] = []

interface Group {
  minute: number
  /** The first refusal's record. */
  record: AuditRecord
  count: number
  /** Sum of the latencies, ms. */
  latency: number
}

function recordOf(group: Group): AuditRecord {
  const latency = Math.round((group.latency / group.count) * 100) / 100
  return { ...group.record, count: group.count, latency_ms: latency }
}
