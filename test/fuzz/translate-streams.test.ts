// The pure stream translators, fed what a broken or hostile upstream could stream: events with fields of
// the wrong type, dropped, repeated or out of order, frames malformed (no blank line, CRLF, comments,
// split data lines), bytes flipped or cut, all in random chunkings. push() and end() return SSE frames
// whose data is JSON (or [DONE]), or throw a plain Error saying what went wrong upstream (the relay puts
// it in-band); never a TypeError, RangeError or other exception.
import { describe, expect, test } from 'bun:test'
import { ChatStreamTranslator } from '../../src/anthropic-messages'
import { AnthropicStreamTranslator } from '../../src/providers/anthropic/stream'
import { BedrockStreamException } from '../../src/providers/bedrock/errors'
import { BedrockStreamTranslator } from '../../src/providers/bedrock/stream'
import type { AnswerMeta } from '../../src/providers/exchange'
import { GeminiStreamTranslator } from '../../src/providers/google/stream'
import type { StreamTranslator } from '../../src/sse'
import { frame as bedrockFrame } from '../support/fixtures/bedrock'
import { textStreamEvents, toolStreamEvents } from '../support/fixtures/google/gemini'
import { caseCount, fuzz, preview, prototypeChanges, snapshotPrototypes } from './support/harness'
import { damage, mutate, render } from './support/json'
import type { Rng } from './support/rng'

const before = snapshotPrototypes()
const SHAPE = { deepest: 40 }
const encoder = new TextEncoder()

interface StreamCase {
  events: { event?: string; data: string }[]
  bytes: Uint8Array
  chunks: number[]
}

type Event = { event?: string; data: unknown }

const OPENAI: Event[] = [
  {
    data: {
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    },
  },
  { data: { id: 'chatcmpl-1', choices: [{ index: 0, delta: { reasoning_content: 'Hm' }, finish_reason: null }] } },
  {
    data: {
      id: 'chatcmpl-1',
      choices: [
        {
          index: 0,
          delta: {
            thinking_blocks: [
              { type: 'thinking', thinking: '', signature: 'sig' },
              { type: 'redacted_thinking', data: 'xyz' },
            ],
          },
          finish_reason: null,
        },
      ],
    },
  },
  { data: { id: 'chatcmpl-1', choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] } },
  {
    data: {
      id: 'chatcmpl-1',
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":' } }],
          },
        },
      ],
    },
  },
  {
    data: {
      id: 'chatcmpl-1',
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] } }],
    },
  },
  {
    data: {
      id: 'chatcmpl-1',
      choices: [
        { index: 0, delta: { tool_calls: [{ index: 1, id: 'call_2', function: { name: 'g', arguments: '{}' } }] } },
      ],
    },
  },
  { data: { id: 'chatcmpl-1', choices: [{ index: 0, delta: { function_call: { name: 'h', arguments: '{}' } } }] } },
  { data: { id: 'chatcmpl-1', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls', stop_reason: 'END' }] } },
  {
    data: {
      id: 'chatcmpl-1',
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13, prompt_tokens_details: { cached_tokens: 2 } },
    },
  },
  { data: '[DONE]' },
]

const ANTHROPIC: Event[] = [
  {
    event: 'message_start',
    data: {
      type: 'message_start',
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude',
        content: [],
        usage: { input_tokens: 25, output_tokens: 1 },
      },
    },
  },
  {
    event: 'content_block_start',
    data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  },
  { event: 'ping', data: { type: 'ping' } },
  {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
  },
  { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
  {
    event: 'content_block_start',
    data: {
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
    },
  },
  {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":1}' } },
  },
  {
    event: 'content_block_start',
    data: { type: 'content_block_start', index: 2, content_block: { type: 'thinking', thinking: 'hm' } },
  },
  {
    event: 'content_block_delta',
    data: { type: 'content_block_delta', index: 2, delta: { type: 'thinking_delta', thinking: 'm' } },
  },
  {
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: 12 },
    },
  },
  { event: 'message_stop', data: { type: 'message_stop' } },
]

