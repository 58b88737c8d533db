import { describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { ChatStreamTranslator } from '../../src/anthropic-messages'
import { translateStream } from '../../src/sse'

type Json = Record<string, unknown>
interface Event {
  event: string
  data: Json
}

const encoder = new TextEncoder()

/** An OpenAI chat.completion.chunk with one choice (or the given choices). */
function chunk(delta: Json, finish: string | null = null, extra: Json = {}): Json {
  return {
    id: 'chatcmpl-9x',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'gpt-4o-mini',
    system_fingerprint: 'fp_1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  }
}
const usageChunk = (usage: Json): Json => ({
  id: 'chatcmpl-9x',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [],
  usage,
})
const toolStart = (index: number, id: string, name: string, args = ''): Json => ({
  tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }],
})
const toolArgs = (index: number, args: string): Json => ({ tool_calls: [{ index, function: { arguments: args } }] })
const sse = (chunks: Json[], done = true) =>
  chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '')

/** Runs the translator over `bytes` cut at `cuts` (byte offsets); returns the whole output. */
function translate(text: string, cuts: number[] = [], model = 'claude-sonnet-4-5'): string {
  const bytes = encoder.encode(text)
  const t = new ChatStreamTranslator(model)
  let out = ''
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    out += t.push(bytes.subarray(from, cut))
    from = cut
  }
  return out + t.end()
}

function parse(out: string): Event[] {
  return out
    .split('\n\n')
    .filter((f) => f !== '')
    .map((frame) => {
      const m = /^event: (\w+)\ndata: (.*)$/s.exec(frame)
      if (!m) throw new Error(`bad frame: ${frame}`)
      const data = JSON.parse(m[2] as string) as Json
      expect(data.type).toBe(m[1])
      return { event: m[1] as string, data }
    })
}

/** Anthropic's event grammar: message_start, blocks one at a time with indexes 0, 1, 2 …, message_delta, message_stop. */
function expectWellFormed(events: Event[]): void {
  expect(events[0]?.event).toBe('message_start')
  expect(events.at(-1)?.event).toBe('message_stop')
  expect(events.at(-2)?.event).toBe('message_delta')
  expect(events.filter((e) => e.event.startsWith('message_')).length).toBe(3)
  let open: { index: number; type: string } | null = null
  let next = 0
  for (const { event, data } of events.slice(1, -2)) {
    if (event === 'content_block_start') {
      expect(open).toBeNull()
      expect(data.index).toBe(next++)
      open = { index: data.index as number, type: (data.content_block as Json).type as string }
    } else if (event === 'content_block_delta') {
      expect(open).not.toBeNull()
      expect(data.index).toBe(open?.index as number)
      expect((data.delta as Json).type).toBe(open?.type === 'text' ? 'text_delta' : 'input_json_delta')
    } else if (event === 'content_block_stop') {
      expect(data.index).toBe(open?.index as number)
      open = null
    } else throw new Error(`unexpected ${event} inside the message`)
  }
  expect(open).toBeNull()
}

/** Our own accumulator: the final content from the events. */
function content(events: Event[]): Json[] {
  const blocks: Json[] = []
  const json: string[] = []
  for (const { data } of events) {
    if (data.type === 'content_block_start') {
      blocks.push({ ...(data.content_block as Json) })
      json.push('')
    }
    if (data.type === 'content_block_delta') {
      const i = data.index as number
      const delta = data.delta as Json
      const block = blocks[i] as Json
      if (delta.type === 'text_delta') block.text = (block.text as string) + (delta.text as string)
      else json[i] += delta.partial_json as string
    }
  }
  return blocks.map((b, i) => (b.type === 'tool_use' && json[i] ? { ...b, input: JSON.parse(json[i] as string) } : b))
}

