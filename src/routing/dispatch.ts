// pick by weight → call → retry transient failures with jittered backoff → fall back → timeout.
// A weight-0 deployment is fallback only: orderDeployments never picks it, so it is called once every
// weighted deployment of the model failed (or is cooling down).
// A non-transient answer (an upstream 4xx) goes back at once. A call the provider refuses before any
// fetch (input its kind cannot take) is final too, and it is not an attempt: no attempt is counted,
// no retry, no breaker event. An answer the gateway will not relay (a redirect, an encoding it did not
// ask for, a body over max_answer_size) is a 502 that is never retried. For streams, this module only
// gets as far as the first chunk: after that the stream is committed and relayed (src/relay/sse-relay.ts,
// raw-relay.ts).
import { errorTypeForStatus, GatewayError, upstreamTimeout, upstreamUnreachable } from '../core/errors'
import {
  DEFAULT_LIMITS,
  MAX_ERROR_BODY,
  readUpstreamBody,
  refusalOf,
  retryHeadersOf,
  UnusableAnswerError,
  UpstreamHttpError,
  upstreamAnswerTooLarge,
} from '../core/upstream-error'
import { TOKEN_COUNT_HEADER, type UpstreamCall } from '../providers'
import { parseRetryAfter, retryDelay } from './backoff'
import { type Deployment, orderDeployments } from './registry'

export interface DispatchOptions {
  /** First backoff step in ms (100 by default; it doubles per retry). */
  backoffBaseMs: number
  /** Longest Retry-After the gateway will honour, in ms. */
  retryAfterCapMs: number
  random: () => number
  sleep: (ms: number, signal: AbortSignal) => Promise<void>
  /** Told of every attempt, retry and fallback (metrics); absent when nobody counts them. */
  observer?: DispatchObserver
}

/** What dispatch reports as it goes, for counters (src/metrics). Called synchronously; must be cheap. */
export interface DispatchObserver {
  /** After each call to a deployment: the answer, or the error it ended with. */
  attempt(provider: string, result: Answer | GatewayError): void
  /** Before trying the same deployment again after a transient failure. */
  retry(provider: string): void
  /** Before moving on to the next deployment of `model`. */
  fallback(model: string): void
}

/** One client request as dispatch sees it: the call each attempt makes, with the client's signal. */
export interface DispatchRequest extends UpstreamCall {
  /**
   * false: never call the same deployment twice (images and audio are not idempotent and are billed);
   * a transient failure moves on to the next deployment. Default true: retry up to max_retries.
   */
  retry?: boolean
  /**
   * true: answer with a stream committed at its first chunk whatever the content type (audio bytes are
   * relayed as they arrive, not buffered). Default: a stream only for `stream` calls answered with SSE.
   */
  raw?: boolean
}

/** A whole non-stream answer, read under the deployment's timeout. */
export interface BufferedAnswer {
  kind: 'buffered'
  deployment: Deployment
  status: number
  contentType: string
  body: Uint8Array
  attempts: number
  /** The gateway's own count was an estimate (x-crabllm-token-count: estimate, a local count_tokens). */
  tokenCount?: string
}

/** A stream whose first chunk has arrived: from here on it is relayed, never retried. */
export interface StreamAnswer {
  kind: 'stream'
  deployment: Deployment
  status: number
  contentType: string
  first: Uint8Array | undefined
  reader: StreamReader
  /**
   * Ends the upstream request: aborts it (client left, relay failed) unless the reason is 'done' (the
   * body was read to its end; aborting a finished fetch costs a signal dispatch for nothing). Idempotent.
   */
  abort: (reason?: unknown) => void
  attempts: number
}

export type Answer = BufferedAnswer | StreamAnswer

/** The part of a stream reader the relay uses. */
export interface StreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>
  cancel(reason?: unknown): Promise<void>
}

/** Thrown when the client went away while we were still trying; nobody is left to answer. */
export class ClientClosedError extends GatewayError {
  constructor() {
    super(499, 'invalid_request_error', 'client_closed_request', 'The client closed the request.')
  }
}

/**
 * Tries the deployments in order until one answers with a 2xx. Throws the last error when all fail:
 * the upstream's own error (relayed as-is), 504 for timeouts, 502 for connection failures.
 */
