import { describe, expect, test } from 'bun:test'
import { type GeminiStreamOptions, GeminiStreamTranslator } from '../../../src/providers/google/stream'
import { geminiError, geminiFrame, textStreamEvents, toolStreamEvents } from '../../support/fixtures/google/gemini'

const encoder = new TextEncoder()

function translator(options: Partial<GeminiStreamOptions> = {}) {
  let n = 0
  return new GeminiStreamTranslator({
    model: 'gemini-2.5-flash',
    includeUsage: false,
    created: 1_700_000_000,
    toolCallId: () => `call_${++n}`,
    ...options,
  })
}

/** Feeds `bytes` in pieces cut at `cuts`, then ends; returns everything produced. */
function run(bytes: Uint8Array, cuts: number[] = [], options: Partial<GeminiStreamOptions> = {}): string {
  const t = translator(options)
  let out = ''
  let start = 0
  for (const cut of [...cuts, bytes.length]) {
    if (cut > start) out += t.push(bytes.subarray(start, cut))
    start = cut
  }
  return out + t.end()
}

/** The JSON payloads of OpenAI SSE text; asserts the framing and that [DONE] ends it. */
function payloads(text: string): any[] {
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true)
  const frames = text.slice(0, -2).split('\n\n')
  for (const f of frames) expect(f.startsWith('data: ')).toBe(true)
  return frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)))
}

const textBytes = encoder.encode(textStreamEvents().map(geminiFrame).join(''))
const toolBytes = encoder.encode(toolStreamEvents().map(geminiFrame).join(''))

