import { describe, expect, test } from 'bun:test'
import { fromGeminiResponse, toFinishReason, toUsage } from '../../../src/providers/google/response'
import type { GeminiResponse } from '../../../src/providers/google/types'

function counter() {
  let n = 0
  return () => `call_${++n}`
}
const OPTIONS = { model: 'gemini-2.5-flash', created: 1_700_000_000 }
const from = (body: GeminiResponse) => fromGeminiResponse(body, { ...OPTIONS, toolCallId: counter() })
const text = (t: string, finishReason = 'STOP') => ({
  content: { role: 'model', parts: [{ text: t }] },
  finishReason,
  index: 0,
})

describe('fromGeminiResponse', () => {
  test('a text answer becomes a chat.completion with usage', () => {
    const out = from({
      candidates: [
        { content: { role: 'model', parts: [{ text: 'Hello' }, { text: ', world' }] }, finishReason: 'STOP', index: 0 },
      ],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'abc123',
    })
    expect(out).toEqual({
      id: 'chatcmpl-abc123',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gemini-2.5-flash',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello, world', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    })
  })

  test('one choice per candidate, by index; thought summaries are not answer text', () => {
    const out = from({
      candidates: [
        text('first'),
        {
          content: { parts: [{ text: 'thinking...', thought: true }, { text: 'second' }] },
          finishReason: 'MAX_TOKENS',
          index: 1,
        },
      ],
    })
    expect(out.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'first', 'stop'],
      [1, 'second', 'length'],
    ])
  })

  test('functionCall parts become tool calls with generated ids and JSON arguments', () => {
    const out = from({
      candidates: [
        {
          content: {
            role: 'model',
            parts: [
              { text: 'Checking.' },
              { functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: 'CikB0e2Kb+4/x9Zq1w==' },
              { functionCall: { name: 'now' } },
            ],
          },
          finishReason: 'STOP',
        },
      ],
    })
    expect(out.choices[0]).toEqual({
      index: 0,
      message: {
        role: 'assistant',
        content: 'Checking.',
        refusal: null,
        tool_calls: [
          {
            id: 'call_1__gts__CikB0e2Kb-4_x9Zq1w',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Paris"}' },
            extra_content: { google: { thought_signature: 'CikB0e2Kb+4/x9Zq1w==' } },
          },
          { id: 'call_2', type: 'function', function: { name: 'now', arguments: '{}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    })
  })

  test('tool calls without text have null content', () => {
    const out = from({
      candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }] }, finishReason: 'STOP' }],
    })
    expect(out.choices[0]!.message.content).toBeNull()
  })

  test('a blocked prompt (no candidates) is a content_filter answer', () => {
    const out = from({
      promptFeedback: { blockReason: 'SAFETY' },
      usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 },
    })
    expect(out.choices).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          refusal: 'Gemini blocked the prompt (promptFeedback.blockReason: SAFETY).',
        },
        logprobs: null,
        finish_reason: 'content_filter',
      },
    ])
    expect(out.usage).toEqual({ prompt_tokens: 4, completion_tokens: 0, total_tokens: 4 })
  })

  test('empty candidates without a block reason: one empty answer', () => {
    expect(from({ candidates: [] }).choices).toEqual([
      { index: 0, message: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: 'stop' },
    ])
  })

  test('a candidate stopped for safety has no content and content_filter', () => {
    const out = from({ candidates: [{ finishReason: 'SAFETY', index: 0, safetyRatings: [] } as never] })
    expect(out.choices[0]!.message.content).toBe('')
    expect(out.choices[0]!.finish_reason).toBe('content_filter')
  })
})

