import { describe, expect, test } from 'bun:test'
import { type ToChatOptions, toChatRequest } from '../../src/anthropic-messages'
import { GatewayError } from '../../src/core/errors'

const base = { model: 'claude-sonnet-4-5', max_tokens: 256 }
const user = (content: unknown) => ({ role: 'user', content })
const assistant = (content: unknown) => ({ role: 'assistant', content })

function chatOf(body: Record<string, unknown>, options?: ToChatOptions) {
  return toChatRequest(body, options)
}

/** What toChatRequest throws for `body`: a 400 GatewayError, or the test fails. */
function refusal(body: Record<string, unknown>): GatewayError {
  try {
    toChatRequest(body)
  } catch (err) {
    if (err instanceof GatewayError) return err
    throw err
  }
  throw new Error('expected a 400 GatewayError, got a chat request')
}

describe('toChatRequest: validation', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['model missing', { max_tokens: 1, messages: [user('hi')] }, 'model', /model name is required/],
    ['model not a string', { model: 3, max_tokens: 1, messages: [user('hi')] }, 'model', /required/],
    ['max_tokens missing', { model: 'm', messages: [user('hi')] }, 'max_tokens', /positive integer/],
    ['max_tokens zero', { ...base, max_tokens: 0, messages: [user('hi')] }, 'max_tokens', /positive integer/],
    ['max_tokens fractional', { ...base, max_tokens: 1.5, messages: [user('hi')] }, 'max_tokens', /positive integer/],
    ['max_tokens a string', { ...base, max_tokens: '10', messages: [user('hi')] }, 'max_tokens', /positive integer/],
    ['messages missing', { ...base }, 'messages', /at least one/],
    ['messages empty', { ...base, messages: [] }, 'messages', /at least one/],
    ['message not an object', { ...base, messages: ['hi'] }, 'messages.0', /object/],
    [
      'role unknown',
      { ...base, messages: [{ role: 'ctx', content: 'x' }] },
      'messages.0.role',
      /"user", "assistant" or "system", got "ctx"/,
    ],
    ['content a number', { ...base, messages: [user(5)] }, 'messages.0.content', /string or an array/],
    [
      'block without type',
      { ...base, messages: [user([{ text: 'x' }])] },
      'messages.0.content.0.type',
      /type is required/,
    ],
    [
      'unknown block',
      { ...base, messages: [user([{ type: 'web_search_tool_result', tool_use_id: 's', content: [] }])] },
      'messages.0.content.0.type',
      /"web_search_tool_result"/,
    ],
    ['text without text', { ...base, messages: [user([{ type: 'text' }])] }, 'messages.0.content.0.text', /string/],
    [
      'tool_use from user',
      { ...base, messages: [user([{ type: 'tool_use', id: 'a', name: 'b', input: {} }])] },
      'messages.0.content.0.type',
      /assistant/,
    ],
    [
      'tool_result from assistant',
      { ...base, messages: [user('q'), assistant([{ type: 'tool_result', tool_use_id: 'a' }])] },
      'messages.1.content.0.type',
      /user messages/,
    ],
    [
      'image from assistant',
      { ...base, messages: [user('q'), assistant([{ type: 'image', source: {} }])] },
      'messages.1.content.0.type',
      /user messages/,
    ],
    [
      'tool_use input not an object',
      { ...base, messages: [user('q'), assistant([{ type: 'tool_use', id: 'a', name: 'b', input: 'x' }])] },
      'messages.1.content.0.input',
      /object/,
    ],
    [
      'image file source',
      { ...base, messages: [user([{ type: 'image', source: { type: 'file', file_id: 'f' } }])] },
      'messages.0.content.0.source.type',
      /"file"/,
    ],
    [
      'document url source',
      { ...base, messages: [user([{ type: 'document', source: { type: 'url', url: 'https://x/a.pdf' } }])] },
      'messages.0.content.0.source.type',
      /document sources of type "url"/,
    ],
    [
      'document base64 non-pdf',
      {
        ...base,
        messages: [user([{ type: 'document', source: { type: 'base64', media_type: 'image/png', data: 'x' } }])],
      },
      'messages.0.content.0.source.type',
      /document/,
    ],
    [
      'tool_result with unknown inner block',
      { ...base, messages: [user([{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'video' }] }])] },
      'messages.0.content.0.content.0.type',
      /"video"/,
    ],
    ['system a number', { ...base, system: 1, messages: [user('hi')] }, 'system', /string or an array/],
    [
      'system image block',
      { ...base, system: [{ type: 'image' }], messages: [user('hi')] },
      'system.0.type',
      /only text/,
    ],
    [
      'stop_sequences not strings',
      { ...base, stop_sequences: [1], messages: [user('hi')] },
      'stop_sequences',
      /strings/,
    ],
    ['temperature a string', { ...base, temperature: 'hot', messages: [user('hi')] }, 'temperature', /number/],
    ['top_p a string', { ...base, top_p: '1', messages: [user('hi')] }, 'top_p', /number/],
    ['top_k fractional', { ...base, top_k: 1.5, messages: [user('hi')] }, 'top_k', /integer/],
    ['stream a string', { ...base, stream: 'yes', messages: [user('hi')] }, 'stream', /boolean/],
    [
      'metadata.user_id a number',
      { ...base, metadata: { user_id: 5 }, messages: [user('hi')] },
      'metadata.user_id',
      /string/,
    ],
    ['tools not an array', { ...base, tools: {}, messages: [user('hi')] }, 'tools', /array/],
    [
      'tool without schema',
      { ...base, tools: [{ name: 'f' }], messages: [user('hi')] },
      'tools.0.input_schema',
      /object/,
    ],
    [
      'server tool',
      { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [user('hi')] },
      'tools.0.type',
      /web_search_20250305.*\(web_search\)/,
    ],
    [
      'anthropic-defined bash tool',
      { ...base, tools: [{ type: 'bash_20250124', name: 'bash' }], messages: [user('hi')] },
      'tools.0.type',
      /bash_20250124/,
    ],
    [
      'tool_choice unknown',
      { ...base, tool_choice: { type: 'sometimes' }, messages: [user('hi')] },
      'tool_choice.type',
      /"auto", "any", "tool", "none"/,
    ],
    [
      'tool_choice tool without name',
      { ...base, tool_choice: { type: 'tool' }, messages: [user('hi')] },
      'tool_choice.name',
      /string/,
    ],
  ]
  for (const [name, body, param, message] of cases) {
    test(name, () => {
      const error = refusal(body)
      expect(error.status).toBe(400)
      expect(error.type).toBe('invalid_request_error')
      expect(error.code).toBe('invalid_value')
      expect(error.param).toBe(param)
      // The client reads `<param>: <problem>` (Anthropic's error shape has no param field).
      expect(error.message).toStartWith(`${param}: `)
      expect(error.message.slice(param.length + 2)).toMatch(message)
    })
  }
})

