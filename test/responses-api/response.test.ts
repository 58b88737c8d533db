import { describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { ResponseOutputItem, ResponseUsage } from 'openai/resources/responses/responses'
import {
  fromChatError,
  fromChatResponse,
  type ResponseObject,
  sealThinkingBlocks,
  unsealThinkingBlocks,
} from '../../src/responses-api'

type Json = Record<string, unknown>

const REQUEST: Json = { model: 'claude-x', input: 'hi' }
/** A request declaring namespace `multi_agent_v1` (spawn_agent, wait_agent) and a plain function `a__b`. */
const NAMESPACED: Json = {
  ...REQUEST,
  tools: [
    { type: 'function', name: 'a__b' },
    {
      type: 'namespace',
      name: 'multi_agent_v1',
      description: 'Sub-agents.',
      tools: [
        { type: 'function', name: 'spawn_agent' },
        { type: 'function', name: 'wait_agent' },
      ],
    },
  ],
}
const ctx = (request: Json = REQUEST) => ({ model: 'claude-x', request, created: 1_700_000_000 })

function completion(message: Json, finish: string | null = 'stop', extra: Json = {}): Json {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream-name',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    ...extra,
  }
}

/** The output with random ids replaced by their prefix, for exact comparison. */
function stable(response: ResponseObject): Json[] {
  return JSON.parse(JSON.stringify(response.output).replace(/"(rs|msg|fc|call)_[0-9a-f]{32}"/g, '"$1_*"'))
}

const text = (t: string, logprobs: unknown[] = []) => ({ type: 'output_text', text: t, annotations: [], logprobs })
const message = (content: Json[], status = 'completed') => ({
  type: 'message',
  id: 'msg_*',
  status,
  role: 'assistant',
  content,
})