// Text, then two tool calls streamed over many deltas, then the usage chunk after the finish chunk.
const mixed = sse([
  chunk({ role: 'assistant', content: '', refusal: null }),
  chunk({ content: 'Let me ' }),
  chunk({}),
  chunk({ content: null }),
  chunk({ content: 'check — 20°C? 🌦' }),
  chunk(toolStart(0, 'call_A', 'get_weather')),
  chunk(toolArgs(0, '{"ci')),
  chunk(toolArgs(0, 'ty": "Pa')),
  chunk(toolArgs(0, 'ris"}')),
  chunk(toolStart(1, 'call_B', 'get_time', '{"tz":')),
  chunk(toolArgs(1, ' "UTC"')),
  chunk(toolArgs(1, '}')),
  chunk({}, 'tool_calls'),
  usageChunk({
    prompt_tokens: 120,
    completion_tokens: 42,
    total_tokens: 162,
    prompt_tokens_details: { cached_tokens: 100 },
  }),
])
const mixedContent = [
  { type: 'text', text: 'Let me check — 20°C? 🌦' },
  { type: 'tool_use', id: 'call_A', name: 'get_weather', input: { city: 'Paris' } },
  { type: 'tool_use', id: 'call_B', name: 'get_time', input: { tz: 'UTC' } },
]