describe('toChatRequest: parameters', () => {
  test('minimal request', () => {
    expect(chatOf({ ...base, messages: [user('hi')] })).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 256,
    })
  })

  test('every sampling and control parameter', () => {
    const chat = chatOf({
      ...base,
      messages: [user('hi')],
      stop_sequences: ['\n\nHuman:', 'END'],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'user-123' },
      stream: true,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      service_tier: 'auto',
    })
    expect(chat).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 256,
      stop: ['\n\nHuman:', 'END'],
      temperature: 0.2,
      top_p: 0.9,
      user: 'user-123',
      stream: true,
      stream_options: { include_usage: true },
      reasoning_effort: 'low',
    })
  })

  test('stream false, empty stop_sequences and null user_id add nothing', () => {
    const chat = chatOf({
      ...base,
      messages: [user('hi')],
      stream: false,
      stop_sequences: [],
      metadata: { user_id: null },
    })
    expect(chat).toEqual({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], max_tokens: 256 })
  })

  test('options: upstream model and max_completion_tokens', () => {
    const chat = chatOf(
      { ...base, messages: [user('hi')] },
      { model: 'gpt-5', maxTokensField: 'max_completion_tokens' },
    )
    expect(chat).toEqual({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 256 })
  })
})

describe('toChatRequest: system', () => {
  const cases: [string, unknown, unknown[]][] = [
    ['string', 'Be brief.', [{ role: 'system', content: 'Be brief.' }]],
    [
      'text blocks joined, cache_control ignored',
      [
        { type: 'text', text: 'You are Claude Code.' },
        { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } },
      ],
      [{ role: 'system', content: 'You are Claude Code.\n\nBe brief.' }],
    ],
    ['empty string dropped', '', []],
    ['empty array dropped', [], []],
  ]
  for (const [name, system, expected] of cases) {
    test(name, () => {
      const chat = chatOf({ ...base, system, messages: [user('hi')] })
      expect(chat.messages).toEqual([...expected, { role: 'user', content: 'hi' }])
    })
  }
})

