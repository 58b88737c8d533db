// Structured output and thinking, OpenAI chat ⇄ Anthropic Messages: one row per mapping (request, answer,
// stream), the exact message of every refusal, and the official openai SDK through the gateway against a
// mock that speaks Anthropic's wire format (chat.completions.parse; a tool call with thinking whose
// signatures survive into the next turn).
// https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs
// https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { zodResponseFormat } from 'openai/helpers/zod'
import { z } from 'zod'
import { GatewayError } from '../../../src/core/errors'
import { type AnthropicChatRequest, toAnthropicRequest } from '../../../src/providers/anthropic/request'
import { fromAnthropicResponse } from '../../../src/providers/anthropic/response'
import { AnthropicStreamTranslator } from '../../../src/providers/anthropic/stream'
import type { AnswerMeta } from '../../../src/providers/exchange'
import {
  blockStop,
  frame,
  jsonDelta,
  message,
  messageDelta,
  messageStart,
  messageStop,
  textDelta,
  textStart,
  toolStart,
} from '../../support/fixtures/anthropic'
import { startGateway, type TestGateway } from '../../support/gateway'
import { type MockUpstream, startMockUpstream } from '../../support/mock-upstream'

const SONNET = 'claude-sonnet-4-5'
const OPUS_47 = 'claude-opus-4-7'
const SIG = 'EqQBCgIYAhIMSig0'
const SIG2 = 'EpoBCkgIAxABGAIiQSig1'
const REDACTED = 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP'

const user = (content: unknown) => ({ role: 'user', content })
const ask = (extra: Record<string, unknown>) => ({ messages: [user('x')], ...extra })

// --- Anthropic stream frames for thinking, as api.anthropic.com sends them ---

const thinkingStart = (index: number, extra: Record<string, unknown> = {}) =>
  frame('content_block_start', { index, content_block: { type: 'thinking', thinking: '', ...extra } })