const GEMINI: Event[] = [
  ...textStreamEvents(),
  ...toolStreamEvents(),
  { promptFeedback: { blockReason: 'SAFETY' } },
].map((data) => ({ data }))

const BEDROCK: Event[] = [
  { event: 'messageStart', data: { role: 'assistant' } },
  { event: 'contentBlockDelta', data: { contentBlockIndex: 0, delta: { text: 'Hel' } } },
  { event: 'contentBlockStart', data: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu_1', name: 'f' } } } },
  { event: 'contentBlockDelta', data: { contentBlockIndex: 1, delta: { toolUse: { input: '{"a":1}' } } } },
  { event: 'contentBlockDelta', data: { contentBlockIndex: 2, delta: { reasoningContent: { text: 'hmm' } } } },
  { event: 'contentBlockStop', data: { contentBlockIndex: 1 } },
  { event: 'messageStop', data: { stopReason: 'tool_use' } },
  {
    event: 'metadata',
    data: { usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 }, metrics: { latencyMs: 1 } },
  },
]

/** The events, each one perhaps mutated, dropped, repeated or moved. */
function hostileEvents(rng: Rng, base: Event[]): { event?: string; data: string }[] {
  const events = base.map((e) => ({ ...e }))
  for (let i = rng.int(3); i > 0; i--) {
    const at = rng.int(events.length)
    const op = rng.int(4)
    if (op === 0) events.splice(at, 1)
    else if (op === 1) events.splice(at, 0, events[rng.int(events.length)]!)
    else if (op === 2) events.push(events.splice(at, 1)[0]!)
    else if (rng.chance(0.5))
      events[at] = { ...events[at]!, event: rng.pick(['error', 'message', '', 'message_stop', 'exception', 'x\ny']) }
  }
  return events.map((e) => {
    if (typeof e.data === 'string') return { event: e.event, data: e.data }
    const data = rng.chance(0.35) ? render(mutate(rng, e.data, 2, SHAPE)) : JSON.stringify(e.data)
    return {
      event: e.event,
      data: rng.chance(0.03)
        ? rng.pick(['', 'not json', '{', 'null', '[1]', '"x"', '{"error":{"message":"boom"}}', '{"error":"x"}'])
        : data,
    }
  })
}

function sseBytes(rng: Rng, events: { event?: string; data: string }[]): Uint8Array {
  const eol = rng.chance(0.85) ? '\n' : rng.pick(['\r\n', '\r'])
  let text = ''
  for (const e of events) {
    if (rng.chance(0.05)) text += `: keep-alive${eol}`
    if (e.event !== undefined && e.event !== 'message') text += `event: ${e.event.replaceAll('\n', '')}${eol}`
    const data = rng.chance(0.05) ? e.data.replace(/,/g, `,${eol}data: `) : e.data
    text += `data:${rng.chance(0.9) ? ' ' : ''}${data}${eol}${rng.chance(0.97) ? eol : ''}`
  }
  return damage(rng, text, 0.1)
}

function bedrockBytes(rng: Rng, events: { event?: string; data: string }[]): Uint8Array {
  const frames = events.map((e) => {
    const type: Record<string, string> =
      e.event === 'exception'
        ? { ':exception-type': 'throttlingException', ':message-type': 'exception' }
        : { ':event-type': e.event ?? 'x', ':message-type': e.event === 'error' ? 'error' : 'event' }
    return bedrockFrame({ ...type, ':content-type': 'application/json' }, encoder.encode(e.data))
  })
  let bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
  let at = 0
  for (const f of frames) {
    bytes.set(f, at)
    at += f.length
  }
  if (rng.chance(0.1)) {
    bytes = bytes.slice()
    if (rng.chance(0.5)) bytes = bytes.subarray(0, rng.int(bytes.length + 1))
    else for (let i = rng.range(1, 3); i > 0 && bytes.length; i--) bytes[rng.int(bytes.length)] = rng.u32() & 0xff
  }
  return bytes
}

