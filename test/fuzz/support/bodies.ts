// Valid request bodies for each surface, assembled at random from realistic parts (the starting points
// the mutators damage), and the case generator shared by the JSON surfaces.
import { damage, mutate, render, type Tree } from './json'
import type { Rng } from './rng'

const SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string', description: 'City name' },
    unit: { enum: ['c', 'f', null] },
    where: { $ref: '#/$defs/place' },
    tags: { type: 'array', items: { type: ['string', 'null'] }, minItems: 1 },
    maybe: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    pick: {
      oneOf: [
        { type: 'integer', format: 'int32' },
        { type: 'string', format: 'date-time' },
      ],
    },
    pair: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'string' }] },
    fixed: { const: 3 },
  },
  required: ['city', 'where'],
  allOf: [{ properties: { extra: { type: 'boolean' } } }, { $ref: '#/definitions/more' }],
  $defs: { place: { type: 'object', properties: { lat: { type: 'number' }, next: { $ref: '#/$defs/place' } } } },
  definitions: { more: { properties: { more: { type: 'string' } }, required: ['more'] } },
  additionalProperties: false,
}

/**
 * Definitions that each refer to the next one twice: inlined naively, `n` of them become 2^n nodes
 * (a 2 KB schema, hundreds of MB once expanded). Translators must refuse or bound it, not hang.
 */
export function refBomb(n: number): Record<string, unknown> {
  const $defs: Record<string, unknown> = {}
  for (let i = 0; i < n; i++)
    $defs[`d${i}`] = {
      type: 'object',
      properties: { a: { $ref: `#/$defs/d${i + 1}` }, b: { $ref: `#/$defs/d${i + 1}` } },
    }
  $defs[`d${n}`] = { type: 'string' }
  return { type: 'object', properties: { root: { $ref: '#/$defs/d0' } }, $defs }
}

function schema(rng: Rng): Record<string, unknown> {
  return rng.chance(0.1) ? refBomb(rng.range(8, 40)) : structuredClone(SCHEMA)
}

function some<T>(rng: Rng, items: readonly T[], min = 1): T[] {
  const out = items.filter(() => rng.chance(0.5))
  while (out.length < min) out.push(rng.pick(items))
  return out
}

function maybe(
  rng: Rng,
  body: Record<string, unknown>,
  fields: Record<string, () => unknown>,
  p = 0.4,
): Record<string, unknown> {
  for (const [k, v] of Object.entries(fields)) if (rng.chance(p)) body[k] = v()
  return body
}

// --- POST /v1/chat/completions ---

const CHAT_MESSAGES: (() => Record<string, unknown>)[] = [
  () => ({ role: 'system', content: 'Be brief.' }),
  () => ({ role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] }),
  () => ({ role: 'user', content: 'What is the weather in Paris?' }),
  () => ({
    role: 'user',
    content: [
      { type: 'text', text: 'Look:' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ],
  }),
  () => ({
    role: 'user',
    content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } }],
  }),
  () => ({
    role: 'user',
    content: [{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }],
  }),
  () => ({ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }] }),
  () => ({ role: 'assistant', content: 'Sure.' }),
  () => ({
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
  }),
  () => ({ role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' }),
  () => ({ role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: 'sunny' }] }),
  () => ({
    role: 'assistant',
    content: [
      { type: 'text', text: 'Thinking' },
      { type: 'refusal', refusal: 'no' },
    ],
  }),
]

export function chatBody(rng: Rng, model: string): Record<string, unknown> {
  const messages = some(rng, CHAT_MESSAGES).map((m) => m())
  if (!messages.some((m) => m.role === 'user')) messages.push({ role: 'user', content: 'hi' })
  const body: Record<string, unknown> = { model, messages }
  return maybe(rng, body, {
    tools: () => [
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: schema(rng) } },
    ],
    tool_choice: () => rng.pick(['auto', 'required', 'none', { type: 'function', function: { name: 'get_weather' } }]),
    parallel_tool_calls: () => rng.chance(0.5),
    response_format: () =>
      rng.pick([
        { type: 'text' },
        { type: 'json_object' },
        { type: 'json_schema', json_schema: { name: 'out', strict: true, schema: schema(rng) } },
      ]),
    temperature: () => rng.pick([0, 0.5, 1, 1.5]),
    top_p: () => 0.9,
    top_k: () => 40,
    max_tokens: () => rng.pick([1, 64, 4096]),
    max_completion_tokens: () => 128,
    stop: () => rng.pick(['\n\n', ['END', 'STOP']]),
    n: () => 1,
    seed: () => 7,
    presence_penalty: () => 0.1,
    frequency_penalty: () => 0.1,
    user: () => 'user-1',
    logprobs: () => false,
    stream: () => rng.chance(0.6),
    stream_options: () => ({ include_usage: rng.chance(0.5) }),
    metadata: () => ({ tag: 'x' }),
  })
}

// --- POST /v1/messages ---

