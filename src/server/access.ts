// Access lines and request ids for the routes that are not model relays (models, health, admin,
// extension routes, docs, metrics): one line per request at info (probes such as /health at debug),
// and `x-request-id` on every answer. Relay routes do the same inside relay.ts, with model fields; these
// hooks are scoped to a sub-app so the relay hot path never runs them.
import { Elysia } from 'elysia'
import { echo } from '../core/errors'
import { requestIdOf } from '../core/request-id'
import type { AppContext } from './context'

const PROBES = new Set(['/health', '/metrics'])

export function accessScope(ctx: AppContext) {
  const started = new WeakMap<Request, { at: number; id: string }>()
  return new Elysia({ name: 'crabllm-access' })
    .onBeforeHandle(({ request }) => {
      started.set(request, { at: performance.now(), id: requestIdOf(request) })
    })
    .onAfterHandle(({ request, response, path }) => {
      const seen = started.get(request)
      if (!seen || !(response instanceof Response)) return
      response.headers.set('x-request-id', seen.id)
      accessLine(ctx, request.method, path, response.status, seen.at, seen.id)
    })
}

/** The access line of a non-relay request; also used for errors answered by the app's onError. */
export function accessLine(
  ctx: AppContext,
  method: string,
  path: string,
  status: number,
  startedAt: number | undefined,
  requestId: string,
): void {
  const level = PROBES.has(path) ? 'debug' : 'info'
  if (!ctx.log.enabled(level)) return
  const ms = startedAt === undefined ? undefined : Math.round((performance.now() - startedAt) * 100) / 100
  ctx.log[level]('request', { request_id: requestId, method: echo(method), path: echo(path), status, ms })
}