const thinkingDelta = (index: number, thinking: string) =>
  frame('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } })
const signatureDelta = (index: number, signature: string) =>
  frame('content_block_delta', { index, delta: { type: 'signature_delta', signature } })
const redactedStart = (index: number, data: string) =>
  frame('content_block_start', { index, content_block: { type: 'redacted_thinking', data } })

// --- the request ---

describe('request: one row per mapping', () => {
  const person = {
    type: 'object',
    properties: { name: { type: 'string' }, age: { type: 'integer' } },
    required: ['name', 'age'],
    additionalProperties: false,
  }
  const rows: [string, Record<string, unknown>, Partial<AnthropicChatRequest>, string?][] = [
    ['response_format text → nothing', ask({ response_format: { type: 'text' } }), { output_config: undefined }],
    [
      'json_schema → output_config.format (name and strict have no Anthropic field)',
      ask({ response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: person } } }),
      { output_config: { format: { type: 'json_schema', schema: person } } },
    ],
    [
      'json_schema: objects that leave additionalProperties unset get false; explicit values and data are kept',
      ask({
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'n',
            schema: {
              type: 'object',
              properties: {
                properties: { type: 'string' },
                tags: { type: 'array', items: { type: 'object', properties: { k: { type: 'string' } } } },
                map: { type: 'object', additionalProperties: { type: 'string' } },
                either: { anyOf: [{ $ref: '#/$defs/point' }, { type: ['object', 'null'], properties: {} }] },
                fixed: { const: { type: 'object' }, default: { properties: {} } },
              },
              $defs: { point: { properties: { x: { type: 'number' } } } },
            },
          },
        },
      }),
      {
        output_config: {
          format: {
            type: 'json_schema',
            schema: {
              type: 'object',
              properties: {
                properties: { type: 'string' },
                tags: {
                  type: 'array',
                  items: { type: 'object', properties: { k: { type: 'string' } }, additionalProperties: false },
                },
                map: { type: 'object', additionalProperties: { type: 'string' } },
                either: {
                  anyOf: [
                    { $ref: '#/$defs/point' },
                    { type: ['object', 'null'], properties: {}, additionalProperties: false },
                  ],
                },
                fixed: { const: { type: 'object' }, default: { properties: {} } },
              },
              $defs: { point: { properties: { x: { type: 'number' } }, additionalProperties: false } },
              additionalProperties: false,
            },
          },
        },
      },
    ],
    [
      'reasoning_effort minimal → budget 1024',
      ask({ reasoning_effort: 'minimal' }),
      { thinking: { type: 'enabled', budget_tokens: 1024 } },
    ],
    [
      'reasoning_effort low → budget 2048',
      ask({ reasoning_effort: 'low' }),
      { thinking: { type: 'enabled', budget_tokens: 2048 } },
    ],
    [
      'reasoning_effort medium → budget 8192',
      ask({ reasoning_effort: 'medium' }),
      { thinking: { type: 'enabled', budget_tokens: 8192 } },
    ],
    [
      'reasoning_effort high → budget 24576 (the default max_tokens is above it: kept)',
      ask({ reasoning_effort: 'high' }),
      { thinking: { type: 'enabled', budget_tokens: 24576 }, max_tokens: 64_000 },
    ],
    ['reasoning_effort none → no thinking', ask({ reasoning_effort: 'none' }), { thinking: undefined }],
    ['reasoning_effort null → no thinking', ask({ reasoning_effort: null }), { thinking: undefined }],
    [
      'an adaptive-only model: reasoning_effort → adaptive with output_config.effort',
      ask({ reasoning_effort: 'medium' }),
      { thinking: { type: 'adaptive' }, output_config: { effort: 'medium' } },
      OPUS_47,
    ],
    [
      'an adaptive-only model: minimal → effort low',
      ask({ reasoning_effort: 'minimal' }),
      { thinking: { type: 'adaptive' }, output_config: { effort: 'low' } },
      'claude-opus-5',
    ],
    [
      'Mythos is adaptive-only too',
      ask({ reasoning_effort: 'high' }),
      { thinking: { type: 'adaptive' }, output_config: { effort: 'high' } },
      'claude-mythos-preview',
    ],
    [
      'Opus 4.6 still takes a budget',
      ask({ reasoning_effort: 'high' }),
      { thinking: { type: 'enabled', budget_tokens: 24576 } },
      'claude-opus-4-6',
    ],
    ['an adaptive-only model: none → no thinking', ask({ reasoning_effort: 'none' }), { thinking: undefined }, OPUS_47],
    [
      'thinking enabled passes through',
      ask({ thinking: { type: 'enabled', budget_tokens: 4000 } }),
      { thinking: { type: 'enabled', budget_tokens: 4000 } },
    ],
    ['thinking adaptive passes through', ask({ thinking: { type: 'adaptive' } }), { thinking: { type: 'adaptive' } }],
    [
      'thinking disabled passes through; sampling is then free',
      ask({ thinking: { type: 'disabled' }, temperature: 0.2, top_p: 0.5 }),
      { thinking: { type: 'disabled' }, temperature: 0.2, top_p: 0.5 },
    ],
    [
      'thinking wins over reasoning_effort',
      ask({ thinking: { type: 'enabled', budget_tokens: 2000 }, reasoning_effort: 'high' }),
      { thinking: { type: 'enabled', budget_tokens: 2000 } },
    ],
    [
      'max_tokens at or below the budget: budget + max_tokens',
      ask({ reasoning_effort: 'low', max_tokens: 2048 }),
      { max_tokens: 4096 },
    ],
    [
      'max_completion_tokens below the budget: budget + max_completion_tokens',
      ask({ thinking: { type: 'enabled', budget_tokens: 5000 }, max_completion_tokens: 300 }),
      { max_tokens: 5300 },
    ],
    ['max_tokens above the budget is kept', ask({ reasoning_effort: 'low', max_tokens: 2049 }), { max_tokens: 2049 }],
    [
      'the default max_tokens below the budget: budget + default',
      ask({ reasoning_effort: 'medium' }),
      { max_tokens: 8192 + 4096 },
      'my-custom-model',
    ],
    [
      'temperature 1 and top_p 0.95 go with thinking',
      ask({ reasoning_effort: 'low', temperature: 1, top_p: 0.95 }),
      { temperature: 1, top_p: 0.95 },
    ],
    [
      'tool_choice auto goes with thinking',
      ask({ reasoning_effort: 'low', tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'auto' }),
      { tool_choice: { type: 'auto' } },
    ],
    [
      'structured output with thinking',
      ask({
        reasoning_effort: 'low',
        response_format: { type: 'json_schema', json_schema: { name: 'p', schema: person } },
      }),
      {
        thinking: { type: 'enabled', budget_tokens: 2048 },
        output_config: { format: { type: 'json_schema', schema: person } },
      },
    ],
    [
      'structured output with adaptive thinking: format and effort in one output_config',
      ask({
        reasoning_effort: 'high',
        response_format: { type: 'json_schema', json_schema: { name: 'p', schema: person } },
      }),
      { output_config: { format: { type: 'json_schema', schema: person }, effort: 'high' } },
      OPUS_47,
    ],
    [
      'thinking_blocks go first in their assistant turn, signed and redacted, in order',
      {
        messages: [
          user('q'),
          {
            role: 'assistant',
            content: 'Checking.',
            reasoning_content: 'Let me look.',
            thinking_blocks: [
              { type: 'thinking', thinking: 'Let me look.', signature: SIG },
              { type: 'redacted_thinking', data: REDACTED },
            ],
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: 'ok' },
        ],
      },
      {
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Let me look.', signature: SIG },
              { type: 'redacted_thinking', data: REDACTED },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
        ],
      },
    ],
    [
      'reasoning_content without thinking_blocks, and an unsigned block, are dropped (Anthropic refuses unsigned thinking)',
      {
        messages: [
          user('q'),
          { role: 'assistant', content: 'A.', reasoning_content: 'hmm' },
          user('q2'),
          { role: 'assistant', content: 'B.', thinking_blocks: [{ type: 'thinking', thinking: 'hmm' }] },
          user('q3'),
        ],
      },
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'A.' },
          { role: 'user', content: 'q2' },
          { role: 'assistant', content: 'B.' },
          { role: 'user', content: 'q3' },
        ],
      },
    ],
    [
      "a streamed answer's block (empty text + signature) takes its text from reasoning_content",
      {
        messages: [
          user('q'),
          {
            role: 'assistant',
            content: 'A.',
            reasoning_content: 'Streamed thought.',
            thinking_blocks: [{ type: 'thinking', thinking: '', signature: SIG }],
          },
          user('q2'),
        ],
      },
      {
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Streamed thought.', signature: SIG },
              { type: 'text', text: 'A.' },
            ],
          },
          { role: 'user', content: 'q2' },
        ],
      },
    ],
  ]
  for (const [name, body, expected, model] of rows)
    test(name, () => {
      const request = toAnthropicRequest(body, model ?? SONNET)
      for (const [key, value] of Object.entries(expected))
        expect(request[key as keyof AnthropicChatRequest] as unknown).toEqual(value)
    })

  test('the client body is not changed by the schema rewrite', () => {
    const schema = { type: 'object', properties: { a: { type: 'object', properties: {} } } }
    const before = structuredClone(schema)
    toAnthropicRequest(ask({ response_format: { type: 'json_schema', json_schema: { name: 'n', schema } } }), SONNET)
    expect(schema).toEqual(before)
  })

  test('a property named __proto__ stays an own property of the copied schema', () => {
    const schema = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}},"required":["__proto__"]}')
    const request = toAnthropicRequest(
      ask({ response_format: { type: 'json_schema', json_schema: { name: 'n', schema } } }),
      SONNET,
    )
    const out = request.output_config?.format?.schema as { properties: object }
    expect(Object.keys(out.properties)).toEqual(['__proto__'])
    expect(Object.getPrototypeOf(out.properties)).toBe(Object.prototype)
  })
})

