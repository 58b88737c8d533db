// The pure answer translators, called directly with what a broken or hostile upstream could send:
// success bodies with every field of the wrong type (Anthropic Message → chat completion, Gemini →
// chat completion and embeddings, Bedrock Converse → chat completion, chat completion → Anthropic
// Message) and error bodies of any text. They return, never throw; what they return serialises, keeps
// its shape (token counts are finite numbers, error types and messages are strings), and names no
// value inherited from Object.prototype. A body that is not a JSON object never reaches them: the
// exchange reads answers with parseObject and answers 502 for anything else.
import { describe, expect, test } from 'bun:test'
import { fromChatError, fromChatResponse } from '../../src/anthropic-messages'
import { isObject } from '../../src/core/json'
import { fromAnthropicError } from '../../src/providers/anthropic/errors'
import { fromAnthropicResponse } from '../../src/providers/anthropic/response'
import { fromBedrockError } from '../../src/providers/bedrock/errors'
import { fromBedrockResponse } from '../../src/providers/bedrock/response'
import type { AnswerMeta } from '../../src/providers/exchange'
import { fromGeminiEmbedResponse } from '../../src/providers/google/embeddings'
import { fromGeminiError, retryAfterOf } from '../../src/providers/google/errors'
import { fromGeminiResponse } from '../../src/providers/google/response'
import { message as anthropicMessage } from '../support/fixtures/anthropic'
import { geminiError, textAnswer } from '../support/fixtures/google/gemini'
import { chatCompletion } from '../support/mock-upstream'
import { caseCount, fuzz, preview, prototypeChanges, snapshotPrototypes } from './support/harness'
import { damage, hostileString, mutate, PROTO_KEYS, render } from './support/json'
import type { Rng } from './support/rng'

const before = snapshotPrototypes()
const SHAPE = { deepest: 40 }
const META: AnswerMeta = {
  model: 'm',
  created: 1_700_000_000,
  includeUsage: false,
  headers: new Headers({ 'x-amzn-requestid': 'x' }),
  request: {},
}
const NOT_AN_OBJECT = 'not an object (the exchange answers 502)'

/** A hostile upstream body (parsed), from a realistic one. */
function hostile(rng: Rng, base: object): unknown {
  try {
    return JSON.parse(render(rng.chance(0.95) ? mutate(rng, base, 4, SHAPE) : base))
  } catch {
    return rng.pick([null, 1, 'x', [], {}])
  }
}

/** Text an upstream could answer an error with: its JSON, damaged JSON, or anything. */
function errorText(rng: Rng, base: object): string {
  const json = render(rng.chance(0.9) ? mutate(rng, base, 3, SHAPE) : base)
  return rng.weighted<() => string>([
    [6, () => json],
    [2, () => new TextDecoder().decode(damage(rng, json, 1))],
    [1, () => hostileString(rng)],
  ])()
}

const STATUSES = [400, 401, 402, 403, 404, 408, 413, 422, 424, 429, 499, 500, 502, 503, 504, 529, 599, 200, 0, -1, 1000]

/**
 * Every own value a JSON walk reaches is plain data: no function (an Object.prototype member read by a
 * dynamic key, which JSON.stringify would silently drop). Passed-through numbers may be infinite: an
 * upstream's 1e309 parses as Infinity and serialises as null, as JSON does.
 */
function expectPlainData(value: unknown, where = 'result'): void {
  if (typeof value === 'function') throw new Error(`${where} is a function (read from a prototype?)`)
  if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) expectPlainData(v, `${where}.${k}`)
}

function expectCount(value: unknown, where: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new Error(`${where} is not a token count: ${preview(value)}`)
}

function expectChatCompletion(out: { choices: unknown[]; usage: object }): string {
  JSON.stringify(out)
  expectPlainData(out)
  for (const k of ['prompt_tokens', 'completion_tokens', 'total_tokens'])
    expectCount((out.usage as Record<string, unknown>)[k], `usage.${k}`)
  for (const c of out.choices as { finish_reason: unknown; message: { content: unknown } }[]) {
    if (!['stop', 'length', 'tool_calls', 'content_filter'].includes(c.finish_reason as string))
      throw new Error(`finish_reason ${preview(c.finish_reason)}`)
    if (c.message.content !== null && typeof c.message.content !== 'string')
      throw new Error(`content ${preview(c.message.content)}`)
  }
  return 'returned'
}

