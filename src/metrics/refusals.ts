// Why the gateway refused a model request itself (crabllm_rejections_total{reason}): a small fixed set
// of reasons, derived from the GatewayError, so the label stays bounded.
import type { GatewayError } from '../core/errors'

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
