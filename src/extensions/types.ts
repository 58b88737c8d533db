// What extensions see and implement. A RequestContext is built once per model request after the
// request is authenticated and its model resolved; the pipeline passes it to every hook in order.
import type { Principal } from '../auth'
import type { Catalog } from '../catalog'
import type { Config } from '../config/schema'
import type { Endpoint } from '../core/endpoint'
import type { GatewayError } from '../core/errors'
import type { Logger } from '../core/log'
import type { Store } from '../storage/store'

/**
 * How a relayed stream ended: it finished ('done'), the upstream failed or went silent, it stopped
 * before its end marker ('truncated'), or the client went away.
 */
export type RelayOutcome = 'done' | 'upstream_error' | 'truncated' | 'client_closed'

/** Token counts in OpenAI's terms, whatever the provider reported. */
export interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  /** Prompt tokens read from a provider cache (included in prompt_tokens). */
  cache_read_tokens?: number
  /** Prompt tokens written to a provider cache (included in prompt_tokens). */
  cache_write_tokens?: number
  /**
   * Completion tokens the model spent reasoning (included in completion_tokens, and priced as output
   * unless the catalog gives them a rate of their own): OpenAI's completion_tokens_details /
   * output_tokens_details.reasoning_tokens.
   */
  reasoning_tokens?: number
}

/**
 * What an answer cost, in whole micro-dollars (rounded up, as budgets charge), or null with why: never
 * a silent 0. A cache hit costs 0 (no provider was paid).
 */
export type Cost =
  | { readonly micros: number; readonly reason?: undefined }
  | { readonly micros: null; readonly reason: string }

export interface RequestContext {
  /**
   * The x-request-id: the client's own when it sent a sane one, so neither unique nor secret. For logs
   * and records only; never key state by it (a reservation takes storage holdId()).
   */
  readonly requestId: string
  /**
   * The key's name ('admin' for the admin token, 'anonymous' when auth is off), for messages and
   * listings; counters are kept under `principal.id`.
   */
  readonly key: string
  readonly principal: Principal
  /**
   * The canonical model (after alias resolution) and the name the client sent. Both are '' until the
   * body is read: onKey runs before (a request refused there never has them).
   */
  model: string
  requestedModel: string
  /** The endpoint called (the relay's surface): chat, embeddings, messages, images, speech, … */
  readonly surface: Endpoint
  /** Whether the answer is relayed as it arrives (false until the body is read). */
  stream: boolean
  /**
   * The parsed request body as it goes upstream: `model` after alias resolution, and
   * `stream_options.include_usage` added when the gateway asked a stream for usage. Read-only; empty
   * until the body is read.
   */
  json: Readonly<Record<string, unknown>>
  /** The client's request (headers such as Cache-Control). */
  readonly request: Request
  /** performance.now() and Date.now() when the request arrived. */
  readonly started: number
  readonly startedAt: number
  /** Whether the client asked for a usage chunk in its stream (stream_options.include_usage). */
  clientWantsUsage: boolean
  /**
   * The most the request may use, in tokens, for reservations (budgets, tokens_per_minute): its prompt
   * estimated from the body, and its max_tokens (or the extension's cap). Set once the body is read,
   * when an extension reserves.
   */
  estimate?: TokenEstimate
  /** The provider that answered (set after dispatch). */
  provider?: string
  /** HTTP status of the answer (set when known). */
  status?: number
  /** Token usage of the answer: as the provider reported it, or as the gateway counted it (usageEstimated). */
  usage?: Usage
  /**
   * The usage was counted by the gateway, not reported by the provider: a stream that ended without the
   * provider's usage (the client left, the upstream cut it) is charged for the request and for the text
   * actually delivered, tokenized.
   */
  usageEstimated?: boolean
  /** performance.now() when a stream's last byte went out (its usage may be counted after). */
  endedAt?: number
  /** Whether the answer came from the gateway's cache. */
  cached?: boolean
  /**
   * What the answer cost, priced from the catalog by the pipeline before onResponse, onStreamEnd and
   * onError run (absent in pipelines built without a catalog, as tests do).
   */
  cost?: Cost
  /** Headers extensions add to the response, on success and error alike (x-ratelimit-*). */
  readonly headers: Record<string, string>
}

