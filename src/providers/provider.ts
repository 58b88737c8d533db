// The contract every provider kind implements. A provider turns one call into one upstream exchange
// and answers in the client format of the call's endpoint (OpenAI's, or Anthropic's on messages);
// routing/ decides retries and fallback. A kind declares what differs (its handlers, URLs, headers and
// translators); the fetch, the errors and the stream wrapping are written once (passthrough.ts,
// exchange.ts).
import type { ProviderConfig } from '../config/schema'
import type { Endpoint } from '../core/endpoint'
import type { JsonObject } from '../core/json'
import type { AnswerLimits } from '../core/upstream-error'

export type { Endpoint, MediaEndpoint } from '../core/endpoint'

/** One attempt at one deployment. */
export interface UpstreamCall {
  endpoint: Endpoint
  /** The canonical model name, after alias resolution. */
  model: string
  /** The bytes to send: the client's own, unless the gateway had to change the body. */
  body: Uint8Array
  /** The parsed body (read-only; translating providers build their own request from it). */
  json: Readonly<JsonObject>
  stream: boolean
  /** Aborted on timeout and when the client goes away. */
  signal: AbortSignal
  /**
   * The few client headers a provider may forward (today: anthropic-version and anthropic-beta on
   * /v1/messages). Credentials and everything else from the client never reach an upstream.
   */
  clientHeaders?: Readonly<Record<string, string>> | undefined
  /**
   * The client's query string with its `?` (Claude Code's `?beta=true` on /v1/messages), on surfaces
   * that forward it; a passthrough appends it to the upstream URL, a translation ignores it.
   */
  query?: string | undefined
  /** The gateway's request id, sent upstream as x-request-id so both sides' logs can be joined. */
  requestId?: string | undefined
  /** The body's content type when it is not JSON (multipart/form-data with its boundary). */
  contentType?: string | undefined
  /** How large an answer and an event may be (max_answer_size, max_sse_event_size); the defaults when absent. */
  limits?: AnswerLimits | undefined
}

/**
 * How a provider serves one endpoint. Resolves with the upstream's answer, whatever its status, in the
 * endpoint's client format. Rejects with a GatewayError when it refused the call before any fetch
 * (input this kind cannot take): that failure is final, and it is not an upstream attempt. Rejects
 * as fetch does when no HTTP answer came (connection refused or reset, DNS, TLS, abort).
 */
export type Handler = (call: UpstreamCall) => Promise<Response>

/** A kind's handlers, by endpoint; an endpoint without one is not served by the kind. */
export type Handlers = Partial<Record<Endpoint, Handler>>

/** A configured upstream, as routing and the relay see it. */
export interface Provider {
  readonly name: string
  readonly kind: string
  /** The endpoints it serves; `messages` for every kind that chats (natively, or through chat). */
  readonly endpoints: ReadonlySet<Endpoint>
  /** The handler of `call.endpoint`; rejects with 400 unsupported_endpoint for one it does not serve. */
  send(call: UpstreamCall): Promise<Response>
}

/** Whether `provider` takes calls to `endpoint` (the relay skips the deployments that do not). */
export function supportsEndpoint(provider: Provider, endpoint: Endpoint): boolean {
  return provider.endpoints.has(endpoint)
}

/** A config problem found by a kind's own check: the field is relative to `providers.<name>`. */
export interface ProviderConfigIssue {
  field: string
  problem: string
  fix?: string
}

/** How a kind is checked and built; providers/index.ts lists one per kind. */
export interface ProviderKind {
  /** Fills kind-specific defaults (base_url, models) before checks; returns a new object. */
  normalize?(config: ProviderConfig): ProviderConfig
  check?(config: ProviderConfig): ProviderConfigIssue | undefined
  /**
   * true: its chat handler translates (anthropic, google, bedrock, echo) and reads the gateway's
   * reasoning fields (core/reasoning.ts); otherwise they are removed before its chat handler sees a
   * request built by translation (openai-chat-fields.ts).
   */
  translatesChat?: true
  /** The kind's handlers for one configured provider, built once (URLs and headers precomputed). */
  create(name: string, config: ProviderConfig): Handlers
  /**
   * The model names the upstream serves (its own listing), for a provider created without `models`.
   * Rejects with a GatewayError carrying the upstream's status and message when it answers an error,
   * and as fetch does when no answer came. Absent when the kind cannot list (azure, bedrock).
   */
  listModels?(config: ProviderConfig, signal: AbortSignal): Promise<string[]>
}

/** True when the client asked for the usage chunk itself (`stream_options.include_usage: true`). */
export function wantsUsageChunk(json: Readonly<JsonObject>): boolean {
  const options = json.stream_options
  return !!options && typeof options === 'object' && (options as { include_usage?: unknown }).include_usage === true
}
