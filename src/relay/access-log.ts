// The access line of a model request: one per request at info, when it is answered (for a stream: when
// it ended), with what the relay knew by then. Relay routes write it themselves (no hooks on their path,
// H1); the other routes' line is server/access.ts.
import type { Logger } from '../core/log'
import type { Call } from './call'

export interface AccessFields {
  status: number
  provider?: string
  attempts?: number
  /** How a stream ended (relay outcome). */
  stream?: string
  /** The error code of a failed request. */
  error?: string
}

export function logAccess(ctx: { readonly log: Logger }, call: Call, f: AccessFields): void {
  if (!ctx.log.enabled('info')) return
  ctx.log.info('request', {
    request_id: call.requestId,
    method: 'POST',
    path: call.surface.path,
    model: call.model,
    provider: f.provider,
    key: call.key,
    status: f.status,
    ms: Math.round((performance.now() - call.started) * 100) / 100,
    attempts: f.attempts,
    stream: f.stream,
    error: f.error,
  })
}
