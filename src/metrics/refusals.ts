// Why the gateway refused a model request itself (crabllm_rejections_total{reason}): a small fixed set
// of reasons, derived from the GatewayError, so the label stays bounded.
import type { GatewayError } from '../core/errors'
import { UpstreamHttpError } from '../core/upstream-error'

/** The refusals extensions make in onRequest, by error code. */
const BY_CODE: Readonly<Record<string, string>> = {
  rate_limit_exceeded: 'rate_limit',
  budget_exceeded: 'budget',
  server_overloaded: 'overloaded',
  concurrency_limit_exceeded: 'concurrency',
  storage_unavailable: 'storage',
}

/** Before the pipeline (auth, body, model lookup, allowlist), by status. */
const BY_STATUS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'auth',
  403: 'forbidden',
  404: 'model_not_found',
  413: 'too_large',
}

/** The reason when an extension refused the request (rate limit, budget); undefined for other failures. */
export function extensionRefusal(error: GatewayError): string | undefined {
  return error.code === null ? undefined : BY_CODE[error.code]
}

/** The reason for a request refused before the pipeline: "other" for anything unexpected (a 500). */
export function earlyRefusal(error: GatewayError): string {
  return extensionRefusal(error) ?? BY_STATUS[error.status] ?? 'other'
}

/**
 * The reason when the gateway refused a request the pipeline had seen: an extension's decision (rate
 * limit, budget), or a provider's refusal before any fetch (input its kind cannot translate: a 4xx that
 * is the gateway's, not an upstream's). Undefined for upstream failures, timeouts and a client gone.
 */
export function pipelineRefusal(error: GatewayError): string | undefined {
  const byCode = extensionRefusal(error)
  if (byCode) return byCode
  if (error instanceof UpstreamHttpError || error.status < 400 || error.status >= 500 || error.status === 499)
    return undefined
  return earlyRefusal(error)
}
