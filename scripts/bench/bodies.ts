// The request bodies the bench sends, one per scenario family, built once as bytes. Each names the mock
// model whose answer it expects (BENCH_MODELS), so every gateway routes it to the same mock.
import { type AnswerKind, BENCH_MODELS } from './mock-upstream'

export const FAMILIES = ['chat-minimal', 'chat-stream', 'embeddings', 'large-context', 'tools', 'long-stream'] as const
export type Family = (typeof FAMILIES)[number]

export interface FamilySpec {
  body: Uint8Array
  answer: AnswerKind
  endpoint: 'chat' | 'embeddings'
  stream: boolean
  description: string
}

const encoder = new TextEncoder()
const json = (value: unknown) => encoder.encode(JSON.stringify(value))

/** The mock's stream always ends with a usage chunk, as OpenAI's does for a client that asks for it; asking keeps a gateway that counts tokens from hiding it. */
const STREAM = { stream: true, stream_options: { include_usage: true } }

const TWO_MESSAGES = [
  { role: 'system', content: 'You are a concise assistant. Answer in one sentence.' },
  { role: 'user', content: 'In one sentence, what does an LLM gateway add to a request?' },
]

export const BODIES: Record<Family, FamilySpec> = {
  'chat-minimal': {
    body: json({ model: BENCH_MODELS.chat, messages: [{ role: 'user', content: 'Hello!' }] }),
    answer: 'chat',
    endpoint: 'chat',
    stream: false,
    description: 'non-stream chat completion, one short message',
  },
  'chat-stream': {
    body: json({ model: BENCH_MODELS.chat, messages: TWO_MESSAGES, temperature: 0.2, max_tokens: 64, ...STREAM }),
    answer: 'stream',
    endpoint: 'chat',
    stream: true,
    description: 'streaming chat completion, 20 content chunks',
  },
  embeddings: {
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
    body: json({ model: BENCH_MODELS.chat, messages: largeContext(50), temperature: 0.2, max_tokens: 256 }),
    answer: 'chat',
    endpoint: 'chat',
    stream: false,
    description: 'non-stream chat completion with 50 messages in the request',
  },
  tools: {
    body: json({ model: BENCH_MODELS.tools, messages: TWO_MESSAGES, tools: toolDefinitions(10), tool_choice: 'auto' }),
    answer: 'tools',
    endpoint: 'chat',
    stream: false,
    description: 'non-stream chat completion with 10 tool definitions; a tool call back',
  },
  'long-stream': {
    body: json({ model: BENCH_MODELS.long, messages: TWO_MESSAGES, max_tokens: 1024, ...STREAM }),
    answer: 'longStream',
    endpoint: 'chat',
    stream: true,
    description: 'streaming chat completion, 500 content chunks',
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
