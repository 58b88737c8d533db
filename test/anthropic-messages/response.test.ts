import { describe, expect, test } from 'bun:test'
import { anthropicUsage, fromChatResponse, stopReason, toolInput } from '../../src/anthropic-messages/response'

function completion(
  message: Record<string, unknown>,
  finish: unknown = 'stop',
  usage?: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    id: 'chatcmpl-abc123',
    object: 'chat.completion',
    created: 1700000000,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [
      { index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finish, ...extra },
    ],
    ...(usage ? { usage } : {}),
  }
}

const zero = { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }

describe('fromChatResponse', () => {
  test('a text answer', () => {
    const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }
    expect(
      fromChatResponse(completion({ content: 'Hello!', refusal: null }, 'stop', usage), 'claude-sonnet-4-5'),
    ).toEqual({
      id: 'msg_chatcmpl-abc123',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Hello!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    })
  })

  test('text and two tool calls', () => {
    const message = fromChatResponse(
      completion(
        {
          content: 'Checking both.',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"tz":"Europe/London"}' } },
          ],
        },
        'tool_calls',
      ),
      'm',
    )
    expect(message.content).toEqual([
      { type: 'text', text: 'Checking both.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_2', name: 'get_time', input: { tz: 'Europe/London' } },
    ])
    expect(message.stop_reason).toBe('tool_use')
  })

  test('tool calls only, null content, missing id and legacy function_call', () => {
    const message = fromChatResponse(
      completion(
        {
          content: null,
          tool_calls: [{ type: 'function', function: { name: 'f', arguments: '' } }],
          function_call: { name: 'g', arguments: '{"a":1}' },
        },
        'function_call',
      ),
      'm',
    )
    expect(message.content).toHaveLength(2)
    const [first, second] = message.content
    expect(first).toMatchObject({ type: 'tool_use', name: 'f', input: {} })
    expect(second).toMatchObject({ type: 'tool_use', name: 'g', input: { a: 1 } })
    if (first?.type !== 'tool_use' || second?.type !== 'tool_use') throw new Error('expected tool_use blocks')
    expect(first.id).toMatch(/^toolu_[0-9A-Za-z]{24}$/)
    expect(first.id).not.toBe(second.id)
    expect(message.stop_reason).toBe('tool_use')
  })

  const empties: [string, Record<string, unknown>][] = [
    ['null content', { content: null }],
    ['empty string', { content: '' }],
    ['no message fields', {}],
  ]
  for (const [name, msg] of empties) {
    test(`empty answer (${name}) → content []`, () => {
      const message = fromChatResponse(completion(msg), 'm')
      expect(message.content).toEqual([])
      expect(message.stop_reason).toBe('end_turn')
    })
  }

  test('no choices, no id, no usage', () => {
    const message = fromChatResponse({}, 'm')
    expect(message.id).toMatch(/^msg_[0-9A-Za-z]{24}$/)
    expect(message.content).toEqual([])
    expect(message.stop_reason).toBe('end_turn')
    expect(message.usage).toEqual(zero)
  })

  test('array content parts and a refusal become text', () => {
    expect(
      fromChatResponse(
        completion({
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        }),
        'm',
      ).content,
    ).toEqual([{ type: 'text', text: 'ab' }])
    expect(
      fromChatResponse(completion({ content: null, refusal: "I can't help with that." }, 'content_filter'), 'm'),
    ).toMatchObject({
      content: [{ type: 'text', text: "I can't help with that." }],
      stop_reason: 'refusal',
    })
  })

  test('finish_reason stop with tool calls (older Ollama) → tool_use', () => {
    const message = fromChatResponse(
      completion({ content: '', tool_calls: [{ id: 'c', function: { name: 'f', arguments: { x: 1 } } }] }, 'stop'),
      'm',
    )
    expect(message.content).toEqual([{ type: 'tool_use', id: 'c', name: 'f', input: { x: 1 } }])
    expect(message.stop_reason).toBe('tool_use')
  })
})

