// The reusable parts of the OpenAPI document: named schemas (the TypeBox schemas of src/wire/ and
// src/wire/admin.ts, as JSON Schema), security schemes, the x-request-id header and parameter.
// TypeBox schemas are JSON Schema 2020-12 already, which OpenAPI 3.1 takes as is; `jsonSchema` only
// drops what is not JSON (TypeBox's symbol keys) and `$id`s, so that nothing resolves outside the doc.
import type { TSchema } from '@sinclair/typebox'
import { TOKEN_COUNT_HEADER } from '../providers'
import {
  CreatedKeySchema,
  CreateKeyBodySchema,
  CreateProviderBodySchema,
  DeletedSchema,
  KeyListSchema,
  KeyViewSchema,
  ProviderListSchema,
  ProviderViewSchema,
  StatsSchema,
  UpdateKeyBodySchema,
  UpdateProviderBodySchema,
} from '../wire/admin'
import {
  SpeechRequestSchema,
  TranscriptionRequestSchema,
  TranscriptionSchema,
  TranslationRequestSchema,
} from '../wire/audio'
import { ChatCompletionChunkSchema, ChatCompletionRequestSchema, ChatCompletionSchema } from '../wire/chat'
import { AnthropicCountTokensRequestSchema, AnthropicTokenCountSchema } from '../wire/count-tokens'
import { EmbeddingsRequestSchema, EmbeddingsResponseSchema } from '../wire/embeddings'
import { AnthropicErrorBodySchema, ErrorBodySchema } from '../wire/error'
import { BudgetListSchema, CacheClearedSchema, LogPageSchema, UsageListSchema } from '../wire/extensions'
import { HealthSchema } from '../wire/health'
import { ImageGenerationRequestSchema, ImagesResponseSchema } from '../wire/images'
import { AnthropicMessageSchema, AnthropicMessagesRequestSchema, AnthropicStreamEventSchema } from '../wire/messages'
import { AnthropicModelInfoSchema, AnthropicModelListSchema, ModelListSchema, ModelSchema } from '../wire/models'
import {
  ResponseDeletedSchema,
  ResponseInputItemListSchema,
  ResponseSchema,
  ResponseStreamEventSchema,
  ResponsesRequestSchema,
} from '../wire/responses'

export type JsonObject = Record<string, unknown>

/** A TypeBox schema as plain JSON Schema: symbol keys and `$id` removed, a fresh copy each call. */
export function jsonSchema(schema: TSchema): JsonObject {
  return JSON.parse(JSON.stringify(schema), (key, value) => (key === '$id' ? undefined : value)) as JsonObject
}

/** Every named schema of the document; operations point at them with `ref(name)`. */
const SCHEMAS = {
  ErrorBody: ErrorBodySchema,
  AnthropicErrorBody: AnthropicErrorBodySchema,
  ChatCompletionRequest: ChatCompletionRequestSchema,
  ChatCompletion: ChatCompletionSchema,
  ChatCompletionChunk: ChatCompletionChunkSchema,
  ResponsesRequest: ResponsesRequestSchema,
  Response: ResponseSchema,
  ResponseStreamEvent: ResponseStreamEventSchema,
  ResponseDeleted: ResponseDeletedSchema,
  ResponseInputItemList: ResponseInputItemListSchema,
  EmbeddingsRequest: EmbeddingsRequestSchema,
  EmbeddingsResponse: EmbeddingsResponseSchema,
  AnthropicMessagesRequest: AnthropicMessagesRequestSchema,
  AnthropicMessage: AnthropicMessageSchema,
  AnthropicStreamEvent: AnthropicStreamEventSchema,
  AnthropicCountTokensRequest: AnthropicCountTokensRequestSchema,
  AnthropicTokenCount: AnthropicTokenCountSchema,
  ImageGenerationRequest: ImageGenerationRequestSchema,
  ImagesResponse: ImagesResponseSchema,
  SpeechRequest: SpeechRequestSchema,
  TranscriptionRequest: TranscriptionRequestSchema,
  TranslationRequest: TranslationRequestSchema,
  Transcription: TranscriptionSchema,
  Model: ModelSchema,
  ModelList: ModelListSchema,
  AnthropicModelInfo: AnthropicModelInfoSchema,
  AnthropicModelList: AnthropicModelListSchema,
  Health: HealthSchema,
  CacheCleared: CacheClearedSchema,
  UsageList: UsageListSchema,
  BudgetList: BudgetListSchema,
  LogPage: LogPageSchema,
  CreateKeyBody: CreateKeyBodySchema,
  UpdateKeyBody: UpdateKeyBodySchema,
  CreatedKey: CreatedKeySchema,
  KeyView: KeyViewSchema,
  KeyList: KeyListSchema,
  CreateProviderBody: CreateProviderBodySchema,
  UpdateProviderBody: UpdateProviderBodySchema,
  ProviderView: ProviderViewSchema,
  ProviderList: ProviderListSchema,
  Deleted: DeletedSchema,
  Stats: StatsSchema,
} satisfies Record<string, TSchema>