describe('fromChatResponse: output', () => {
  // [behaviour, the chat message (and finish_reason), the request, the Response output]
  test.each<[string, Json, string | null, Json, Json[]]>([
    ['content → one message with output_text', { content: 'Hello.' }, 'stop', REQUEST, [message([text('Hello.')])]],
    [
      'content as text parts is joined',
      {
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      'stop',
      REQUEST,
      [message([text('ab')])],
    ],
    ['an empty answer is an empty output_text', { content: null }, 'stop', REQUEST, [message([text('')])]],
    [
      'refusal → a refusal part',
      { content: null, refusal: 'I cannot help.' },
      'stop',
      REQUEST,
      [message([{ type: 'refusal', refusal: 'I cannot help.' }])],
    ],
    [
      'tool_calls → function_call items (call_id is the chat id); no message without text',
      {
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'now', arguments: { tz: 'UTC' } } },
        ],
      },
      'tool_calls',
      REQUEST,
      [
        {
          type: 'function_call',
          id: 'fc_*',
          call_id: 'call_1',
          name: 'get_weather',
          arguments: '{"city":"Paris"}',
          status: 'completed',
        },
        {
          type: 'function_call',
          id: 'fc_*',
          call_id: 'call_2',
          name: 'now',
          arguments: '{"tz":"UTC"}',
          status: 'completed',
        },
      ],
    ],
    [
      'text then tool calls: the message first',
      {
        content: 'Checking.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      'tool_calls',
      REQUEST,
      [
        message([text('Checking.')]),
        { type: 'function_call', id: 'fc_*', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' },
      ],
    ],
    [
      'a tool call without id gets one',
      { content: null, tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] },
      'tool_calls',
      REQUEST,
      [{ type: 'function_call', id: 'fc_*', call_id: 'call_*', name: 'f', arguments: '{}', status: 'completed' }],
    ],
    [
      'reasoning_content → a reasoning item before the message',
      { content: 'A.', reasoning_content: 'Thinking it over.' },
      'stop',
      REQUEST,
      [
        { type: 'reasoning', id: 'rs_*', summary: [{ type: 'summary_text', text: 'Thinking it over.' }] },
        message([text('A.')]),
      ],
    ],
    [
      '`reasoning` (vLLM, Ollama) is read the same',
      { content: 'A.', reasoning: 'Hmm.' },
      'stop',
      REQUEST,
      [{ type: 'reasoning', id: 'rs_*', summary: [{ type: 'summary_text', text: 'Hmm.' }] }, message([text('A.')])],
    ],
    [
      'signed thinking blocks without include: encrypted_content all the same (stored turns need it)',
      { content: 'A.', reasoning_content: 'T', thinking_blocks: [{ type: 'thinking', thinking: 'T', signature: 's' }] },
      'stop',
      REQUEST,
      [
        {
          type: 'reasoning',
          id: 'rs_*',
          summary: [{ type: 'summary_text', text: 'T' }],
          encrypted_content: sealThinkingBlocks([{ type: 'thinking', thinking: 'T', signature: 's' }]),
        },
        message([text('A.')]),
      ],
    ],
    [
      'unsigned thinking blocks: nothing to seal, no encrypted_content',
      { content: 'A.', reasoning_content: 'T', thinking_blocks: [{ type: 'thinking', thinking: 'T' }] },
      'stop',
      { ...REQUEST, include: ['reasoning.encrypted_content'] },
      [{ type: 'reasoning', id: 'rs_*', summary: [{ type: 'summary_text', text: 'T' }] }, message([text('A.')])],
    ],
    [
      "<ns>__<name> of the request's namespace → name and namespace; other names stay whole",
      {
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'multi_agent_v1__spawn_agent', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'a__b', arguments: '{}' } },
          { id: 'call_3', type: 'function', function: { name: 'multi_agent_v1__other', arguments: '{}' } },
        ],
      },
      'tool_calls',
      NAMESPACED,
      [
        {
          type: 'function_call',
          id: 'fc_*',
          call_id: 'call_1',
          name: 'spawn_agent',
          namespace: 'multi_agent_v1',
          arguments: '{}',
          status: 'completed',
        },
        { type: 'function_call', id: 'fc_*', call_id: 'call_2', name: 'a__b', arguments: '{}', status: 'completed' },
        {
          type: 'function_call',
          id: 'fc_*',
          call_id: 'call_3',
          name: 'multi_agent_v1__other',
          arguments: '{}',
          status: 'completed',
        },
      ],
    ],
    [
      'a <ns>__<name> call when the request declares no such namespace stays whole',
      {
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'multi_agent_v1__spawn_agent', arguments: '{}' } },
        ],
      },
      'tool_calls',
      REQUEST,
      [
        {
          type: 'function_call',
          id: 'fc_*',
          call_id: 'call_1',
          name: 'multi_agent_v1__spawn_agent',
          arguments: '{}',
          status: 'completed',
        },
      ],
    ],
    [
      'length → the last item incomplete',
      { content: 'Cut sh' },
      'length',
      REQUEST,
      [message([text('Cut sh')], 'incomplete')],
    ],
  ])('%s', (_, msg, finish, request, output) => {
    expect(stable(fromChatResponse(completion(msg, finish), ctx(request))!)).toEqual(output)
  })

  test('choice.logprobs.content → output_text.logprobs', () => {
    const token = { token: 'Hi', logprob: -0.1, bytes: [72, 105] }
    const chat = completion({ content: 'Hi' })
    ;(chat.choices as Json[])[0]!.logprobs = { content: [{ ...token, top_logprobs: [token] }] }
    const response = fromChatResponse(chat, ctx({ ...REQUEST, include: ['message.output_text.logprobs'] }))!
    expect(stable(response)).toEqual([message([text('Hi', [{ ...token, top_logprobs: [token] }])])])
  })

  test('signed and redacted thinking blocks, with include, seal into encrypted_content', () => {
    const blocks = [
      { type: 'thinking', thinking: 'T', signature: 'sig' },
      { type: 'redacted_thinking', data: 'opaque' },
    ]
    const request = { ...REQUEST, include: ['reasoning.encrypted_content'] }
    const response = fromChatResponse(
      completion({ content: 'A', reasoning_content: 'T', thinking_blocks: blocks }),
      ctx(request),
    )!
    const item = response.output[0]!
    expect(item.type).toBe('reasoning')
    if (item.type !== 'reasoning') return
    expect(item.encrypted_content?.startsWith('crabllm:v1:')).toBe(true)
    expect(unsealThinkingBlocks(item.encrypted_content!)).toEqual(blocks as never)
  })
})

