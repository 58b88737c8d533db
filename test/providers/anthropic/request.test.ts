// OpenAI chat request → Anthropic Messages request: table tests over every mapping and every 400.
import { describe, expect, test } from 'bun:test'
import { GatewayError } from '../../../src/core/errors'
import { defaultMaxTokens, PLACEHOLDER_USER_TEXT, toAnthropicRequest } from '../../../src/providers/anthropic/request'
import type { AnthropicMessagesRequest as MessagesRequest } from '../../../src/wire/messages'

const MODEL = 'claude-sonnet-4-5'
const user = (content: unknown) => ({ role: 'user', content })
const assistant = (content: unknown, extra: Record<string, unknown> = {}) => ({ role: 'assistant', content, ...extra })

function ok(body: Record<string, unknown>, model = MODEL): MessagesRequest {
  return toAnthropicRequest(body, model)
}

interface Problem {
  message: string
  param: string | null
  code: string | null
}

/** The refusal toAnthropicRequest throws: always a 400 invalid_request_error GatewayError. */
function problem(body: Record<string, unknown>): Problem {
  let request: MessagesRequest
  try {
    request = toAnthropicRequest(body, MODEL)
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err
    expect(err.status).toBe(400)
    expect(err.type).toBe('invalid_request_error')
    return { message: err.message, param: err.param, code: err.code }
  }
  throw new Error(`expected a 400 GatewayError, got ${JSON.stringify(request)}`)
}

const call = (id: string, name: string, args: string) => ({ id, type: 'function', function: { name, arguments: args } })

describe('messages and roles', () => {
  const cases: [string, unknown[], Partial<MessagesRequest>][] = [
    ['a single user string stays a string', [user('hi')], { messages: [{ role: 'user', content: 'hi' }] }],
    [
      'system is lifted to the top level',
      [{ role: 'system', content: 'be brief' }, user('hi')],
      { system: 'be brief', messages: [{ role: 'user', content: 'hi' }] },
    ],
    [
      'system and developer messages anywhere become system text blocks in order',
      [{ role: 'system', content: 'one' }, user('hi'), { role: 'developer', content: [{ type: 'text', text: 'two' }] }],
      {
        system: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
        messages: [{ role: 'user', content: 'hi' }],
      },
    ],
    [
      'consecutive user turns merge into one turn of blocks',
      [
        user('a'),
        user([
          { type: 'text', text: 'b' },
          { type: 'text', text: 'c' },
        ]),
      ],
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
              { type: 'text', text: 'c' },
            ],
          },
        ],
      },
    ],
    [
      'consecutive assistant turns merge too',
      [user('q'), assistant('a1'), assistant('a2'), user('q2')],
      {
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'a1' },
              { type: 'text', text: 'a2' },
            ],
          },
          { role: 'user', content: 'q2' },
        ],
      },
    ],
    [
      'a conversation that starts with the assistant gets a placeholder user turn',
      [{ role: 'system', content: 's' }, assistant('hello'), user('hi')],
      {
        system: 's',
        messages: [
          { role: 'user', content: PLACEHOLDER_USER_TEXT },
          { role: 'assistant', content: 'hello' },
          { role: 'user', content: 'hi' },
        ],
      },
    ],
    [
      'empty assistant messages and empty text parts are dropped',
      [
        user('q'),
        assistant(''),
        assistant(null),
        user([
          { type: 'text', text: '' },
          { type: 'text', text: 'x' },
        ]),
      ],
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'q' },
              { type: 'text', text: 'x' },
            ],
          },
        ],
      },
    ],
    [
      'a final assistant prefill loses its trailing whitespace',
      [user('q'), assistant('The answer is \n')],
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'The answer is' },
        ],
      },
    ],
    [
      'assistant refusal parts are kept as text',
      [user('q'), assistant([{ type: 'refusal', refusal: 'no' }]), user('why')],
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'no' },
          { role: 'user', content: 'why' },
        ],
      },
    ],
  ]
  for (const [name, messages, expected] of cases)
    test(name, () => {
      const request = ok({ model: 'x', messages })
      expect(request).toMatchObject(expected)
      if (!('system' in expected)) expect(request.system).toBeUndefined()
    })
})

