// Reading token usage from answers: OpenAI and Anthropic JSON, OpenAI and Anthropic stream events.
import { describe, expect, test } from 'bun:test'
import { StreamUsage, usageOf, usageOfBody, wantsUsageChunk } from '../../src/extensions/usage'

const enc = (s: string) => new TextEncoder().encode(s)
const dec = (b: Uint8Array) => new TextDecoder().decode(b)

describe('usageOf', () => {
  test.each([
    ['OpenAI chat', { usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 } }, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }],
    [
      'OpenAI with cached tokens',
      { usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_tokens_details: { cached_tokens: 64 } } },
      { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, cache_read_tokens: 64 },
    ],
    ['embeddings (no completion)', { usage: { prompt_tokens: 8, total_tokens: 8 } }, { prompt_tokens: 8, completion_tokens: 0, total_tokens: 8 }],
    [
      'Anthropic (cache tokens are outside input_tokens)',
      { usage: { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 5, cache_creation_input_tokens: 2 } },
      { prompt_tokens: 17, completion_tokens: 3, total_tokens: 20, cache_read_tokens: 5, cache_write_tokens: 2 },
    ],
    ['no usage', { id: 'x' }, undefined],
    ['usage null', { usage: null }, undefined],
    ['not an object', 'text', undefined],
  ])('%s', (_, value, expected) => {
    expect(usageOf(value)).toEqual(expected as never)
  })

  test('usageOfBody tolerates non-JSON', () => {
    expect(usageOfBody(enc('not json'))).toBeUndefined()
    expect(usageOfBody(enc('{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}'))?.total_tokens).toBe(2)
  })
})

describe('StreamUsage', () => {
  const chunk = (o: object) => `data: ${JSON.stringify(o)}\n\n`
  const content = chunk({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'hi' } }], usage: null })
  const usageChunk = chunk({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })

  test('events without a usage object pass through as the same bytes', () => {
    const watch = new StreamUsage(true)
    const bytes = enc(content)
    expect(watch.observe(bytes)).toBe(bytes)
    expect(watch.usage).toBeUndefined()
  })

  test('the usage-only chunk is read, and removed when stripping', () => {
    const watch = new StreamUsage(true)
    expect(dec(watch.observe(enc(content + usageChunk + 'data: [DONE]\n\n')))).toBe(`${content}data: [DONE]\n\n`)
    expect(watch.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 })
  })

  test('kept when the client asked for it', () => {
    const watch = new StreamUsage(false)
    const bytes = enc(usageChunk)
    expect(watch.observe(bytes)).toBe(bytes)
    expect(watch.usage?.total_tokens).toBe(5)
  })

  test('a chunk that carries content and usage is never removed', () => {
    const both = chunk({ choices: [{ index: 0, delta: { content: 'x' } }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })
    const watch = new StreamUsage(true)
    expect(dec(watch.observe(enc(both)))).toBe(both)
    expect(watch.usage?.total_tokens).toBe(2)
  })

  test('"usage": { with a space is found too', () => {
    const watch = new StreamUsage(false)
    watch.observe(enc('data: {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 0, "total_tokens": 1}}\n\n'))
    expect(watch.usage?.total_tokens).toBe(1)
  })

  test('Anthropic: input from message_start, output from message_delta', () => {
    const frame = (type: string, o: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`
    const watch = new StreamUsage(false)
    watch.observe(enc(frame('message_start', { message: { id: 'm', usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 10 } } })))
    expect(watch.usage).toEqual({ prompt_tokens: 35, completion_tokens: 1, total_tokens: 36, cache_read_tokens: 10 })
    const delta = enc(frame('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } }))
    expect(watch.observe(delta)).toBe(delta)
    expect(watch.usage).toEqual({ prompt_tokens: 35, completion_tokens: 15, total_tokens: 50, cache_read_tokens: 10 })
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
