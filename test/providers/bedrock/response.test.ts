// Converse response → chat.completion, stop reasons, usage, and Bedrock errors → OpenAI's error shape.
import { describe, expect, test } from 'bun:test'
import { bedrockErrorName, fromBedrockError } from '../../../src/providers/bedrock/errors'
import { toBedrockRequest } from '../../../src/providers/bedrock/request'
import { bedrockCompletionId, finishReason, fromBedrockResponse } from '../../../src/providers/bedrock/response'
import { type AnswerMeta, translatingHandler } from '../../../src/providers/exchange'

/** Bedrock's request id (x-amzn-requestid) names the completion. */
const META: AnswerMeta = {
  model: 'claude',
  created: 1_700_000_000,
  includeUsage: false,
  headers: new Headers({ 'x-amzn-requestid': 'abc' }),
  request: {},
}
const USAGE = { inputTokens: 10, outputTokens: 5, totalTokens: 15 }

describe('fromBedrockResponse', () => {
  test('text answer', () => {
    const out = fromBedrockResponse(
      {
        output: { message: { role: 'assistant', content: [{ text: 'Hello' }, { text: ' there' }] } },
        stopReason: 'end_turn',
        usage: USAGE,
      },
      META,
    )
    expect(out).toEqual({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    })
  })

  test('two tool calls and no text → content null, tool_calls with JSON-string arguments', () => {
    const out = fromBedrockResponse(
      {
        output: {
          message: {
            role: 'assistant',
            content: [
              { toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: { city: 'Paris' } } },
              { toolUse: { toolUseId: 'tooluse_2', name: 'get_time', input: {} } },
            ],
          },
        },
        stopReason: 'tool_use',
        usage: USAGE,
      },
      META,
    )
    expect(out.choices[0]!.finish_reason).toBe('tool_calls')
    expect(out.choices[0]!.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [
        { id: 'tooluse_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'tooluse_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    })
  })

  test('text with a tool call keeps both; reasoning goes to reasoning_content', () => {
    const out = fromBedrockResponse(
      {
        output: {
          message: {
            content: [
              { reasoningContent: { reasoningText: { text: 'Think.', signature: 'sig' } } },
              { text: 'Let me check.' },
              { toolUse: { toolUseId: 't1', name: 'f', input: { a: [1, 2] } } },
            ],
          },
        },
        stopReason: 'tool_use',
      },
      META,
    )
    expect(out.choices[0]!.message).toEqual({
      role: 'assistant',
      content: 'Let me check.',
      refusal: null,
      reasoning_content: 'Think.',
      tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":[1,2]}' } }],
    })
    expect(out.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })
  })

  test('cache reads count in prompt_tokens and show as cached_tokens', () => {
    const out = fromBedrockResponse(
      {
        output: { message: { content: [{ text: 'x' }] } },
        stopReason: 'end_turn',
        usage: {
          inputTokens: 10,
          outputTokens: 5,
          totalTokens: 135,
          cacheReadInputTokens: 100,
          cacheWriteInputTokens: 20,
        },
      },
      META,
    )
    expect(out.usage).toEqual({
      prompt_tokens: 130,
      completion_tokens: 5,
      total_tokens: 135,
      prompt_tokens_details: { cached_tokens: 100 },
    })
  })
})

describe('finishReason', () => {
  const table: [string | undefined, string][] = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['guardrail_intervened', 'content_filter'],
    ['content_filtered', 'content_filter'],
    ['something_new', 'stop'],
    ['toString', 'stop'],
    [undefined, 'stop'],
  ]
  for (const [from, to] of table) test(`${from} → ${to}`, () => expect(finishReason(from)).toBe(to as never))
})