function expectOpenAiErrorBody(body: { error: Record<string, unknown> }): string {
  JSON.stringify(body)
  expectPlainData(body)
  const e = body.error
  if (typeof e.message !== 'string' || !e.message) throw new Error(`message ${preview(e.message)}`)
  if (typeof e.type !== 'string' || !e.type) throw new Error(`type ${preview(e.type)}`)
  if (e.code !== null && typeof e.code !== 'string') throw new Error(`code ${preview(e.code)}`)
  return 'returned'
}

const CONVERSE = {
  output: {
    message: {
      role: 'assistant',
      content: [
        { text: 'Hello' },
        { toolUse: { toolUseId: 'tu_1', name: 'get_weather', input: { city: 'Paris' } } },
        { reasoningContent: { reasoningText: { text: 'hmm', signature: 's' } } },
      ],
    },
  },
  stopReason: 'tool_use',
  usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4, cacheReadInputTokens: 1, cacheWriteInputTokens: 0 },
}

const GEMINI = {
  ...textAnswer(),
  candidates: [
    {
      content: {
        parts: [
          { text: 'Hi', thought: false },
          { functionCall: { id: 'c1', name: 'f', args: { a: 1 } }, thoughtSignature: 'c2ln' },
        ],
        role: 'model',
      },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  promptFeedback: { blockReason: 'SAFETY' },
  usageMetadata: {
    promptTokenCount: 7,
    candidatesTokenCount: 4,
    totalTokenCount: 11,
    cachedContentTokenCount: 2,
    thoughtsTokenCount: 1,
    toolUsePromptTokenCount: 1,
  },
}

const COMPLETION = {
  ...chatCompletion(),
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Hi',
        refusal: null,
        reasoning_content: 'Hmm.',
        thinking_blocks: [
          { type: 'thinking', thinking: 'Hmm.', signature: 'sig' },
          { type: 'redacted_thinking', data: 'xyz' },
        ],
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        function_call: { name: 'g', arguments: '{}' },
      },
      finish_reason: 'stop',
      stop_reason: 'END',
    },
  ],
  usage: {
    prompt_tokens: 9,
    completion_tokens: 4,
    total_tokens: 13,
    prompt_tokens_details: { cached_tokens: 2 },
    cache_creation_input_tokens: 1,
  },
}

