// The shape of crabllm.toml: one TypeBox schema gives the type, the defaults, the checks and the docs.
// Strict (additionalProperties: false) so that a typo is named; see load.ts for how errors are reported.
import { type Static, Type as T } from '@sinclair/typebox'
import { ModelEntrySchema } from './model-entry'

const strict = { additionalProperties: false } as const

export const KeyRateLimitSchema = T.Object(
  {
    requests_per_minute: T.Optional(
      T.Integer({ minimum: 1, description: 'Requests allowed per minute for this key.' }),
    ),
    tokens_per_minute: T.Optional(
      T.Integer({ minimum: 1, description: 'Tokens (prompt + completion) allowed per minute for this key.' }),
    ),
  },
  { ...strict, description: 'Per-key rate limit; overrides [extensions.rate_limit] for this key.' },
)
export type KeyRateLimit = Static<typeof KeyRateLimitSchema>

export const KeyConfigSchema = T.Object(
  {
    name: T.String({
      minLength: 1,
      description: 'Unique key name: shows in logs, usage and metrics instead of the secret.',
    }),
    key: T.String({
      minLength: 8,
      description: 'The secret clients send as `Authorization: Bearer <key>` or `x-api-key`.',
    }),
    models: T.Array(T.String({ minLength: 1 }), {
      default: ['*'],
      description: 'Models this key may use, after alias resolution: exact names, or "*" for all.',
    }),
    rate_limit: T.Optional(KeyRateLimitSchema),
    max_inflight: T.Optional(
      T.Integer({
        minimum: 1,
        description:
          'Model requests (streams until they end) this key may have in flight at once; beyond, 429 with Retry-After.',
      }),
    ),
  },
  strict,
)
export type KeyConfig = Static<typeof KeyConfigSchema>

/** The provider fields that hold credentials: never echoed in errors, masked in admin answers. */
export const PROVIDER_SECRET_FIELDS = ['api_key', 'access_key', 'secret_key', 'session_token'] as const

export const ProviderConfigSchema = T.Object(
  {
    kind: T.String({
      minLength: 1,
      description:
        'openai, azure, ollama, echo (built in, no network); anthropic, google (alias gemini), bedrock. Any other kind with a base_url is an OpenAI-compatible custom provider. Omitted in crabllm.toml: the section name when it names a kind, else openai (a base_url elsewhere than OpenAI: custom), as crabllm does.',
    }),
    api_key: T.Optional(
      T.String({ description: 'Secret sent to the upstream. `${VAR}` expands from the environment.' }),
    ),
    base_url: T.Optional(
      T.String({
        minLength: 1,
        description:
          'Upstream base URL, e.g. https://api.openai.com/v1. An endpoint path pasted at its end (/chat/completions, /messages, …) is stripped.',
      }),
    ),
    models: T.Array(T.String({ minLength: 1 }), { default: [], description: 'Model names this provider serves.' }),
    weight: T.Number({
      minimum: 0,
      default: 1,
      description:
        "Share of traffic among deployments of the same model. 0: fallback only (crabllm's meaning): never picked first, tried once every weighted deployment of the model failed.",
    }),
    max_retries: T.Integer({
      minimum: 0,
      maximum: 10,
      default: 2,
      description: 'Retries on the same deployment for transient failures.',
    }),
    timeout: T.Number({
      minimum: 0,
      default: 30,
      description: 'Seconds to wait for the upstream (whole answer; for streams, the first byte). 0 = no timeout.',
    }),
    stream_idle_timeout: T.Number({
      minimum: 0,
      default: 60,
      description:
        'Seconds a started stream may go without a byte from the upstream before it is ended with an in-band error. 0 = no limit.',
    }),
    cooldown_failures: T.Integer({
      minimum: 0,
      default: 5,
      description:
        'Consecutive failed attempts (connection errors, timeouts, 5xx, 429) that put this provider in cooldown. 0 = never.',
    }),
    cooldown_seconds: T.Number({
      exclusiveMinimum: 0,
      default: 30,
      description:
        'How long a provider in cooldown is skipped; then one request probes it (success closes the breaker, failure reopens it).',
    }),
    api_version: T.Optional(
      T.String({
        minLength: 1,
        description: "Azure: the api-version query parameter (default 2024-02-15-preview, crabllm's).",
      }),
    ),
    responses: T.Optional(
      T.Boolean({
        description:
          'OpenAI-compatible custom providers: true when the upstream serves POST /responses itself (bytes through); otherwise /v1/responses is translated through its chat completions. openai and azure always serve it.',
      }),
    ),
    region: T.Optional(T.String({ minLength: 1, description: 'Bedrock: the AWS region.' })),
    access_key: T.Optional(T.String({ description: 'Bedrock: the AWS access key id.' })),
    secret_key: T.Optional(T.String({ description: 'Bedrock: the AWS secret access key.' })),
    session_token: T.Optional(T.String({ description: 'Bedrock: an AWS session token (temporary credentials).' })),
  },
  strict,
)
export type ProviderConfig = Static<typeof ProviderConfigSchema>