describe('toChatRequest: content blocks', () => {
  const cases: [string, unknown[], unknown[]][] = [
    ['one text block → string', [user([{ type: 'text', text: 'hi' }])], [{ role: 'user', content: 'hi' }]],
    [
      'several text blocks → parts',
      [
        user([
          { type: 'text', text: '<system-reminder>x</system-reminder>' },
          { type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } },
        ]),
      ],
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: '<system-reminder>x</system-reminder>' },
            { type: 'text', text: 'hi' },
          ],
        },
      ],
    ],
    [
      'base64 image → data URL, url image → url',
      [
        user([
          { type: 'text', text: 'compare' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ]),
      ],
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'compare' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    ],
    [
      'an image alone stays a part list',
      [user([{ type: 'image', source: { type: 'url', url: 'https://x/y.png' } }])],
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
    ],
    [
      'documents: text, content and base64 PDF',
      [
        user([
          {
            type: 'document',
            source: { type: 'text', media_type: 'text/plain', data: 'The grass is green.' },
            title: 'Facts',
          },
          {
            type: 'document',
            source: {
              type: 'content',
              content: [
                { type: 'text', text: 'a' },
                { type: 'text', text: 'b' },
              ],
            },
          },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
        ]),
      ],
      [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Facts\n\nThe grass is green.' },
            { type: 'text', text: 'a\n\nb' },
            { type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
          ],
        },
      ],
    ],
    [
      'thinking blocks → reasoning_content and thinking_blocks',
      [
        user('q'),
        assistant([
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'redacted_thinking', data: 'xyz' },
          { type: 'text', text: 'answer' },
        ]),
      ],
      [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: 'answer',
          reasoning_content: 'hmm',
          thinking_blocks: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'xyz' },
          ],
        },
      ],
    ],
    ['empty user content array', [user([])], [{ role: 'user', content: '' }]],
    [
      'empty assistant content (prefill)',
      [user('q'), assistant([])],
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: '' },
      ],
    ],
    [
      'assistant text blocks joined',
      [
        user('q'),
        assistant([
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ]),
      ],
      [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'one\n\ntwo' },
      ],
    ],
  ]
  for (const [name, messages, expected] of cases) {
    test(name, () => {
      expect(chatOf({ ...base, messages }).messages).toEqual(expected)
    })
  }
})

describe('toChatRequest: tool use round trip', () => {
  test('tool_use → tool_calls, tool_result → tool messages before the rest of the turn', () => {
    const chat = chatOf({
      ...base,
      messages: [
        user('What is the weather in Paris and London?'),
        assistant([
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_02', name: 'get_weather', input: { city: 'London', units: ['c'] } },
        ]),
        user([
          { type: 'text', text: 'Also, be brief.' },
          { type: 'tool_result', tool_use_id: 'toolu_01', content: '18°C' },
          {
            type: 'tool_result',
            tool_use_id: 'call_02',
            content: [
              { type: 'text', text: 'rain' },
              { type: 'text', text: '12°C' },
            ],
          },
        ]),
      ],
    })
    expect(chat.messages).toEqual([
      { role: 'user', content: 'What is the weather in Paris and London?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          {
            id: 'call_02',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"London","units":["c"]}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: '18°C' },
      { role: 'tool', tool_call_id: 'call_02', content: 'rain\n\n12°C' },
      { role: 'user', content: 'Also, be brief.' },
    ])
  })

  const results: [string, Record<string, unknown>, unknown[]][] = [
    ['tool_use only → content null', { type: 'tool_use', id: 't', name: 'f', input: {} }, []],
    ['no content', { type: 'tool_result', tool_use_id: 't' }, [{ role: 'tool', tool_call_id: 't', content: '' }]],
    [
      'is_error with text',
      { type: 'tool_result', tool_use_id: 't', content: 'file not found', is_error: true },
      [{ role: 'tool', tool_call_id: 't', content: 'Error: file not found' }],
    ],
    [
      'is_error without content',
      { type: 'tool_result', tool_use_id: 't', is_error: true },
      [{ role: 'tool', tool_call_id: 't', content: 'Error' }],
    ],
    [
      'image in a result → the user message after',
      {
        type: 'tool_result',
        tool_use_id: 't',
        content: [{ type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } }],
      },
      [
        { role: 'tool', tool_call_id: 't', content: '(the result is in the attachment that follows)' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } }] },
      ],
    ],
  ]
  for (const [name, block, expected] of results) {
    test(name, () => {
      if (block.type === 'tool_use') {
        const chat = chatOf({ ...base, messages: [user('q'), assistant([block])] })
        expect(chat.messages).toEqual([
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        ])
        return
      }
      const chat = chatOf({
        ...base,
        messages: [user('q'), assistant([{ type: 'tool_use', id: 't', name: 'f', input: {} }]), user([block])],
      })
      expect((chat.messages as unknown[]).slice(2)).toEqual(expected)
    })
  }
})

