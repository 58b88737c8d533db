// Anthropic SSE → OpenAI chat.completion.chunk SSE, driven without a network.
import { describe, expect, test } from 'bun:test'
import { AnthropicStreamTranslator } from '../../../src/providers/anthropic/stream'
import { translateStream } from '../../../src/sse'
import {
  blockStop,
  errorEvent,
  frame,
  jsonDelta,
  MODEL,
  messageDelta,
  messageStart,
  messageStop,
  ping,
  textDelta,
  textStart,
  textStream,
  toolStart,
  toolStream,
} from '../../support/fixtures/anthropic'

const CREATED = 1_700_000_123
const encoder = new TextEncoder()

/** The model is the client's, used until message_start names the upstream's. */
const translator = (includeUsage = false) =>
  new AnthropicStreamTranslator({
    model: 'fallback-model',
    created: CREATED,
    includeUsage,
    headers: new Headers(),
    request: {},
  })

/** Feeds each frame as one chunk; returns the output text. */
function run(frames: string[], includeUsage = false): string {
  const t = translator(includeUsage)
  let out = ''
  for (const f of frames) out += t.push(encoder.encode(f))
  return out + t.end()
}

/** Splits output into data payloads; asserts the framing and that it ends with [DONE]. */
function payloads(out: string): any[] {
  expect(out.endsWith('data: [DONE]\n\n')).toBe(true)
  const frames = out.slice(0, -2).split('\n\n')
  for (const f of frames) expect(f).toStartWith('data: ')
  return frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)))
}

const deltas = (chunks: any[]) => chunks.filter((c) => c.choices.length).map((c) => c.choices[0].delta)

describe('text', () => {
  test('role chunk, one chunk per text delta, finish chunk, [DONE]; same id/created/model everywhere', () => {
    const chunks = payloads(run(textStream()))
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hello' },
      { content: ' from' },
      { content: ' Claude' },
      {},
    ])
    for (const c of chunks) {
      expect(c).toMatchObject({
        id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
        object: 'chat.completion.chunk',
        created: CREATED,
        model: MODEL,
      })
      expect(c.choices[0]).toMatchObject({ index: 0, logprobs: null })
    }
    expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, null, 'stop'])
  })

  test('text already in content_block_start is sent; empty deltas are not', () => {
    const chunks = payloads(
      run([
        messageStart(),
        textStart(0, 'Hi'),
        textDelta(0, ''),
        textDelta(0, '!'),
        blockStop(0),
        messageDelta('end_turn', 2),
        messageStop(),
      ]),
    )
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hi' }, { content: '!' }, {}])
  })

  test('multiple text blocks stream as one content', () => {
    const out = run([
      messageStart(),
      textStart(0),
      textDelta(0, 'a'),
      blockStop(0),
      textStart(1),
      textDelta(1, 'b'),
      blockStop(1),
      messageDelta('end_turn', 2),
      messageStop(),
    ])
    expect(
      deltas(payloads(out))
        .map((d) => d.content ?? '')
        .join(''),
    ).toBe('ab')
  })

  test('an answer with no content blocks still has role and finish chunks', () => {
    expect(deltas(payloads(run([messageStart(), messageDelta('end_turn', 0), messageStop()])))).toEqual([
      { role: 'assistant', content: '' },
      {},
    ])
  })

  test('thinking streams as reasoning_content; the signature as a thinking_blocks delta', () => {
    const out = run([
      messageStart(),
      frame('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
      frame('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm.' } }),
      frame('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' } }),
      blockStop(0),
      textStart(1),
      textDelta(1, 'Yes.'),
      blockStop(1),
      messageDelta('end_turn', 9),
      messageStop(),
    ])
    expect(deltas(payloads(out))).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Hmm.' },
      { thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'EqQBCgIYAhIM' }] },
      { content: 'Yes.' },
      {},
    ])
  })
})

describe('finish reasons', () => {
  const table: [string, string][] = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['a_reason_from_the_future', 'stop'],
  ]
  for (const [reason, expected] of table)
    test(`${reason} → ${expected}`, () => {
      const chunks = payloads(run(textStream(['x'], reason)))
      expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe(expected)
    })
})