describe('content parts', () => {
  test('base64 data URLs become base64 image sources; http(s) URLs become url sources', () => {
    const request = ok({
      messages: [
        user([
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ]),
      ],
    })
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ])
  })

  test('a PDF file part becomes a document block', () => {
    const request = ok({
      messages: [
        user([{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }]),
      ],
    })
    expect(request.messages[0]!.content).toEqual([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'a.pdf' },
    ])
  })
})

describe('tools', () => {
  test('function tools become name/description/input_schema; a missing schema is an empty object schema', () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }
    const request = ok({
      messages: [user('weather?')],
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters } },
        { type: 'function', function: { name: 'now' } },
      ],
    })
    expect(request.tools).toEqual([
      { name: 'get_weather', description: 'Weather by city', input_schema: parameters },
      { name: 'now', input_schema: { type: 'object', properties: {} } },
    ])
    expect(request.tool_choice).toBeUndefined()
  })

  const tools = [{ type: 'function', function: { name: 'f' } }]
  const choices: [string, unknown, boolean | undefined, unknown][] = [
    ['auto', 'auto', undefined, { type: 'auto' }],
    ['none', 'none', undefined, { type: 'none' }],
    ['required → any', 'required', undefined, { type: 'any' }],
    ['named → tool', { type: 'function', function: { name: 'f' } }, undefined, { type: 'tool', name: 'f' }],
    [
      'parallel_tool_calls:false with no choice → auto + disable',
      undefined,
      false,
      { type: 'auto', disable_parallel_tool_use: true },
    ],
    ['parallel_tool_calls:false with required', 'required', false, { type: 'any', disable_parallel_tool_use: true }],
    [
      'parallel_tool_calls:false with named',
      { type: 'function', function: { name: 'f' } },
      false,
      { type: 'tool', name: 'f', disable_parallel_tool_use: true },
    ],
    ['parallel_tool_calls:false with none stays none', 'none', false, { type: 'none' }],
    ['parallel_tool_calls:true changes nothing', 'auto', true, { type: 'auto' }],
  ]
  for (const [name, choice, parallel, expected] of choices)
    test(`tool_choice ${name}`, () => {
      const body: Record<string, unknown> = { messages: [user('x')], tools, tool_choice: choice }
      if (parallel !== undefined) body.parallel_tool_calls = parallel
      expect(ok(body).tool_choice).toEqual(expected as never)
    })

  test('tool_choice without tools is dropped', () => {
    expect(ok({ messages: [user('x')], tool_choice: 'required' }).tool_choice).toBeUndefined()
  })

  test('assistant tool_calls become tool_use blocks and tool messages become merged tool_result blocks', () => {
    const request = ok({
      messages: [
        user('weather in Paris and Rome?'),
        assistant('Let me check.', {
          tool_calls: [
            call('call_1', 'get_weather', '{"city":"Paris"}'),
            call('call_2', 'get_weather', '{"city":"Rome"}'),
          ],
        }),
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '22C' }] },
        user('thanks'),
      ],
    })
    expect(request.messages).toEqual([
      { role: 'user', content: 'weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '22C' }] },
          { type: 'text', text: 'thanks' },
        ],
      },
    ])
  })

  test('tool results go first in a merged user turn; empty arguments and null content are fine', () => {
    const request = ok({
      messages: [
        user('go'),
        assistant(null, { tool_calls: [call('c1', 'now', '')] }),
        user('also this'),
        { role: 'tool', tool_call_id: 'c1', content: '12:00' },
      ],
    })
    expect(request.messages).toEqual([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'now', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'c1', content: '12:00' },
          { type: 'text', text: 'also this' },
        ],
      },
    ])
  })
})

