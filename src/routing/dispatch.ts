// pick by weight → call → retry transient failures with jittered backoff → fall back → timeout.
// A non-transient answer (an upstream 4xx) goes back at once. For streams, this module only gets as
// far as the first chunk: after that the stream is committed and relayed by server/sse.ts.
import type { UpstreamCall } from '../providers'
import { GatewayError, upstreamTimeout, upstreamUnreachable } from '../core/errors'
import { parseRetryAfter, retryDelay } from './backoff'
import { type Deployment, orderDeployments } from './registry'
import { UpstreamHttpError } from '../core/upstream-error'

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
  let last: GatewayError | undefined
  let attempts = 0
  /** Deployments skipped because their circuit breaker is open. */
  let cooling: Deployment[] | undefined
  const { observer } = options
  for (const deployment of orderDeployments(list, options.random)) {
    const { health } = deployment
    if (!health.acquire()) {
      ;(cooling ??= []).push(deployment)
      continue
    }
    if (attempts > 0) observer?.fallback(request.model)
    for (let retry = 0; ; retry++) {
      if (request.signal.aborted) {
        health.release()
        throw new ClientClosedError()
      }
      attempts++
      const outcome = await attempt(deployment, request, attempts)
      observer?.attempt(deployment.provider.name, outcome)
      if (!(outcome instanceof GatewayError)) {
        health.success()
        return outcome
      }
      last = outcome
      if (outcome instanceof ClientClosedError) {
        health.release()
        throw outcome
      }
      // An upstream that answers a 4xx (other than 429) is up: the request was at fault.
      if (!outcome.transient) {
        health.success()
        throw outcome
      }
      health.failure()
      // The failure may have opened the breaker: then move on instead of retrying here.
      if (retry >= deployment.maxRetries || request.retry === false || health.state !== 'closed') break
      observer?.retry(deployment.provider.name)
      const retryAfter = outcome instanceof UpstreamHttpError ? outcome.retryAfterMs : undefined
      await options.sleep(
        retryDelay(retry, retryAfter, {
          baseMs: options.backoffBaseMs,
          retryAfterCapMs: options.retryAfterCapMs,
          random: options.random,
        }),
        request.signal,
      )
    }
  }
  if (last) throw last
  if (cooling) throw coolingDown(request.model, cooling)
  throw new GatewayError(503, 'server_error', 'no_deployment', `No deployment serves '${request.model}'.`)
}

/** 503 when every deployment of a model is in cooldown: at once, with when to come back. */
export function coolingDown(model: string, cooling: readonly Deployment[]): GatewayError {
  const waitMs = Math.min(...cooling.map((d) => d.health.retryInMs()))
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

const TIMED_OUT = Symbol('timeout')

async function attempt(
  deployment: Deployment,
  request: DispatchRequest,
  attempts: number,
): Promise<Answer | GatewayError> {
  const controller = new AbortController()
  const onClientAbort = () => controller.abort(request.signal.reason)
  request.signal.addEventListener('abort', onClientAbort, { once: true })
  const timer =
    deployment.timeoutMs > 0 ? setTimeout(() => controller.abort(TIMED_OUT), deployment.timeoutMs) : undefined
  let committed = false
  const { provider } = deployment
  try {
    const response = await provider.send({
      endpoint: request.endpoint,
      model: request.model,
      body: request.body,
      json: request.json,
      stream: request.stream,
      signal: controller.signal,
      clientHeaders: request.clientHeaders,
      requestId: request.requestId,
      contentType: request.contentType,
    })
    const contentType = response.headers.get('content-type') ?? 'application/json'
    if (!response.ok) {
      const body = new Uint8Array(await response.arrayBuffer())
      return new UpstreamHttpError(
        provider.name,
        response.status,
        body,
        contentType,
        parseRetryAfter(response.headers),
        response.headers,
      )
    }
    if (!response.body || (!request.raw && (!request.stream || !contentType.includes('text/event-stream')))) {
      const body = new Uint8Array(await response.arrayBuffer())
      return { kind: 'buffered', deployment, status: response.status, contentType, body, attempts }
    }
    const reader: StreamReader = response.body.getReader()
    const first = await reader.read()
    committed = true
    return {
      kind: 'stream',
      deployment,
      status: response.status,
      contentType,
      first: first.value,
      reader,
      attempts,
      abort(reason) {
        request.signal.removeEventListener('abort', onClientAbort)
        if (reason !== 'done' && !controller.signal.aborted) controller.abort(reason)
      },
    }
  } catch (err) {
    if (controller.signal.reason === TIMED_OUT) return upstreamTimeout(provider.name, deployment.timeoutMs)
    if (request.signal.aborted) return new ClientClosedError()
    return upstreamUnreachable(provider.name, err)
  } finally {
    clearTimeout(timer)
    if (!committed) request.signal.removeEventListener('abort', onClientAbort)
  }
}