describe('tool calls', () => {
  test('two tool calls after text: stable indexes, id/type/name once, then argument pieces', () => {
    const chunks = payloads(run(toolStream()))
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Let me check.' },
      {
        tool_calls: [{ index: 0, id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } }],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'ty": "Pa' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'ris", "unit' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '": "c"}' } }] },
      { tool_calls: [{ index: 1, id: 'toolu_01B', type: 'function', function: { name: 'get_time', arguments: '' } }] },
      { tool_calls: [{ index: 1, function: { arguments: '{"zone":' } }] },
      { tool_calls: [{ index: 1, function: { arguments: ' "Europe/Rome"}' } }] },
      {},
    ])
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('tool_calls')
  })

  test('arguments reassemble into the JSON the model wrote', () => {
    const args: string[] = []
    for (const d of deltas(payloads(run(toolStream()))))
      for (const call of d.tool_calls ?? []) args[call.index] = (args[call.index] ?? '') + call.function.arguments
    expect(args.map((a) => JSON.parse(a))).toEqual([{ city: 'Paris', unit: 'c' }, { zone: 'Europe/Rome' }])
  })

  test('server tool inputs are not client tool calls', () => {
    const out = run([
      messageStart(),
      frame('content_block_start', {
        index: 0,
        content_block: { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
      }),
      jsonDelta(0, '{"query":"x"}'),
      blockStop(0),
      toolStart(1, 'toolu_9', 'f'),
      jsonDelta(1, '{}'),
      blockStop(1),
      messageDelta('tool_use', 5),
      messageStop(),
    ])
    expect(deltas(payloads(out)).slice(1, -1)).toEqual([
      { tool_calls: [{ index: 0, id: 'toolu_9', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
    ])
  })
})

describe('usage', () => {
  const cached = [
    messageStart('msg_u', {
      input_tokens: 20,
      cache_read_input_tokens: 100,
      cache_creation_input_tokens: 30,
      output_tokens: 1,
    }),
    textStart(0),
    textDelta(0, 'x'),
    blockStop(0),
    messageDelta('end_turn', 7),
    messageStop(),
  ]

  test('include_usage off: no usage chunk', () => {
    const chunks = payloads(run(cached))
    expect(chunks.every((c) => c.choices.length === 1 && c.usage === undefined)).toBe(true)
  })

  test('include_usage on: a usage chunk with empty choices before [DONE], cache counts included', () => {
    const chunks = payloads(run(cached, true))
    const last = chunks[chunks.length - 1]
    expect(last).toEqual({
      id: 'msg_u',
      object: 'chat.completion.chunk',
      created: CREATED,
      model: MODEL,
      choices: [],
      usage: {
        prompt_tokens: 150,
        completion_tokens: 7,
        total_tokens: 157,
        prompt_tokens_details: { cached_tokens: 100 },
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 30,
      },
    })
    expect(chunks[chunks.length - 2].choices[0].finish_reason).toBe('stop')
  })

  test('cumulative counts in message_delta replace those from message_start', () => {
    const frames = [
      messageStart('m', { input_tokens: 5, output_tokens: 1 }),
      frame('message_delta', {
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 9, output_tokens: 3, server_tool_use: { web_search_requests: 1 } },
      }),
      messageStop(),
    ]
    const chunks = payloads(run(frames, true))
    expect(chunks[chunks.length - 1].usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 })
  })
})

describe('framing and failures', () => {
  test('ping and unknown events are ignored', () => {
    const withNoise = textStream().flatMap((f) => [f, ping(), frame('some_future_event', { x: 1 })])
    expect(run(withNoise)).toBe(run(textStream()))
  })

  test('every byte boundary gives the same output as whole frames', () => {
    const all = encoder.encode(toolStream().join(''))
    const expected = run(toolStream(), true)
    for (let cut = 1; cut < all.length; cut++) {
      const t = translator(true)
      const out = t.push(all.subarray(0, cut)) + t.push(all.subarray(cut)) + t.end()
      if (out !== expected) throw new Error(`output differs when split at byte ${cut}`)
    }
  })

  test('byte-at-a-time with multi-byte UTF-8 text gives the same output', () => {
    const frames = textStream(['naïve ☕ ', '日本語', ' 🦀'])
    const all = encoder.encode(frames.join(''))
    const t = translator()
    let out = ''
    for (let i = 0; i < all.length; i++) out += t.push(all.subarray(i, i + 1))
    out += t.end()
    expect(out).toBe(run(frames))
    expect(
      deltas(payloads(out))
        .map((d) => d.content ?? '')
        .join(''),
    ).toBe('naïve ☕ 日本語 🦀')
  })

  test('CRLF line ends parse the same', () => {
    expect(run(textStream().map((f) => f.replaceAll('\n', '\r\n')))).toBe(run(textStream()))
  })

  test('an error event mid-stream: frames before it come out, then the error is thrown', () => {
    const t = translator()
    const first = t.push(encoder.encode(messageStart() + textStart(0) + textDelta(0, 'partial')))
    expect(
      deltas(
        first
          .split('\n\n')
          .filter(Boolean)
          .map((f) => JSON.parse(f.slice(6))),
      ),
    ).toEqual([{ role: 'assistant', content: '' }, { content: 'partial' }])
    expect(() => t.push(encoder.encode(errorEvent('overloaded_error', 'Overloaded')))).toThrow(
      'overloaded_error: Overloaded',
    )
    expect(() => t.end()).toThrow('overloaded_error: Overloaded')
  })

  test('an error event in the same chunk as text: the text comes out first, the error on the next call', () => {
    const t = translator()
    const out = t.push(
      encoder.encode(
        messageStart() + textStart(0) + textDelta(0, 'partial') + errorEvent('api_error', 'Internal server error'),
      ),
    )
    expect(out).toContain('"content":"partial"')
    expect(out).not.toContain('[DONE]')
    expect(() => t.end()).toThrow('api_error: Internal server error')
  })

  test('a stream that ends before message_stop throws', () => {
    const t = translator()
    t.push(encoder.encode(textStream().slice(0, -2).join('')))
    expect(() => t.end()).toThrow('before message_stop')
  })

  test('an empty stream throws at the end', () => {
    expect(() => translator().end()).toThrow('before message_stop')
  })

  test('data that is not JSON throws', () => {
    expect(() => translator().push(encoder.encode('event: message_start\ndata: {nope\n\n'))).toThrow('not JSON')
  })

  test('events after message_stop are ignored', () => {
    expect(run([...textStream(), textDelta(0, 'late')])).toBe(run(textStream()))
  })

  test('through translateStream: chunked upstream in, OpenAI SSE out; an error becomes a failed stream', async () => {
    const upstream = (frames: string[]) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const f of frames) c.enqueue(encoder.encode(f))
          c.close()
        },
      })
    const ok = await new Response(translateStream(upstream(toolStream()), translator())).text()
    expect(ok).toBe(run(toolStream()))
    const failing = new Response(
      translateStream(upstream([messageStart(), textStart(0), textDelta(0, 'a'), errorEvent()]), translator()),
    )
    await expect(failing.text()).rejects.toThrow('overloaded_error')
  })
})
