// The request bodies the bench sends, one per scenario family, built once as bytes. Each names the mock
// model whose answer it expects (BENCH_MODELS), so every gateway routes it to the same mock. The
// translated families (messages-to-openai, anthropic-kind) also carry the equivalent request in the
// upstream's format: what the gateway sends upstream, and what the direct target gets.
import { type AnswerKind, BENCH_ANTHROPIC_MODEL, BENCH_MODELS } from './mock-upstream'

export const FAMILIES = [
  'chat-minimal',
  'chat-stream',
  'embeddings',
  'large-context',
  'tools',
  'long-stream',
  'responses',
  'messages-to-openai',
  'anthropic-kind',
] as const
export type Family = (typeof FAMILIES)[number]

/** The API a request goes to: its path is ENDPOINT_PATHS[endpoint]. */
export type Endpoint = 'chat' | 'embeddings' | 'responses' | 'messages'
export const ENDPOINT_PATHS: Readonly<Record<Endpoint, string>> = {
  chat: '/v1/chat/completions',
  embeddings: '/v1/embeddings',
  responses: '/v1/responses',
  messages: '/v1/messages',
}

/**
 * How a client sends its key: OpenAI's `Authorization: Bearer`, or as Anthropic's SDKs do, `x-api-key`
 * with `anthropic-version: 2023-06-01` (crabllm accepts its keys in either header).
 */
export type Dialect = 'openai' | 'anthropic'

/** The kind of deployment crabllm routes a request to (processes.ts: one provider of each kind, both at the mock). */
export type UpstreamKind = 'openai' | 'anthropic'

/**
 * How a gateway's answer is checked. `bytes`: it must be exactly the mock's answer (a passthrough).
 * Otherwise the gateway translated the answer into the client's format, and the fields that carry it
 * are compared (scenarios.ts answerMismatches): an Anthropic Message, or a chat completion.
 */
export type AnswerCheck = 'bytes' | 'anthropic-message' | 'chat-completion'

/** A request as it goes on the wire. */
export interface WireRequest {
  endpoint: Endpoint
  dialect: Dialect
  body: Uint8Array
}

export interface FamilySpec {
  /** The client's request: what the gateways get. */
  body: Uint8Array
  endpoint: Endpoint
  dialect: Dialect
  /** The mock's answer to the direct request (the gateways' answer too, when `check` is `bytes`). */
  answer: AnswerKind
  check: AnswerCheck
  upstream: UpstreamKind
  /** The direct target's request when it is not the client's: the equivalent request in the upstream's format. */
  direct?: WireRequest
  stream: boolean
  description: string
}

const encoder = new TextEncoder()
const json = (value: unknown) => encoder.encode(JSON.stringify(value))

/** The mock's stream always ends with a usage chunk, as OpenAI's does for a client that asks for it; asking keeps a gateway that counts tokens from hiding it. */
const STREAM = { stream: true, stream_options: { include_usage: true } }

const HELLO = [{ role: 'user', content: 'Hello!' }]

/** The families whose request and answer go through unchanged to and from the openai-kind deployment. */
const OPENAI_PASSTHROUGH = { dialect: 'openai', check: 'bytes', upstream: 'openai' } as const

const TWO_MESSAGES = [
  { role: 'system', content: 'You are a concise assistant. Answer in one sentence.' },
  { role: 'user', content: 'In one sentence, what does an LLM gateway add to a request?' },
]