const ANTHROPIC = anthropicMessage(
  [
    { type: 'text', text: 'Hi' },
    { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
    { type: 'thinking', thinking: 'hmm', signature: 's' },
  ],
  'tool_use',
  { input_tokens: 12, output_tokens: 6, cache_read_input_tokens: 3, cache_creation_input_tokens: 1 },
)

describe('fuzz the answer translators', () => {
  test('fromChatResponse (chat completion → Anthropic Message)', async () => {
    await fuzz('fromChatResponse', {
      cases: caseCount(2000),
      generate: (rng) => hostile(rng, COMPLETION),
      check(body) {
        if (!isObject(body)) return NOT_AN_OBJECT
        const out = fromChatResponse(body, 'claude-x')
        JSON.stringify(out)
        expectPlainData(out)
        for (const [k, v] of Object.entries(out.usage)) expectCount(v, `usage.${k}`)
        // Only thinking, redacted_thinking, text and tool_use blocks come out of a chat completion.
        for (const block of out.content)
          if (
            block.type === 'text'
              ? typeof block.text !== 'string'
              : block.type === 'thinking'
                ? typeof block.thinking !== 'string' || typeof block.signature !== 'string'
                : block.type === 'redacted_thinking'
                  ? typeof block.data !== 'string'
                  : block.type !== 'tool_use' || typeof block.name !== 'string'
          )
            throw new Error(`block ${preview(block)}`)
        return 'returned'
      },
    })
  })

  test('Anthropic Message → chat completion', async () => {
    await fuzz('fromAnthropicResponse', {
      cases: caseCount(2000),
      generate: (rng) => hostile(rng, ANTHROPIC),
      check(body) {
        if (!isObject(body)) return NOT_AN_OBJECT
        const out = fromAnthropicResponse(body, META)
        return out ? expectChatCompletion(out) : 'not a Message (the exchange answers 502)'
      },
    })
  })

  test('Gemini → chat completion, and embeddings', async () => {
    await fuzz('fromGeminiResponse', {
      cases: caseCount(2000),
      generate: (rng) => hostile(rng, GEMINI),
      check(body) {
        if (!isObject(body)) return NOT_AN_OBJECT
        return expectChatCompletion(
          fromGeminiResponse(body as never, { model: 'gemini', created: 1, toolCallId: () => 'call_x' }),
        )
      },
    })
    await fuzz('fromGeminiEmbedResponse', {
      cases: caseCount(1000),
      generate: (rng) => ({
        body: hostile(rng, { embeddings: [{ values: [0.5, -0.25, 1] }, { values: [] }] }),
        base64: rng.chance(0.5),
      }),
      check({ body, base64 }) {
        if (!isObject(body)) return NOT_AN_OBJECT
        const out = fromGeminiEmbedResponse(body as never, 'text-embedding-004', base64)
        JSON.stringify(out)
        expectPlainData(out)
        for (const e of out.data)
          if (base64 ? typeof e.embedding !== 'string' : !Array.isArray(e.embedding))
            throw new Error(`embedding ${preview(e)}`)
        return 'returned'
      },
    })
  })

  test('Bedrock Converse → chat completion', async () => {
    await fuzz('fromBedrockResponse', {
      cases: caseCount(2000),
      generate: (rng) => hostile(rng, CONVERSE),
      check: (body) => (isObject(body) ? expectChatCompletion(fromBedrockResponse(body, META)) : NOT_AN_OBJECT),
    })
  })

  test('error bodies of any text → OpenAI or Anthropic error shape', async () => {
    await fuzz('error translators', {
      cases: caseCount(3000),
      generate: (rng) => ({
        status: rng.pick(STATUSES),
        which: rng.int(4),
        text: errorText(
          rng,
          rng.pick<object>([
            { error: { message: 'm', type: 'invalid_request_error', param: null, code: 'c' } },
            { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
            geminiError(429, 'RESOURCE_EXHAUSTED', 'quota', [
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '22s' },
              { reason: 'RATE_LIMIT_EXCEEDED' },
            ]),
            { message: 'Too many', __type: 'ThrottlingException' },
            { detail: [{ loc: ['body'], msg: 'x' }] },
          ]),
        ),
        header: rng.chance(0.5)
          ? rng.pick([
              ...PROTO_KEYS.map((k) => `${k}:http://x`),
              'ThrottlingException:http://internal.amazon.com/',
              '#x',
              ':',
              '',
              'a#b#__proto__',
            ])
          : null,
      }),
      show: (c) => preview(c, 800),
      check({ status, which, text, header }) {
        if (which === 0) {
          const out = fromChatError(status, text)
          expectPlainData(out)
          if (
            out.type !== 'error' ||
            typeof out.error.type !== 'string' ||
            typeof out.error.message !== 'string' ||
            !out.error.message
          )
            throw new Error(`shape ${preview(out)}`)
          return 'returned'
        }
        if (which === 1) return expectOpenAiErrorBody(fromAnthropicError(status, text))
        if (which === 2) {
          const after = retryAfterOf(text)
          if (after !== undefined && !/^\d+$/.test(after)) throw new Error(`retry-after ${preview(after)}`)
          return expectOpenAiErrorBody(fromGeminiError(status, text))
        }
        const headers = new Headers(header === null ? {} : { 'x-amzn-errortype': header })
        return expectOpenAiErrorBody(fromBedrockError(status, text, headers))
      },
    })
  })

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