describe('ChatStreamTranslator', () => {
  test('text and two tools: exact events', () => {
    const events = parse(translate(mixed))
    expectWellFormed(events)
    const frame = (event: string, data: Json) => ({ event, data: { type: event, ...data } })
    expect(events).toEqual([
      frame('message_start', {
        message: {
          id: 'msg_chatcmpl-9x',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
        },
      }),
      frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Let me ' } }),
      frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'check — 20°C? 🌦' } }),
      frame('content_block_stop', { index: 0 }),
      frame('content_block_start', {
        index: 1,
        content_block: { type: 'tool_use', id: 'call_A', name: 'get_weather', input: {} },
      }),
      frame('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"ci' } }),
      frame('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'ty": "Pa' } }),
      frame('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'ris"}' } }),
      frame('content_block_stop', { index: 1 }),
      frame('content_block_start', {
        index: 2,
        content_block: { type: 'tool_use', id: 'call_B', name: 'get_time', input: {} },
      }),
      frame('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"tz":' } }),
      frame('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: ' "UTC"' } }),
      frame('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '}' } }),
      frame('content_block_stop', { index: 2 }),
      frame('message_delta', {
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { input_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 42 },
      }),
      frame('message_stop', {}),
    ])
    expect(content(events)).toEqual(mixedContent)
  })

  test('identical output at every byte boundary, and fed one byte at a time', () => {
    const whole = translate(mixed)
    const length = encoder.encode(mixed).length
    for (let cut = 0; cut <= length; cut++) expect(translate(mixed, [cut])).toBe(whole)
    expect(
      translate(
        mixed,
        Array.from({ length }, (_, i) => i),
      ),
    ).toBe(whole)
  })

  test('blocks stream live: each push returns its frames at once', () => {
    const t = new ChatStreamTranslator('m')
    const push = (c: Json) => parse(t.push(encoder.encode(sse([c], false))))
    expect(push(chunk({ role: 'assistant' })).map((e) => e.event)).toEqual(['message_start'])
    expect(push(chunk({ content: 'Hi' })).map((e) => e.event)).toEqual(['content_block_start', 'content_block_delta'])
    expect(push(chunk(toolStart(0, 'c', 'f', '{}'))).map((e) => e.event)).toEqual([
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
    ])
    expect(push(chunk({}, 'tool_calls')).map((e) => e.event)).toEqual(['content_block_stop'])
    // The usage chunk comes after the finish chunk: the message ends there, before [DONE].
    expect(push(usageChunk({ prompt_tokens: 3, completion_tokens: 4 })).map((e) => e.event)).toEqual([
      'message_delta',
      'message_stop',
    ])
    expect(t.push(encoder.encode('data: [DONE]\n\n'))).toBe('')
    expect(t.end()).toBe('')
  })

  test('interleaved tool arguments: the second call is replayed once the first is complete', () => {
    const events = parse(
      translate(
        sse([
          chunk(toolStart(0, 'call_A', 'a', '{"x":')),
          chunk(toolStart(1, 'call_B', 'b', '{"y":')),
          chunk(toolArgs(1, '2')),
          chunk(toolArgs(0, '1}')),
          chunk(toolArgs(1, '}')),
          chunk({ content: 'done' }),
          chunk({}, 'tool_calls'),
        ]),
      ),
    )
    expectWellFormed(events)
    expect(content(events)).toEqual([
      { type: 'tool_use', id: 'call_A', name: 'a', input: { x: 1 } },
      { type: 'tool_use', id: 'call_B', name: 'b', input: { y: 2 } },
      { type: 'text', text: 'done' },
    ])
  })

  test('a call whose arguments never complete holds later blocks until finish', () => {
    const events = parse(
      translate(
        sse([
          chunk(toolStart(0, 'c0', 'a', '')),
          chunk(toolStart(1, 'c1', 'b', '{"k":1}')),
          chunk({ content: 'x' }),
          chunk({}, 'tool_calls'),
        ]),
      ),
    )
    expectWellFormed(events)
    expect(content(events)).toEqual([
      { type: 'tool_use', id: 'c0', name: 'a', input: {} },
      { type: 'tool_use', id: 'c1', name: 'b', input: { k: 1 } },
      { type: 'text', text: 'x' },
    ])
  })

  test('text after tools opens a new text block; calls without index are keyed by id', () => {
    const events = parse(
      translate(
        sse([
          chunk({ content: 'a' }),
          chunk({ tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"n":1}' } }] }),
          chunk({ tool_calls: [{ id: 'c2', type: 'function', function: { name: 'g', arguments: '{"n":' } }] }),
          chunk({ tool_calls: [{ function: { arguments: '2}' } }] }),
          chunk({ content: 'b' }),
          chunk({}, 'stop'),
        ]),
      ),
    )
    expectWellFormed(events)
    expect(content(events)).toEqual([
      { type: 'text', text: 'a' },
      { type: 'tool_use', id: 'c1', name: 'f', input: { n: 1 } },
      { type: 'tool_use', id: 'c2', name: 'g', input: { n: 2 } },
      { type: 'text', text: 'b' },
    ])
    // finish_reason "stop" with tool calls is reported as tool_use.
    expect((events.at(-2)!.data.delta as Json).stop_reason).toBe('tool_use')
  })

  const endings: [string, string, Json, Json][] = [
    [
      'usage in the finish chunk',
      sse([chunk({ content: 'x' }, 'length', { usage: { prompt_tokens: 5, completion_tokens: 9 } })]),
      { stop_reason: 'max_tokens', stop_sequence: null },
      { input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 9 },
    ],
    [
      'no usage chunk (message_delta at [DONE])',
      sse([chunk({ content: 'x' }), chunk({}, 'stop')]),
      { stop_reason: 'end_turn', stop_sequence: null },
      { output_tokens: 0 },
    ],
    [
      'finish but no [DONE] (server that never sends it)',
      sse([chunk({ content: 'x' }), chunk({}, 'content_filter')], false),
      { stop_reason: 'refusal', stop_sequence: null },
      { output_tokens: 0 },
    ],
    [
      'unknown finish reason',
      sse([chunk({ content: 'x' }), chunk({}, 'eos')]),
      { stop_reason: 'end_turn', stop_sequence: null },
      { output_tokens: 0 },
    ],
    [
      'vLLM matched stop string',
      sse([chunk({ content: 'x' }), chunk({}, 'stop')]).replace(
        '"finish_reason":"stop"',
        '"finish_reason":"stop","stop_reason":"END"',
      ),
      { stop_reason: 'stop_sequence', stop_sequence: 'END' },
      { output_tokens: 0 },
    ],
    [
      '[DONE] without finish_reason',
      sse([chunk({ content: 'x' })]),
      { stop_reason: 'end_turn', stop_sequence: null },
      { output_tokens: 0 },
    ],
  ]
  for (const [name, text, delta, usage] of endings) {
    test(`ending: ${name}`, () => {
      const events = parse(translate(text))
      expectWellFormed(events)
      expect(content(events)).toEqual([{ type: 'text', text: 'x' }])
      expect(events.at(-2)?.data).toEqual({ type: 'message_delta', delta, usage })
    })
  }

  test('an empty answer: message_start, message_delta, message_stop and nothing else', () => {
    for (const text of [
      'data: [DONE]\n\n',
      sse([
        chunk({ role: 'assistant', content: '' }),
        chunk({}, 'stop'),
        usageChunk({ prompt_tokens: 1, completion_tokens: 0 }),
      ]),
    ]) {
      const events = parse(translate(text))
      expectWellFormed(events)
      expect(events.map((e) => e.event)).toEqual(['message_start', 'message_delta', 'message_stop'])
    }
  })

  test('comments, CRLF line ends and chunks after message_stop are tolerated', () => {
    const text = `: OPENROUTER PROCESSING\r\n\r\n${sse([chunk({ content: 'x' }, 'stop', { usage: { prompt_tokens: 1, completion_tokens: 1 } })]).replaceAll('\n', '\r\n')}`
    const events = parse(
      translate(
        `${text.replace('data: [DONE]', `data: ${JSON.stringify(chunk({ content: 'late' }))}\r\n\r\ndata: [DONE]`)}`,
      ),
    )
    expectWellFormed(events)
    expect(content(events)).toEqual([{ type: 'text', text: 'x' }])
  })

  const failures: [string, string, RegExp][] = [
    [
      'an error event mid-stream',
      `${sse([chunk({ content: 'x' })], false)}data: {"error":{"message":"The server had an error","type":"server_error"}}\n\n`,
      /The server had an error/,
    ],
    [
      'a named error event',
      `${sse([chunk({ content: 'x' })], false)}event: error\ndata: {"message":"overloaded"}\n\n`,
      /overloaded/,
    ],
    ['an Ollama-style string error', 'data: {"error":"model not loaded"}\n\n', /model not loaded/],
    [
      'the stream cut before finishing',
      sse([chunk({ content: 'x' }), chunk(toolStart(0, 'c', 'f', '{"a'))], false),
      /ended before the response was complete/,
    ],
    ['an empty stream', '', /ended before/],
    ['an event that is not JSON', 'data: {oops\n\n', /not JSON/],
    [
      'more arguments after a call completed',
      sse([chunk(toolStart(0, 'c', 'f', '{}')), chunk(toolStart(1, 'd', 'g', '{}')), chunk(toolArgs(0, '{"x":1}'))]),
      /after they were complete/,
    ],
  ]
  for (const [name, text, message] of failures) {
    test(`throws on ${name}`, () => {
      expect(() => translate(text)).toThrow(message)
    })
  }

  test('an error after output throws from push, having sent the earlier frames in earlier pushes', () => {
    const t = new ChatStreamTranslator('m')
    expect(parse(t.push(encoder.encode(sse([chunk({ content: 'x' })], false)))).length).toBe(3)
    expect(() => t.push(encoder.encode('data: {"error":{"message":"boom"}}\n\n'))).toThrow('boom')
  })
})