describe('toChatRequest: tools and tool_choice', () => {
  const weather = {
    name: 'get_weather',
    description: 'Weather by city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  }
  const fn = {
    type: 'function',
    function: { name: 'get_weather', description: 'Weather by city', parameters: weather.input_schema },
  }

  test('tools → functions (custom type, cache_control and no description handled)', () => {
    const chat = chatOf({
      ...base,
      messages: [user('hi')],
      tools: [
        { ...weather, cache_control: { type: 'ephemeral' } },
        { type: 'custom', name: 'noop', input_schema: { type: 'object' } },
      ],
    })
    expect(chat.tools).toEqual([fn, { type: 'function', function: { name: 'noop', parameters: { type: 'object' } } }])
    expect(chat.tool_choice).toBeUndefined()
  })

  const choices: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['auto', { type: 'auto' }, { tool_choice: 'auto' }],
    ['any → required', { type: 'any' }, { tool_choice: 'required' }],
    [
      'tool → function',
      { type: 'tool', name: 'get_weather' },
      { tool_choice: { type: 'function', function: { name: 'get_weather' } } },
    ],
    ['none', { type: 'none' }, { tool_choice: 'none' }],
    [
      'disable_parallel_tool_use',
      { type: 'auto', disable_parallel_tool_use: true },
      { tool_choice: 'auto', parallel_tool_calls: false },
    ],
    [
      'disable_parallel_tool_use false adds nothing',
      { type: 'any', disable_parallel_tool_use: false },
      { tool_choice: 'required' },
    ],
  ]
  for (const [name, toolChoice, expected] of choices) {
    test(`tool_choice ${name}`, () => {
      const chat = chatOf({ ...base, messages: [user('hi')], tools: [weather], tool_choice: toolChoice })
      expect(chat).toEqual({
        model: base.model,
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 256,
        tools: [fn],
        ...expected,
      })
    })
  }

  test('tool_choice without tools is dropped (OpenAI refuses it)', () => {
    const chat = chatOf({
      ...base,
      messages: [user('hi')],
      tools: [],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    })
    expect(chat).toEqual({ model: base.model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 256 })
  })
})

test('does not modify its input', () => {
  const body = {
    ...base,
    system: [{ type: 'text', text: 's' }],
    messages: [user([{ type: 'text', text: 'a' }])],
    tools: [{ name: 'f', input_schema: { type: 'object' } }],
  }
  const copy = structuredClone(body)
  chatOf(body)
  expect(body).toEqual(copy)
})

describe('toChatRequest: one convention, every refusal is thrown as a GatewayError', () => {
  const refusals: [string, Record<string, unknown>, string][] = [
    ['no model', { max_tokens: 1, messages: [user('hi')] }, 'model: a model name is required'],
    ['no messages', { ...base }, 'messages: at least one message is required'],
    ['a bad stream flag', { ...base, stream: 'yes', messages: [user('hi')] }, 'stream: expected a boolean'],
    [
      'a server tool',
      { ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [user('hi')] },
      'tools.0.type: the Anthropic-defined tool "web_search_20250305" (web_search)',
    ],
  ]
  for (const [name, body, text] of refusals)
    test(name, () => {
      let thrown: unknown
      try {
        toChatRequest(body)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(GatewayError)
      const error = thrown as GatewayError
      expect(error.status).toBe(400)
      expect(error.message).toStartWith(text)
      expect(error.toJSON().error).toEqual({
        message: error.message,
        type: 'invalid_request_error',
        param: error.param,
        code: 'invalid_value',
      })
    })
})
