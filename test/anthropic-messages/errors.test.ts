import { describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import {
  type AnthropicErrorType,
  anthropicErrorBody,
  anthropicErrorFrame,
  anthropicErrorType,
  fromChatError,
  fromChatResponse,
} from '../../src/anthropic-messages'

describe('anthropicErrorType: status → type', () => {
  const cases: [number, AnthropicErrorType][] = [
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [402, 'billing_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [409, 'invalid_request_error'],
    [413, 'request_too_large'],
    [422, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [501, 'api_error'],
    [502, 'api_error'],
    [503, 'overloaded_error'],
    [504, 'timeout_error'],
    [529, 'overloaded_error'],
    [200, 'api_error'],
  ]
  for (const [status, type] of cases) test(`${status} → ${type}`, () => expect(anthropicErrorType(status)).toBe(type))
})

test('anthropicErrorBody: type from status, or the one given', () => {
  expect(anthropicErrorBody(429, 'slow down')).toEqual({
    type: 'error',
    error: { type: 'rate_limit_error', message: 'slow down' },
  })
  expect(anthropicErrorBody(400, 'x', 'not_found_error')).toEqual({
    type: 'error',
    error: { type: 'not_found_error', message: 'x' },
  })
})

describe('fromChatError', () => {
  const bytes = (s: string) => new TextEncoder().encode(s)
  const cases: [string, number, Uint8Array | string, AnthropicErrorType, string][] = [
    [
      'OpenAI error object',
      400,
      bytes(
        JSON.stringify({
          error: {
            message: "This model's maximum context length is 128000 tokens.",
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        }),
      ),
      'invalid_request_error',
      "This model's maximum context length is 128000 tokens.",
    ],
    [
      'OpenAI 401',
      401,
      bytes(
        '{"error":{"message":"Incorrect API key provided: sk-abc.","type":"invalid_request_error","code":"invalid_api_key"}}',
      ),
      'authentication_error',
      'Incorrect API key provided: sk-abc.',
    ],
    [
      'OpenAI 429',
      429,
      '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}',
      'rate_limit_error',
      'Rate limit reached',
    ],
    [
      'Ollama string error',
      404,
      '{"error":"model \\"llama9\\" not found, try pulling it first"}',
      'not_found_error',
      'model "llama9" not found, try pulling it first',
    ],
    ['FastAPI detail string', 422, '{"detail":"Invalid request"}', 'invalid_request_error', 'Invalid request'],
    [
      'FastAPI detail list',
      422,
      '{"detail":[{"loc":["body","model"],"msg":"field required"}]}',
      'invalid_request_error',
      '[{"loc":["body","model"],"msg":"field required"}]',
    ],
    ['top-level message', 500, '{"message":"internal failure"}', 'api_error', 'internal failure'],
    [
      'Anthropic-shaped body keeps its type',
      529,
      '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      'overloaded_error',
      'Overloaded',
    ],
    [
      'Anthropic-shaped body with an unknown type',
      400,
      '{"type":"error","error":{"type":"weird","message":"m"}}',
      'invalid_request_error',
      'm',
    ],
    [
      'HTML from a proxy',
      502,
      bytes('<html><body>502 Bad Gateway</body></html>\n'),
      'api_error',
      '<html><body>502 Bad Gateway</body></html>',
    ],
    ['empty body', 503, bytes(''), 'overloaded_error', 'upstream answered HTTP 503'],
    ['JSON without a message', 500, '{"foo":1}', 'api_error', '{"foo":1}'],
  ]
  for (const [name, status, body, type, message] of cases) {
    test(name, () => expect(fromChatError(status, body)).toEqual({ type: 'error', error: { type, message } }))
  }

  test('a long unparseable body is trimmed to 1000 characters', () => {
    expect(fromChatError(500, 'x'.repeat(5000)).error.message).toHaveLength(1000)
  })
})

test('anthropicErrorFrame', () => {
  expect(anthropicErrorFrame('overloaded_error', 'Overloaded')).toBe(
    'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
  )
})

describe('the official SDK reads what these produce', () => {
  const params = { model: 'claude-gateway-test', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] }
  const client = (respond: () => Response) =>
    new Anthropic({ apiKey: 'test', maxRetries: 0, fetch: async () => respond() })

  const statuses: [number, string, new (...args: never[]) => Error][] = [
    [400, '{"error":{"message":"bad thing"}}', Anthropic.BadRequestError],
    [401, '{"error":{"message":"bad key"}}', Anthropic.AuthenticationError],
    [404, '{"error":"no such model"}', Anthropic.NotFoundError],
    [429, '{"error":{"message":"slow down"}}', Anthropic.RateLimitError],
    [500, 'oops', Anthropic.InternalServerError],
  ]
  for (const [status, upstream, errorClass] of statuses) {
    test(`HTTP ${status} → ${errorClass.name}`, async () => {
      const body = fromChatError(status, upstream)
      const error = await client(
        () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
      )
        .messages.create(params)
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(errorClass)
      expect((error as { error: unknown }).error).toEqual(body)
      expect((error as Error).message).toContain(body.error.message)
    })
  }

  test('an error frame in a stream → APIError with its type', async () => {
    const sse = `${anthropicErrorFrame('overloaded_error', 'Overloaded')}`
    const stream = client(
      () => new Response(sse, { headers: { 'content-type': 'text/event-stream' } }),
    ).messages.stream(params)
    const error = await stream.finalMessage().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Anthropic.APIError)
    expect((error as { error: unknown }).error).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    })
  })

  test('a translated non-streaming answer is a Message to the SDK', async () => {
    const completion = {
      id: 'chatcmpl-1',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Hi',
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 4 },
    }
    const expected = fromChatResponse(completion, 'claude-gateway-test')
    const message = await client(
      () => new Response(JSON.stringify(expected), { headers: { 'content-type': 'application/json' } }),
    ).messages.create(params)
    expect(message).toEqual(expected as unknown as typeof message)
  })
})
