// What the extensions' routes answer (src/extensions/*/index.ts): DELETE /v1/cache, GET /v1/usage,
// GET /v1/budget, GET /v1/admin/logs. test/openapi/document.test.ts checks these against the
// extensions' TypeScript types, so the two cannot drift apart silently.
import { Type as T } from '@sinclair/typebox'

export const CacheClearedSchema = T.Object(
  {
    cleared: T.Literal(true),
    generation: T.Integer({
      description: 'The new cache generation; entries of older generations are never served again.',
    }),
  },
  { title: 'CacheCleared' },
)

export const UsageRowSchema = T.Object(
  {
    key: T.String({ description: 'Key name.' }),
    key_id: T.Union([T.String(), T.Null()], {
      description:
        "The key's identity (key_ + a digest of its secret): a key made again under the same name has another.",
    }),
    model: T.String({ description: 'Canonical model (after alias resolution).' }),
    prompt_tokens: T.Integer({ minimum: 0 }),
    completion_tokens: T.Integer({ minimum: 0 }),
    total_tokens: T.Integer({ minimum: 0 }),
    cache_read_tokens: T.Integer({ minimum: 0 }),
    reasoning_tokens: T.Optional(T.Integer({ minimum: 0, description: 'Of the completion tokens, reasoning.' })),
    requests: T.Integer({ minimum: 0, description: 'Requests answered, cache hits included.' }),
    cached_requests: T.Integer({ minimum: 0, description: 'Of those, answered from the cache (0 tokens).' }),
  },
  { title: 'UsageRow' },
)

export const UsageListSchema = T.Array(UsageRowSchema, {
  title: 'UsageList',
  description:
    "The caller's rows (every key's for the admin token), sorted by key then model; at most 10 000 (then `x-crabllm-truncated: true`).",
})

export const BudgetRowSchema = T.Object(
  {
    key: T.String(),
    key_id: T.Union([T.String(), T.Null()], { description: 'null for a configured budget no key has yet.' }),
    spent_usd: T.Number({ minimum: 0 }),
    budget_usd: T.Union([T.Number({ minimum: 0 }), T.Null()], { description: 'null: the key has no limit.' }),
    remaining_usd: T.Union([T.Number({ minimum: 0 }), T.Null()]),
  },
  { title: 'BudgetRow' },
)

export const BudgetListSchema = T.Array(BudgetRowSchema, {
  title: 'BudgetList',
  description: "The caller's row; every key's for the admin token, sorted by name.",
})

const nullable = <S extends Parameters<typeof T.Union>[0][number]>(schema: S) => T.Union([schema, T.Null()])

export const AuditRecordSchema = T.Object(
  {
    request_id: T.String(),
    timestamp: T.String({ format: 'date-time', description: 'When the request arrived (UTC).' }),
    time: T.Integer({ description: 'The same instant in ms since the epoch.' }),
    key: T.String(),
    key_id: T.Optional(T.String({ description: "The key's identity (records before it was kept have none)." })),
    model: T.String({ description: 'Canonical model, after alias resolution.' }),
    requested_model: T.String({ description: 'The model name the client sent.' }),
    provider: nullable(T.String({ description: 'The provider that answered; null when none did.' })),
    surface: T.String({ description: 'The endpoint family: chat, embeddings, messages, …' }),
    stream: T.Boolean(),
    status: nullable(T.Integer()),
    outcome: nullable(
      T.Union([T.Literal('done'), T.Literal('upstream_error'), T.Literal('truncated'), T.Literal('client_closed')], {
        description: 'How a stream ended.',
      }),
    ),
    prompt_tokens: nullable(T.Integer({ minimum: 0 })),
    completion_tokens: nullable(T.Integer({ minimum: 0 })),
    total_tokens: nullable(T.Integer({ minimum: 0 })),
    reasoning_tokens: T.Optional(T.Integer({ minimum: 0, description: 'Of the completion tokens, reasoning.' })),
    cost_usd: nullable(
      T.Number({ minimum: 0, description: "From the model catalog's prices (or [models]); null when unpriced." }),
    ),
    cost_reason: T.Optional(
      T.String({ description: 'Why cost_usd is null: no price for the model, or no usage in the answer.' }),
    ),
    latency_ms: T.Number({ minimum: 0 }),
    cached: T.Boolean(),
    error: nullable(T.String({ description: 'The error code of a failed request.' })),
    count: T.Optional(
      T.Integer({
        minimum: 1,
        description:
          'The requests the record stands for: 1, or for requests the gateway refused itself, all those of one key, model and error in one minute.',
      }),
    ),
    usage_estimated: T.Optional(
      T.Boolean({
        description:
          "True when the gateway counted the usage (a stream that ended without the provider's usage: the request and the text delivered, tokenized).",
      }),
    ),
  },
  { title: 'AuditRecord' },
)

export const LogPageSchema = T.Object(
  {
    object: T.Literal('list'),
    data: T.Array(AuditRecordSchema, { description: 'Newest first.' }),
    has_more: T.Boolean({ description: 'Whether older records may remain in the range.' }),
    next_until: T.Optional(
      T.Integer({ description: 'Pass as `until` to read the next page (present when has_more).' }),
    ),
    truncated: T.Boolean({
      description: 'True when the scan bound stopped a filtered read before `limit` records matched.',
    }),
    requests: T.Integer({ minimum: 0, description: "The requests the page's records stand for (their counts)." }),
  },
  { title: 'LogPage' },
)