describe('parameters', () => {
  const cases: [string, Record<string, unknown>, Partial<MessagesRequest>][] = [
    ['max_tokens', { max_tokens: 100 }, { max_tokens: 100 }],
    ['max_completion_tokens wins over max_tokens', { max_completion_tokens: 50, max_tokens: 100 }, { max_tokens: 50 }],
    ['temperature and top_p', { temperature: 0.3, top_p: 0.9 }, { temperature: 0.3, top_p: 0.9 }],
    ['stop string → stop_sequences', { stop: 'END' }, { stop_sequences: ['END'] }],
    ['stop array → stop_sequences', { stop: ['a', 'b'] }, { stop_sequences: ['a', 'b'] }],
    ['user → metadata.user_id', { user: 'u-42' }, { metadata: { user_id: 'u-42' } }],
    ['safety_identifier → metadata.user_id', { safety_identifier: 's-1' }, { metadata: { user_id: 's-1' } }],
    ['stream', { stream: true, stream_options: { include_usage: true } }, { stream: true }],
  ]
  for (const [name, extra, expected] of cases)
    test(name, () => {
      expect(ok({ model: 'alias', messages: [user('x')], ...extra })).toMatchObject({ model: MODEL, ...expected })
    })

  test('nulls, n=1, text response_format and OpenAI-only knobs are left out', () => {
    const request = ok({
      messages: [user('x')],
      temperature: null,
      top_p: null,
      stop: null,
      n: 1,
      response_format: { type: 'text' },
      presence_penalty: 0.5,
      frequency_penalty: 0.5,
      seed: 7,
      stream: false,
      stream_options: null,
    })
    expect(request).toEqual({ model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 64_000 })
  })
})

describe('default max_tokens per model family', () => {
  const table: [string, number][] = [
    ['claude-3-haiku-20240307', 4096],
    ['claude-3-opus-20240229', 4096],
    ['claude-3-5-sonnet-20241022', 8192],
    ['claude-3-5-haiku-latest', 8192],
    ['claude-3-7-sonnet-20250219', 64_000],
    ['claude-sonnet-4-20250514', 64_000],
    ['claude-sonnet-4-0', 64_000],
    ['claude-opus-4-20250514', 32_000],
    ['claude-opus-4-1-20250805', 32_000],
    ['claude-opus-4-5', 64_000],
    ['claude-sonnet-4-5-20250929', 64_000],
    ['claude-haiku-4-5@20251001', 64_000],
    ['anthropic.claude-sonnet-4-5-20250929-v1:0', 64_000],
    ['claude-opus-4-6', 128_000],
    ['claude-sonnet-4-6', 128_000],
    ['claude-opus-5', 128_000],
    ['claude-sonnet-5-5', 128_000],
    ['claude-fable-5-1', 128_000],
    ['my-custom-model', 4096],
  ]
  for (const [model, expected] of table)
    test(`${model} → ${expected}`, () => {
      expect(defaultMaxTokens(model)).toBe(expected)
      expect(ok({ messages: [user('x')] }, model).max_tokens).toBe(expected)
    })
})