describe('the official SDK reassembles the translated stream', () => {
  /** An Anthropic client whose fetch answers with the translated stream of `openAiSse`, offline. */
  function sdkOver(openAiSse: string) {
    const upstream = new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = encoder.encode(openAiSse)
        for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.subarray(i, i + 7))
        controller.close()
      },
    })
    const body = translateStream(upstream, new ChatStreamTranslator('claude-gateway-test'))
    return new Anthropic({
      apiKey: 'test',
      maxRetries: 0,
      fetch: async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    })
  }
  const params = {
    model: 'claude-gateway-test',
    max_tokens: 100,
    messages: [{ role: 'user' as const, content: 'weather?' }],
  }

  test('MessageStream.finalMessage()', async () => {
    const stream = sdkOver(mixed).messages.stream(params)
    const texts: string[] = []
    stream.on('text', (t) => texts.push(t))
    const message = await stream.finalMessage()
    expect(texts.join('')).toBe('Let me check — 20°C? 🌦')
    expect(message).toMatchObject({
      id: 'msg_chatcmpl-9x',
      type: 'message',
      role: 'assistant',
      model: 'claude-gateway-test',
      content: mixedContent,
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 42, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
    })
  })

  test('an upstream error mid-stream reaches the SDK as an error', async () => {
    const stream = sdkOver(
      `${sse([chunk({ content: 'x' })], false)}data: {"error":{"message":"boom"}}\n\n`,
    ).messages.stream(params)
    await expect(stream.finalMessage()).rejects.toThrow()
  })
})
