// The request path of every model endpoint, top to bottom:
//   identify (key, its in-flight share, its request rate) → read (body, model, deployments) → admit (a
//   global in-flight slot) → screen (extensions' decisions, cache) → prepare (the bytes to send) →
//   dispatch (weights, retries, fallback; routing/) → respond (whole, server-sent events, raw bytes, or
//   the failure in the surface's dialect).
// Each stage is a function of the Call record in its own file; the surfaces' differences are data
// (surfaces.ts). The client's bytes go upstream unchanged unless an alias or the usage splice changed them.
import { type DispatchRequest, dispatch } from '../routing/dispatch'
import { type Admission, admit, type ServerLike } from './admit'
import { type ReadCall, startCall } from './call'
import type { RelayContext } from './context'
import { type Conversations, conversationsOf, recall, remember } from './conversation'
import { identify } from './identify'
import { type Outbound, prepare } from './prepare'
import { readCall } from './read'
import { respondBuffered, respondCached, respondError } from './respond'
import { respondRaw, respondSse } from './respond-stream'
import { screen } from './screen'
import type { Surface } from './surfaces'

export async function relay(
  ctx: RelayContext,
  surface: Surface,
  request: Request,
  server?: ServerLike | null,
): Promise<Response> {
  const call = startCall(surface, request)
  let admission: Admission | undefined
  /** A stream took over the admission: it releases it when it ends. */
  let handedOff = false
  try {
    admission = admit(ctx, request, server)
    const keyed = await identify(ctx, call, admission)
    const read = await readCall(ctx, keyed)
    admission.holdGlobal()
    const conversations = read.surface.endpoint === 'responses' ? responsesOf(ctx) : undefined
    if (conversations) await recall(conversations, read)
    const cached = await screen(ctx, read)
    if (cached) return respondCached(ctx, read, cached)
    const outbound = await prepare(ctx, read)
    admission.liftIdleTimeout()
    const answer = await dispatch(read.deployments, dispatchRequest(read, outbound), ctx.dispatch)
    if (answer.kind === 'buffered') {
      if (conversations && answer.status < 300) await keep(ctx, conversations, read, answer.body)
      const response = respondBuffered(ctx, read, answer)
      return response instanceof Response ? response : await response
    }
    const { release } = admission
    const response =
      read.mode === 'raw'
        ? respondRaw(ctx, read, answer, release)
        : respondSse(ctx, read, answer, outbound.stripUsage, release, conversations)
    handedOff = true
    return response
  } catch (err) {
    return respondError(ctx, call, err)
  } finally {
    if (!handedOff) admission?.release()
  }
}

function responsesOf(ctx: RelayContext): Conversations {
  return conversationsOf(ctx.responses, ctx.config.responses)
}

/** A whole Responses answer is stored before it leaves; a storage failure is logged, the answer still goes. */
async function keep(ctx: RelayContext, conversations: Conversations, call: ReadCall, body: Uint8Array): Promise<void> {
  if (call.json.store === false) return
  try {
    await remember(conversations, call, JSON.parse(new TextDecoder().decode(body)))
  } catch (err) {
    ctx.log.error('a response could not be stored', {
      request_id: call.requestId,
      error: err instanceof Error ? err.message : String(err),
    })
  }
}

/** What dispatch sends each deployment for this call. */
function dispatchRequest(call: ReadCall, outbound: Outbound): DispatchRequest {
  const { surface, request } = call
  return {
    endpoint: surface.endpoint,
    model: call.model,
    body: outbound.body,
    json: call.json,
    // The upstream streams for a client that streams, unless the surface answers whole or always raw.
    stream: call.stream && (surface.answer === 'sse' || surface.answer === 'raw-if-stream'),
    signal: request.signal,
    clientHeaders: surface.forward && forwardedHeaders(request, surface.forward),
    query: surface.forwardQuery && queryOf(request.url),
    requestId: call.requestId,
    contentType: outbound.contentType,
    retry: surface.retry,
    raw: call.mode === 'raw',
  }
}

/** The URL's query string with its `?`, or undefined when it has none. */
function queryOf(url: string): string | undefined {
  const at = url.indexOf('?')
  return at === -1 || at === url.length - 1 ? undefined : url.slice(at)
}

function forwardedHeaders(request: Request, names: readonly string[]): Record<string, string> | undefined {
  let out: Record<string, string> | undefined
  for (const name of names) {
    const value = request.headers.get(name)
    if (value) (out ??= {})[name] = value
  }
  return out
}