describe('problems become 400s that name the field', () => {
  const toolTurn = (args: string) => [
    user('q'),
    user('q2'),
    assistant('', { tool_calls: [call('c0', 'f', '{}'), call('c1', 'f', args)] }),
  ]
  const cases: [string, Record<string, unknown>, Partial<Problem>][] = [
    ['messages missing', {}, { param: 'messages', code: 'invalid_value' }],
    ['messages empty', { messages: [] }, { param: 'messages' }],
    ['only a system message', { messages: [{ role: 'system', content: 's' }] }, { param: 'messages' }],
    ['a message that is not an object', { messages: ['hi'] }, { param: 'messages[0]' }],
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, { param: 'messages[0].role' }],
    [
      'the deprecated function role',
      { messages: [{ role: 'function', name: 'f', content: 'x' }] },
      { param: 'messages[0].role', code: 'unsupported_parameter' },
    ],
    [
      'bad tool-call JSON names the path',
      { messages: toolTurn('{"city": ') },
      { param: 'messages[2].tool_calls[1].function.arguments', code: 'invalid_value' },
    ],
    [
      'tool-call arguments that are not an object',
      { messages: toolTurn('[1,2]') },
      { param: 'messages[2].tool_calls[1].function.arguments' },
    ],
    [
      'a tool call without an id',
      {
        messages: [
          user('q'),
          assistant('', { tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }),
        ],
      },
      { param: 'messages[1].tool_calls[0].id' },
    ],
    [
      'a tool message without tool_call_id',
      { messages: [user('q'), { role: 'tool', content: 'x' }] },
      { param: 'messages[1].tool_call_id', code: 'missing_required_parameter' },
    ],
    ['n > 1', { messages: [user('x')], n: 2 }, { param: 'n', code: 'unsupported_value' }],
    [
      'audio input parts',
      { messages: [user([{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }])] },
      { param: 'messages[0].content[0].type', code: 'unsupported_parameter' },
    ],
    ['audio output', { messages: [user('x')], modalities: ['text', 'audio'] }, { param: 'modalities' }],
    ['logprobs', { messages: [user('x')], logprobs: true }, { param: 'logprobs' }],
    [
      'an image URL that is neither http nor data',
      { messages: [user([{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }])] },
      { param: 'messages[0].content[0].image_url.url' },
    ],
    [
      'an image media type Anthropic does not take',
      { messages: [user([{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,AAA' } }])] },
      { param: 'messages[0].content[0].image_url.url', code: 'unsupported_value' },
    ],
    [
      'a file id instead of file data',
      { messages: [user([{ type: 'file', file: { file_id: 'file-1' } }])] },
      { param: 'messages[0].content[0].file.file_data' },
    ],
    [
      'an unknown content part',
      { messages: [user([{ type: 'video', video: {} }])] },
      { param: 'messages[0].content[0].type' },
    ],
    [
      'an image in a system message',
      { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x' } }] }, user('x')] },
      { param: 'messages[0].content[0]' },
    ],
    ['content that is a number', { messages: [user(5)] }, { param: 'messages[0].content' }],
    ['temperature above 1', { messages: [user('x')], temperature: 1.5 }, { param: 'temperature' }],
    ['max_tokens zero', { messages: [user('x')], max_tokens: 0 }, { param: 'max_tokens' }],
    [
      'max_completion_tokens not an integer',
      { messages: [user('x')], max_completion_tokens: 1.5 },
      { param: 'max_completion_tokens' },
    ],
    ['stop with a number', { messages: [user('x')], stop: ['a', 1] }, { param: 'stop' }],
    [
      'a non-function tool',
      { messages: [user('x')], tools: [{ type: 'custom', custom: { name: 'x' } }] },
      { param: 'tools[0].type' },
    ],
    [
      'a tool without a name',
      { messages: [user('x')], tools: [{ type: 'function', function: {} }] },
      { param: 'tools[0].function.name' },
    ],
    [
      'a bad tool_choice',
      { messages: [user('x')], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'sometimes' },
      { param: 'tool_choice' },
    ],
    [
      'json_object response_format',
      { messages: [user('x')], response_format: { type: 'json_object' } },
      { param: 'response_format.type', code: 'unsupported_value' },
    ],
    ['legacy functions', { messages: [user('x')], functions: [] }, { param: 'functions' }],
  ]
  for (const [name, body, expected] of cases)
    test(name, () => {
      const p = problem(body)
      expect(p).toMatchObject(expected)
      expect(p.message.length).toBeGreaterThan(10)
      if (p.param) expect(p.message).toContain(p.param)
    })

  test('the JSON error is described', () => {
    const p = problem({ messages: toolTurn('{"city": ') })
    expect(p.message).toStartWith('messages[2].tool_calls[1].function.arguments is not valid JSON')
  })
})

describe('one convention: every refusal is thrown as a GatewayError', () => {
  const refusals: [string, unknown][] = [
    ['no messages', {}],
    ['n > 1', { messages: [user('x')], n: 3 }],
    ['logprobs', { messages: [user('x')], logprobs: true }],
    ['a tool message without an id', { messages: [user('q'), { role: 'tool', content: 'x' }] }],
  ]
  for (const [name, body] of refusals)
    test(name, () => {
      let thrown: unknown
      try {
        toAnthropicRequest(body as Record<string, unknown>, MODEL)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(GatewayError)
      const error = thrown as GatewayError
      expect(error.status).toBe(400)
      expect(error.toJSON().error).toEqual({
        message: error.message,
        type: 'invalid_request_error',
        param: error.param,
        code: error.code,
      })
      expect(error.param).not.toBeNull()
    })
})