describe('fromChatResponse: the Response', () => {
  test('status, usage, echo fields and ids', () => {
    const request: Json = {
      model: 'alias',
      input: 'hi',
      instructions: 'Be brief.',
      max_output_tokens: 100,
      metadata: { ticket: '7' },
      temperature: 0.3,
      top_p: 0.8,
      tools: [{ type: 'function', name: 'f', parameters: null, strict: true }],
      tool_choice: 'required',
      parallel_tool_calls: false,
      text: { format: { type: 'json_object' } },
      reasoning: { effort: 'low', summary: 'auto' },
      store: false,
      previous_response_id: 'resp_prev',
      user: 'u1',
      safety_identifier: 's1',
      prompt_cache_key: 'k1',
      truncation: 'auto',
    }
    const usage = {
      prompt_tokens: 100,
      completion_tokens: 40,
      total_tokens: 140,
      prompt_tokens_details: { cached_tokens: 60 },
      completion_tokens_details: { reasoning_tokens: 25 },
    }
    const response = fromChatResponse(completion({ content: 'ok' }, 'stop', { usage }), ctx(request))!
    expect(response.id).toMatch(/^resp_[0-9a-f]{32}$/)
    const { id: _id, output: _output, completed_at, ...rest } = response
    expect(completed_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5)
    expect(rest).toEqual({
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      background: false,
      error: null,
      incomplete_details: null,
      instructions: 'Be brief.',
      max_output_tokens: 100,
      max_tool_calls: null,
      model: 'claude-x',
      parallel_tool_calls: false,
      previous_response_id: 'resp_prev',
      prompt_cache_key: 'k1',
      reasoning: { effort: 'low', summary: 'auto' },
      safety_identifier: 's1',
      service_tier: 'default',
      store: false,
      temperature: 0.3,
      text: { format: { type: 'json_object' }, verbosity: 'medium' },
      tool_choice: 'required',
      tools: [{ type: 'function', name: 'f', parameters: null, strict: true }],
      top_logprobs: 0,
      top_p: 0.8,
      truncation: 'auto',
      usage: {
        input_tokens: 100,
        input_tokens_details: { cached_tokens: 60, cache_write_tokens: 0 },
        output_tokens: 40,
        output_tokens_details: { reasoning_tokens: 25 },
        total_tokens: 140,
      },
      user: 'u1',
      metadata: { ticket: '7' },
      access_programs: null,
    })
  })

  // [finish_reason, status, incomplete_details]
  test.each<[string | null, string, Json | null]>([
    ['stop', 'completed', null],
    ['tool_calls', 'completed', null],
    [null, 'completed', null],
    ['length', 'incomplete', { reason: 'max_output_tokens' }],
    ['content_filter', 'incomplete', { reason: 'content_filter' }],
  ])('finish_reason %p → status %s', (finish, status, details) => {
    const response = fromChatResponse(completion({ content: 'x' }, finish), ctx())!
    expect(response.status).toBe(status as 'completed')
    expect(response.incomplete_details).toEqual(details as never)
    expect(response.completed_at === null).toBe(status === 'incomplete')
  })

  // [chat usage, Responses usage]
  test.each<[unknown, Json | null]>([
    [undefined, null],
    [
      { prompt_tokens: 3, completion_tokens: 2 },
      {
        input_tokens: 3,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: 2,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 5,
      },
    ],
    [
      { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10, prompt_cache_hit_tokens: 4 },
      {
        input_tokens: 9,
        input_tokens_details: { cached_tokens: 4, cache_write_tokens: 0 },
        output_tokens: 1,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 10,
      },
    ],
    [
      {
        prompt_tokens: 30,
        completion_tokens: 2,
        prompt_tokens_details: { cached_tokens: 10 },
        cache_creation_input_tokens: 5,
      },
      {
        input_tokens: 30,
        input_tokens_details: { cached_tokens: 10, cache_write_tokens: 5 },
        output_tokens: 2,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 32,
      },
    ],
    [
      { prompt_tokens: 8, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 6 } },
      {
        input_tokens: 8,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 6 },
        output_tokens: 2,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 10,
      },
    ],
  ])('usage %j', (usage, expected) => {
    const c = completion({ content: 'x' })
    c.usage = usage
    expect(fromChatResponse(c, ctx())!.usage).toEqual(expected as never)
  })

  test('an object without choices is not a chat completion (the exchange answers 502)', () => {
    expect(fromChatResponse({ error: { message: 'x' } }, ctx())).toBeUndefined()
  })

  test("the output and usage are the openai SDK's types", () => {
    const response = fromChatResponse(completion({ content: 'x', reasoning_content: 'r' }), ctx())!
    const output: ResponseOutputItem[] = response.output
    const usage: ResponseUsage | undefined = response.usage ?? undefined
    expect(output.length).toBe(2)
    expect(usage?.total_tokens).toBe(15)
  })
})

describe('fromChatError', () => {
  test.each<[number, string, Json]>([
    [
      429,
      '{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
      { error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    ],
    [
      404,
      '{"error":"model \\"x\\" not found"}',
      { error: { message: 'model "x" not found', type: 'not_found_error', param: null, code: null } },
    ],
    [
      400,
      '{"detail":"bad input"}',
      { error: { message: 'bad input', type: 'invalid_request_error', param: null, code: null } },
    ],
    [
      502,
      '<html>Bad Gateway</html>',
      { error: { message: '<html>Bad Gateway</html>', type: 'server_error', param: null, code: null } },
    ],
    [503, '', { error: { message: 'upstream answered HTTP 503', type: 'server_error', param: null, code: null } }],
  ])('%d %s', (status, text, body) => {
    expect(fromChatError(status, text)).toEqual(body)
  })
})

describe('the openai SDK reads the JSON answer', () => {
  test('responses.create: output_text, function calls and usage', async () => {
    const chat = completion({
      content: 'It is sunny.',
      reasoning_content: 'Look outside.',
      tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'log', arguments: '{}' } }],
    })
    await using server = Bun.serve({
      port: 0,
      fetch: async (req) => Response.json(fromChatResponse(chat, ctx((await req.json()) as Json))),
    })
    const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${server.port}/v1`, maxRetries: 0 })
    const response = await client.responses.create({ model: 'claude-x', input: 'weather?' })
    expect(response.output_text).toBe('It is sunny.')
    expect(response.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call'])
    expect(response.output[2]).toMatchObject({ call_id: 'call_9', name: 'log' })
    expect(response.usage?.total_tokens).toBe(15)
  })
})