// --- refusals ---

interface Refusal {
  message: string
  param: string | null
  code: string | null
}

function refusal(body: Record<string, unknown>, model = SONNET): Refusal {
  try {
    toAnthropicRequest(body, model)
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err
    expect(err.status).toBe(400)
    expect(err.type).toBe('invalid_request_error')
    return { message: err.message, param: err.param, code: err.code }
  }
  throw new Error('expected a 400 GatewayError')
}

describe('refusals: the exact message', () => {
  const rows: [string, Record<string, unknown>, Refusal][] = [
    [
      'json_object',
      ask({ response_format: { type: 'json_object' } }),
      {
        message:
          "response_format.type 'json_object' is not supported by Anthropic models: use {type: 'json_schema', json_schema: {name, schema}} (structured outputs need a schema).",
        param: 'response_format.type',
        code: 'unsupported_value',
      },
    ],
    [
      'an unknown response_format type',
      ask({ response_format: { type: 'xml' } }),
      {
        message: "response_format.type must be 'text' or 'json_schema' for Anthropic models.",
        param: 'response_format.type',
        code: 'unsupported_value',
      },
    ],
    [
      'a response_format that is not an object',
      ask({ response_format: 'json' }),
      {
        message: "response_format must be an object: {type: 'text'} or {type: 'json_schema', json_schema}.",
        param: 'response_format',
        code: 'invalid_value',
      },
    ],
    [
      'json_schema without json_schema',
      ask({ response_format: { type: 'json_schema' } }),
      {
        message: 'response_format.json_schema must be an object: {name, schema, strict}.',
        param: 'response_format.json_schema',
        code: 'missing_required_parameter',
      },
    ],
    [
      'json_schema without a schema',
      ask({ response_format: { type: 'json_schema', json_schema: { name: 'n' } } }),
      {
        message:
          'response_format.json_schema.schema must be a JSON Schema object: Anthropic structured outputs need a schema.',
        param: 'response_format.json_schema.schema',
        code: 'missing_required_parameter',
      },
    ],
    [
      'an unknown reasoning_effort',
      ask({ reasoning_effort: 'xhigh' }),
      {
        message: "reasoning_effort must be one of 'none', 'minimal', 'low', 'medium', 'high' for Anthropic models.",
        param: 'reasoning_effort',
        code: 'unsupported_value',
      },
    ],
    [
      'thinking that is not an object',
      ask({ thinking: true }),
      {
        message:
          "thinking must be an object: {type: 'enabled', budget_tokens}, {type: 'adaptive'} or {type: 'disabled'}.",
        param: 'thinking',
        code: 'invalid_value',
      },
    ],
    [
      'an unknown thinking type',
      ask({ thinking: { type: 'on' } }),
      {
        message: "thinking.type must be 'enabled', 'adaptive' or 'disabled'.",
        param: 'thinking.type',
        code: 'unsupported_value',
      },
    ],
    [
      'a budget below 1024',
      ask({ thinking: { type: 'enabled', budget_tokens: 1000 } }),
      {
        message: "thinking.budget_tokens must be an integer of at least 1024 (Anthropic's smallest thinking budget).",
        param: 'thinking.budget_tokens',
        code: 'invalid_value',
      },
    ],
    [
      'enabled without a budget',
      ask({ thinking: { type: 'enabled' } }),
      {
        message: "thinking.budget_tokens must be an integer of at least 1024 (Anthropic's smallest thinking budget).",
        param: 'thinking.budget_tokens',
        code: 'invalid_value',
      },
    ],
    [
      'temperature with thinking',
      ask({ reasoning_effort: 'low', temperature: 0.7 }),
      {
        message:
          'temperature must be 1 or unset when thinking is on: Anthropic models take no other temperature with extended thinking.',
        param: 'temperature',
        code: 'unsupported_value',
      },
    ],
    [
      'temperature with adaptive thinking',
      ask({ thinking: { type: 'adaptive' }, temperature: 0 }),
      {
        message:
          'temperature must be 1 or unset when thinking is on: Anthropic models take no other temperature with extended thinking.',
        param: 'temperature',
        code: 'unsupported_value',
      },
    ],
    [
      'top_p below 0.95 with thinking',
      ask({ reasoning_effort: 'low', top_p: 0.9 }),
      {
        message:
          "top_p must be between 0.95 and 1 or unset when thinking is on (Anthropic's range with extended thinking).",
        param: 'top_p',
        code: 'unsupported_value',
      },
    ],
    [
      'a forced tool with thinking',
      ask({ reasoning_effort: 'low', tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required' }),
      {
        message:
          "tool_choice must be 'auto' or 'none' when thinking is on: Anthropic models cannot be forced to call a tool while thinking.",
        param: 'tool_choice',
        code: 'unsupported_value',
      },
    ],
    [
      'thinking_blocks that are not an array',
      { messages: [user('q'), { role: 'assistant', content: 'a', thinking_blocks: 'x' }] },
      {
        message: 'messages[1].thinking_blocks must be an array of thinking blocks.',
        param: 'messages[1].thinking_blocks',
        code: 'invalid_value',
      },
    ],
    [
      'a thinking block that is not an object',
      { messages: [user('q'), { role: 'assistant', content: 'a', thinking_blocks: [1] }] },
      {
        message:
          "messages[1].thinking_blocks[0] must be {type: 'thinking', thinking, signature} or {type: 'redacted_thinking', data}.",
        param: 'messages[1].thinking_blocks[0]',
        code: 'invalid_value',
      },
    ],
    [
      'a thinking block of an unknown type',
      { messages: [user('q'), { role: 'assistant', content: 'a', thinking_blocks: [{ type: 'reasoning' }] }] },
      {
        message: "messages[1].thinking_blocks[0].type must be 'thinking' or 'redacted_thinking'.",
        param: 'messages[1].thinking_blocks[0].type',
        code: 'unsupported_value',
      },
    ],
    [
      'a redacted block without data',
      { messages: [user('q'), { role: 'assistant', content: 'a', thinking_blocks: [{ type: 'redacted_thinking' }] }] },
      {
        message: 'messages[1].thinking_blocks[0].data must be a non-empty string.',
        param: 'messages[1].thinking_blocks[0].data',
        code: 'invalid_value',
      },
    ],
    [
      'a thinking block whose text is not a string',
      {
        messages: [
          user('q'),
          { role: 'assistant', content: 'a', thinking_blocks: [{ type: 'thinking', thinking: 1, signature: SIG }] },
        ],
      },
      {
        message: 'messages[1].thinking_blocks[0].thinking must be a string.',
        param: 'messages[1].thinking_blocks[0].thinking',
        code: 'invalid_value',
      },
    ],
    [
      'a thinking block whose signature is not a string',
      {
        messages: [
          user('q'),
          { role: 'assistant', content: 'a', thinking_blocks: [{ type: 'thinking', thinking: 't', signature: {} }] },
        ],
      },
      {
        message: 'messages[1].thinking_blocks[0].signature must be a string.',
        param: 'messages[1].thinking_blocks[0].signature',
        code: 'invalid_value',
      },
    ],
  ]
  for (const [name, body, expected] of rows) test(name, () => expect(refusal(body)).toEqual(expected))

  test('a hostile value where a string is read is a 400, not a TypeError', () => {
    const hostile = { toString: { polluted: 1 } }
    expect(refusal(ask({ reasoning_effort: hostile })).param).toBe('reasoning_effort')
    expect(refusal(ask({ thinking: { type: hostile } })).param).toBe('thinking.type')
    expect(refusal(ask({ response_format: { type: hostile } })).param).toBe('response_format.type')
  })
})

// --- the answer ---

const META: AnswerMeta = {
  model: SONNET,
  created: 1_700_000_000,
  includeUsage: true,
  headers: new Headers(),
  request: {},
}

describe('answer: one row per mapping', () => {
  const rows: [string, unknown[], Record<string, unknown>][] = [
    [
      'a signed thinking block → reasoning_content and thinking_blocks with the signature',
      [
        { type: 'thinking', thinking: 'Let me think.', signature: SIG },
        { type: 'text', text: '42' },
      ],
      {
        content: '42',
        reasoning_content: 'Let me think.',
        thinking_blocks: [{ type: 'thinking', thinking: 'Let me think.', signature: SIG }],
      },
    ],
    [
      'redacted_thinking → a thinking_blocks entry, in order; reasoning_content joins the readable ones',
      [
        { type: 'thinking', thinking: 'One.', signature: SIG },
        { type: 'redacted_thinking', data: REDACTED },
        { type: 'thinking', thinking: ' Two.', signature: SIG2 },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
      ],
      {
        content: null,
        reasoning_content: 'One. Two.',
        thinking_blocks: [
          { type: 'thinking', thinking: 'One.', signature: SIG },
          { type: 'redacted_thinking', data: REDACTED },
          { type: 'thinking', thinking: ' Two.', signature: SIG2 },
        ],
        tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
    ],
    [
      'only redacted thinking → thinking_blocks, no reasoning_content',
      [
        { type: 'redacted_thinking', data: REDACTED },
        { type: 'text', text: 'ok' },
      ],
      { content: 'ok', thinking_blocks: [{ type: 'redacted_thinking', data: REDACTED }] },
    ],
    [
      'structured output: the text is the JSON, as sent',
      [{ type: 'text', text: '{"name":"Ada","age":36}' }],
      { content: '{"name":"Ada","age":36}' },
    ],
  ]
  for (const [name, content, expected] of rows)
    test(name, () => {
      const out = fromAnthropicResponse(message(content) as never, META)
      expect(out?.choices[0].message).toEqual({ role: 'assistant', refusal: null, ...expected } as never)
    })

  test('usage: thinking is inside output_tokens, counted once', () => {
    const out = fromAnthropicResponse(
      message(
        [
          { type: 'thinking', thinking: 'long thought', signature: SIG },
          { type: 'text', text: 'a' },
        ],
        'end_turn',
        {
          input_tokens: 30,
          output_tokens: 500,
        },
      ) as never,
      META,
    )
    expect(out?.usage).toMatchObject({ prompt_tokens: 30, completion_tokens: 500, total_tokens: 530 })
    expect(out?.usage).not.toHaveProperty('completion_tokens_details')
  })
})

// --- the stream ---

function runStream(frames: string[]): any[] {
  const t = new AnthropicStreamTranslator(META)
  const encoder = new TextEncoder()
  let out = ''
  for (const f of frames) out += t.push(encoder.encode(f))
  out += t.end()
  expect(out.endsWith('data: [DONE]\n\n')).toBe(true)
  return out
    .slice(0, -2)
    .split('\n\n')
    .slice(0, -1)
    .map((f) => JSON.parse(f.slice(6)))
}
const deltasOf = (chunks: any[]) => chunks.filter((c) => c.choices.length).map((c) => c.choices[0].delta)

describe('stream: one row per mapping', () => {
  const rows: [string, string[], Record<string, unknown>[]][] = [
    [
      'thinking_delta → reasoning_content; signature_delta → a thinking_blocks delta with empty text',
      [thinkingStart(0), thinkingDelta(0, 'Hm'), thinkingDelta(0, 'm.'), signatureDelta(0, SIG), blockStop(0)],
      [
        { reasoning_content: 'Hm' },
        { reasoning_content: 'm.' },
        { thinking_blocks: [{ type: 'thinking', thinking: '', signature: SIG }] },
      ],
    ],
    [
      'a thinking start with an empty signature sends nothing',
      [thinkingStart(0, { signature: '' }), thinkingDelta(0, 'a'), signatureDelta(0, SIG), blockStop(0)],
      [{ reasoning_content: 'a' }, { thinking_blocks: [{ type: 'thinking', thinking: '', signature: SIG }] }],
    ],
    [
      'a redacted_thinking block start → a thinking_blocks delta with its data',
      [redactedStart(0, REDACTED), blockStop(0)],
      [{ thinking_blocks: [{ type: 'redacted_thinking', data: REDACTED }] }],
    ],
    [
      'structured output streams as content',
      [textStart(0), textDelta(0, '{"name":'), textDelta(0, '"Ada"}'), blockStop(0)],
      [{ content: '{"name":' }, { content: '"Ada"}' }],
    ],
  ]
  for (const [name, blocks, expected] of rows)
    test(name, () => {
      const chunks = runStream([messageStart(), ...blocks, messageDelta('end_turn', 9), messageStop()])
      expect(deltasOf(chunks)).toEqual([{ role: 'assistant', content: '' }, ...expected, {}])
    })

  test("usage: message_delta's output_tokens (thinking included) is the completion, counted once", () => {
    const chunks = runStream([
      messageStart('msg_1', { input_tokens: 40, output_tokens: 1 }),
      thinkingStart(0),
      thinkingDelta(0, 'a long thought'),
      signatureDelta(0, SIG),
      blockStop(0),
      textStart(1),
      textDelta(1, 'ok'),
      blockStop(1),
      messageDelta('end_turn', 321),
      messageStop(),
    ])
    expect(chunks.at(-1).usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 321, total_tokens: 361 })
  })
})

// --- through the gateway, with the official openai SDK ---

let mock: MockUpstream
let gw: TestGateway
let client: OpenAI
let before = 0

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(`
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-test"
base_url = "${mock.url}/v1"
models = ["${SONNET}", "${OPUS_47}"]
`)
  client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})