export async function dispatch(
  list: readonly Deployment[],
  request: DispatchRequest,
  options: DispatchOptions,
): Promise<Answer> {
  const tally: Tally = { attempts: 0, last: undefined }
  /** Deployments skipped because their circuit breaker is open. */
  let cooling: Deployment[] | undefined
  for (const deployment of orderDeployments(list, options.random)) {
    if (!deployment.breaker.acquire()) {
      ;(cooling ??= []).push(deployment)
      continue
    }
    if (tally.attempts > 0) options.observer?.fallback(request.model)
    const answer = await tryDeployment(deployment, request, options, tally)
    if (answer) return answer
  }
  if (tally.last) throw tally.last
  if (cooling) throw coolingDown(request.model, cooling)
  throw new GatewayError(503, 'server_error', 'no_deployment', `No deployment serves '${request.model}'.`)
}

/** 503 when every deployment of a model is in cooldown: at once, with when to come back. */
export function coolingDown(model: string, cooling: readonly Deployment[]): GatewayError {
  const waitMs = Math.min(...cooling.map((d) => d.breaker.retryInMs()))
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  const names = cooling.map((d) => d.provider.name).join(', ')
  return new GatewayError(
    503,
    'server_error',
    'providers_cooling_down',
    `Every deployment of '${model}' (${names}) is cooling down after repeated failures; retry in ${seconds} s.`,
    null,
    { 'retry-after': String(seconds) },
  )
}

/** Sleeps unless the signal fires first (then resolves early; the loop sees the abort). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

// --- internal ---

/** What the attempts of one request add up to, across deployments. */
interface Tally {
  attempts: number
  /** The last failure, thrown when no deployment answered. */
  last: GatewayError | undefined
}

/**
 * Calls one deployment, retrying transient failures up to its max_retries; resolves with its answer,
 * or undefined to move on to the next deployment. Throws what is final: an upstream's non-transient
 * error, a refusal before any fetch, the client gone.
 */
async function tryDeployment(
  deployment: Deployment,
  request: DispatchRequest,
  options: DispatchOptions,
  tally: Tally,
): Promise<Answer | undefined> {
  const { breaker } = deployment
  const { observer } = options
  for (let retry = 0; ; retry++) {
    if (request.signal.aborted) {
      breaker.release()
      throw new ClientClosedError()
    }
    let outcome: Answer | GatewayError
    try {
      outcome = await attempt(deployment, request, tally.attempts + 1)
    } catch (refusal) {
      // The provider refused the call before any fetch: final, and it says nothing about the upstream.
      breaker.release()
      throw refusal
    }
    tally.attempts++
    observer?.attempt(deployment.provider.name, outcome)
    if (!(outcome instanceof GatewayError)) {
      breaker.success()
      return outcome
    }
    tally.last = outcome
    if (outcome instanceof ClientClosedError) {
      breaker.release()
      throw outcome
    }
    if (!outcome.transient) {
      // A redirect, or an encoding the gateway did not ask for: this deployment answers so whatever the
      // request (a wrong base_url, a compressing proxy), and again if asked again. It counts against its
      // breaker, and the next deployment may be configured right.
      if (outcome instanceof UnusableAnswerError && outcome.blamesDeployment) {
        breaker.failure()
        return undefined
      }
      // An upstream that answers a 4xx (other than 429) is up: the request was at fault.
      breaker.success()
      throw outcome
    }
    breaker.failure()
    // The failure may have opened the breaker: then move on instead of retrying here.
    if (retry >= deployment.maxRetries || request.retry === false || breaker.state !== 'closed') return undefined
    observer?.retry(deployment.provider.name)
    const retryAfter = outcome instanceof UpstreamHttpError ? outcome.retryAfterMs : undefined
    const { backoffBaseMs: baseMs, retryAfterCapMs, random } = options
    await options.sleep(retryDelay(retry, retryAfter, { baseMs, retryAfterCapMs, random }), request.signal)
  }
}

const TIMED_OUT = Symbol('timeout')