/** One `[models.<name>]` entry (crabllm's shape or the flat one): src/config/model-entry.ts. */
export { type ModelEntry, ModelEntrySchema } from './model-entry'

export const StorageConfigSchema = T.Object(
  {
    kind: T.Union([T.Literal('memory'), T.Literal('sqlite'), T.Literal('redis')], {
      default: 'memory',
      description: 'memory, sqlite or redis.',
    }),
    path: T.Optional(
      T.String({
        minLength: 1,
        description: 'sqlite: database file (relative to the config file); redis: redis:// URL.',
      }),
    ),
    prefix: T.Optional(
      T.String({
        minLength: 1,
        description:
          'redis only: prefix of every key the gateway writes (default "crabllm:"), so gateways can share one Redis.',
      }),
    ),
    wait_for_commit: T.Optional(
      T.Boolean({
        description:
          "sqlite only (default true): an answer leaves once its usage, spend and audit records are committed (one event-loop turn), so a crash loses no answered request. false answers first (about 0.1 ms faster at 1 connection); a crash can then lose the last turn's records.",
      }),
    ),
  },
  strict,
)
export type StorageConfig = Static<typeof StorageConfigSchema>

export const ExtensionsConfigSchema = T.Object(
  {
    cache: T.Optional(
      T.Object(
        {
          ttl_seconds: T.Integer({ minimum: 1, default: 300 }),
          max_bytes: T.Integer({
            minimum: 1024,
            default: 128 * 1024 * 1024,
            description:
              'Largest total size of cached answers, in bytes; beyond it the oldest entries are evicted first.',
          }),
        },
        strict,
      ),
    ),
    rate_limit: T.Optional(
      T.Object(
        {
          requests_per_minute: T.Integer({ minimum: 1 }),
          tokens_per_minute: T.Optional(T.Integer({ minimum: 1 })),
          reserve_completion_tokens: T.Integer({
            minimum: 1,
            default: 4096,
            description:
              'Completion tokens a request holds against tokens_per_minute until it settles, when it does not set max_tokens.',
          }),
          on_storage_error: T.Union([T.Literal('open'), T.Literal('closed')], {
            default: 'open',
            description: 'When storage fails: "open" lets requests through (logged), "closed" refuses them with 503.',
          }),
        },
        strict,
      ),
    ),
    usage: T.Optional(T.Object({}, strict)),
    budget: T.Optional(
      T.Object(
        {
          default_budget: T.Optional(
            T.Number({
              minimum: 0,
              description:
                "USD every key may spend (a key's own budget, or [extensions.budget.keys.<name>], wins). Absent: spend is counted and shown, nothing is refused.",
            }),
          ),
          keys: T.Optional(T.Record(T.String(), T.Object({ budget: T.Number({ minimum: 0 }) }, strict))),
          unpriced: T.Union([T.Literal('refuse'), T.Literal('allow')], {
            default: 'refuse',
            description:
              'A request of a key with a budget for a model that has no price (neither the catalog nor [models]): "refuse" answers 403 model_unpriced (the budget could not hold), "allow" serves it uncharged (logged, audited with cost null).',
          }),
          reserve_completion_tokens: T.Integer({
            minimum: 1,
            default: 4096,
            description:
              "Completion tokens a request's reservation prices when it does not set max_tokens; the answer settles the real cost.",
          }),
          on_storage_error: T.Union([T.Literal('open'), T.Literal('closed')], {
            default: 'closed',
            description:
              'When storage fails: "closed" refuses requests with 503 (spend cannot be checked), "open" lets them through (logged).',
          }),
        },
        strict,
      ),
    ),
    logging: T.Optional(
      T.Object(
        {
          level: T.Union([T.Literal('error'), T.Literal('warn'), T.Literal('info'), T.Literal('debug')], {
            default: 'info',
          }),
        },
        strict,
      ),
    ),
    audit: T.Optional(
      T.Object(
        {
          retention_days: T.Number({
            minimum: 0,
            default: 30,
            description: 'Days an audit record is kept; older records are pruned in the background. 0 = no age limit.',
          }),
          max_records: T.Integer({
            minimum: 0,
            default: 1_000_000,
            description: 'Most audit records kept; beyond it the oldest are pruned. 0 = no count limit.',
          }),
        },
        strict,
      ),
    ),
  },
  { ...strict, description: 'Request pipeline extensions, run in config order.' },
)

