// createApp(ctx): assembles Elysia and mounts routes/*; no logic. Unknown routes get 404, known paths
// with the wrong method 405 (with Allow), anything unexpected a generic 500 with the request id.
import { Elysia } from 'elysia'
import { GatewayError, methodNotAllowed, routeNotFound, unexpected } from '../core/errors'
import { requestIdOf } from '../core/request-id'
import { accessLine, accessScope } from './access'
import type { AppContext } from './context'
import { corsHooks, createCors } from './cors'
import { adminFallbackRoutes } from './routes/admin-fallback'
import { adminKeyRoutes } from './routes/admin-keys'
import { adminProviderRoutes } from './routes/admin-providers'
import { adminStatsRoutes } from './routes/admin-stats'
import { docsRoutes } from './routes/docs'
import { extensionRoutes } from './routes/extensions'
import { healthRoutes } from './routes/health'
import { metricsRoutes } from './routes/metrics'
import { modelsRoutes } from './routes/models'
import { relayRoutes } from './routes/relay'
import { responsesRoutes } from './routes/responses'
import { uiRoutes } from './routes/ui'

export interface AppState {
  /** Set on SIGTERM: /health answers 503 while in-flight requests finish. */
  draining: boolean
}

export function createApp(ctx: AppContext, state: AppState = { draining: false }) {
  // [cors] is read once: without it no hook is mounted (no per-request work, no CORS headers).
  const cors = ctx.config.cors ? createCors(ctx.config.cors) : undefined
  // standardHostname: false — Elysia finds the path at the first '/' after index 11 by default, which
  // misroutes any Host shorter than 4 characters ("Host: ai" turned /zz/health into /health). The
  // server speaks plain http (listen.ts), so index 7, just past "http://", is always in the host.
  // serve.development: false — Elysia turns Bun's development mode on unless NODE_ENV=production, and
  // then an error that escapes every handler is answered with Bun's HTML page of message and stack.
  const app = new Elysia({ name: 'crabllm', handler: { standardHostname: false }, serve: { development: false } })
    .onError(({ code, error, request }) => {
      const requestId = requestIdOf(request)
      const path = pathOf(request)
      let failure: GatewayError
      if (error instanceof GatewayError) failure = error
      else if (code === 'NOT_FOUND') {
        const allow = allowedMethods(app.routes, path)
        failure = allow.length ? methodNotAllowed(request.method, path, allow) : routeNotFound(request.method, path)
      } else failure = unexpected(ctx.log, error, requestId)
      accessLine(ctx, request.method, path, failure.status, undefined, requestId)
      const response = failure.toResponse({ 'x-request-id': requestId })
      return cors ? cors.decorate(request, response) : response
    })
    .use(cors ? corsHooks(cors) : (app: Elysia) => app)
    // Relay routes log and set x-request-id themselves (relay.ts), with no hooks on their path (H1).
    .use(relayRoutes(ctx))
    .use(
      accessScope(ctx)
        .use(healthRoutes(ctx, state))
        .use(metricsRoutes(ctx))
        .use(modelsRoutes(ctx))
        .use(responsesRoutes(ctx))
        .use(docsRoutes(ctx))
        .use(adminKeyRoutes(ctx))
        .use(adminProviderRoutes(ctx))
        .use(adminStatsRoutes(ctx))
        .use(uiRoutes(ctx))
        .use(extensionRoutes(ctx))
        .use(adminFallbackRoutes(ctx)),
    )
  return app
}

export type App = ReturnType<typeof createApp>

// --- internal ---

/**
 * The request's path. Bun gives a relative request.url ("/v1/x") when the Host header is empty or
 * invalid; `new URL` alone would throw there, inside onError, and Bun would answer its own 500 page.
 */
function pathOf(request: Request): string {
  return new URL(request.url, 'http://invalid-host').pathname
}

function allowedMethods(routes: readonly { path: string; method: string }[], path: string): string[] {
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path
  const methods = new Set<string>()
  for (const route of routes) if (route.path === normalized && route.method !== 'ALL') methods.add(route.method)
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods].sort()
}
