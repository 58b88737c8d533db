// GET /metrics: the Prometheus text exposition of this gateway's metrics. Open unless `metrics_token`
// is set; then it needs that token or the admin token (401 otherwise). admin_token alone does not
// close it: scrapers should not need the admin token, and the starter config always sets one.
import type { Elysia } from 'elysia'
import { presentedKey, sameSecret } from '../../auth'
import { GatewayError } from '../../core/errors'
import { mergeExpositions } from '../../metrics/merge'
import type { AppContext } from '../context'

export function metricsRoutes(ctx: AppContext) {
  return (app: Elysia) => {
    const metrics = ctx.metrics
    if (!metrics) return app
    return app.get('/metrics', async ({ request }) => {
      const token = ctx.config.metrics_token
      if (token) {
        const presented = presentedKey(request)
        if (
          presented === undefined ||
          !(
            sameSecret(presented, token) ||
            (ctx.config.admin_token !== undefined && sameSecret(presented, ctx.config.admin_token))
          )
        )
          return metricsTokenRequired(presented !== undefined).toResponse({ 'www-authenticate': 'Bearer' })
      }
      // A multi-worker gateway answers for every worker, whichever one the scrape reached.
      const text = ctx.cluster
        ? mergeExpositions((await ctx.cluster.gather()).map((w) => ({ worker: w.worker, text: w.metrics })))
        : await metrics.render()
      return new Response(text, { headers: { 'content-type': metrics.contentType } })
    })
  }
}

export const metricsTokenRequired = (presented: boolean) =>
  new GatewayError(
    401,
    'authentication_error',
    presented ? 'invalid_api_key' : 'missing_api_key',
    presented
      ? 'GET /metrics needs the metrics token (or the admin token), and the key sent is neither.'
      : 'GET /metrics needs the metrics token. Send "Authorization: Bearer <metrics_token>".',
  )
