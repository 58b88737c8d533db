// The routes extensions serve (DELETE /v1/cache, GET /v1/usage, GET /v1/budget, GET /v1/admin/logs):
// authenticated like every /v1 route; admin routes answer 403 to any key but the admin token. The routes
// are mounted at start; each request is served by the extension of the config in force (a SIGHUP may
// rebuild it; one it removes answers 404, one it adds is served from the next start).
import type { Elysia } from 'elysia'
import { requireAdmin } from '../../admin/auth'
import { isAdmin } from '../../auth'
import { GatewayError, unexpected } from '../../core/errors'
import { requestIdOf } from '../../core/request-id'
import type { AppContext } from '../context'

export function extensionRoutes(ctx: AppContext) {
  return (app: Elysia) => {
    for (const mounted of ctx.pipeline.routes) {
      const { method, path } = mounted
      const handler = async ({ request }: { request: Request }) => {
        try {
          const route = ctx.pipeline.routes.find((r) => r.method === method && r.path === path)
          if (!route)
            throw new GatewayError(
              404,
              'not_found_error',
              'not_found',
              `${method} ${path}: its extension is no longer configured (the config was reloaded).`,
            )
          // Under /v1/admin the admin API's own gate applies (404 without admin_token, 401 for any key).
          if (route.path.startsWith('/v1/admin/')) requireAdmin(ctx, request)
          const principal = ctx.auth.authenticate(request)
          if (route.admin && !isAdmin(principal) && ctx.auth.enabled)
            throw new GatewayError(
              403,
              'permission_error',
              'admin_only',
              `${route.method} ${route.path} needs the admin token.`,
            )
          return await route.handle(request, principal)
        } catch (err) {
          const error = err instanceof GatewayError ? err : unexpected(ctx.log, err, requestIdOf(request))
          return error.toResponse()
        }
      }
      if (method === 'GET') app.get(path, handler)
      else if (method === 'POST') app.post(path, handler, { parse: 'none' })
      else app.delete(path, handler, { parse: 'none' })
    }
    return app
  }
}
