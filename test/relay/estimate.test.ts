// What a request is estimated to cost before it is sent (estimate.ts, for reservations) and what a
// stream delivered when its usage never came (usage-estimate.ts), on every surface's body shape. The
// money tests (test/e2e/money.test.ts) check the charges these lead to through the binary.
import { describe, expect, test } from 'bun:test'
import { estimateTokens, textTokens } from '../../src/relay/estimate'
import { deliveredText, promptParts } from '../../src/relay/usage-estimate'

const enc = (s: string) => new TextEncoder().encode(s)
const named = (type: string, o: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`

describe('estimateTokens', () => {
  test.each([
    ['chat', { messages: [{ role: 'user', content: 'abcdefgh' }], max_tokens: 50 }, 3 + 4 + 2, 50],
    ['messages', { system: 'abcd', messages: [{ role: 'user', content: 'abcd' }], max_tokens: 9 }, 3 + 1 + 4 + 1, 9],
    ['responses', { instructions: 'abcd', input: 'abcdefgh', max_output_tokens: 20 }, 3 + 1 + 4 + 2, 20],
    [
      'responses',
      {
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'abcd' }] },
          { type: 'function_call', call_id: 'c', name: 'abcd', arguments: 'abcd' },
          { type: 'function_call_output', call_id: 'c', output: 'abcdefgh' },
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'abcd' }] },
        ],
      },
      3 + (4 + 1) + (4 + 2) + (4 + 2) + (4 + 1),
      undefined,
    ],
    ['count_tokens', { messages: [{ role: 'user', content: 'a long text that costs nothing' }] }, 0, 0],
    ['embeddings', { input: ['abcd', 'abcdefgh'] }, 3, 0],
  ] as const)('%s %j', (endpoint, json, prompt, completion) => {
    expect(estimateTokens(endpoint, json as never)).toEqual({ prompt, completion } as never)
  })

  test('text: four ASCII characters a token, one a token for other scripts', () => {
    expect(textTokens('abcdefgh')).toBe(2)
    expect(textTokens('日本語')).toBe(3)
    expect(textTokens(undefined)).toBe(0)
  })
})

describe('promptParts', () => {
  test('a Responses request: instructions, string and item inputs, calls, outputs and reasoning', () => {
    const parts = promptParts({
      instructions: 'Be brief.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
        { type: 'function_call', call_id: 'c', name: 'weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'c', output: 'clear' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thought' }] },
      ],
    })
    expect(parts.text).toBe('Be brief.\nHi\nweather{"city":"Oslo"}\nclear\nthought')
    expect(parts.framing).toBe(3 + 4)
  })
})

describe('deliveredText', () => {
  test('Responses events: text, refusal, reasoning and argument deltas, and a call name', () => {
    const events = [
      named('response.created', { response: { id: 'r' } }),
      named('response.output_text.delta', { delta: 'Hello ' }),
      named('response.output_text.delta', { delta: 'world' }),
      named('response.output_text.done', { text: 'Hello world' }),
      named('response.reasoning_summary_text.delta', { delta: ' thinking' }),
      named('response.output_item.added', { item: { type: 'function_call', name: 'weather', arguments: '' } }),
      named('response.function_call_arguments.delta', { delta: '{"city":"Oslo"}' }),
      named('response.refusal.delta', { delta: ' no' }),
    ]
    expect(deliveredText([enc(events.join(''))])).toBe('Hello world thinkingweather{"city":"Oslo"} no')
  })
})
