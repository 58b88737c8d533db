// createApp(ctx): assembles Elysia and mounts routes/*; no logic. Unknown routes get 404, known paths
// with the wrong method 405 (with Allow), anything unexpected a generic 500 with the request id.
import { Elysia } from 'elysia'
import { adminFallbackRoutes } from '../admin/routes/fallback'
import { adminKeyRoutes } from '../admin/routes/keys'
import { adminProviderRoutes } from '../admin/routes/providers'
import { metricsRoutes } from '../metrics'
import { accessLine, accessScope } from './access'
import type { AppContext } from './context'
import { GatewayError, methodNotAllowed, routeNotFound } from './errors'
import { requestIdOf, unexpected } from './relay'
import { audioRoutes } from './routes/audio'
import { chatRoutes } from './routes/chat'
import { docsRoutes } from './routes/docs'
import { embeddingsRoutes } from './routes/embeddings'
import { extensionRoutes } from './routes/extensions'
import { healthRoutes } from './routes/health'
import { imagesRoutes } from './routes/images'
import { messagesRoutes } from './routes/messages'
import { modelsRoutes } from './routes/models'

export interface AppState {
  /** Set on SIGTERM: /health answers 503 while in-flight requests finish. */
  draining: boolean
}

export function createApp(ctx: AppContext, state: AppState = { draining: false }) {
  const app = new Elysia({ name: 'crabllm' })
    .onError(({ code, error, request }) => {
      const requestId = requestIdOf(request)
      const path = new URL(request.url).pathname
      let failure: GatewayError
      if (error instanceof GatewayError) failure = error
      else if (code === 'NOT_FOUND') {
        const allow = allowedMethods(app.routes, path)
        failure = allow.length ? methodNotAllowed(request.method, path, allow) : routeNotFound(request.method, path)
      } else failure = unexpected(ctx, error, requestId)
      accessLine(ctx, request.method, path, failure.status, undefined, requestId)
      return failure.toResponse({ 'x-request-id': requestId })
    })
    // Relay routes log and set x-request-id themselves (relay.ts), with no hooks on their path (H1).
    .use(chatRoutes(ctx))
    .use(embeddingsRoutes(ctx))
    .use(messagesRoutes(ctx))
    .use(imagesRoutes(ctx))
    .use(audioRoutes(ctx))
    .use(
      accessScope(ctx)
        .use(healthRoutes(ctx, state))
        .use(metricsRoutes(ctx))
        .use(modelsRoutes(ctx))
        .use(docsRoutes(ctx))
        .use(adminKeyRoutes(ctx))
        .use(adminProviderRoutes(ctx))
        .use(extensionRoutes(ctx))
        .use(adminFallbackRoutes(ctx)),
    )
  return app
}

export type App = ReturnType<typeof createApp>

function allowedMethods(routes: readonly { path: string; method: string }[], path: string): string[] {
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path
  const methods = new Set<string>()
  for (const route of routes) if (route.path === normalized && route.method !== 'ALL') methods.add(route.method)
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods].sort()
}