beforeEach(() => {
  before = mock.requests.length
})

describe('structured output through the gateway', () => {
  const Person = z.object({ name: z.string(), age: z.number().int() })

  test('chat.completions.parse with zodResponseFormat: output_config.format carries the schema; the answer parses', async () => {
    mock.enqueue({ json: message([{ type: 'text', text: '{"name":"Ada","age":36}' }]) })
    const format = zodResponseFormat(Person, 'person')
    const completion = await client.chat.completions.parse({
      model: SONNET,
      messages: [{ role: 'user', content: 'Ada, 36.' }],
      response_format: format,
    })
    expect(completion.choices[0]!.message.parsed).toEqual({ name: 'Ada', age: 36 })
    const sent = mock.requests[before]!.json()
    expect(sent.output_config).toEqual({ format: { type: 'json_schema', schema: format.json_schema.schema } })
    expect(sent).not.toHaveProperty('response_format')
  })

  test('a raw json_schema response_format parses too; thinking rides along', async () => {
    mock.enqueue({
      json: message([
        { type: 'thinking', thinking: 'Easy.', signature: SIG },
        { type: 'text', text: '{"ok":true}' },
      ]),
    })
    const completion = await client.chat.completions.parse({
      model: SONNET,
      messages: [{ role: 'user', content: 'ok?' }],
      reasoning_effort: 'low',
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'ok',
          strict: true,
          schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
        },
      },
    })
    expect(completion.choices[0]!.message.parsed).toEqual({ ok: true })
    expect((completion.choices[0]!.message as any).reasoning_content).toBe('Easy.')
    expect(mock.requests[before]!.json()).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 2048 },
      output_config: {
        format: {
          type: 'json_schema',
          schema: {
            type: 'object',
            properties: { ok: { type: 'boolean' } },
            required: ['ok'],
            additionalProperties: false,
          },
        },
      },
    })
  })

  test('json_object is a 400 from the gateway and nothing goes upstream', async () => {
    const err = await client.chat.completions
      .create({ model: SONNET, messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('response_format.type')
    expect(mock.requests.length).toBe(before)
  })
})

