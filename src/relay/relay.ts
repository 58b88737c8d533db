// The request path for model endpoints, kept short and flat:
// auth → body (read once, parse once) → resolve alias → allowlist → dispatch → relay.
// The client's bytes go upstream unchanged unless an alias rewrote `model` (then serialised once).
// A Surface is what differs between the OpenAI routes and Anthropic's /v1/messages: the error shape,
// the stream's end marker, and how a deployment is called; and for the media routes (server/media.ts),
// the body (multipart), the answer (raw bytes as they arrive) and no retries.
import type { Server } from 'bun'
import type { RequestContext } from '../extensions'
import { StreamUsage, usageOfBody, wantsUsageChunk } from './usage-tap'
import type { Endpoint } from '../providers'
import { dispatch, type StreamAnswer } from '../routing/dispatch'
import { UpstreamHttpError } from '../core/upstream-error'
import type { Deployment } from '../routing/registry'
import { assertAllowed } from '../auth'
import { readEnvelope, readJsonBody } from '../core/body'
import type { AppContext } from '../server/context'
import {
  concurrencyLimitExceeded,
  GatewayError,
  internalError,
  modelNotFound,
  overloaded,
  upstreamStreamFailed,
} from '../core/errors'
import { readMultipartBody, withModel } from './multipart'
import { relayRaw } from './raw-relay'
import { relaySse } from './sse-relay'

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)
const REQUEST_ID = /^[\w.:-]{1,128}$/

/** Our x-request-id: the client's when it sent a sane one, else a new UUID. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id')
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID()
}

export interface Surface {
  readonly path: string
  readonly endpoint: Endpoint
  /** Whether `stream: true` means a streamed (SSE) answer on this surface. */
  readonly streams: boolean
  /** How the body arrives: JSON (default), or multipart/form-data with these file fields required. */
  readonly multipart?: readonly string[]
  /** false: a deployment is never called twice for one request (not idempotent, billed); fallback still applies. */
  readonly retry?: boolean
  /**
   * When the answer is relayed as raw bytes as they arrive, not parsed as SSE: always (speech audio), or
   * when the client asked to stream (image and transcription event streams, passed through as they are).
   */
  readonly raw?: 'always' | 'stream'
  /**
   * How this surface calls a model's deployments (the list as is for OpenAI routes). Called before the
   * extension pipeline; throws a GatewayError when no deployment can serve the surface.
   */
  deployments(list: readonly Deployment[]): readonly Deployment[]
  /** Allowlisted client headers passed to the provider. */
  clientHeaders?(request: Request): Readonly<Record<string, string>> | undefined
  errorResponse(error: GatewayError, headers: Record<string, string>): Response
  /** The in-band frame that ends a stream that failed after it started. */
  streamFailure(provider: string, detail: string): { toSseFrame(): string }
  isStreamEnd?: (events: Uint8Array) => boolean
  streamEndName?: string
}

function openAiSurface(endpoint: 'chat' | 'embeddings', path: string): Surface {
  return {
    path,
    endpoint,
    streams: endpoint === 'chat',
    deployments: (list) => list,
    errorResponse: (error, headers) => error.toResponse(headers),
    streamFailure: upstreamStreamFailed,
  }
}

export const CHAT: Surface = openAiSurface('chat', '/v1/chat/completions')
export const EMBEDDINGS: Surface = openAiSurface('embeddings', '/v1/embeddings')