/** Random cut points: every byte alone, a few pieces, or the whole at once. */
function chunking(rng: Rng, length: number): number[] {
  const mode = rng.int(3)
  if (mode === 0) return [length]
  if (mode === 1 && length < 3000) return Array.from({ length }, (_, i) => i + 1)
  const cuts = Array.from({ length: rng.range(1, 8) }, () => rng.int(length + 1)).sort((a, b) => a - b)
  return [...cuts, length]
}

function run(translator: StreamTranslator, c: StreamCase, sse: boolean): string {
  let out = ''
  let from = 0
  try {
    for (const to of c.chunks) {
      if (to > from) out += translator.push(c.bytes.subarray(from, to))
      from = to
    }
    out += translator.end()
  } catch (err) {
    const plain = err instanceof Error && (err.constructor === Error || err instanceof BedrockStreamException)
    if (!plain || !err.message)
      throw new Error(`threw ${err instanceof Error ? `${err.constructor.name}: ${err.stack}` : String(err)}`)
    expectFrames(out, sse)
    return 'threw an Error (in-band)'
  }
  expectFrames(out, sse)
  return 'completed'
}

/** The output so far is whole SSE frames whose data is JSON or [DONE]. */
function expectFrames(out: string, sse: boolean): void {
  if (!sse || out === '') return
  if (!out.endsWith('\n\n')) throw new Error(`output does not end with a whole frame: ${preview(out.slice(-200))}`)
  for (const frame of out.slice(0, -2).split('\n\n'))
    for (const line of frame.split('\n')) {
      if (line.startsWith('event: ')) continue
      if (!line.startsWith('data: ')) throw new Error(`not an SSE line: ${preview(line)}`)
      const data = line.slice(6)
      if (data !== '[DONE]') JSON.parse(data)
    }
}

/** What the exchange hands a stream translator: usage asked for, Bedrock's request id in the headers. */
const meta = (model: string): AnswerMeta => ({
  model,
  created: 1,
  includeUsage: true,
  headers: new Headers({ 'x-amzn-requestid': 'x' }),
  request: {},
})

const surfaces: [string, Event[], () => StreamTranslator, boolean][] = [
  ['ChatStreamTranslator (OpenAI chunks → Anthropic events)', OPENAI, () => new ChatStreamTranslator('claude-x'), true],
  [
    'AnthropicStreamTranslator (Anthropic events → OpenAI chunks)',
    ANTHROPIC,
    () => new AnthropicStreamTranslator(meta('claude')),
    true,
  ],
  [
    'GeminiStreamTranslator (Gemini events → OpenAI chunks)',
    GEMINI,
    () => new GeminiStreamTranslator({ model: 'gemini', includeUsage: true, created: 1, toolCallId: () => 'call_x' }),
    true,
  ],
  [
    'BedrockStreamTranslator (event-stream frames → OpenAI chunks)',
    BEDROCK,
    () => new BedrockStreamTranslator(meta('m')),
    false,
  ],
]

describe('fuzz the stream translators', () => {
  test.each(surfaces)(
    '%s returns frames or throws a plain Error, never another exception',
    async (name, base, make, sse) => {
      await fuzz<StreamCase>(name, {
        cases: caseCount(1500),
        generate(rng) {
          const events = hostileEvents(rng, base)
          const bytes = sse ? sseBytes(rng, events) : bedrockBytes(rng, events)
          return { events, bytes, chunks: chunking(rng, bytes.length) }
        },
        show: (c) => preview(new TextDecoder().decode(c.bytes), 1200),
        check: (c) => run(make(), c, sse),
      })
    },
    120_000,
  )

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
