// Anthropic Message → OpenAI chat.completion, and Anthropic error bodies → OpenAI error bodies.
import { describe, expect, test } from 'bun:test'
import { type JsonObject, parseObject } from '../../../src/core/json'
import { ERROR_TYPES, fromAnthropicError } from '../../../src/providers/anthropic/errors'
import { finishReason, fromAnthropicResponse, toChatUsage } from '../../../src/providers/anthropic/response'
import type { AnswerMeta } from '../../../src/providers/exchange'
import type { AnthropicMessage } from '../../../src/wire/messages'

const CREATED = 1_700_000_000
const META: AnswerMeta = {
  model: 'claude-sonnet-4-5',
  created: CREATED,
  includeUsage: false,
  headers: new Headers(),
  request: {},
}

/** A Message as the upstream sends it: blocks of any kind, including ones the wire type does not list. */
function message(
  content: JsonObject[],
  stop_reason: string | null = 'end_turn',
  usage: AnthropicMessage['usage'] = { input_tokens: 10, output_tokens: 5 },
): JsonObject {
  return {
    id: 'msg_01ABC',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content,
    stop_reason,
    stop_sequence: null,
    usage,
  }
}

/** The translation of a body that must be a Message. */
function completion(json: JsonObject) {
  const out = fromAnthropicResponse(json, META)
  if (!out) throw new Error('expected a chat completion, got undefined')
  return out
}

describe('fromAnthropicResponse', () => {
  test("one text block → a full chat.completion (the upstream names the model; created is the meta's)", () => {
    expect(completion(message([{ type: 'text', text: 'Hello!' }]))).toEqual({
      id: 'msg_01ABC',
      object: 'chat.completion',
      created: CREATED,
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello!', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 0 },
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      },
    })
  })

  const cases: [string, JsonObject[], Record<string, unknown>][] = [
    [
      'several text blocks are joined',
      [
        { type: 'text', text: 'Hello, ' },
        { type: 'text', text: 'world' },
      ],
      { content: 'Hello, world' },
    ],
    ['no content at all → content null', [], { content: null }],
    ['an empty text block is still text', [{ type: 'text', text: '' }], { content: '' }],
    [
      'tool_use → tool_calls with JSON arguments, and no text → null content',
      [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris', days: [1, 2] } }],
      {
        content: null,
        tool_calls: [
          {
            id: 'toolu_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris","days":[1,2]}' },
          },
        ],
      },
    ],
    [
      'text and two tool calls, in order',
      [
        { type: 'text', text: 'Checking both.' },
        { type: 'tool_use', id: 'toolu_1', name: 'a', input: {} },
        { type: 'tool_use', id: 'toolu_2', name: 'b', input: { x: 1 } },
      ],
      {
        content: 'Checking both.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'a', arguments: '{}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
        ],
      },
    ],
    [
      'thinking is exposed as reasoning_content and thinking_blocks; a redacted block without data and server tools are skipped',
      [
        { type: 'thinking', thinking: 'Let me think.' },
        { type: 'redacted_thinking' },
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'x' } },
        { type: 'web_search_tool_result' },
        { type: 'text', text: '42' },
      ],
      {
        content: '42',
        reasoning_content: 'Let me think.',
        thinking_blocks: [{ type: 'thinking', thinking: 'Let me think.' }],
      },
    ],
  ]
  for (const [name, content, expected] of cases)
    test(name, () => {
      const m = completion(message(content)).choices[0].message
      expect(m).toEqual({ role: 'assistant', refusal: null, ...expected } as never)
    })

  test('the stop reason sets finish_reason', () => {
    expect(
      completion(message([{ type: 'tool_use', id: 't', name: 'f', input: {} }], 'tool_use')).choices[0].finish_reason,
    ).toBe('tool_calls')
  })
})

describe('finishReason', () => {
  const table: [string | null | undefined, string][] = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['something_new', 'stop'],
    [null, 'stop'],
    [undefined, 'stop'],
  ]
  for (const [reason, expected] of table)
    test(`${reason} → ${expected}`, () => expect(finishReason(reason)).toBe(expected as never))
})

