// ConverseStream frames → OpenAI chunk SSE, driven without a network: text, tool calls streamed across
// many deltas, two tools, mixed text, stop reasons, include_usage on and off, exceptions, cut streams.
import { describe, expect, test } from 'bun:test'
import { BedrockStreamException, bedrockStreamRefusal } from '../../../src/providers/bedrock/errors'
import { BedrockStreamTranslator } from '../../../src/providers/bedrock/stream'
import type { AnswerMeta } from '../../../src/providers/exchange'
import { concat, event, exception, textStream, toolBlock, USAGE } from '../../support/fixtures/bedrock'

/** What every chunk carries: the id from x-amzn-requestid, created and model from the meta. */
const META = { id: 'chatcmpl-s1', created: 1_700_000_000, model: 'claude' }

const translator = (includeUsage: boolean) => {
  const meta: AnswerMeta = {
    model: META.model,
    created: META.created,
    includeUsage,
    headers: new Headers({ 'x-amzn-requestid': 's1' }),
    request: {},
  }
  return new BedrockStreamTranslator(meta)
}

/** Runs frames through a translator (one push per frame unless `blob`), parses the SSE output. */
function run(frames: Uint8Array[], includeUsage = false, blob = false): { chunks: any[]; done: boolean; raw: string } {
  const t = translator(includeUsage)
  let raw = ''
  if (blob) raw += t.push(concat(frames))
  else for (const f of frames) raw += t.push(f)
  raw += t.end()
  const payloads = raw
    .split('\n\n')
    .filter(Boolean)
    .map((f) => f.replace(/^data: /, ''))
  const done = payloads.at(-1) === '[DONE]'
  return { chunks: payloads.filter((p) => p !== '[DONE]').map((p) => JSON.parse(p)), done, raw }
}

const deltas = (chunks: any[]) => chunks.filter((c) => c.choices.length).map((c) => c.choices[0].delta)
const finish = (chunks: any[]) => chunks.filter((c) => c.choices.length).map((c) => c.choices[0].finish_reason)

