// The interface every provider kind implements. A provider turns one call into one upstream HTTP
// exchange and answers in OpenAI's wire format (status + body); routing/ decides retries and fallback.
import type { ProviderConfig } from '../config/schema'

/**
 * chat and embeddings are OpenAI's; messages is Anthropic's (only anthropic-kind providers take it as is).
 * images (generations), speech, transcriptions and translations are OpenAI's media endpoints: only the
 * OpenAI protocol family (openai, azure, ollama, custom) serves them.
 */
export type Endpoint = 'chat' | 'embeddings' | 'messages' | MediaEndpoint
export type MediaEndpoint = 'images' | 'speech' | 'transcriptions' | 'translations'

/** What a provider that does not list its `endpoints` is asked for (it answers unsupported_endpoint itself). */
const CORE_ENDPOINTS: ReadonlySet<Endpoint> = new Set(['chat', 'embeddings', 'messages'])

/** Whether `provider` takes calls to `endpoint` (checked before dispatch: unsupported deployments are skipped). */
export function supportsEndpoint(provider: Provider, endpoint: Endpoint): boolean {
  return (provider.endpoints ?? CORE_ENDPOINTS).has(endpoint)
}

/** One attempt at one deployment. */
export interface UpstreamCall {
  endpoint: Endpoint
  /** The canonical model name, after alias resolution. */
  model: string
  /** The bytes to send: the client's own, unless the gateway had to change the body. */
  body: Uint8Array
  /** The parsed body (read-only; translating providers build their own request from it). */
  json: Readonly<Record<string, unknown>>
  stream: boolean
  /** Aborted on timeout and when the client goes away. */
  signal: AbortSignal
  /**
   * The few client headers a provider may forward (today: anthropic-version and anthropic-beta on
   * /v1/messages). Credentials and everything else from the client never reach an upstream.
   */
  clientHeaders?: Readonly<Record<string, string>> | undefined
  /** The gateway's request id, sent upstream as x-request-id so both sides' logs can be joined. */
  requestId?: string | undefined
  /** The body's content type when it is not JSON (multipart/form-data with its boundary). */
  contentType?: string | undefined
}

/**
 * A configured upstream. `send` resolves with the upstream's Response in OpenAI's format, whatever its
 * status, and rejects only when no HTTP answer came (connection refused or reset, DNS, TLS, abort).
 */
export interface Provider {
  readonly name: string
  readonly kind: string
  /**
   * The endpoints this provider serves, per kind. Absent: chat, embeddings and messages (the kinds that
   * translate); the OpenAI family lists every endpoint, media included.
   */
  readonly endpoints?: ReadonlySet<Endpoint>
  send(call: UpstreamCall): Promise<Response>
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
  create(name: string, config: ProviderConfig): Provider
  /**
   * The model names the upstream serves (its own listing), for a provider created without `models`.
   * Rejects with a GatewayError carrying the upstream's status and message when it answers an error,
   * and as fetch does when no answer came. Absent when the kind cannot list (azure, bedrock).
   */
  listModels?(config: ProviderConfig, signal: AbortSignal): Promise<string[]>
}

/** `headers` plus the call's x-request-id (a new object only when there is one). */
export function upstreamHeaders(
  headers: Record<string, string>,
  call: Pick<UpstreamCall, 'requestId'>,
): Record<string, string> {
  return call.requestId ? { ...headers, 'x-request-id': call.requestId } : headers
}