const MESSAGES_TURNS: (() => Record<string, unknown>)[] = [
  () => ({ role: 'user', content: 'Hello, Claude' }),
  () => ({
    role: 'user',
    content: [
      { type: 'text', text: 'See this', cache_control: { type: 'ephemeral' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
    ],
  }),
  () => ({
    role: 'user',
    content: [
      { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Some text' }, title: 'Doc' },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
      { type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'part' }] } },
    ],
  }),
  () => ({
    role: 'assistant',
    content: [
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'text', text: 'Let me check.' },
      {
        type: 'tool_use',
        id: 'toolu_1',
        name: 'get_weather',
        input: { city: 'Paris', nested: { a: [1, 2, { b: null }] } },
      },
    ],
  }),
  () => ({
    role: 'user',
    content: [
      {
        type: 'tool_result',
        tool_use_id: 'toolu_1',
        content: [
          { type: 'text', text: '21C' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
        ],
      },
      { type: 'tool_result', tool_use_id: 'toolu_2', content: 'done', is_error: true },
      { type: 'text', text: 'thanks' },
    ],
  }),
  () => ({ role: 'assistant', content: 'Partial answer' }),
]

export function messagesBody(rng: Rng, model: string): Record<string, unknown> {
  const messages = some(rng, MESSAGES_TURNS).map((m) => m())
  const body: Record<string, unknown> = { model, max_tokens: rng.pick([1, 256, 4096]), messages }
  return maybe(rng, body, {
    system: () => rng.pick(['You are terse.', [{ type: 'text', text: 'Sys', cache_control: { type: 'ephemeral' } }]]),
    tools: () => [
      { name: 'get_weather', description: 'Weather', input_schema: schema(rng) },
      ...(rng.chance(0.2) ? [{ type: 'web_search_20250305', name: 'web_search' }] : []),
    ],
    tool_choice: () =>
      rng.pick([
        { type: 'auto' },
        { type: 'any', disable_parallel_tool_use: true },
        { type: 'tool', name: 'get_weather' },
        { type: 'none' },
      ]),
    stop_sequences: () => ['END'],
    temperature: () => 0.7,
    top_p: () => 0.9,
    top_k: () => 5,
    metadata: () => ({ user_id: 'u-1' }),
    stream: () => rng.chance(0.6),
    thinking: () => ({ type: 'enabled', budget_tokens: 1024 }),
    service_tier: () => 'auto',
  })
}

// --- POST /v1/embeddings ---

export function embeddingsBody(rng: Rng, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model,
    input: rng.pick<unknown>(['hello world', ['a', 'b', 'c'], [1, 2, 3], [[1, 2], [3]], '']),
  }
  return maybe(rng, body, {
    encoding_format: () => rng.pick(['float', 'base64']),
    dimensions: () => rng.pick([1, 256]),
    user: () => 'u',
  })
}

// --- the JSON case shared by the model surfaces ---

export interface JsonCase {
  body: Uint8Array
  /** What the body was before rendering (for the report). */
  kind: 'valid' | 'mutated' | 'damaged' | 'huge'
  headers: Record<string, string>
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
  'application/xml',
  '*/*',
  'application/json;;;',
]

/**
 * A body from `base`: 10% as is, else mutated; 15% of those damaged at the byte level; 1% a huge
 * string (a few MB, some over max_body_size). Headers: the key (rarely missing or wrong) and a JSON
 * content type (rarely another one, or none).
 */
export function jsonCase(
  rng: Rng,
  base: Record<string, unknown>,
  auth: (key: string) => Record<string, string>,
  key: string,
  maxBody: number,
): JsonCase {
  let tree: Tree = base
  let kind: JsonCase['kind'] = 'valid'
  if (rng.chance(0.01)) {
    kind = 'huge'
    // Over max_body_size but under Bun's own limit (max_body_size + 64 KiB, server/listen.ts): the
    // gateway's 413. Above Bun's limit Bun answers a bare 413 before the gateway sees the request.
    const size = rng.pick([maxBody - 200, maxBody + 10, maxBody + 60_000, Math.floor(maxBody / 2)])
    tree = { ...base, padding: 'x'.repeat(Math.max(0, size)) }
  } else if (rng.chance(0.9)) {
    kind = 'mutated'
    tree = mutate(rng, base)
  }
  const text = render(tree, rng)
  let body = damage(rng, text, 0)
  if (kind !== 'huge' && rng.chance(0.15)) {
    kind = 'damaged'
    body = damage(rng, text, 1)
  }
  const headers: Record<string, string> = {}
  const authRoll = rng.float()
  if (authRoll < 0.96) Object.assign(headers, auth(key))
  else if (authRoll < 0.98) Object.assign(headers, auth('sk-wrong-key'))
  const typeRoll = rng.float()
  if (typeRoll < 0.9) headers['content-type'] = 'application/json'
  else if (typeRoll < 0.97) headers['content-type'] = rng.pick(CONTENT_TYPES)
  return { body, kind, headers }
}

export function showJsonCase(c: JsonCase): string {
  const text = new TextDecoder().decode(c.body.subarray(0, 600))
  return `${c.kind} ${JSON.stringify(c.headers)} bytes(${c.body.byteLength}) ${JSON.stringify(text)}`
}