async function attempt(
  deployment: Deployment,
  request: DispatchRequest,
  attempts: number,
): Promise<Answer | GatewayError> {
  const controller = new AbortController()
  const onClientAbort = () => controller.abort(request.signal.reason)
  request.signal.addEventListener('abort', onClientAbort, { once: true })
  const { timeoutMs, provider } = deployment
  const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(TIMED_OUT), timeoutMs) : undefined
  /** Ends the upstream request: aborts it unless it finished ('done'); the client's abort no longer reaches it. */
  const abort = (reason?: unknown) => {
    request.signal.removeEventListener('abort', onClientAbort)
    if (reason !== 'done' && !controller.signal.aborted) controller.abort(reason)
  }
  let committed = false
  /** send() resolved: from here on, a failure is the upstream exchange's, never a refusal. */
  let sent = false
  try {
    const call: UpstreamCall = {
      endpoint: request.endpoint,
      model: request.model,
      body: request.body,
      json: request.json,
      stream: request.stream,
      signal: controller.signal,
      clientHeaders: request.clientHeaders,
      query: request.query,
      requestId: request.requestId,
      contentType: request.contentType,
      limits: deployment.limits,
    }
    const response = await provider.send(call)
    sent = true
    const answer = await answerOf(deployment, request, response, attempts, abort)
    committed = !(answer instanceof GatewayError) && answer.kind === 'stream'
    return answer
  } catch (err) {
    // An answer a translating exchange would not read: its fetch happened, so it is the attempt's outcome.
    if (err instanceof UnusableAnswerError) {
      controller.abort(err)
      return err
    }
    // Any other GatewayError from send is a refusal before any fetch (the Handler contract): not an attempt.
    if (err instanceof GatewayError && !sent) throw err
    if (controller.signal.reason === TIMED_OUT) return upstreamTimeout(provider.name, timeoutMs)
    if (request.signal.aborted) return new ClientClosedError()
    return upstreamUnreachable(provider.name, err)
  } finally {
    clearTimeout(timer)
    if (!committed) request.signal.removeEventListener('abort', onClientAbort)
  }
}

/**
 * What an upstream answered: its error kept whole (relayed as-is once retries are exhausted), a whole
 * answer read under the timeout, or a stream read up to its first chunk (from there it is committed).
 */
async function answerOf(
  deployment: Deployment,
  request: DispatchRequest,
  response: Response,
  attempts: number,
  abort: (reason?: unknown) => void,
): Promise<Answer | GatewayError> {
  const name = deployment.provider.name
  const refusal = refusalOf(name, response)
  if (refusal) {
    // Not a byte of it is read: the upstream request ends here.
    response.body?.cancel().catch(() => {})
    abort(refusal)
    return refusal
  }
  const { status, headers } = response
  const contentType = headers.get('content-type') ?? 'application/json'
  if (!response.ok) {
    const bytes = await readUpstreamBody(response, MAX_ERROR_BODY)
    if (!bytes) return errorBodyTooLarge(name, status, headers)
    const body = deployment.scrub ? deployment.scrub(bytes) : bytes
    return new UpstreamHttpError(name, status, body, contentType, parseRetryAfter(headers), headers)
  }
  if (!response.body || (!request.raw && (!request.stream || !contentType.includes('text/event-stream')))) {
    const limit = (deployment.limits ?? DEFAULT_LIMITS).answerBytes
    const body = await readUpstreamBody(response, limit)
    if (!body) {
      const tooLarge = upstreamAnswerTooLarge(name, limit)
      abort(tooLarge)
      return tooLarge
    }
    // Only a count may be the gateway's own estimate (a header lookup no other answer pays for).
    const tokenCount = request.endpoint === 'count_tokens' ? headers.get(TOKEN_COUNT_HEADER) : null
    return tokenCount === null
      ? { kind: 'buffered', deployment, status, contentType, body, attempts }
      : { kind: 'buffered', deployment, status, contentType, body, attempts, tokenCount }
  }
  const reader: StreamReader = response.body.getReader()
  const first = await reader.read()
  return { kind: 'stream', deployment, status, contentType, first: first.value, reader, attempts, abort }
}

/**
 * An upstream error whose body passed MAX_ERROR_BODY: its status (so it is retried or final as its status
 * says) and when to come back, with a message of the gateway's in the surface's dialect.
 */
function errorBodyTooLarge(provider: string, status: number, headers: Headers): GatewayError {
  return new GatewayError(
    status,
    errorTypeForStatus(status),
    'upstream_error',
    `Provider '${provider}' answered HTTP ${status} with an error body over ${MAX_ERROR_BODY} bytes; it was not read.`,
    null,
    retryHeadersOf(headers),
  )
}
