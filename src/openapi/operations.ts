// Every route of the gateway as an OpenAPI operation: the data document.ts renders. One table, grouped
// like the routes in src/server/routes/ (relay surfaces, models, extensions, admin, operations, ui).
import { TOKEN_COUNT_HEADER } from '../providers'
import { type JsonObject, RATE_LIMIT_HEADER_NAMES, ref, type SchemaName, type SecurityName } from './components'

export type Security = Partial<Record<SecurityName, []>>[]
/** Whose error body a route answers with; `either`: OpenAI's, or Anthropic's when the client sent anthropic-version. */
export type ErrorShape = 'openai' | 'anthropic' | 'either'

export interface Operation {
  id: string
  tag: string
  summary: string
  description?: string
  security: Security
  parameters?: JsonObject[]
  body?: { content: Record<string, JsonObject>; description?: string }
  ok: { status?: number; description: string; content?: Record<string, JsonObject>; headers?: string[] }
  /** Status → when it happens; rendered in the route's error shape. */
  errors?: Partial<Record<number | 'default', string>>
  errorShape?: ErrorShape
}

const KEY: Security = [{ apiKey: [] }, { apiKeyHeader: [] }]
const ADMIN: Security = [{ adminToken: [] }]
const NONE: Security = []

export const json = (schema: JsonObject) => ({ 'application/json': { schema } })
const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
})
const queryParam = (name: string, description: string, schema: JsonObject = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
})

// --- error rows, shared by the routes that can fail that way ---

const E401 =
  'No key, or one the gateway does not know (`missing_api_key`, `invalid_api_key`, or an expired or revoked key).'
const E413 = 'The body is larger than `max_body_size` (`request_too_large`).'
const E500 = 'A gateway bug: the message carries the request id.'

const RELAY_ERRORS = {
  400: 'Bad input, naming the field in `param` (`invalid_json`, `duplicate_key`, `missing_required_parameter`, `invalid_type`), or a provider kind that does not serve this endpoint (`unsupported_endpoint`).',
  401: E401,
  403: 'The key may not use this model (`model_not_allowed`).',
  404: 'No deployment serves this model or alias (`model_not_found`).',
  413: E413,
  429: 'Rate limit reached (type `requests` or `tokens`, code `rate_limit_exceeded`, with Retry-After), the key spent its budget or its requests in flight hold the rest (`insufficient_quota`, `budget_exceeded`), or the key has its share of requests in flight (`concurrency_limit_exceeded`).',
  500: E500,
  502: 'Every deployment failed: unreachable (`upstream_unreachable`), a stream cut short (`upstream_stream_error`), a redirect (`upstream_redirect`, never followed), an encoding not asked for (`upstream_unexpected_encoding`), an answer or event over its limit (`upstream_answer_too_large`, `upstream_event_too_large`).',
  503: 'No deployment available (`service_unavailable`), the gateway at `max_inflight` (`server_overloaded`), or the upstream answered 503.',
  504: 'The upstream did not answer within its `timeout` (`upstream_timeout`).',
  default:
    "An upstream's own error status and body, relayed as they came (retried and fallen back first when transient).",
} as const

const ADMIN_ERRORS = {
  401: 'Not the admin token (`missing_api_key`, `invalid_api_key`).',
  404: 'The admin API is off: no `admin_token` in the config file (`admin_api_disabled`).',
  500: E500,
} as const

const MEDIA =
  'Served by OpenAI-family deployments (openai, azure, ollama, custom); a model with none answers 400 `unsupported_endpoint`. Billed and not idempotent: a deployment is never called twice for one request, a transient failure falls back to the next one.'

/** The models routes answer in Anthropic's shape (errors too) when the request carries anthropic-version. */
const ANTHROPIC_MODELS =
  "With an `anthropic-version` header (Anthropic's SDKs send it), the answer and its errors are in Anthropic's shape"
