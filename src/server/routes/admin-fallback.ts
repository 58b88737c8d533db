// Every other path under /v1/admin: 401 without the admin token (so that an unauthenticated caller
// learns nothing about which admin routes exist), 404 with it (405 with Allow for a known path and
// the wrong method, through the app's NOT_FOUND handler). Without admin_token configured: 404 saying
// how to enable the admin API. Mounted last: Elysia matches a route's static and parameter paths
// before this wildcard, so /v1/admin/keys, /v1/admin/providers and /v1/admin/logs are not shadowed.
import { type Elysia, NotFoundError } from 'elysia'
import { requireAdmin } from '../../admin/auth'
import { GatewayError, unexpected } from '../../core/errors'
import { requestIdOf } from '../../core/request-id'
import type { AppContext } from '../context'

export function adminFallbackRoutes(ctx: AppContext) {
  const handler = ({ request }: { request: Request }) => {
    try {
      requireAdmin(ctx, request)
    } catch (err) {
      return (err instanceof GatewayError ? err : unexpected(ctx.log, err, requestIdOf(request))).toResponse()
    }
    throw new NotFoundError()
  }
  return (app: Elysia) =>
    app.all('/v1/admin', handler, { parse: 'none' }).all('/v1/admin/*', handler, { parse: 'none' })
}