/** A request's estimated tokens, for reservations. */
export interface TokenEstimate {
  /** The prompt, estimated from the body's text (about 4 bytes a token) and its message count. */
  prompt: number
  /** The completion's ceiling: max_tokens (or max_completion_tokens), else undefined (the extension's cap). */
  completion: number | undefined
}

/** A hook may return a promise; the pipeline awaits decision hooks and defers the rest. */
type MaybePromise<T> = T | Promise<T>

export interface Extension {
  readonly name: string
  /** True when the extension reads token usage: the relay then asks streams for their usage chunk. */
  readonly needsUsage?: boolean
  /**
   * When onRequest fails for another reason than a GatewayError (storage down): true refuses the
   * request with 503 (on_storage_error = "closed"); false or absent logs and lets it through ("open").
   */
  readonly failClosed?: boolean
  /** True when the extension reserves against a limit before dispatch: the relay then estimates tokens. */
  readonly reserves?: boolean
  /**
   * As soon as the key is known, before the body is read (model, requestedModel and json are still
   * empty): the request rate. Throw a GatewayError to refuse the request without reading its body.
   */
  onKey?(ctx: RequestContext): MaybePromise<void>
  /** Before dispatch, once the body is read. Throw a GatewayError to refuse the request (budget, tokens). */
  onRequest?(ctx: RequestContext): MaybePromise<void>
  /**
   * Before dispatch (streams included): a Response here answers the request without calling a
   * provider. Later hooks then see onResponse with `ctx.cached` true and an empty body.
   */
  onCacheLookup?(ctx: RequestContext): MaybePromise<Response | undefined>
  /**
   * After a successful non-stream answer (its bytes, as relayed), or a cache hit (`ctx.cached`, empty
   * body, no usage). Storage writes are deferred.
   */
  onResponse?(ctx: RequestContext, body: Uint8Array): MaybePromise<void>
  /** Each whole-events chunk of a stream, as relayed. Must be cheap: it is on the hot path. */
  onChunk?(ctx: RequestContext, chunk: Uint8Array): void
  /**
   * Once per stream, when its last byte went out or the client left, before its usage is known when
   * the gateway has to count it (then onStreamEnd follows once counted). Must be cheap and synchronous.
   */
  onStreamClose?(ctx: RequestContext): void
  /** Once per stream, when it ended, with the final usage (the stream's own, or counted by the gateway). */
  onStreamEnd?(ctx: RequestContext, outcome: RelayOutcome): MaybePromise<void>
  /** When the request failed (upstream error, timeout, refused by an extension). */
  onError?(ctx: RequestContext, error: GatewayError): MaybePromise<void>
  /** Routes the extension serves (DELETE /v1/cache, GET /v1/usage, …). */
  readonly routes?: readonly ExtensionRoute[]
  /** Waits for the extension's pending writes (graceful shutdown). */
  flush?(): Promise<void>
}

export interface ExtensionRoute {
  method: 'GET' | 'POST' | 'DELETE'
  path: string
  /** Admin-only routes answer 403 to any other key. */
  admin: boolean
  /** Called after authentication; `principal` is the caller. */
  handle(request: Request, principal: Principal): Promise<Response>
}

/** What an extension factory gets: its own config table and shared services. */
export interface ExtensionDeps<C> {
  readonly options: C
  readonly config: Config
  /** The model catalog of `config` (prices, [models] overrides): one per config, rebuilt on reload. */
  readonly catalog: Catalog
  /** Storage namespaced to this extension. */
  readonly store: Store
  readonly log: Logger
  /** Runs a storage write off the response path and remembers it until it settles (for flush). */
  defer(work: Promise<unknown>): void
  /** The keys currently configured (config file and admin API), for listings. */
  principals(): readonly Principal[]
}

export type ExtensionFactory<C> = (deps: ExtensionDeps<C>) => Extension