const ANTHROPIC_VERSION = {
  name: 'anthropic-version',
  in: 'header',
  required: false,
  description: "Any value: the answer, and its errors, in Anthropic's shape.",
  schema: { type: 'string' },
}

/** The stored side of the Responses API (src/server/routes/responses.ts). */
const STORED =
  'Only answers created with `store` (the default) are kept, for `[responses] retention_days`; none with `[responses] store = false`.'
const RESPONSE_ID = pathParam('id', 'The response id (resp_…).')
const RESPONSE_NOT_FOUND =
  'No response by that id stored for this key: never stored, expired, deleted, or made with another key (`not_found`).'

const NOT_FOUND = (what: string) =>
  `No ${what} by that name (\`${what}_not_found\`), or the admin API is off (\`admin_api_disabled\`).`
const RELAY_HEADERS = ['RequestId', ...RATE_LIMIT_HEADER_NAMES]

const sse = (description: string, event: SchemaName) => ({
  'text/event-stream': { schema: { type: 'string', description }, 'x-crabllm-event': ref(event) },
})

function relay(
  id: string,
  tag: string,
  summary: string,
  description: string,
  request: SchemaName,
  response: Record<string, JsonObject>,
): Operation {
  return {
    id,
    tag,
    summary,
    description,
    security: KEY,
    body: { content: json(ref(request)) },
    ok: { description: 'The upstream answer, relayed as it arrives.', content: response, headers: RELAY_HEADERS },
    errors: RELAY_ERRORS,
  }
}

