// Stage 6 of the request path for streams: a committed stream (its first chunk arrived) is relayed
// chunk by chunk: server-sent events through sse-relay.ts (whole events, usage read as it passes,
// failures in-band in the surface's dialect), raw bytes through raw-relay.ts. The request's caps are
// released, and its access line written, when the stream ends.
import type { StreamAnswer } from '../routing/dispatch'
import { logAccess } from './access-log'
import type { ReadCall } from './call'
import type { RelayContext } from './context'
import { dialectOf } from './dialects'
import { relayRaw } from './raw-relay'
import { relaySse } from './sse-relay'
import { StreamUsage } from './usage-tap'

export function respondSse(
  ctx: RelayContext,
  call: ReadCall,
  answer: StreamAnswer,
  stripUsage: boolean,
  release: () => void,
): Response {
  const provider = answer.deployment.provider.name
  const { hooks } = call
  const { pipeline } = ctx
  const dialect = dialectOf(call.surface)
  let tap: ((events: Uint8Array) => Uint8Array) | undefined
  let usage: StreamUsage | undefined
  if (hooks) {
    hooks.provider = provider
    hooks.status = answer.status
    const watch = pipeline.needsUsage ? new StreamUsage(stripUsage) : undefined
    usage = watch
    tap = (events) => {
      const out = watch ? watch.observe(events) : events
      pipeline.onChunk(hooks, out)
      return out
    }
  }
  const relayed = relaySse({
    first: answer.first,
    reader: answer.reader,
    abort: answer.abort,
    idleMs: answer.deployment.streamIdleMs,
    failure: (detail) => dialect.streamFailure(provider, detail),
    isEnd: dialect.isStreamEnd,
    endName: dialect.streamEndName,
    tap,
    onEnd: (outcome) => {
      release()
      logAccess(ctx, call, { status: answer.status, provider, attempts: answer.attempts, stream: outcome })
      if (hooks) {
        hooks.usage = usage?.usage
        pipeline.onStreamEnd(hooks, outcome)
      }
    },
    durable: () => ctx.store.durable?.(),
  })
  return new Response(relayed, {
    status: answer.status,
    headers: {
      ...hooks?.headers,
      'content-type': answer.contentType,
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-request-id': call.requestId,
    },
  })
}

/** A raw answer (audio, a passed-through event stream): its bytes as they arrive, with its content type. */
export function respondRaw(ctx: RelayContext, call: ReadCall, answer: StreamAnswer, release: () => void): Response {
  const provider = answer.deployment.provider.name
  const { hooks } = call
  const { pipeline } = ctx
  if (hooks) {
    hooks.provider = provider
    hooks.status = answer.status
  }
  const relayed = relayRaw({
    first: answer.first,
    reader: answer.reader,
    abort: answer.abort,
    idleMs: answer.deployment.streamIdleMs,
    tap: hooks && ((chunk) => pipeline.onChunk(hooks, chunk)),
    onEnd: (outcome) => {
      release()
      logAccess(ctx, call, { status: answer.status, provider, attempts: answer.attempts, stream: outcome })
      if (hooks) pipeline.onStreamEnd(hooks, outcome)
    },
  })
  return new Response(relayed, {
    status: answer.status,
    headers: { ...hooks?.headers, 'content-type': answer.contentType, 'x-request-id': call.requestId },
  })
}