export const ConfigSchema = T.Object(
  {
    listen: T.String({ minLength: 1, default: '127.0.0.1:5632', description: 'host:port to listen on.' }),
    shutdown_timeout: T.Number({
      minimum: 0,
      default: 30,
      description: 'Seconds to let in-flight requests finish on SIGTERM/SIGINT.',
    }),
    admin_token: T.Optional(
      T.String({
        minLength: 16,
        description: 'Bearer token for the admin API; also accepted as a key for every model.',
      }),
    ),
    log_format: T.Union([T.Literal('text'), T.Literal('json')], {
      default: 'text',
      description:
        'Log lines on stderr: "text" (time LEVEL message key=value) or "json" (one object per line). LOG_FORMAT overrides.',
    }),
    openapi: T.Boolean({ default: true, description: 'Serve /openapi.json and /docs.' }),
    metrics: T.Boolean({
      default: true,
      description:
        'Count requests and serve GET /metrics (Prometheus text format). false removes the route and its per-request work.',
    }),
    metrics_token: T.Optional(
      T.String({
        minLength: 16,
        description:
          'When set, GET /metrics needs `Authorization: Bearer <metrics_token>` (or the admin token); when unset, /metrics is open.',
      }),
    ),
    max_body_size: T.Integer({
      minimum: 1024,
      default: 32 * 1024 * 1024,
      description: 'Largest request body accepted, in bytes (413 above).',
    }),
    max_inflight: T.Integer({
      minimum: 1,
      default: 4096,
      description:
        'Model requests (streams until they end) in flight at once; beyond, 503 with Retry-After at once instead of queueing. /health and /metrics are not counted. A request takes its slot once its body is read.',
    }),
    key_max_inflight: T.Optional(
      T.Integer({
        minimum: 1,
        description:
          'Model requests one key may have in flight at once, unless the key sets its own max_inflight (default: a quarter of max_inflight), so that one key cannot hold every slot; beyond, 429 with Retry-After.',
      }),
    ),
    max_sse_event_size: T.Integer({
      minimum: 1024,
      default: 4 * 1024 * 1024,
      description:
        'Largest server-sent event an upstream may send, in bytes; a stream with a longer one is ended with an in-band error and the upstream request is cancelled.',
    }),
    max_answer_size: T.Integer({
      minimum: 1024,
      default: 64 * 1024 * 1024,
      description:
        'Largest non-stream answer read from an upstream, in bytes (after decompression); a larger one is a 502.',
    }),
    workers: T.Optional(
      T.Union([T.Integer({ minimum: 1, maximum: 256 }), T.Literal('auto')], {
        description:
          'Worker processes serving the listen port together (SO_REUSEPORT), sharing rate limits, budgets, the cache, usage and metrics; "auto" = one per CPU core. Default 1 (see README § Workers). `--workers` overrides it.',
      }),
    ),
    reuse_port: T.Boolean({
      default: false,
      description:
        'Share the listen port with other processes (SO_REUSEPORT). Off: a port already in use is a start-up error.',
    }),
    allow_unsafe_reload: T.Boolean({
      default: false,
      description:
        'Let a reload (SIGHUP or an admin change) remove every provider, remove every key, or turn auth off; off, such a reload is refused and the old config keeps serving.',
    }),
    client_idle_timeout: T.Integer({
      minimum: 1,
      maximum: 255,
      default: 60,
      description:
        'Seconds a client connection may stay silent (idle keep-alive, or a request whose headers or body stop arriving) before it is closed.',
    }),
    cors: T.Optional(
      T.Object(
        {
          origins: T.Array(T.String({ minLength: 1 }), {
            minItems: 1,
            description:
              'Origins allowed to call the gateway from a browser (exact, e.g. "https://app.example.com", or "*").',
          }),
          max_age: T.Integer({
            minimum: 0,
            default: 600,
            description: 'Seconds a browser may cache a preflight answer.',
          }),
        },
        {
          ...strict,
          description:
            'Cross-origin browser access. Absent: no CORS headers at all (browsers refuse cross-origin calls).',
        },
      ),
    ),
    providers: T.Record(T.String({ minLength: 1 }), ProviderConfigSchema, { default: {} }),
    keys: T.Array(KeyConfigSchema, { default: [] }),
    aliases: T.Record(T.String({ minLength: 1 }), T.String({ minLength: 1 }), {
      default: {},
      description: 'Friendly model name → canonical model name (one hop).',
    }),
    models: T.Record(T.String({ minLength: 1 }), ModelEntrySchema, {
      default: {},
      description:
        'Per-model prices, context window and capabilities, over the built-in catalog (`crabllm models` shows what the gateway knows).',
    }),
    cloud_models: T.Optional(
      T.String({
        minLength: 1,
        description:
          'crabllm\'s cloud model file: a TOML file of ["<model>"] tables shaped as [models.<name>] (relative to the config file). Its entries go over the built-in catalog, [models] over them.',
      }),
    ),
    storage: T.Optional(StorageConfigSchema),
    responses: T.Object(
      {
        store: T.Boolean({
          default: true,
          description:
            "Keep /v1/responses answers (asked with store, OpenAI's default true) in the storage, so previous_response_id and GET /v1/responses/{id} work whichever deployment served them. false: previous_response_id is refused.",
        }),
        retention_days: T.Number({
          exclusiveMinimum: 0,
          default: 30,
          description: 'Days a stored response is kept (OpenAI keeps 30).',
        }),
      },
      { ...strict, default: {}, description: "The Responses API's conversation state, kept by the gateway." },
    ),
    extensions: T.Optional(ExtensionsConfigSchema),
  },
  strict,
)
export type Config = Static<typeof ConfigSchema>
export type ExtensionsConfig = Static<typeof ExtensionsConfigSchema>