describe('toChatUsage', () => {
  test('cache reads and writes count as prompt tokens; cached_tokens is the reads; raw fields kept', () => {
    expect(
      toChatUsage({
        input_tokens: 20,
        output_tokens: 7,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 30,
      }),
    ).toEqual({
      prompt_tokens: 150,
      completion_tokens: 7,
      total_tokens: 157,
      prompt_tokens_details: { cached_tokens: 100 },
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 30,
    })
  })

  test('null and missing counts are zero', () => {
    expect(
      toChatUsage({
        input_tokens: 3,
        output_tokens: 1,
        cache_read_input_tokens: null,
        cache_creation_input_tokens: null,
      }),
    ).toMatchObject({
      prompt_tokens: 3,
      total_tokens: 4,
      prompt_tokens_details: { cached_tokens: 0 },
    })
    expect(toChatUsage(undefined)).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })
  })
})

describe('fromAnthropicResponse: what is not a Message', () => {
  test('answers a message and undefined for other JSON', () => {
    expect(fromAnthropicResponse(message([]), META)).toBeDefined()
    expect(fromAnthropicResponse({ type: 'error', error: { type: 'api_error', message: 'x' } }, META)).toBeUndefined()
    expect(fromAnthropicResponse({ type: 'message', id: 'x', model: 'm' }, META)).toBeUndefined()
    expect(fromAnthropicResponse({ type: 'message', id: 1, model: 'm', content: [] }, META)).toBeUndefined()
  })

  test('non-objects never reach it: the exchange reads the body with parseObject, which refuses them', () => {
    expect(parseObject('null')).toBeUndefined()
    expect(parseObject('"message"')).toBeUndefined()
    expect(parseObject('[{"type":"message"}]')).toBeUndefined()
  })
})

describe('fromAnthropicError', () => {
  const anthropicError = (type: string, message: string) =>
    JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_011' })
  const table: [number, string, string][] = [
    [400, 'invalid_request_error', 'invalid_request_error'],
    [401, 'authentication_error', 'authentication_error'],
    [402, 'billing_error', 'insufficient_quota'],
    [403, 'permission_error', 'permission_error'],
    [404, 'not_found_error', 'not_found_error'],
    [413, 'request_too_large', 'invalid_request_error'],
    [429, 'rate_limit_error', 'requests'],
    [500, 'api_error', 'server_error'],
    [504, 'timeout_error', 'timeout_error'],
    [529, 'overloaded_error', 'server_error'],
  ]
  for (const [status, type, openAiType] of table)
    test(`${status} ${type} → ${openAiType}`, () => {
      expect(fromAnthropicError(status, anthropicError(type, `about ${type}`))).toEqual({
        error: { message: `about ${type}`, type: openAiType as never, param: null, code: type },
      })
    })

  test('every mapped Anthropic type is in the table', () => {
    expect(Object.keys(ERROR_TYPES).sort()).toEqual(table.map((r) => r[1]).sort())
  })

  test('an unknown error type falls back to the status', () => {
    expect(fromAnthropicError(503, anthropicError('brand_new_error', 'hm')).error).toEqual({
      message: 'hm',
      type: 'server_error',
      param: null,
      code: 'brand_new_error',
    })
    expect(fromAnthropicError(422, anthropicError('brand_new_error', 'hm')).error.type).toBe('invalid_request_error')
  })

  test('non-JSON and empty bodies are described with the status', () => {
    expect(fromAnthropicError(502, '<html>Bad Gateway</html>')).toEqual({
      error: {
        message: 'Anthropic answered HTTP 502: <html>Bad Gateway</html>',
        type: 'server_error',
        param: null,
        code: null,
      },
    })
    expect(fromAnthropicError(429, '').error).toEqual({
      message: 'Anthropic answered HTTP 429 with an empty body.',
      type: 'requests',
      param: null,
      code: null,
    })
    expect(fromAnthropicError(401, '{"unexpected":true}').error.type).toBe('authentication_error')
    expect(fromAnthropicError(500, 'x'.repeat(2000)).error.message.length).toBeLessThan(600)
  })
})
