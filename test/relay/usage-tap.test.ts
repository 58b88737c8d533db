// Reading token usage from answers: OpenAI (chat, Responses) and Anthropic JSON and stream events.
import { describe, expect, test } from 'bun:test'
import { wantsUsageChunk } from '../../src/providers'
import { StreamUsage, usageOf, usageOfBody } from '../../src/relay/usage-tap'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

describe('usageOf', () => {
  test.each([
    [
      'OpenAI chat',
      { usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } },
      { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    ],
    [
      'OpenAI with cached tokens',
      {
        usage: {
          prompt_tokens: 100,
          completion_tokens: 5,
          total_tokens: 105,
          prompt_tokens_details: { cached_tokens: 64 },
        },
      },
      { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, cache_read_tokens: 64 },
    ],
    [
      'embeddings (no completion)',
      { usage: { prompt_tokens: 8, total_tokens: 8 } },
      { prompt_tokens: 8, completion_tokens: 0, total_tokens: 8 },
    ],
    [
      'Anthropic (cache tokens are outside input_tokens)',
      { usage: { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 5, cache_creation_input_tokens: 2 } },
      { prompt_tokens: 17, completion_tokens: 3, total_tokens: 20, cache_read_tokens: 5, cache_write_tokens: 2 },
    ],
    [
      'OpenAI Responses (cached tokens are inside input_tokens)',
      {
        usage: {
          input_tokens: 100,
          input_tokens_details: { cached_tokens: 40 },
          output_tokens: 7,
          output_tokens_details: { reasoning_tokens: 3 },
          total_tokens: 107,
        },
      },
      { prompt_tokens: 100, completion_tokens: 7, total_tokens: 107, cache_read_tokens: 40, reasoning_tokens: 3 },
    ],
    ['no usage', { id: 'x' }, undefined],
    ['usage null', { usage: null }, undefined],
    ['not an object', 'text', undefined],
  ])('%s', (_, value, expected) => {
    expect(usageOf(value)).toEqual(expected as never)
  })

  test.each([
    [
      'OpenAI chat, usage last',
      '{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13},"system_fingerprint":"fp"}',
      13,
    ],
    [
      'pretty-printed',
      '{\n  "usage" :\n  {\n    "prompt_tokens": 2,\n    "completion_tokens": 1,\n    "total_tokens": 3\n  }\n}',
      3,
    ],
    [
      'nested details',
      '{"usage":{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_tokens_details":{"cached_tokens":64}}}',
      105,
    ],
    [
      '"usage" inside content is data',
      '{"choices":[{"message":{"content":"say \\"usage\\": {\\"total_tokens\\": 999}"}}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
      2,
    ],
    [
      'a string with braces inside usage',
      '{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"note":"}{"}}',
      2,
    ],
    [
      'a later "usage" key that is not an object',
      '{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"meta":{"usage":null}}',
      3,
    ],
    [
      'a later usage object without tokens',
      '{"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3},"meta":{"usage":{"plan":"free"}}}',
      3,
    ],
    [
      'Anthropic message',
      '{"type":"message","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":10,"output_tokens":3}}',
      13,
    ],
    ['no usage', '{"id":"x","choices":[]}', undefined],
    ['usage null', '{"id":"x","usage":null}', undefined],
    ['cut off inside usage', '{"id":"x","usage":{"prompt_tokens":1', undefined],
  ])('usageOfBody: %s', (_, body, total) => {
    expect(usageOfBody(enc(body))?.total_tokens).toBe(total as never)
  })

  test('usageOfBody tolerates non-JSON', () => {
    expect(usageOfBody(enc('not json'))).toBeUndefined()
    expect(usageOfBody(enc('{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'))?.total_tokens).toBe(
      2,
    )
  })
})

describe('StreamUsage', () => {
  const chunk = (o: object) => `data: ${JSON.stringify(o)}\n\n`
  const content = chunk({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content: 'hi' } }],
    usage: null,
  })
  const usageChunk = chunk({
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  })

  test('events without a usage object pass through as the same bytes', () => {
    const watch = new StreamUsage(true)
    const bytes = enc(content)
    expect(watch.observe(bytes)).toBe(bytes)
    expect(watch.usage).toBeUndefined()
  })

  test('the usage-only chunk is read, and removed when stripping', () => {
    const watch = new StreamUsage(true)
    expect(dec(watch.observe(enc(`${content + usageChunk}data: [DONE]\n\n`)))).toBe(`${content}data: [DONE]\n\n`)
    expect(watch.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 })
  })

  test('kept when the client asked for it', () => {
    const watch = new StreamUsage(false)
    const bytes = enc(usageChunk)
    expect(watch.observe(bytes)).toBe(bytes)
    expect(watch.usage?.total_tokens).toBe(5)
  })

  test('a chunk that carries content and usage is never removed', () => {
    const both = chunk({
      choices: [{ index: 0, delta: { content: 'x' } }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    })
    const watch = new StreamUsage(true)
    expect(dec(watch.observe(enc(both)))).toBe(both)
    expect(watch.usage?.total_tokens).toBe(2)
  })

  test('"usage": { with a space is found too', () => {
    const watch = new StreamUsage(false)
    watch.observe(
      enc('data: {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 0, "total_tokens": 1}}\n\n'),
    )
    expect(watch.usage?.total_tokens).toBe(1)
  })

  test('Anthropic: input from message_start, output from message_delta', () => {
    const frame = (type: string, o: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`
    const watch = new StreamUsage(false)
    watch.observe(
      enc(
        frame('message_start', {
          message: { id: 'm', usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 10 } },
        }),
      ),
    )
    expect(watch.usage).toEqual({ prompt_tokens: 35, completion_tokens: 1, total_tokens: 36, cache_read_tokens: 10 })
    const delta = enc(frame('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } }))
    expect(watch.observe(delta)).toBe(delta)
    expect(watch.usage).toEqual({ prompt_tokens: 35, completion_tokens: 15, total_tokens: 50, cache_read_tokens: 10 })
  })

  test('Responses: the usage of response.completed; response.created carries none', () => {
    const frame = (type: string, o: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`
    const watch = new StreamUsage(false)
    const created = enc(frame('response.created', { sequence_number: 0, response: { id: 'r', usage: null } }))
    expect(watch.observe(created)).toBe(created)
    expect(watch.usage).toBeUndefined()
    const usage = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4, total_tokens: 16 }
    const done = enc(frame('response.completed', { sequence_number: 9, response: { id: 'r', usage } }))
    expect(watch.observe(done)).toBe(done)
    expect(watch.complete).toBe(true)
    expect(watch.usage).toEqual({ prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 })
  })

  test('unparseable data is ignored', () => {
    const watch = new StreamUsage(true)
    const bytes = enc('data: {"usage":{broken\n\n')
    expect(watch.observe(bytes)).toBe(bytes)
    expect(watch.usage).toBeUndefined()
  })
})

test('wantsUsageChunk', () => {
  expect(wantsUsageChunk({ stream_options: { include_usage: true } })).toBe(true)
  expect(wantsUsageChunk({ stream_options: { include_usage: false } })).toBe(false)
  expect(wantsUsageChunk({ stream_options: null })).toBe(false)
  expect(wantsUsageChunk({})).toBe(false)
})
