// The admin API's payloads as TypeBox schemas: what the routes check request bodies against, and what
// the OpenAPI document is generated from. Checks a schema cannot express (an expiry in the future, a
// name another key holds) are made by the code that uses them (keys.ts).
import { type Static, Type as T } from '@sinclair/typebox'
import { KeyRateLimitSchema, ProviderConfigSchema } from '../config/schema'

const strict = { additionalProperties: false } as const

/**
 * Names the admin API accepts for keys and providers (also safe in a URL path and a storage key). Not
 * "." or "..": a URL path cannot name them (/v1/admin/keys/.. is /v1/admin), so such a key could never
 * be shown, changed or revoked.
 */
export const NAME_PATTERN = '^(?!\\.\\.?$)[A-Za-z0-9._-]{1,64}$'

/** ISO-8601 date-time with seconds optional and a zone (Z or ±hh:mm) required, so it means one instant. */
export const DATE_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$'

export const KeyNameSchema = T.String({
  pattern: NAME_PATTERN,
  description:
    'Unique key name (1 to 64 letters, digits, ".", "_" or "-"; not "admin" or "anonymous"): shows in logs, usage and metrics.',
})

export const KeyModelsSchema = T.Array(T.String({ minLength: 1 }), {
  minItems: 1,
  description: 'Models the key may use, after alias resolution: exact names, or "*" for all.',
})

export const KeyBudgetSchema = T.Number({
  minimum: 0,
  description: 'Spend limit in USD; overrides [extensions.budget] for this key.',
})

export const KeyMaxInflightSchema = T.Integer({
  minimum: 1,
  description:
    'Model requests (streams until they end) this key may have in flight at once; 429 concurrency_limit_exceeded beyond.',
})

export const KeyExpiresAtSchema = T.String({
  pattern: DATE_TIME_PATTERN,
  description: 'ISO-8601 time (with Z or an offset) after which the key is refused; must be in the future.',
})

/** POST /v1/admin/keys */
export const CreateKeyBodySchema = T.Object(
  {
    name: KeyNameSchema,
    models: T.Optional(KeyModelsSchema),
    rate_limit: T.Optional(KeyRateLimitSchema),
    budget: T.Optional(KeyBudgetSchema),
    expires_at: T.Optional(KeyExpiresAtSchema),
    max_inflight: T.Optional(KeyMaxInflightSchema),
  },
  { ...strict, description: 'A new key; the gateway generates its secret.' },
)
export type CreateKeyBody = Static<typeof CreateKeyBodySchema>

/** PATCH /v1/admin/keys/{name}: any subset; null removes rate_limit, budget or expires_at. */
export const UpdateKeyBodySchema = T.Object(
  {
    models: T.Optional(KeyModelsSchema),
    rate_limit: T.Optional(T.Union([KeyRateLimitSchema, T.Null()])),
    budget: T.Optional(T.Union([KeyBudgetSchema, T.Null()])),
    expires_at: T.Optional(T.Union([KeyExpiresAtSchema, T.Null()])),
    max_inflight: T.Optional(T.Union([KeyMaxInflightSchema, T.Null()])),
  },
  { ...strict, description: 'The fields to change; null removes rate_limit, budget, expires_at or max_inflight.' },
)
export type UpdateKeyBody = Static<typeof UpdateKeyBodySchema>

/** The fields of UpdateKeyBodySchema that null removes. */
export const REMOVABLE_KEY_FIELDS = ['rate_limit', 'budget', 'expires_at', 'max_inflight'] as const

/**
 * UpdateKeyBodySchema without the nulls: what a PATCH body is checked against once its nulls are taken
 * out, so that an error names the field inside (rate_limit.requests_per_minute), not the union.
 */
export const UpdateKeyFieldsSchema = T.Object(
  {
    models: T.Optional(KeyModelsSchema),
    rate_limit: T.Optional(KeyRateLimitSchema),
    budget: T.Optional(KeyBudgetSchema),
    expires_at: T.Optional(KeyExpiresAtSchema),
    max_inflight: T.Optional(KeyMaxInflightSchema),
  },
  strict,
)