export async function relayModelRequest(
  ctx: AppContext,
  request: Request,
  surface: Surface,
  server: Server<unknown> | null | undefined,
): Promise<Response> {
  const started = performance.now()
  const requestId = requestIdOf(request)
  const { path, endpoint } = surface
  let model: string | undefined
  let keyName: string | undefined
  let handedOff = false
  let rctx: RequestContext | undefined
  const { pipeline, inflight } = ctx
  // Over max_inflight: refused at once (503, Retry-After) instead of queueing without bound.
  if (inflight.count >= ctx.config.max_inflight) {
    const error = overloaded(ctx.config.max_inflight)
    access(ctx, {
      requestId,
      path,
      model: undefined,
      key: undefined,
      status: error.status,
      started,
      error: error.code ?? undefined,
    })
    ctx.metrics?.refused(endpoint, undefined, error, started)
    return surface.errorResponse(error, { 'x-request-id': requestId })
  }
  inflight.count++
  /** The key whose own in-flight count this request holds. */
  let keyHeld: string | undefined
  /** The connection's idle timeout was lifted for the upstream wait (see below) and must be put back. */
  let idleLifted = false
  const release = () => {
    // Put client_idle_timeout back once the answer is complete (for a stream: when it ended), so that
    // the keep-alive connection is closed when it idles. Not earlier: Bun applies it to a response
    // being streamed too (measured on Bun 1.4.5: a stream with a gap longer than it is cut). Without
    // this, a connection that served one model request stayed open forever.
    if (idleLifted) server?.timeout(request, ctx.config.client_idle_timeout ?? 60)
    inflight.count--
    if (keyHeld === undefined) return
    const held = (inflight.byKey.get(keyHeld) ?? 1) - 1
    if (held > 0) inflight.byKey.set(keyHeld, held)
    else inflight.byKey.delete(keyHeld)
  }
  try {
    const principal = ctx.auth.authenticate(request)
    keyName = principal.name
    if (principal.maxInflight !== undefined) {
      const held = inflight.byKey.get(keyName) ?? 0
      if (held >= principal.maxInflight) throw concurrencyLimitExceeded(keyName, principal.maxInflight)
      inflight.byKey.set(keyName, held + 1)
      keyHeld = keyName
    }
    const form = surface.multipart
      ? await readMultipartBody(request, ctx.config.max_body_size, surface.multipart)
      : undefined
    const { bytes, json } = form ?? (await readJsonBody(request, ctx.config.max_body_size))
    const envelope = form ? form.envelope : readEnvelope(json)
    model = ctx.registry.resolve(envelope.model)
    const served = ctx.registry.deployments(model)
    if (!served) throw modelNotFound(envelope.model)
    assertAllowed(principal, model)
    const deployments = surface.deployments(served)
    const sse = surface.streams && envelope.stream
    const raw = surface.raw === 'always' || (surface.raw === 'stream' && envelope.stream)
    const stream = sse || raw
    let rewrite = model !== envelope.model
    let splice = false
    let stripUsage = false
    if (pipeline.active) {
      const clientWantsUsage = wantsUsageChunk(json)
      rctx = {
        requestId,
        key: principal.name,
        principal,
        model,
        requestedModel: envelope.model,
        surface: endpoint,
        stream,
        json,
        request,
        started,
        startedAt: Date.now(),
        clientWantsUsage,
        headers: {},
      }
      await pipeline.onRequest(rctx)
      const hit = await pipeline.onCacheLookup(rctx)
      if (hit) {
        rctx.cached = true
        rctx.status = hit.status
        // Answered without a provider: later hooks still see the request (audit, logging), with no body.
        pipeline.onResponse(rctx, EMPTY)
        access(ctx, { requestId, path, model, provider: 'cache', key: keyName, status: hit.status, started })
        const headers = new Headers(hit.headers)
        for (const [k, v] of Object.entries(rctx.headers)) headers.set(k, v)
        headers.set('x-request-id', requestId)
        return new Response(hit.body, { status: hit.status, headers })
      }
      // Streams are accounted: ask an OpenAI-format stream for its usage chunk, and hide that chunk
      // from a client that did not ask for it. (/v1/messages streams carry usage in their events.)
      if (stream && endpoint === 'chat' && pipeline.needsUsage && !clientWantsUsage) {
        const options = json.stream_options
        // Without stream_options in the body, the field is spliced into the client's bytes (no re-serialization).
        if (options === undefined) splice = true
        else rewrite = true
        json.stream_options = { ...(options && typeof options === 'object' ? options : {}), include_usage: true }
        stripUsage = true
      }
    }
    if (model !== envelope.model) json.model = model
    let body = bytes
    let contentType: string | undefined
    if (form) ({ bytes: body, contentType } = model === envelope.model ? form : await withModel(form, model))
    else if (rewrite) body = encoder.encode(JSON.stringify(json))
    else if (splice) body = withIncludeUsage(bytes)
    // A model call may be silent for longer than the server's idle timeout (slow first token); put
    // back by release() when the answer is complete.
    server?.timeout(request, 0)
    idleLifted = true
    const clientHeaders = surface.clientHeaders?.(request)
    const call = {
      endpoint,
      model,
      body,
      json,
      stream: sse,
      signal: request.signal,
      clientHeaders,
      requestId,
      contentType,
      retry: surface.retry,
      raw,
    }
    const answer = await dispatch(deployments, call, ctx.dispatch)
    const provider = answer.deployment.provider.name
    const extra = rctx?.headers
    if (answer.kind === 'buffered') {
      access(ctx, {
        requestId,
        path,
        model,
        provider,
        key: keyName,
        status: answer.status,
        started,
        attempts: answer.attempts,
      })
      if (rctx) {
        rctx.provider = provider
        rctx.status = answer.status
        if (pipeline.needsUsage) rctx.usage = usageOfBody(answer.body)
        pipeline.onResponse(rctx, answer.body)
        // Nothing answered is lost: the answer goes out once its records are committed (one turn).
        const durable = ctx.store.durable?.()
        if (durable) await durable
      }
      return new Response(answer.body, {
        status: answer.status,
        headers: { ...extra, 'content-type': answer.contentType, 'x-request-id': requestId },
      })
    }
    handedOff = true
    if (raw)
      return relayRawAnswer(ctx, answer, rctx, release, {
        requestId,
        path,
        model,
        provider,
        key: keyName,
        status: answer.status,
        started,
        attempts: answer.attempts,
      })
    let tap: ((events: Uint8Array) => Uint8Array) | undefined
    let watch: StreamUsage | undefined
    if (rctx) {
      const r = rctx
      r.provider = provider
      r.status = answer.status
      const usage = pipeline.needsUsage ? new StreamUsage(stripUsage) : undefined
      watch = usage
      tap = (events) => {
        const out = usage ? usage.observe(events) : events
        pipeline.onChunk(r, out)
        return out
      }
    }
    const relayed = relaySse({
      first: answer.first,
      reader: answer.reader,
      abort: answer.abort,
      idleMs: answer.deployment.streamIdleMs,
      failure: (detail) => surface.streamFailure(provider, detail),
      isEnd: surface.isStreamEnd,
      endName: surface.streamEndName,
      tap,
      onEnd: (outcome) => {
        release()
        access(ctx, {
          requestId,
          path,
          model,
          provider,
          key: keyName,
          status: answer.status,
          started,
          attempts: answer.attempts,
          stream: outcome,
        })
        if (rctx) {
          rctx.usage = watch?.usage
          pipeline.onStreamEnd(rctx, outcome)
        }
      },
      durable: () => ctx.store.durable?.(),
    })
    return new Response(relayed, {
      status: answer.status,
      headers: {
        ...extra,
        'content-type': answer.contentType,
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
        'x-request-id': requestId,
      },
    })
  } catch (err) {
    const error = err instanceof GatewayError ? err : unexpected(ctx, err, requestId)
    access(ctx, { requestId, path, model, key: keyName, status: error.status, started, error: error.code ?? undefined })
    if (rctx) {
      rctx.status = error.status
      if (error instanceof UpstreamHttpError) rctx.provider = error.provider
      pipeline.onError(rctx, error)
    } else ctx.metrics?.refused(endpoint, model, error, started)
    return surface.errorResponse(
      error,
      rctx ? { ...rctx.headers, 'x-request-id': requestId } : { 'x-request-id': requestId },
    )
  } finally {
    if (!handedOff) release()
  }
}