describe('fromGeminiResponse: reasoning and signatures', () => {
  const candidate = (parts: object[]) => ({ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 })

  test('thought parts become reasoning_content, their signatures thinking_blocks; usage counts thoughts', () => {
    const out = from({
      candidates: [
        candidate([
          { text: 'Considering units. ', thought: true },
          { text: 'Metres it is.', thought: true, thoughtSignature: 'c2lnMQ==' },
          { text: 'Unsigned afterthought.', thought: true },
          { text: '42 m' },
          { text: '', thoughtSignature: 'c2lnMg==' },
        ]),
      ],
      usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 3, thoughtsTokenCount: 40, totalTokenCount: 52 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'r-think',
    })
    expect(out.choices[0]!.message).toEqual({
      role: 'assistant',
      content: '42 m',
      refusal: null,
      reasoning_content: 'Considering units. Metres it is.Unsigned afterthought.',
      thinking_blocks: [
        { type: 'thinking', thinking: 'Considering units. Metres it is.', signature: 'c2lnMQ==' },
        { type: 'thinking', thinking: '', signature: 'c2lnMg==' },
      ],
    })
    expect(out.usage).toEqual({
      prompt_tokens: 9,
      completion_tokens: 43,
      total_tokens: 52,
      completion_tokens_details: { reasoning_tokens: 40 },
    })
  })

  test.each([
    ['a thought part without text and no signature', [{ thought: true }], {}],
    ['an empty signature', [{ text: 'x', thoughtSignature: '' }], {}],
    ['a signature that is not a string', [{ text: 'x', thoughtSignature: 7 }], {}],
    [
      'a function call signature is not a thinking block',
      [
        { text: 'hmm', thought: true },
        { functionCall: { name: 'f', args: {} }, thoughtSignature: 'c2ln' },
      ],
      { reasoning_content: 'hmm' },
    ],
  ])('%s', (_name, parts, fields) => {
    const message = from({ candidates: [candidate(parts)] }).choices[0]!.message
    expect(
      Object.fromEntries(Object.entries(message).filter(([k]) => ['reasoning_content', 'thinking_blocks'].includes(k))),
    ).toEqual(fields)
  })

  test.each([
    ['a usable Gemini id is kept', 'fc_7Xk2-a', 'fc_7Xk2-a__gts__c2ln'],
    ['an id with other characters is replaced', 'functions.f:0', 'call_1__gts__c2ln'],
    ['an empty id is replaced', '', 'call_1__gts__c2ln'],
  ])('tool call ids: %s', (_name, id, expected) => {
    const out = from({
      candidates: [candidate([{ functionCall: { id, name: 'f', args: {} }, thoughtSignature: 'c2ln' }])],
    })
    expect(out.choices[0]!.message.tool_calls![0]!.id).toBe(expected)
    expect(out.choices[0]!.message.tool_calls![0]!.id).toMatch(/^[a-zA-Z0-9_-]+$/)
  })

  test('structured output: the answer text is the bare JSON, thoughts kept apart', () => {
    const out = from({
      candidates: [candidate([{ text: 'The user wants a number.', thought: true }, { text: '{"answer":4}' }])],
    })
    expect(out.choices[0]!.message.content).toBe('{"answer":4}')
    expect(JSON.parse(out.choices[0]!.message.content!)).toEqual({ answer: 4 })
  })
})

describe('toFinishReason', () => {
  test.each([
    ['STOP', false, 'stop'],
    ['MAX_TOKENS', false, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['IMAGE_SAFETY', false, 'content_filter'],
    ['OTHER', false, 'stop'],
    ['LANGUAGE', false, 'stop'],
    ['MALFORMED_FUNCTION_CALL', false, 'stop'],
    ['FINISH_REASON_UNSPECIFIED', false, 'stop'],
    ['SOMETHING_NEW', false, 'stop'],
    [undefined, false, 'stop'],
    ['STOP', true, 'tool_calls'],
    [undefined, true, 'tool_calls'],
    ['MAX_TOKENS', true, 'length'],
    ['SAFETY', true, 'content_filter'],
  ] as const)('%s (tool calls: %s) → %s', (reason, calls, expected) => {
    expect(toFinishReason(reason, calls)).toBe(expected)
  })
})

describe('toUsage', () => {
  test.each([
    [undefined, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }],
    [
      { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 },
      { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    ],
    [
      { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 20, totalTokenCount: 35 },
      {
        prompt_tokens: 10,
        completion_tokens: 25,
        total_tokens: 35,
        completion_tokens_details: { reasoning_tokens: 20 },
      },
    ],
    [
      { promptTokenCount: 100, cachedContentTokenCount: 60, candidatesTokenCount: 5, totalTokenCount: 105 },
      { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_tokens_details: { cached_tokens: 60 } },
    ],
    [
      { promptTokenCount: 3, candidatesTokenCount: 2 },
      { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    ],
  ])('%j → %j', (meta, usage) => {
    expect(toUsage(meta)).toEqual(usage)
  })
})