describe('stopReason', () => {
  const cases: [string, Record<string, unknown>, string, string | null][] = [
    ['stop', { finish_reason: 'stop' }, 'end_turn', null],
    ['length', { finish_reason: 'length' }, 'max_tokens', null],
    ['tool_calls', { finish_reason: 'tool_calls' }, 'tool_use', null],
    ['function_call', { finish_reason: 'function_call' }, 'tool_use', null],
    ['content_filter', { finish_reason: 'content_filter' }, 'refusal', null],
    ['null', { finish_reason: null }, 'end_turn', null],
    ['missing', {}, 'end_turn', null],
    ['unknown', { finish_reason: 'eos_token' }, 'end_turn', null],
    ['vLLM stop_reason string', { finish_reason: 'stop', stop_reason: 'END' }, 'stop_sequence', 'END'],
    ['vLLM stop_reason token id', { finish_reason: 'stop', stop_reason: 128001 }, 'end_turn', null],
    ['SGLang matched_stop', { finish_reason: 'stop', matched_stop: '###' }, 'stop_sequence', '###'],
    ['matched stop ignored on length', { finish_reason: 'length', stop_reason: 'END' }, 'max_tokens', null],
  ]
  for (const [name, choice, reason, sequence] of cases) {
    test(name, () => {
      expect(stopReason(choice)).toEqual({ stop_reason: reason as never, stop_sequence: sequence })
      const inMessage = fromChatResponse({ choices: [{ message: { content: 'x' }, ...choice }] }, 'm')
      expect([inMessage.stop_reason, inMessage.stop_sequence]).toEqual([reason as never, sequence])
    })
  }
})

describe('anthropicUsage', () => {
  const cases: [string, unknown, ReturnType<typeof anthropicUsage>][] = [
    ['missing', undefined, zero],
    [
      'plain',
      { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
      { ...zero, input_tokens: 10, output_tokens: 3 },
    ],
    [
      'OpenAI cached tokens',
      { prompt_tokens: 2006, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 } },
      { input_tokens: 86, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 1920 },
    ],
    [
      'DeepSeek cache hits',
      { prompt_tokens: 100, completion_tokens: 1, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 },
      { ...zero, input_tokens: 36, output_tokens: 1, cache_read_input_tokens: 64 },
    ],
    [
      'proxy cache writes',
      {
        prompt_tokens: 1000,
        completion_tokens: 7,
        cache_creation_input_tokens: 900,
        prompt_tokens_details: { cached_tokens: 50 },
      },
      { input_tokens: 50, output_tokens: 7, cache_creation_input_tokens: 900, cache_read_input_tokens: 50 },
    ],
    [
      'OpenRouter cache_write_tokens',
      { prompt_tokens: 10, completion_tokens: 1, prompt_tokens_details: { cache_write_tokens: 4 } },
      { ...zero, input_tokens: 6, output_tokens: 1, cache_creation_input_tokens: 4 },
    ],
    [
      'garbage numbers',
      { prompt_tokens: -5, completion_tokens: 'x', prompt_tokens_details: { cached_tokens: 99 } },
      { ...zero, cache_read_input_tokens: 99 },
    ],
  ]
  for (const [name, usage, expected] of cases) test(name, () => expect(anthropicUsage(usage)).toEqual(expected))
})

describe('toolInput: arguments that are not a JSON object become {}', () => {
  const cases: [string, unknown, Record<string, unknown>][] = [
    ['object JSON', '{"a":[1,2],"b":{"c":null}}', { a: [1, 2], b: { c: null } }],
    ['empty string', '', {}],
    ['whitespace', '  ', {}],
    ['unparseable', '{"a":', {}],
    ['an array', '[1,2]', {}],
    ['a number', '42', {}],
    ['null', 'null', {}],
    ['an object already', { a: 1 }, { a: 1 }],
    ['missing', undefined, {}],
  ]
  for (const [name, args, expected] of cases) test(name, () => expect(toolInput(args)).toEqual(expected))
})