describe('GeminiStreamTranslator', () => {
  test('text events become a role chunk, content deltas and a finish chunk, then [DONE]', () => {
    const chunks = payloads(run(textBytes))
    const base = {
      id: 'chatcmpl-resp-1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gemini-2.5-flash',
    }
    const choice = (delta: object, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })
    expect(chunks).toEqual([
      choice({ role: 'assistant', content: '' }),
      choice({ content: 'Hello' }),
      choice({ content: ' there' }),
      choice({ content: '!' }),
      choice({}, 'stop'),
    ])
  })

  test('include_usage adds one usage chunk with no choices, from the last usageMetadata', () => {
    const chunks = payloads(run(textBytes, [], { includeUsage: true }))
    expect(chunks.at(-1)).toEqual({
      id: 'chatcmpl-resp-1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gemini-2.5-flash',
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
    })
    expect(chunks.filter((c) => c.usage).length).toBe(1)
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop')
  })

  test('without include_usage no chunk carries usage', () => {
    expect(payloads(run(textBytes)).some((c) => 'usage' in c)).toBe(false)
  })

  test('function calls become whole tool-call deltas with stable indexes and finish with tool_calls', () => {
    const chunks = payloads(run(toolBytes, [], { includeUsage: true }))
    expect(chunks.map((c) => c.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '' },
      {
        tool_calls: [
          {
            index: 0,
            id: 'call_1__gts__c2ln',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
            extra_content: { google: { thought_signature: 'c2ln' } },
          },
        ],
      },
      {
        tool_calls: [
          { index: 1, id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Zürich"}' } },
        ],
      },
      {},
      null,
    ])
    expect(chunks[3].choices[0].finish_reason).toBe('tool_calls')
    expect(chunks[4].usage).toEqual({
      prompt_tokens: 20,
      completion_tokens: 15,
      total_tokens: 35,
      completion_tokens_details: { reasoning_tokens: 5 },
    })
  })

  test('thinking: thought text as reasoning_content deltas, signatures as thinking_blocks, a signed call in its id', () => {
    const base = { modelVersion: 'gemini-3-pro-preview', responseId: 'resp-think' }
    const events = [
      {
        candidates: [{ content: { parts: [{ text: 'Which city? ', thought: true }], role: 'model' }, index: 0 }],
        usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 },
        ...base,
      },
      {
        candidates: [
          {
            content: {
              parts: [
                { text: 'Paris, clearly.', thought: true, thoughtSignature: 'c2lnMQ==' },
                { text: 'Looking it up.' },
              ],
              role: 'model',
            },
            index: 0,
          },
        ],
        ...base,
      },
      {
        candidates: [
          {
            content: {
              parts: [
                {
                  functionCall: { name: 'weather', args: { city: 'Paris' } },
                  thoughtSignature: 'CikB0e2Kb+4/x9Zq1w==',
                },
              ],
              role: 'model',
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 8, thoughtsTokenCount: 30, totalTokenCount: 50 },
        ...base,
      },
    ]
    const chunks = payloads(run(encoder.encode(events.map(geminiFrame).join('')), [], { includeUsage: true }))
    expect(chunks.map((c) => c.choices[0]?.delta ?? c.usage)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Which city? ' },
      { reasoning_content: 'Paris, clearly.' },
      { thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'c2lnMQ==' }] },
      { content: 'Looking it up.' },
      {
        tool_calls: [
          {
            index: 0,
            id: 'call_1__gts__CikB0e2Kb-4_x9Zq1w',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
            extra_content: { google: { thought_signature: 'CikB0e2Kb+4/x9Zq1w==' } },
          },
        ],
      },
      {},
      {
        prompt_tokens: 12,
        completion_tokens: 38,
        total_tokens: 50,
        completion_tokens_details: { reasoning_tokens: 30 },
      },
    ])
    expect(chunks.at(-2).choices[0].finish_reason).toBe('tool_calls')
  })

  test('a signature on an empty answer part at the end streams as a thinking block and no content', () => {
    const events = [
      { candidates: [{ content: { parts: [{ text: 'Done.' }], role: 'model' }, index: 0 }], responseId: 'r' },
      {
        candidates: [
          {
            content: { parts: [{ text: '', thoughtSignature: 'c2ln' }], role: 'model' },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        responseId: 'r',
      },
    ]
    const chunks = payloads(run(encoder.encode(events.map(geminiFrame).join(''))))
    expect(chunks.map((c) => c.choices[0].delta)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Done.' },
      { thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'c2ln' }] },
      {},
    ])
  })

  test.each([
    ['text', textBytes],
    ['tool calls (with a multi-byte character)', toolBytes],
  ])('%s: split at every byte boundary gives identical output', (_name, bytes) => {
    const whole = run(bytes, [], { includeUsage: true })
    for (let cut = 1; cut < bytes.length; cut++) expect(run(bytes, [cut], { includeUsage: true })).toBe(whole)
    const byteByByte = Array.from({ length: bytes.length }, (_, i) => i)
    expect(run(bytes, byteByByte, { includeUsage: true })).toBe(whole)
  })

  test('LF framing is read the same as CRLF framing', () => {
    const lf = encoder.encode(
      textStreamEvents()
        .map((e) => `data: ${JSON.stringify(e)}\n\n`)
        .join(''),
    )
    expect(run(lf)).toBe(run(textBytes))
  })

  test('several candidates stream as separate choices', () => {
    const event = (a: object, b: object) =>
      geminiFrame({
        candidates: [
          { index: 0, ...a },
          { index: 1, ...b },
        ],
        responseId: 'r',
      })
    const bytes = encoder.encode(
      event({ content: { parts: [{ text: 'A' }] } }, { content: { parts: [{ text: 'B' }] } }) +
        event(
          { content: { parts: [{ text: 'a' }] }, finishReason: 'STOP' },
          { content: { parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS' },
        ),
    )
    const chunks = payloads(run(bytes))
    const by = (i: number) =>
      chunks.filter((c) => c.choices[0].index === i).map((c) => [c.choices[0].delta, c.choices[0].finish_reason])
    expect(by(0)).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'A' }, null],
      [{ content: 'a' }, null],
      [{}, 'stop'],
    ])
    expect(by(1)).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'B' }, null],
      [{ content: 'b' }, null],
      [{}, 'length'],
    ])
  })

  test('a blocked prompt streams a refusal and content_filter', () => {
    const bytes = encoder.encode(
      geminiFrame({
        promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
        usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 },
        responseId: 'r',
      }),
    )
    const chunks = payloads(run(bytes))
    expect(chunks.map((c) => [c.choices[0].delta, c.choices[0].finish_reason])).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ refusal: 'Gemini blocked the prompt (promptFeedback.blockReason: PROHIBITED_CONTENT).' }, null],
      [{}, 'content_filter'],
    ])
  })

  test('a candidate stopped for safety mid-answer finishes with content_filter', () => {
    const events = [
      ...textStreamEvents().slice(0, 2),
      { candidates: [{ content: { parts: [] }, finishReason: 'SAFETY', index: 0 }], responseId: 'resp-1' },
    ]
    const chunks = payloads(run(encoder.encode(events.map(geminiFrame).join(''))))
    expect(chunks.at(-1).choices[0].finish_reason).toBe('content_filter')
  })

  test('an error payload in the stream throws with its status and message', () => {
    const bytes = encoder.encode(
      geminiFrame(textStreamEvents()[0]) + geminiFrame(geminiError(503, 'UNAVAILABLE', 'The model is overloaded.')),
    )
    const t = translator()
    expect(() => t.push(bytes)).toThrow('Gemini stream error 503 UNAVAILABLE: The model is overloaded.')
  })

  test('frames before an error mid-stream are produced before the throw', () => {
    const t = translator()
    const first = t.push(encoder.encode(geminiFrame(textStreamEvents()[0])))
    expect(first).toContain('"content":"Hello"')
    expect(() => t.push(encoder.encode(geminiFrame(geminiError(500, 'INTERNAL', 'oops'))))).toThrow('INTERNAL: oops')
  })

  test.each([
    ['no events at all', ''],
    ['events without a finish reason', geminiFrame(textStreamEvents()[0])],
  ])('a stream that ends badly throws at end(): %s', (_name, text) => {
    const t = translator()
    t.push(encoder.encode(text))
    expect(() => t.end()).toThrow('ended before a finish reason')
  })

  test('an event that is not JSON throws', () => {
    expect(() => translator().push(encoder.encode('data: {"candidates": [\r\n\r\n'))).toThrow('not JSON')
  })

  test('a final event without its blank line is still read at end()', () => {
    const text = textStreamEvents()
      .map(geminiFrame)
      .join('')
      .replace(/\r\n\r\n$/, '')
    expect(run(encoder.encode(text))).toBe(run(textBytes))
  })
})