describe('BedrockStreamTranslator', () => {
  test('text: role chunk first, text deltas, finish chunk, [DONE]; no usage chunk unless asked', () => {
    const { chunks, done } = run(textStream(['Hel', 'lo', ' there']))
    expect(done).toBe(true)
    expect(chunks[0]).toEqual({
      ...META,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    })
    expect(deltas(chunks)).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hel' },
      { content: 'lo' },
      { content: ' there' },
      {},
    ])
    expect(finish(chunks)).toEqual([null, null, null, null, 'stop'])
    expect(chunks.every((c) => c.usage === undefined)).toBe(true)
  })

  test('include_usage: a usage chunk with empty choices just before [DONE]', () => {
    const { chunks, done } = run(textStream(['Hi']), true)
    expect(done).toBe(true)
    expect(chunks.at(-1)).toEqual({
      ...META,
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    })
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop')
  })

  test('one blob or one frame at a time give the same output', () => {
    expect(run(textStream(['a', 'b']), true, true).raw).toBe(run(textStream(['a', 'b']), true).raw)
  })

  test('a tool call streamed across many deltas; its arguments concatenate to the JSON input', () => {
    const fragments = ['{"ci', 'ty":', ' "Par', 'is", "u', 'nit', '": "C"', '}']
    const frames = [
      event('messageStart', { role: 'assistant' }),
      ...toolBlock(0, 'tooluse_abc', 'get_weather', fragments),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: USAGE }),
    ]
    const { chunks } = run(frames)
    const d = deltas(chunks)
    expect(d[1]).toEqual({
      tool_calls: [{ index: 0, id: 'tooluse_abc', type: 'function', function: { name: 'get_weather', arguments: '' } }],
    })
    const args = d
      .flatMap((x) => x.tool_calls ?? [])
      .map((c: any) => c.function.arguments)
      .join('')
    expect(JSON.parse(args)).toEqual({ city: 'Paris', unit: 'C' })
    expect(d.slice(2, -1).every((x) => x.tool_calls[0].index === 0 && x.tool_calls[0].id === undefined)).toBe(true)
    expect(finish(chunks).at(-1)).toBe('tool_calls')
  })

  test('text then two tools: stable indexes 0 and 1 whatever the Bedrock block numbers', () => {
    const frames = [
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Checking both.' } }),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      ...toolBlock(1, 'tu_1', 'get_weather', ['{"city":', '"Paris"}']),
      ...toolBlock(2, 'tu_2', 'get_time', ['{"tz":"CET"}']),
      event('messageStop', { stopReason: 'tool_use' }),
      event('metadata', { usage: USAGE }),
    ]
    const { chunks } = run(frames)
    const d = deltas(chunks)
    expect(d[1]).toEqual({ content: 'Checking both.' })
    const calls = new Map<number, { id?: string; name?: string; args: string }>()
    for (const x of d)
      for (const c of x.tool_calls ?? []) {
        const entry = calls.get(c.index) ?? { args: '' }
        if (c.id) entry.id = c.id
        if (c.function?.name) entry.name = c.function.name
        entry.args += c.function?.arguments ?? ''
        calls.set(c.index, entry)
      }
    expect([...calls.entries()]).toEqual([
      [0, { id: 'tu_1', name: 'get_weather', args: '{"city":"Paris"}' }],
      [1, { id: 'tu_2', name: 'get_time', args: '{"tz":"CET"}' }],
    ])
  })

  const stops: [string, string][] = [
    ['max_tokens', 'length'],
    ['stop_sequence', 'stop'],
    ['guardrail_intervened', 'content_filter'],
    ['brand_new_reason', 'stop'],
  ]
  for (const [reason, expected] of stops)
    test(`stopReason ${reason} → finish_reason ${expected}`, () => {
      expect(finish(run(textStream(['x'], reason)).chunks).at(-1)).toBe(expected)
    })

  test('reasoning deltas go out as reasoning_content; empty text deltas are skipped', () => {
    const frames = [
      event('messageStart', { role: 'assistant' }),
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { reasoningContent: { text: 'Hmm.' } } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { text: '' } }),
      event('contentBlockDelta', { contentBlockIndex: 1, delta: { text: 'Yes.' } }),
      event('messageStop', { stopReason: 'end_turn' }),
      event('metadata', { usage: USAGE }),
    ]
    expect(deltas(run(frames).chunks)).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Hmm.' },
      { content: 'Yes.' },
      {},
    ])
  })

  test('a text delta before messageStart still gets the role chunk first', () => {
    const frames = [
      event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'A' } }),
      event('messageStop', { stopReason: 'end_turn' }),
    ]
    expect(deltas(run(frames).chunks)).toEqual([{ role: 'assistant', content: '' }, { content: 'A' }, {}])
  })

  test('no metadata: [DONE] at the end of the stream, and no usage chunk even when asked', () => {
    const frames = textStream(['x']).slice(0, -1)
    const { chunks, done } = run(frames, true)
    expect(done).toBe(true)
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true)
  })

  test('an exception event mid-stream throws with its type and message', () => {
    const t = translator(false)
    const out = t.push(concat(textStream(['Hel']).slice(0, 2)))
    expect(out).toContain('"Hel"')
    expect(() => t.push(exception('modelStreamErrorException', 'Model stream failed'))).toThrow(
      'Bedrock modelStreamErrorException: Model stream failed',
    )
  })

  test('a throttling exception before any event throws', () => {
    const t = translator(false)
    let error: unknown
    try {
      t.push(exception('throttlingException', 'Too many tokens'))
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(BedrockStreamException)
    expect(error).toMatchObject({
      status: 429,
      errorName: 'ThrottlingException',
      message: 'Bedrock throttlingException: Too many tokens',
    })
  })

  test('bedrockStreamRefusal: an exception before any output answers as its HTTP error', () => {
    const refusal = (type: string, detail: string) => {
      try {
        translator(false).push(exception(type, detail))
      } catch (err) {
        return bedrockStreamRefusal(err)
      }
      throw new Error('expected the exception event to throw')
    }
    expect(refusal('throttlingException', 'Too many tokens')).toEqual({
      status: 429,
      body: { error: { message: 'Too many tokens', type: 'requests', param: null, code: 'ThrottlingException' } },
    })
    expect(refusal('validationException', 'bad input')).toEqual({
      status: 400,
      body: {
        error: { message: 'bad input', type: 'invalid_request_error', param: null, code: 'ValidationException' },
      },
    })
    // No detail: the exception's own message says what happened; an unknown exception is a 502.
    expect(refusal('somethingNewException', '')).toEqual({
      status: 502,
      body: {
        error: {
          message: 'Bedrock somethingNewException',
          type: 'server_error',
          param: null,
          code: 'SomethingNewException',
        },
      },
    })
  })

  test('bedrockStreamRefusal: any other error is not a refusal', () => {
    expect(bedrockStreamRefusal(new Error('the Bedrock stream ended before messageStop'))).toBeUndefined()
    expect(bedrockStreamRefusal('throttlingException')).toBeUndefined()
    expect(bedrockStreamRefusal(undefined)).toBeUndefined()
  })

  test('a stream that ends without messageStop throws at end()', () => {
    const t = translator(false)
    t.push(concat(textStream(['partial']).slice(0, 2)))
    expect(() => t.end()).toThrow(/before messageStop/)
  })

  test('a stream cut mid-frame throws at end()', () => {
    const t = translator(false)
    const all = concat(textStream(['x']))
    t.push(all.subarray(0, all.length - 3))
    expect(() => t.end()).toThrow(/cut mid-message/)
  })
})