export const BODIES: Record<Family, FamilySpec> = {
  'chat-minimal': {
    ...OPENAI_PASSTHROUGH,
    body: json({ model: BENCH_MODELS.chat, messages: HELLO }),
    answer: 'chat',
    endpoint: 'chat',
    stream: false,
    description: 'non-stream chat completion, one short message',
  },
  'chat-stream': {
    ...OPENAI_PASSTHROUGH,
    body: json({ model: BENCH_MODELS.chat, messages: TWO_MESSAGES, temperature: 0.2, max_tokens: 64, ...STREAM }),
    answer: 'stream',
    endpoint: 'chat',
    stream: true,
    description: 'streaming chat completion, 20 content chunks',
  },
  embeddings: {
    ...OPENAI_PASSTHROUGH,
    body: json({
      model: BENCH_MODELS.chat,
      input: 'The quick brown fox jumps over the lazy dog.',
      encoding_format: 'float',
    }),
    answer: 'embeddings',
    endpoint: 'embeddings',
    stream: false,
    description: 'embeddings, one 1536-float vector back (~19 KB)',
  },
  'large-context': {
    ...OPENAI_PASSTHROUGH,
    body: json({ model: BENCH_MODELS.chat, messages: largeContext(50), temperature: 0.2, max_tokens: 256 }),
    answer: 'chat',
    endpoint: 'chat',
    stream: false,
    description: 'non-stream chat completion with 50 messages in the request',
  },
  tools: {
    ...OPENAI_PASSTHROUGH,
    body: json({ model: BENCH_MODELS.tools, messages: TWO_MESSAGES, tools: toolDefinitions(10), tool_choice: 'auto' }),
    answer: 'tools',
    endpoint: 'chat',
    stream: false,
    description: 'non-stream chat completion with 10 tool definitions; a tool call back',
  },
  'long-stream': {
    ...OPENAI_PASSTHROUGH,
    body: json({ model: BENCH_MODELS.long, messages: TWO_MESSAGES, max_tokens: 1024, ...STREAM }),
    answer: 'longStream',
    endpoint: 'chat',
    stream: true,
    description: 'streaming chat completion, 500 content chunks',
  },
  // OpenAI's Responses API, passed through as bytes to the openai-kind deployment. No `store` field:
  // OpenAI's default (true) applies, so crabllm keeps each answer in its storage as a client's would be.
  responses: {
    ...OPENAI_PASSTHROUGH,
    body: json({ model: BENCH_MODELS.chat, input: 'Hello!' }),
    answer: 'responses',
    endpoint: 'responses',
    stream: false,
    description: 'non-stream Responses API call (/v1/responses), passed through',
  },
  // An Anthropic client (Messages API) in front of the openai-kind deployment: crabllm translates the
  // request to a chat completion and the answer back to a Message. Direct is the mock's chat completions
  // endpoint with the chat body the translation makes, so "added" includes both translations.
  'messages-to-openai': {
    body: json({ model: BENCH_MODELS.chat, max_tokens: 256, messages: HELLO }),
    endpoint: 'messages',
    dialect: 'anthropic',
    answer: 'chat',
    check: 'anthropic-message',
    upstream: 'openai',
    direct: {
      endpoint: 'chat',
      dialect: 'openai',
      body: json({ model: BENCH_MODELS.chat, messages: HELLO, max_tokens: 256 }),
    },
    stream: false,
    description: 'non-stream Anthropic Messages call (/v1/messages) to the openai-kind deployment, translated',
  },
  // A chat completion (chat-minimal's, another model) to the anthropic-kind deployment: crabllm
  // translates it to a Messages call and the Message back. Direct is the mock's /v1/messages with the
  // Messages body the translation makes (max_tokens: the default for a model it does not know).
  'anthropic-kind': {
    body: json({ model: BENCH_ANTHROPIC_MODEL, messages: HELLO }),
    endpoint: 'chat',
    dialect: 'openai',
    answer: 'message',
    check: 'chat-completion',
    upstream: 'anthropic',
    direct: {
      endpoint: 'messages',
      dialect: 'anthropic',
      body: json({ model: BENCH_ANTHROPIC_MODEL, messages: HELLO, max_tokens: 4096 }),
    },
    stream: false,
    description: 'non-stream chat completion to the anthropic-kind deployment, translated to Messages and back',
  },
}

/** open-streams: the mock's slow stream. */
export const SLOW_BODY = json({ model: BENCH_MODELS.slow, messages: TWO_MESSAGES, max_tokens: 64, ...STREAM })

/** A system prompt, then user/assistant turns of a few hundred characters each, ending on a user turn. */
function largeContext(count: number) {
  const messages: { role: string; content: string }[] = [
    {
      role: 'system',
      content: 'You are a careful assistant helping to plan a data migration. Keep answers short and precise.',
    },
  ]
  for (let i = 1; i < count; i++) {
    const user = i % 2 === 1
    const content = user
      ? `Step ${i}: the table orders_${i} has ${1000 * i} rows, a composite key (tenant_id, order_id) and three foreign keys. Which constraints should be dropped before the copy and restored after it, and in which order?`
      : `For orders_${i - 1}: drop the three foreign keys first, copy in batches of 10,000 rows ordered by the key, then restore the foreign keys with NOT VALID and validate them separately, so that the copy never waits on a lock.`
    messages.push({ role: user ? 'user' : 'assistant', content })
  }
  return messages
}

/** Function tools with realistic JSON Schema parameters. */
function toolDefinitions(count: number) {
  const names = [
    'get_weather',
    'search_flights',
    'book_hotel',
    'convert_currency',
    'get_stock_price',
    'send_email',
    'create_calendar_event',
    'translate_text',
    'lookup_order',
    'schedule_call',
  ]
  return Array.from({ length: count }, (_, i) => ({
    type: 'function',
    function: {
      name: names[i % names.length]! + (i >= names.length ? `_${i}` : ''),
      description: `Tool ${i}: ${names[i % names.length]!.replaceAll('_', ' ')} for the user, returning a JSON object with the result and a short human-readable summary.`,
      parameters: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'What to look up, in the user’s words.' },
          city: { type: 'string', description: 'City name, e.g. Lisbon.' },
          date: { type: 'string', format: 'date', description: 'ISO 8601 date.' },
          limit: { type: 'integer', minimum: 1, maximum: 50, description: 'Most results to return.' },
          unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['query'],
        additionalProperties: false,
      },
    },
  }))
}