/** A key as GET lists it: never its secret. */
export const KeyViewSchema = T.Object({
  name: T.String(),
  masked: T.String({
    description: 'The secret\'s first 7 and last 4 characters ("sk-AbCd…wxyz"), or "****" for a short config-file key.',
  }),
  models: T.Array(T.String()),
  rate_limit: T.Optional(KeyRateLimitSchema),
  budget: T.Optional(T.Number()),
  expires_at: T.Optional(T.String()),
  max_inflight: T.Optional(T.Integer()),
  expired: T.Boolean(),
  source: T.Union([T.Literal('config'), T.Literal('api')], {
    description: 'config: the config file (read-only here); api: made through this API.',
  }),
  created_at: T.Optional(T.String()),
  updated_at: T.Optional(T.String()),
})
export type KeyView = Static<typeof KeyViewSchema>

/** The answer to POST: the only time the secret is shown. */
export const CreatedKeySchema = T.Object({
  name: T.String(),
  key: T.String({ description: 'The secret (sk- + 48 base62 characters). Shown only in this answer; store it now.' }),
  masked: T.String(),
  models: T.Array(T.String()),
  rate_limit: T.Optional(KeyRateLimitSchema),
  budget: T.Optional(T.Number()),
  expires_at: T.Optional(T.String()),
  max_inflight: T.Optional(T.Integer()),
  source: T.Literal('api'),
  created_at: T.String(),
  updated_at: T.String(),
})
export type CreatedKey = Static<typeof CreatedKeySchema>

export const KeyListSchema = T.Object({ object: T.Literal('list'), data: T.Array(KeyViewSchema) })

/** The answer to DELETE (keys and providers). */
export const DeletedSchema = T.Object({ name: T.String(), deleted: T.Literal(true) })

/** A provider's name in the admin API (the `[providers.<name>]` of a config file). */
export const ProviderNameSchema = T.String({
  pattern: NAME_PATTERN,
  description: 'Unique provider name (1 to 64 letters, digits, ".", "_" or "-").',
})

const { kind: providerKind, ...providerFields } = ProviderConfigSchema.properties

/**
 * POST /v1/admin/providers: the fields of a `[providers.<name>]` table, checked as the config loader
 * checks them (src/admin/providers.ts); without `models` the upstream's model list is fetched.
 */
export const CreateProviderBodySchema = T.Object(
  { name: ProviderNameSchema, kind: providerKind, ...T.Partial(T.Object(providerFields)).properties },
  { ...strict, description: 'A new provider: the fields of a [providers.<name>] table, and its name.' },
)

/** PATCH /v1/admin/providers/{name}: any subset; null removes a field (back to its default). */
export const UpdateProviderBodySchema = T.Object(
  {
    name: T.Optional(T.String({ description: 'Must equal the name in the path (providers cannot be renamed).' })),
    ...Object.fromEntries(
      Object.entries(ProviderConfigSchema.properties).map(([field, schema]) => [
        field,
        T.Optional(T.Union([schema, T.Null()])),
      ]),
    ),
  },
  {
    ...strict,
    description: 'The fields to change; null removes one. A masked secret sent back unchanged keeps the secret.',
  },
)

/** A provider as the admin API shows it: its config, secrets masked, and where it comes from. */
export const ProviderViewSchema = T.Object({
  name: T.String(),
  ...ProviderConfigSchema.properties,
  source: T.Union([T.Literal('config'), T.Literal('api')], {
    description: 'config: the config file (read-only here); api: made through this API.',
  }),
  created_at: T.Optional(T.String()),
  updated_at: T.Optional(T.String()),
  health: T.Optional(
    T.Object(
      {
        state: T.Union([T.Literal('closed'), T.Literal('open'), T.Literal('half_open')], {
          description:
            'closed: in use; open: skipped until cooldown_until (cooldown); half_open: the next request probes it.',
        }),
        consecutive_failures: T.Integer({
          description: 'Failed attempts in a row (connection errors, timeouts, 5xx, 429).',
        }),
        cooldown_until: T.Union([T.String(), T.Null()], { description: 'While open: the ISO time it is tried again.' }),
        cooldowns: T.Integer({ description: 'Times this provider went into cooldown since the process started.' }),
      },
      { description: "The provider's circuit breaker in the instance that answered." },
    ),
  ),
})

export const ProviderListSchema = T.Object({ object: T.Literal('list'), data: T.Array(ProviderViewSchema) })

// --- GET /v1/admin/stats (src/admin/stats.ts) ---

const nullableMs = (description: string) => T.Union([T.Number({ minimum: 0 }), T.Null()], { description })

