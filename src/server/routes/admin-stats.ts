// GET /v1/admin/stats?window=1h|24h&top=10: time-bucketed requests, errors, tokens, spend and latency
// from the audit records, top keys and models, per-provider error rate and latency, and live gauges
// (src/admin/stats.ts does the work). Behind the admin gate like every /v1/admin route.
import type { Elysia } from 'elysia'
import { requireAdmin } from '../../admin/auth'
import { parseStatsQuery, readStats } from '../../admin/stats'
import { GatewayError, unexpected } from '../../core/errors'
import { requestIdOf } from '../../core/request-id'
import type { AppContext } from '../context'

export const STATS_PATH = '/v1/admin/stats'

export function adminStatsRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app.get(STATS_PATH, async ({ request }) => {
      try {
        requireAdmin(ctx, request)
        // A base: Bun's request.url is relative ("/v1/…") when the Host header is empty.
        const query = parseStatsQuery(new URL(request.url, 'http://invalid-host').searchParams)
        return Response.json(await readStats(ctx, query))
      } catch (err) {
        return (err instanceof GatewayError ? err : unexpected(ctx.log, err, requestIdOf(request))).toResponse()
      }
    })
}