export type SchemaName = keyof typeof SCHEMAS

export const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` })

export type SecurityName = 'apiKey' | 'apiKeyHeader' | 'adminToken' | 'metricsToken'

const SECURITY_SCHEMES: Record<SecurityName, JsonObject> = {
  apiKey: {
    type: 'http',
    scheme: 'bearer',
    description:
      'A virtual key (`[[keys]]` in the config file, or made with POST /v1/admin/keys) as `Authorization: Bearer <key>`. The admin token is accepted too, for every model. With no keys and no admin_token configured, auth is off.',
  },
  apiKeyHeader: {
    type: 'apiKey',
    in: 'header',
    name: 'x-api-key',
    description: 'The same key in `x-api-key` (what Anthropic clients send).',
  },
  adminToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The `admin_token` of the config file (also accepted in `x-api-key`). Without admin_token the admin API answers 404.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description:
      'The `metrics_token` of the config file (or the admin token), when one is set; without it /metrics is open.',
  },
}

/** x-ratelimit-{limit,remaining,reset}-{requests,tokens}, on every answer for a rate-limited key. */
export const RATE_LIMIT_HEADER_NAMES = ['limit', 'remaining', 'reset'].flatMap((what) =>
  ['requests', 'tokens'].map((of) => `x-ratelimit-${what}-${of}`),
)

const RATE_LIMIT_HEADERS = Object.fromEntries(
  RATE_LIMIT_HEADER_NAMES.map((name) => [
    name,
    {
      description: `With [extensions.rate_limit], as OpenAI sends it${name.includes('reset') ? ' (a duration such as "6m0s" or "1.5s")' : ''}${name.endsWith('tokens') ? '; only with a tokens_per_minute limit' : ''}.`,
      schema: name.includes('reset') ? { type: 'string' } : { type: 'integer', minimum: 0 },
    },
  ]),
)

export function components(): JsonObject {
  return {
    schemas: Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, jsonSchema(schema)])),
    securitySchemes: SECURITY_SCHEMES,
    parameters: {
      RequestId: {
        name: 'x-request-id',
        in: 'header',
        required: false,
        description:
          'Your own request id (1–128 of letters, digits, `_.:-`), kept in logs, audit records and upstream calls; a UUID is made when absent.',
        schema: { type: 'string', pattern: '^[\\w.:-]{1,128}$' },
      },
    },
    headers: {
      RequestId: { description: 'The request id (yours when you sent a valid one).', schema: { type: 'string' } },
      RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
      [TOKEN_COUNT_HEADER]: {
        description:
          "`estimate` when the count is the gateway's own (o200k_base, on deployments whose upstream cannot count: openai, azure, ollama, custom, echo); absent when the provider counted.",
        schema: { type: 'string', enum: ['estimate'] },
      },
      ...RATE_LIMIT_HEADERS,
    },
  }
}