/** What a set of audit records adds up to: a bucket, a window, a key, a model or a provider. */
const StatsCountsSchema = T.Object({
  requests: T.Integer({ minimum: 0, description: 'Audit records (one per request that reached the pipeline).' }),
  errors: T.Integer({
    minimum: 0,
    description:
      'Failures among them: status ≥ 400, a stream that failed after it started (upstream_error, truncated), or an error code.',
  }),
  prompt_tokens: T.Integer({ minimum: 0 }),
  completion_tokens: T.Integer({ minimum: 0 }),
  total_tokens: T.Integer({ minimum: 0 }),
  cost_usd: T.Number({
    minimum: 0,
    description: 'From [models."<name>"] pricing; requests without pricing or usage count 0.',
  }),
  latency_p50_ms: nullableMs('Median latency (arrival to the end of the answer), ms; null without requests.'),
  latency_p99_ms: nullableMs('99th percentile latency, ms (nearest rank); null without requests.'),
})
export type StatsCounts = Static<typeof StatsCountsSchema>

export const StatsBucketSchema = T.Object({
  time: T.Integer({
    description: 'Start of the bucket, ms since the epoch (the bucket holds [time, time + bucket_seconds)).',
  }),
  ...StatsCountsSchema.properties,
})
export type StatsBucket = Static<typeof StatsBucketSchema>

export const StatsRowSchema = T.Object({ name: T.String(), ...StatsCountsSchema.properties })
export type StatsRow = Static<typeof StatsRowSchema>

const TopSchema = (what: string) =>
  T.Object({
    by_requests: T.Array(StatsRowSchema, { description: `The ${what} with the most requests, most first.` }),
    by_spend: T.Array(StatsRowSchema, { description: `The ${what} with the most spend (cost_usd > 0), most first.` }),
  })

export const StatsSchema = T.Object(
  {
    object: T.Literal('stats'),
    window: T.Union([T.Literal('1h'), T.Literal('24h')]),
    bucket_seconds: T.Integer({ description: '60 for 1h (60 buckets), 1800 for 24h (48 buckets).' }),
    since: T.Integer({
      description: 'Start of the first bucket, ms since the epoch (buckets are aligned to bucket_seconds).',
    }),
    until: T.Integer({ description: 'When the answer was computed, ms since the epoch.' }),
    extensions: T.Array(T.String(), {
      description: 'The extensions configured (audit, usage, budget, …), in pipeline order.',
    }),
    live: T.Object(
      {
        inflight_requests: T.Integer({
          minimum: 0,
          description: 'Model requests being answered now, streams until they end (this instance).',
        }),
        open_streams: T.Union([T.Integer({ minimum: 0 }), T.Null()], {
          description: 'Streams being relayed now, from their first event (this instance); null when metrics = false.',
        }),
        workers: T.Optional(
          T.Array(
            T.Object({
              worker: T.Integer({ minimum: 1 }),
              pid: T.Integer({ minimum: 1 }),
              inflight_requests: T.Integer({ minimum: 0 }),
              open_streams: T.Integer({ minimum: 0 }),
            }),
            {
              description:
                'With `workers = N`: each worker process that answered, by number (the totals above add them up).',
            },
          ),
        ),
      },
      { description: 'Live gauges of the instance that answered (every worker of it with `workers = N`).' },
    ),
    audit: T.Boolean({
      description:
        'Whether [extensions.audit] is on. Without it the answer has the live gauges only (totals null, lists empty).',
    }),
    hint: T.Optional(T.String({ description: 'Present when audit is false: how to turn it on.' })),
    records: T.Integer({ minimum: 0, description: 'Audit records read for this answer.' }),
    max_records: T.Integer({ description: 'The most records one answer reads (the newest ones in the window).' }),
    truncated: T.Boolean({
      description: 'True when the window holds more than max_records: older records were left out.',
    }),
    complete_since: T.Optional(
      T.Integer({ description: 'When truncated: the numbers count every record from this time (ms) on.' }),
    ),
    totals: T.Union([StatsCountsSchema, T.Null()], { description: 'The whole window; null when audit is false.' }),
    buckets: T.Array(StatsBucketSchema, {
      description: 'Oldest first, every bucket of the window (empty ones included).',
    }),
    top_keys: TopSchema('keys'),
    top_models: TopSchema('canonical models'),
    providers: T.Array(StatsRowSchema, {
      description:
        'Every provider that answered in the window, by name: its requests, error rate (errors / requests) and latency.',
    }),
  },
  { description: 'Time-bucketed usage, errors, spend and latency from the audit records, plus live gauges.' },
)
export type Stats = Static<typeof StatsSchema>
