// Stage 6 of the request path, respond: the answer goes back whole (with its usage read and its records
// committed first), from the cache, or as a failure in the surface's dialect. Streams are
// respond-stream.ts. Every path writes the one access line and runs the extensions' matching hook.
import { GatewayError, unexpected } from '../core/errors'
import { UpstreamHttpError } from '../core/upstream-error'
import { TOKEN_COUNT_HEADER } from '../providers'
import type { BufferedAnswer } from '../routing/dispatch'
import { logAccess } from './access-log'
import type { Call, KeyedCall, ReadCall } from './call'
import type { RelayContext } from './context'
import { dialectOf } from './dialects'
import { usageOfBody } from './usage-tap'

/** A whole answer; once extensions saw it, it leaves after its records are committed (one turn). */
export function respondBuffered(
  ctx: RelayContext,
  call: ReadCall,
  answer: BufferedAnswer,
): Response | Promise<Response> {
  const provider = answer.deployment.provider.name
  logAccess(ctx, call, { status: answer.status, provider, attempts: answer.attempts })
  const { hooks } = call
  const headers: Record<string, string> = {
    ...hooks?.headers,
    'content-type': answer.contentType,
    'x-request-id': call.requestId,
  }
  if (answer.tokenCount !== undefined) headers[TOKEN_COUNT_HEADER] = answer.tokenCount
  const response = new Response(answer.body, { status: answer.status, headers })
  if (!hooks) return response
  hooks.provider = provider
  hooks.status = answer.status
  if (ctx.pipeline.needsUsage) hooks.usage = usageOfBody(answer.body)
  ctx.pipeline.onResponse(hooks, answer.body)
  // Nothing answered is lost: the answer goes out once its records are committed.
  const durable = ctx.store.durable?.()
  return durable ? durable.then(() => response) : response
}

/** The cache's answer. Later hooks still see the request (audit, logging), with no body and no usage. */
export function respondCached(ctx: RelayContext, call: ReadCall, hit: Response): Response {
  const hooks = call.hooks!
  hooks.cached = true
  hooks.status = hit.status
  ctx.pipeline.onResponse(hooks, EMPTY)
  logAccess(ctx, call, { status: hit.status, provider: 'cache' })
  const headers = new Headers(hit.headers)
  for (const [k, v] of Object.entries(hooks.headers)) headers.set(k, v)
  headers.set('x-request-id', call.requestId)
  return new Response(hit.body, { status: hit.status, headers })
}

/**
 * A failure, in the surface's dialect: a GatewayError as it is (an upstream's own error relayed as it
 * came), anything else logged with its stack and answered as a generic 500 with the request id.
 */
export function respondError(ctx: RelayContext, call: Call, err: unknown): Response {
  const error = err instanceof GatewayError ? err : unexpected(ctx.log, err, call.requestId)
  logAccess(ctx, call, { status: error.status, error: error.code ?? undefined })
  const { hooks } = call
  if (hooks) {
    hooks.status = error.status
    if (error instanceof UpstreamHttpError) hooks.provider = error.provider
    ctx.pipeline.onError(hooks, error)
  } else ctx.metrics?.refused(call.surface.endpoint, call.model, error, call.started)
  // Headers the extensions set before the failure (x-ratelimit-*) go out with it.
  const extra = (hooks ?? (call as Partial<KeyedCall>).early)?.headers
  const headers = extra ? { ...extra, 'x-request-id': call.requestId } : { 'x-request-id': call.requestId }
  return dialectOf(call.surface).errorResponse(error, headers)
}

const EMPTY = new Uint8Array(0)