describe('a tool call with thinking: the signatures survive into the next turn', () => {
  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: 'function',
      function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    },
  ]
  const question = { role: 'user' as const, content: 'Weather in Paris?' }

  /** What Anthropic must receive on the second turn: the first turn's blocks, thinking first, signed. */
  const secondTurn = (thinking: string) => [
    { role: 'user', content: 'Weather in Paris?' },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking, signature: SIG },
        { type: 'redacted_thinking', data: REDACTED },
        { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
      ],
    },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: '18C' }] },
  ]

  test('non-stream: chat response → next chat request → Anthropic request', async () => {
    mock.enqueue(
      {
        json: message(
          [
            { type: 'thinking', thinking: 'I should call the tool.', signature: SIG },
            { type: 'redacted_thinking', data: REDACTED },
            { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
          ],
          'tool_use',
        ),
      },
      { json: message([{ type: 'text', text: '18C in Paris.' }]) },
    )
    const first = await client.chat.completions.create({
      model: SONNET,
      messages: [question],
      tools,
      reasoning_effort: 'medium',
      max_completion_tokens: 1000,
    })
    const turn = first.choices[0]!.message
    expect(first.choices[0]!.finish_reason).toBe('tool_calls')
    expect((turn as any).thinking_blocks).toEqual([
      { type: 'thinking', thinking: 'I should call the tool.', signature: SIG },
      { type: 'redacted_thinking', data: REDACTED },
    ])
    const second = await client.chat.completions.create({
      model: SONNET,
      messages: [question, turn, { role: 'tool', tool_call_id: turn.tool_calls![0]!.id, content: '18C' }],
      tools,
      reasoning_effort: 'medium',
      max_completion_tokens: 1000,
    })
    expect(second.choices[0]!.message.content).toBe('18C in Paris.')
    const [firstSent, secondSent] = [mock.requests[before]!.json(), mock.requests[before + 1]!.json()]
    expect(firstSent).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 8192 }, max_tokens: 9192 })
    expect(secondSent.messages).toEqual(secondTurn('I should call the tool.'))
  })

  test('stream: deltas reassembled by the client → next chat request → Anthropic request', async () => {
    mock.enqueue(
      {
        sse: [
          messageStart('msg_01Think'),
          thinkingStart(0),
          thinkingDelta(0, 'I should '),
          thinkingDelta(0, 'call the tool.'),
          signatureDelta(0, SIG),
          blockStop(0),
          redactedStart(1, REDACTED),
          blockStop(1),
          toolStart(2, 'toolu_01A', 'get_weather'),
          jsonDelta(2, '{"city": '),
          jsonDelta(2, '"Paris"}'),
          blockStop(2),
          messageDelta('tool_use', 120),
          messageStop(),
        ],
      },
      { json: message([{ type: 'text', text: '18C in Paris.' }]) },
    )
    const stream = await client.chat.completions.create({
      model: SONNET,
      messages: [question],
      tools,
      reasoning_effort: 'low',
      stream: true,
    })
    // The client's own accumulation: text fields concatenate, thinking_blocks entries append.
    let reasoning = ''
    const blocks: unknown[] = []
    let args = ''
    let id = ''
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as any
      if (!delta) continue
      reasoning += delta.reasoning_content ?? ''
      blocks.push(...(delta.thinking_blocks ?? []))
      for (const call of delta.tool_calls ?? []) {
        id ||= call.id ?? ''
        args += call.function?.arguments ?? ''
      }
    }
    expect(reasoning).toBe('I should call the tool.')
    const assistant = {
      role: 'assistant',
      content: null,
      reasoning_content: reasoning,
      thinking_blocks: blocks,
      tool_calls: [{ id, type: 'function', function: { name: 'get_weather', arguments: args } }],
    }
    await client.chat.completions.create({
      model: SONNET,
      messages: [question, assistant as never, { role: 'tool', tool_call_id: id, content: '18C' }],
      tools,
      reasoning_effort: 'low',
    })
    expect(mock.requests[before + 1]!.json().messages).toEqual(secondTurn('I should call the tool.'))
  })
})