describe('Bedrock errors', () => {
  test('the exception name comes from x-amzn-errortype, without its namespace', () => {
    expect(
      bedrockErrorName('ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/', undefined),
    ).toBe('ValidationException')
    expect(bedrockErrorName(null, { __type: 'com.amazon.coral.service#UnrecognizedClientException' })).toBe(
      'UnrecognizedClientException',
    )
    expect(bedrockErrorName(null, {})).toBeUndefined()
  })

  const table: { status: number; name?: string; body: string; type: string; message: string }[] = [
    {
      status: 400,
      name: 'ValidationException',
      body: '{"message":"Malformed input request"}',
      type: 'invalid_request_error',
      message: 'Malformed input request',
    },
    {
      status: 403,
      name: 'AccessDeniedException',
      body: '{"Message":"You don\'t have access"}',
      type: 'permission_error',
      message: "You don't have access",
    },
    {
      status: 403,
      name: 'UnrecognizedClientException',
      body: '{"message":"The security token included in the request is invalid."}',
      type: 'authentication_error',
      message: 'The security token included in the request is invalid.',
    },
    {
      status: 404,
      name: 'ResourceNotFoundException',
      body: '{"message":"Model not found"}',
      type: 'not_found_error',
      message: 'Model not found',
    },
    {
      status: 429,
      name: 'ThrottlingException',
      body: '{"message":"Too many requests"}',
      type: 'requests',
      message: 'Too many requests',
    },
    {
      status: 424,
      name: 'ModelErrorException',
      body: '{"message":"model failed"}',
      type: 'server_error',
      message: 'model failed',
    },
    { status: 503, body: 'Service Unavailable', type: 'server_error', message: 'Service Unavailable' },
    { status: 500, body: '', type: 'server_error', message: 'Bedrock answered HTTP 500.' },
  ]
  for (const row of table) {
    test(`${row.status} ${row.name ?? '(no type)'}`, () => {
      const headers = new Headers(row.name ? { 'x-amzn-errortype': row.name } : {})
      expect(fromBedrockError(row.status, row.body, headers)).toEqual({
        error: { message: row.message, type: row.type as never, param: null, code: row.name ?? null },
      })
    })
  }

  test("the name comes from the body's __type when the header is missing", () => {
    const body = '{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"bad token"}'
    expect(fromBedrockError(403, body, new Headers()).error).toEqual({
      message: 'bad token',
      type: 'authentication_error',
      param: null,
      code: 'UnrecognizedClientException',
    })
  })

  const THROTTLED = {
    status: 429,
    headers: {
      'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
      'retry-after': '2',
    },
  }

  test('a namespaced x-amzn-errortype names the code', () => {
    expect(fromBedrockError(429, '{"message":"Rate exceeded"}', new Headers(THROTTLED.headers))).toEqual({
      error: { message: 'Rate exceeded', type: 'requests', param: null, code: 'ThrottlingException' },
    })
  })

  test('through the exchange, a whole error answer keeps its status and Retry-After', async () => {
    const handler = translatingHandler(
      'bedrock-test',
      {
        format: 'openai',
        answer: 'a Converse response',
        toRequest: (call) => toBedrockRequest(call.json),
        fromResponse: fromBedrockResponse,
        fromError: fromBedrockError,
      },
      async () => new Response('{"message":"Rate exceeded"}', THROTTLED),
    )
    const json = { model: 'claude', messages: [{ role: 'user', content: 'hi' }] }
    const out = await handler({
      endpoint: 'chat',
      model: 'claude',
      body: new TextEncoder().encode(JSON.stringify(json)),
      json,
      stream: false,
      signal: new AbortController().signal,
    })
    expect(out.status).toBe(429)
    expect(out.headers.get('retry-after')).toBe('2')
    expect(out.headers.get('content-type')).toBe('application/json')
    expect(await out.json()).toEqual({
      error: { message: 'Rate exceeded', type: 'requests', param: null, code: 'ThrottlingException' },
    })
  })
})

describe('bedrockCompletionId', () => {
  test('chatcmpl- and the request id; a random id without one', () => {
    expect(bedrockCompletionId(new Headers({ 'x-amzn-requestid': 'req-1' }))).toBe('chatcmpl-req-1')
    const a = bedrockCompletionId(new Headers())
    expect(a).toMatch(/^chatcmpl-[0-9a-f-]{36}$/)
    expect(bedrockCompletionId(new Headers())).not.toBe(a)
  })
})
