// Stage 6 of the request path for streams: a committed stream (its first chunk arrived) is relayed
// chunk by chunk: server-sent events through sse-relay.ts (whole events, usage read as it passes,
// failures in-band in the surface's dialect), raw bytes through raw-relay.ts. The request's caps are
// released, and its access line written, when the stream ends.
import type { Usage } from '../extensions'
import type { StreamAnswer } from '../routing/dispatch'
import { logAccess } from './access-log'
import type { ReadCall } from './call'
import type { RelayContext } from './context'
import { type Conversations, finalResponseOf, remember } from './conversation'
import { dialectOf } from './dialects'
import { textTokens } from './estimate'
import { relayRaw } from './raw-relay'
import { relaySse } from './sse-relay'
import { estimateStreamUsage } from './usage-estimate'
import { StreamUsage } from './usage-tap'

export function respondSse(
  ctx: RelayContext,
  call: ReadCall,
  answer: StreamAnswer,
  stripUsage: boolean,
  release: () => void,
  conversations?: Conversations,
): Response {
  const provider = answer.deployment.provider.name
  const { hooks } = call
  const { pipeline } = ctx
  const dialect = dialectOf(call.surface)
  let tap: ((events: Uint8Array) => Uint8Array) | undefined
  let usage: StreamUsage | undefined
  /** Counting the delivered text of a stream without usage, once it ended. */
  let counting: Promise<void> | undefined
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
  /** A Responses stream to store: its final response, and the write the end waits for. */
  let final: unknown
  let storing: Promise<void> | undefined
  if (conversations?.enabled && call.json.store !== false) {
    const inner = tap
    tap = (events) => {
      final = finalResponseOf(events) ?? final
      return inner ? inner(events) : events
    }
  }
  const relayed = relaySse({
    first: answer.first,
    reader: answer.reader,
    abort: answer.abort,
    idleMs: answer.deployment.streamIdleMs,
    maxEventSize: answer.deployment.limits.eventBytes,
    failure: (detail) => dialect.streamFailure(provider, detail),
    isEnd: dialect.isStreamEnd,
    endName: dialect.streamEndName,
    tap,
    onEnd: (outcome) => {
      release()
      logAccess(ctx, call, { status: answer.status, provider, attempts: answer.attempts, stream: outcome })
      if (final !== undefined && conversations)
        storing = remember(conversations, call, final).catch((err: unknown) =>
          ctx.log.error('a response could not be stored', {
            request_id: call.requestId,
            error: err instanceof Error ? err.message : String(err),
          }),
        )
      if (!hooks) return
      hooks.endedAt = performance.now()
      pipeline.onStreamClose(hooks)
      if (usage && !usage.complete) {
        // The provider's usage never came: count the request and what was delivered (tokenized, off
        // the response path), then let the extensions charge it.
        counting = countDelivered(ctx, call, usage).then((counted) => {
          hooks.usage = counted
          hooks.usageEstimated = true
          pipeline.onStreamEnd(hooks, outcome)
        })
        pipeline.defer(counting, 'usage estimate')
        return
      }
      hooks.usage = usage?.usage
      pipeline.onStreamEnd(hooks, outcome)
    },
    // The end marker goes out once the answer's records are committed, a counted usage's included (but
    // it waits COUNT_WAIT_MS at most for the count: the tokenizer's first load, a loaded machine).
    // A stored response is written before its last event goes out (the client may name it at once).
    durable: () => {
      const committed = counting
        ? Promise.race([counting, Bun.sleep(COUNT_WAIT_MS)]).then(() => ctx.store.durable?.())
        : ctx.store.durable?.()
      return storing ? Promise.all([storing, committed]).then(() => {}) : committed
    },
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
      if (!hooks) return
      hooks.endedAt = performance.now()
      pipeline.onStreamClose(hooks)
      pipeline.onStreamEnd(hooks, outcome)
    },
  })
  return new Response(relayed, {
    status: answer.status,
    headers: { ...hooks?.headers, 'content-type': answer.contentType, 'x-request-id': call.requestId },
  })
}

/** How long a stream's end marker waits for the count of a stream without usage, at most (ms). */
const COUNT_WAIT_MS = 1000

/**
 * The usage of a stream that ended without the provider's; the provider's partial counts are kept. Without
 * the tokenizer (its thread failed), by the reservation rule of thumb: still counted, never free.
 */
function countDelivered(ctx: RelayContext, call: ReadCall, usage: StreamUsage): Promise<Usage | undefined> {
  const delivered = usage.delivered()
  return estimateStreamUsage(call.json, delivered, usage.usage).catch((err: unknown) => {
    ctx.log.error('the tokenizer failed; counting the stream by its characters', {
      request_id: call.requestId,
      error: err instanceof Error ? err.message : String(err),
    })
    return estimateStreamUsage(call.json, delivered, usage.usage, async (texts) => texts.map(textTokens))
  })
}