/** Every operation by path and method (Elysia's `:name` written `{name}`). */
export function operations(): Record<string, Record<string, Operation>> {
  const multipart = (name: SchemaName) => ({
    'multipart/form-data': { schema: ref(name), encoding: { file: { contentType: 'application/octet-stream' } } },
  })
  const transcription = {
    ...json(ref('Transcription')),
    'text/plain': { schema: { type: 'string', description: 'response_format text, srt or vtt.' } },
  }
  return {
    '/v1/chat/completions': {
      post: relay(
        'createChatCompletion',
        'OpenAI',
        'Create a chat completion',
        "OpenAI's chat completions, routed to the model's deployments (weighted, retried on transient failures, then the next deployment). With `stream: true` the answer is server-sent ChatCompletionChunk events, relayed as they arrive and ended by `data: [DONE]`. With [extensions.cache] a repeated request may be answered from the cache (`x-crabllm-cache: hit`).",
        'ChatCompletionRequest',
        {
          ...json(ref('ChatCompletion')),
          ...sse('ChatCompletionChunk events (`data: {…}`), then `data: [DONE]`.', 'ChatCompletionChunk'),
        },
      ),
    },
    '/v1/responses': {
      post: {
        ...relay(
          'createResponse',
          'OpenAI',
          'Create a response (Responses API)',
          "OpenAI's Responses API, routed like chat completions. Sent as it came to openai, azure and custom deployments with `responses = true`; translated to and from chat completions, streams included, for every other kind, where only function tools can be used (hosted tools are refused with a 400). With `stream: true` the answer is named server-sent events (ResponseStreamEvent), ended by response.completed, response.incomplete or response.failed. Unless `store: false`, the gateway keeps the answer for `[responses] retention_days` (default 30), readable by the key that made it only; `previous_response_id` then works whichever deployment served the last turn.",
          'ResponsesRequest',
          {
            ...json(ref('Response')),
            ...sse(
              'Named events (`event: <type>`): response.created, response.in_progress, output item, content part and delta events, then response.completed, response.incomplete or response.failed; a failure after the start is `event: error`.',
              'ResponseStreamEvent',
            ),
          },
        ),
        errors: {
          ...RELAY_ERRORS,
          400: `${RELAY_ERRORS[400]} On deployments translated through chat: a hosted tool, \`background\`, \`conversation\` or \`prompt\` (\`unsupported_value\`, the field in \`param\`). Also \`previous_response_id\` with \`[responses] store = false\`.`,
          404: `${RELAY_ERRORS[404]} Or \`previous_response_id\` names no response this key stored (\`previous_response_not_found\`, param \`previous_response_id\`).`,
        },
      },
    },
    '/v1/responses/{id}': {
      get: {
        id: 'getResponse',
        tag: 'OpenAI',
        summary: 'Get a stored response',
        description: `A response the gateway stored for this key, as it was answered. ${STORED}`,
        security: KEY,
        parameters: [RESPONSE_ID],
        ok: { description: 'The response.', content: json(ref('Response')) },
        errors: { 401: E401, 404: RESPONSE_NOT_FOUND, 500: E500 },
      },
      delete: {
        id: 'deleteResponse',
        tag: 'OpenAI',
        summary: 'Delete a stored response',
        description: 'Forgets a response the gateway stored for this key (never the copy an upstream may keep).',
        security: KEY,
        parameters: [RESPONSE_ID],
        ok: { description: 'Deleted.', content: json(ref('ResponseDeleted')) },
        errors: { 401: E401, 404: RESPONSE_NOT_FOUND, 500: E500 },
      },
    },
    '/v1/responses/{id}/input_items': {
      get: {
        id: 'listResponseInputItems',
        tag: 'OpenAI',
        summary: 'List the input items of a stored response',
        description: `The input a stored response answered, earlier turns included, in OpenAI's list shape. ${STORED}`,
        security: KEY,
        parameters: [
          RESPONSE_ID,
          queryParam('limit', 'Items per page.', { type: 'integer', minimum: 1, maximum: 100, default: 20 }),
          queryParam('order', 'asc: oldest first; desc: newest first.', {
            type: 'string',
            enum: ['asc', 'desc'],
            default: 'desc',
          }),
          queryParam(
            'after',
            'The page after this item id (`last_id` of the page before); an unknown id gives an empty page.',
          ),
        ],
        ok: { description: 'One page.', content: json(ref('ResponseInputItemList')) },
        errors: {
          400: 'A bad `limit` or `order`, named in `param`.',
          401: E401,
          404: RESPONSE_NOT_FOUND,
          500: E500,
        },
      },
    },
    '/v1/embeddings': {
      post: relay(
        'createEmbeddings',
        'OpenAI',
        'Create embeddings',
        "OpenAI's embeddings, routed like chat completions.",
        'EmbeddingsRequest',
        json(ref('EmbeddingsResponse')),
      ),
    },
    '/v1/images/generations': {
      post: relay(
        'createImage',
        'OpenAI',
        'Generate images',
        `${MEDIA} With \`stream: true\` (gpt-image-1 partial images) the events are relayed as they arrive.`,
        'ImageGenerationRequest',
        {
          ...json(ref('ImagesResponse')),
          'text/event-stream': {
            schema: { type: 'string', description: "The upstream's image generation events, as they arrive." },
          },
        },
      ),
    },
    '/v1/audio/speech': {
      post: relay(
        'createSpeech',
        'OpenAI',
        'Text to speech',
        `${MEDIA} The audio streams back as it arrives, with the upstream's content type.`,
        'SpeechRequest',
        {
          'application/octet-stream': {
            schema: {
              type: 'string',
              contentMediaType: 'application/octet-stream',
              description: 'Audio bytes (audio/mpeg, audio/wav, …).',
            },
          },
        },
      ),
    },
    '/v1/audio/transcriptions': {
      post: {
        ...relay(
          'createTranscription',
          'OpenAI',
          'Transcribe audio',
          `${MEDIA} The multipart body is read once and reaches each deployment tried with the file and every field unchanged; \`stream=true\` events are relayed as they arrive.`,
          'TranscriptionRequest',
          transcription,
        ),
        body: { content: multipart('TranscriptionRequest') },
      },
    },
    '/v1/audio/translations': {
      post: {
        ...relay(
          'createTranslation',
          'OpenAI',
          'Translate audio to English',
          `${MEDIA} Audio in any language, answered as English text; the multipart body is relayed as for transcriptions.`,
          'TranslationRequest',
          transcription,
        ),
        body: { content: multipart('TranslationRequest') },
      },
    },
    '/v1/messages': {
      post: {
        ...relay(
          'createMessage',
          'Anthropic',
          'Create a message (Anthropic Messages API)',
          "Anthropic's Messages API, for Claude Code and @anthropic-ai/sdk. Sent unchanged (with the client's anthropic-version and anthropic-beta headers) to anthropic deployments; translated to and from chat completions, streams included, for every other kind. Errors use Anthropic's shape.",
          'AnthropicMessagesRequest',
          {
            ...json(ref('AnthropicMessage')),
            ...sse(
              'Named events: message_start, content_block_start, content_block_delta, content_block_stop, message_delta, message_stop (and ping, error).',
              'AnthropicStreamEvent',
            ),
          },
        ),
        errorShape: 'anthropic',
      },
    },
    '/v1/messages/count_tokens': {
      post: {
        ...relay(
          'countMessageTokens',
          'Anthropic',
          'Count the tokens of a message (Anthropic)',
          "Anthropic's messages.countTokens: the input tokens a Messages request (without max_tokens) would use. Counted by the provider where it can: sent unchanged to anthropic deployments, to models.countTokens on google and to CountTokens on bedrock ones. Every other kind (openai, azure, ollama, custom, echo) is estimated by the gateway with the o200k_base tokenizer, marked `x-crabllm-token-count: estimate`. Free: no budget or usage is charged. Errors use Anthropic's shape.",
          'AnthropicCountTokensRequest',
          json(ref('AnthropicTokenCount')),
        ),
        ok: {
          description: 'The count.',
          content: json(ref('AnthropicTokenCount')),
          headers: [...RELAY_HEADERS, TOKEN_COUNT_HEADER],
        },
        errorShape: 'anthropic',
      },
    },
    '/v1/models': {
      get: {
        id: 'listModels',
        tag: 'OpenAI',
        summary: 'List models',
        description: `The models, then the aliases, the caller's key may use: all of them, in OpenAI's list shape. ${ANTHROPIC_MODELS}: one page, by \`limit\`, \`after_id\` and \`before_id\` (ignored without the header).`,
        security: KEY,
        parameters: [
          ANTHROPIC_VERSION,
          queryParam('limit', 'Anthropic shape: models per page.', {
            type: 'integer',
            minimum: 1,
            maximum: 1000,
            default: 20,
          }),
          queryParam('after_id', 'Anthropic shape: the page after this id (`last_id` of the page before).'),
          queryParam('before_id', 'Anthropic shape: the page before this id (`first_id` of the page after).'),
        ],
        ok: {
          description: 'The list.',
          content: json({ oneOf: [ref('ModelList'), ref('AnthropicModelList')] }),
        },
        errors: {
          400: 'Anthropic shape: a bad `limit`, both cursors, or a cursor that is not in the list.',
          401: E401,
          500: E500,
        },
        errorShape: 'either',
      },
    },
    '/v1/models/{id}': {
      get: {
        id: 'getModel',
        tag: 'OpenAI',
        summary: 'Show a model',
        description: `One model or alias the caller's key may use, in OpenAI's shape. ${ANTHROPIC_MODELS}. The id is the rest of the path: it may hold \`/\` and \`:\`, as is or percent-encoded.`,
        security: KEY,
        parameters: [pathParam('id', 'A model name or an alias (openai/gpt-4o).'), ANTHROPIC_VERSION],
        ok: {
          description: 'The model.',
          content: json({ oneOf: [ref('Model'), ref('AnthropicModelInfo')] }),
        },
        errors: {
          401: E401,
          404: "No such model or alias, or one the key may not use (`model_not_found`; `not_found_error` in Anthropic's shape).",
          500: E500,
        },
        errorShape: 'either',
      },
    },
    '/v1/cache': {
      delete: {
        id: 'clearCache',
        tag: 'Extensions',
        summary: 'Clear the response cache',
        description:
          'With [extensions.cache]. Starts a new cache generation: no entry stored before is served again, on any instance sharing the storage.',
        security: KEY,
        ok: { description: 'Cleared.', content: json(ref('CacheCleared')) },
        errors: { 401: E401, 403: 'A key other than the admin token (`admin_only`).', 500: E500 },
      },
    },
    '/v1/usage': {
      get: {
        id: 'getUsage',
        tag: 'Extensions',
        summary: 'Token usage',
        description:
          "With [extensions.usage]. Token and request counters by key and model: the caller's own, or every key's for the admin token.",
        security: KEY,
        ok: {
          description: 'The rows.',
          content: json(ref('UsageList')),
          headers: ['RequestId', 'x-crabllm-truncated'],
        },
        errors: { 401: E401, 500: E500 },
      },
    },
    '/v1/budget': {
      get: {
        id: 'getBudget',
        tag: 'Extensions',
        summary: 'Spend and budget',
        description:
          "With [extensions.budget]. Spend in USD against the budget: the caller's own, or every key's for the admin token.",
        security: KEY,
        ok: { description: 'The rows.', content: json(ref('BudgetList')) },
        errors: { 401: E401, 500: E500 },
      },
    },
    '/v1/admin/logs': {
      get: {
        id: 'listLogs',
        tag: 'Admin',
        summary: 'Audit records',
        description:
          'With [extensions.audit]. One record per request, newest first; page back with `until = next_until`. A key, model or status filter reads at most 10 × `limit` records per page (then `truncated: true`).',
        security: ADMIN,
        parameters: [
          queryParam('key', 'Only this key name.'),
          queryParam('model', 'Only this canonical model.'),
          queryParam(
            'status',
            'Only these answers: a status code (`429`), a class (`2xx`, `4xx`, `5xx`), `error` (status ≥ 400, a stream that failed after it started, or an error code) or `ok` (the rest).',
            { type: 'string', pattern: '^([1-5][0-9][0-9]|[1-5]xx|error|ok)$' },
          ),
          queryParam('since', 'Oldest time included: ISO 8601 (2024-06-01T12:00:00Z) or ms since the epoch.'),
          queryParam('until', 'Newest time included, as `since`.'),
          queryParam('limit', 'Records per page (default 100).', {
            type: 'integer',
            minimum: 1,
            maximum: 1000,
            default: 100,
          }),
        ],
        ok: { description: 'One page.', content: json(ref('LogPage')) },
        errors: { 400: 'A bad query parameter, named in `param`.', ...ADMIN_ERRORS },
      },
    },
    '/v1/admin/stats': {
      get: {
        id: 'getStats',
        tag: 'Admin',
        summary: 'Usage, errors, spend and latency over time',
        description:
          "What the dashboard charts. From the audit records of the window (with [extensions.audit]): per time bucket (60 × 1 min for `1h`, 48 × 30 min for `24h`, aligned to the bucket length) requests, errors, prompt and completion tokens, cost and p50/p99 latency; the same over the whole window; the top keys and models by requests and by spend; and each provider's requests, errors and latency. At most `max_records` (20 000) records are read, the newest: beyond that `truncated: true` and `complete_since` say from when the numbers are complete. Also live gauges of the instance that answered: requests in flight and open streams. Without the audit extension: the live gauges only, `audit: false` and a `hint`.",
        security: ADMIN,
        parameters: [
          queryParam('window', 'The time window.', { type: 'string', enum: ['1h', '24h'], default: '1h' }),
          queryParam('top', 'Rows in each top list.', { type: 'integer', minimum: 1, maximum: 100, default: 10 }),
        ],
        ok: { description: 'The numbers.', content: json(ref('Stats')) },
        errors: { 400: 'A bad query parameter, named in `param`.', ...ADMIN_ERRORS },
      },
    },
    ...collection('keys', 'key', 'Admin', {
      create: 'CreateKeyBody',
      created: 'CreatedKey',
      update: 'UpdateKeyBody',
      view: 'KeyView',
      list: 'KeyList',
      notes: {
        create:
          'The gateway generates the secret (`sk-` + 48 base62 characters) and shows it in this answer only. Stored as a SHA-256 digest.',
        list: 'Keys of the config file (`source: "config"`) and of this API, secrets masked.',
        update: 'Keys of the config file are read-only here (409 `read_only`).',
        remove: 'Revokes the key: refused on its next request, on every instance.',
      },
    }),
    ...collection('providers', 'provider', 'Admin', {
      create: 'CreateProviderBody',
      created: 'ProviderView',
      update: 'UpdateProviderBody',
      view: 'ProviderView',
      list: 'ProviderList',
      notes: {
        create:
          "Without `models` the upstream's model list is fetched first; nothing is stored if that fails. Takes effect at once, on every instance.",
        list: 'Providers of the config file (`source: "config"`) and of this API, secrets masked.',
        update: 'Re-validated as a whole. Providers of the config file are read-only here (409 `read_only`).',
        remove: 'Requests in flight finish; new ones no longer route to it.',
      },
    }),
    '/health': {
      get: {
        id: 'health',
        tag: 'Operations',
        summary: 'Liveness',
        description: 'No auth. 503 while draining for shutdown, so that load balancers stop sending.',
        security: NONE,
        ok: { description: 'Serving.', content: json(ref('Health')) },
        errors: {},
      },
    },
    '/metrics': {
      get: {
        id: 'metrics',
        tag: 'Operations',
        summary: 'Prometheus metrics',
        description:
          'Requests, durations, time to first byte, upstream attempts, retries and fallbacks, tokens, cost, open streams, cache hits, rejections and process metrics, in Prometheus text format. `metrics = false` removes the route; with `metrics_token` it needs that token (or the admin token).',
        security: [{}, { metricsToken: [] }, { adminToken: [] }],
        ok: {
          description: 'The metrics.',
          content: {
            'text/plain': { schema: { type: 'string', description: 'Prometheus text exposition format 0.0.4.' } },
          },
        },
        errors: { 401: 'metrics_token is set and was not sent.' },
      },
    },
    '/ui': {
      get: {
        id: 'dashboard',
        tag: 'Dashboard',
        summary: 'The dashboard',
        description:
          "No auth for the page itself (it holds no data): it asks for the admin token, keeps it in the tab's sessionStorage and sends it with every call to the admin API (/v1/admin/stats, keys, providers and logs) and to /v1/budget and /v1/models. Its script and stylesheet are part of the binary: nothing is loaded from another origin (Content-Security-Policy: self only).",
        security: NONE,
        ok: { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
    '/ui/app.js': {
      get: {
        id: 'dashboardScript',
        tag: 'Dashboard',
        summary: "The dashboard's script",
        description:
          'Embedded in the binary; gzipped when accepted; cached for a year when asked for with `?v=<content hash>` (as the page does).',
        security: NONE,
        parameters: [queryParam('v', 'The content hash the page links (cache key).')],
        ok: {
          description: 'JavaScript (an ES module).',
          content: { 'text/javascript': { schema: { type: 'string' } } },
        },
      },
    },
    '/ui/app.css': {
      get: {
        id: 'dashboardStyle',
        tag: 'Dashboard',
        summary: "The dashboard's stylesheet",
        description: 'Embedded in the binary; served like /ui/app.js.',
        security: NONE,
        parameters: [queryParam('v', 'The content hash the page links (cache key).')],
        ok: { description: 'CSS.', content: { 'text/css': { schema: { type: 'string' } } } },
      },
    },
    '/openapi.json': {
      get: {
        id: 'openapi',
        tag: 'Operations',
        summary: 'This document',
        description: 'No auth. `openapi = false` removes it (404), with /docs.',
        security: NONE,
        ok: { description: 'The OpenAPI 3.1 document.', content: json({ type: 'object' }) },
      },
    },
    '/docs': {
      get: {
        id: 'docs',
        tag: 'Operations',
        summary: 'Interactive API reference',
        description:
          'No auth. This document rendered by Scalar, whose assets are part of the binary: it works with no internet access.',
        security: NONE,
        ok: { description: 'An HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
    '/docs/scalar.js': {
      get: {
        id: 'docsScript',
        tag: 'Operations',
        summary: 'The Scalar script /docs loads',
        description:
          'The standalone @scalar/api-reference bundle, embedded in the binary; cached for a year (its URL carries a content hash).',
        security: NONE,
        ok: { description: 'JavaScript.', content: { 'text/javascript': { schema: { type: 'string' } } } },
      },
    },
  }
}

interface CollectionSchemas {
  create: SchemaName
  created: SchemaName
  update: SchemaName
  view: SchemaName
  list: SchemaName
  notes: { create: string; list: string; update: string; remove: string }
}

/** The five routes of an admin collection (src/server/routes/admin-crud.ts): list, create, show, update, delete. */
function collection(
  plural: string,
  singular: string,
  tag: string,
  s: CollectionSchemas,
): Record<string, Record<string, Operation>> {
  const Title = singular[0]!.toUpperCase() + singular.slice(1)
  const name = [pathParam('name', `The ${singular}'s name.`)]
  const invalid = `An invalid field, named in \`param\`.`
  const conflict = `A ${singular} of that name exists (\`already_exists\`), or it comes from the config file (\`read_only\`).`
  return {
    [`/v1/admin/${plural}`]: {
      get: {
        id: `list${Title}s`,
        tag,
        summary: `List ${plural}`,
        description: s.notes.list,
        security: ADMIN,
        ok: { description: 'The list.', content: json(ref(s.list)) },
        errors: ADMIN_ERRORS,
      },
      post: {
        id: `create${Title}`,
        tag,
        summary: `Create a ${singular}`,
        description: s.notes.create,
        security: ADMIN,
        body: { content: json(ref(s.create)) },
        ok: { status: 201, description: 'Created.', content: json(ref(s.created)) },
        errors: { 400: invalid, ...ADMIN_ERRORS, 409: conflict, 413: E413 },
      },
    },
    [`/v1/admin/${plural}/{name}`]: {
      get: {
        id: `get${Title}`,
        tag,
        summary: `Show a ${singular}`,
        security: ADMIN,
        parameters: name,
        ok: { description: `The ${singular}.`, content: json(ref(s.view)) },
        errors: { ...ADMIN_ERRORS, 404: NOT_FOUND(singular) },
      },
      patch: {
        id: `update${Title}`,
        tag,
        summary: `Update a ${singular}`,
        description: s.notes.update,
        security: ADMIN,
        parameters: name,
        body: { content: json(ref(s.update)) },
        ok: { description: `The ${singular} as changed.`, content: json(ref(s.view)) },
        errors: { 400: invalid, ...ADMIN_ERRORS, 404: NOT_FOUND(singular), 409: conflict, 413: E413 },
      },
      delete: {
        id: `delete${Title}`,
        tag,
        summary: `Delete a ${singular}`,
        description: s.notes.remove,
        security: ADMIN,
        parameters: name,
        ok: { description: 'Deleted.', content: json(ref('Deleted')) },
        errors: { ...ADMIN_ERRORS, 404: NOT_FOUND(singular), 409: conflict },
      },
    },
  }
}