/** A raw answer (audio, a passed-through event stream): its bytes as they arrive, with its content type. */
function relayRawAnswer(
  ctx: AppContext,
  answer: StreamAnswer,
  rctx: RequestContext | undefined,
  release: () => void,
  fields: AccessFields,
): Response {
  const { pipeline } = ctx
  if (rctx) {
    rctx.provider = fields.provider
    rctx.status = answer.status
  }
  const relayed = relayRaw({
    first: answer.first,
    reader: answer.reader,
    abort: answer.abort,
    idleMs: answer.deployment.streamIdleMs,
    tap: rctx && ((chunk) => pipeline.onChunk(rctx, chunk)),
    onEnd: (outcome) => {
      release()
      access(ctx, { ...fields, stream: outcome })
      if (rctx) pipeline.onStreamEnd(rctx, outcome)
    },
  })
  return new Response(relayed, {
    status: answer.status,
    headers: { ...rctx?.headers, 'content-type': answer.contentType, 'x-request-id': fields.requestId },
  })
}

const INCLUDE_USAGE = encoder.encode('"stream_options":{"include_usage":true},')

/**
 * The body with `"stream_options":{"include_usage":true},` inserted after its opening brace: for a JSON
 * object that has no stream_options key and at least one other (`model`, checked before), this is the
 * same object plus the field, and every other byte stays the client's.
 */
export function withIncludeUsage(bytes: Uint8Array): Uint8Array {
  const open = bytes.indexOf(123)
  const out = new Uint8Array(bytes.byteLength + INCLUDE_USAGE.byteLength)
  out.set(bytes.subarray(0, open + 1), 0)
  out.set(INCLUDE_USAGE, open + 1)
  out.set(bytes.subarray(open + 1), open + 1 + INCLUDE_USAGE.byteLength)
  return out
}

/** Logs a bug with its stack (never sent to the client) and returns the generic 500. */
export function unexpected(ctx: AppContext, err: unknown, requestId: string): GatewayError {
  ctx.log.error('unexpected error', {
    request_id: requestId,
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  })
  return internalError(requestId)
}

// --- internal ---

interface AccessFields {
  requestId: string
  path: string
  model: string | undefined
  provider?: string
  key: string | undefined
  status: number
  started: number
  attempts?: number
  stream?: string
  error?: string
}

function access(ctx: AppContext, f: AccessFields): void {
  if (!ctx.log.enabled('info')) return
  ctx.log.info('request', {
    request_id: f.requestId,
    method: 'POST',
    path: f.path,
    model: f.model,
    provider: f.provider,
    key: f.key,
    status: f.status,
    ms: Math.round((performance.now() - f.started) * 100) / 100,
    attempts: f.attempts,
    stream: f.stream,
    error: f.error,
  })
}
