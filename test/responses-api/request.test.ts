import { describe, expect, test } from 'bun:test'
import { GatewayError } from '../../src/core/errors'
import { SEAL_PREFIX, sealThinkingBlocks, toChatRequest, unsealThinkingBlocks } from '../../src/responses-api'

type Json = Record<string, unknown>

const chat = (body: Json) => toChatRequest({ model: 'm', ...body })
const user = (content: unknown): Json => ({ role: 'user', content })
const signed = [{ type: 'thinking' as const, thinking: 'Let me think.', signature: 'sig-1' }]
const call = (id: string, name = 'get_weather', args = '{"city":"Paris"}') => ({
  id,
  type: 'function',
  function: { name, arguments: args },
})

describe('toChatRequest: input items → messages', () => {
  // [behaviour, the Responses body (model 'm' added), the chat messages]
  test.each<[string, Json, Json[]]>([
    // --- plain input ---
    ['a string input is one user message', { input: 'hi' }, [user('hi')]],
    [
      'instructions lead as a system message',
      { instructions: 'Be brief.', input: 'hi' },
      [{ role: 'system', content: 'Be brief.' }, user('hi')],
    ],
    ['empty instructions add nothing', { instructions: '', input: 'hi' }, [user('hi')]],
    // --- messages ---
    [
      'an easy message (no type) keeps its role and string content',
      { input: [{ role: 'user', content: 'a' }] },
      [user('a')],
    ],
    [
      'one input_text part collapses to a string',
      { input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a' }] }] },
      [user('a')],
    ],
    [
      'input_image (image_url, detail) → image_url part',
      {
        input: [
          user([
            { type: 'input_text', text: 'what is it?' },
            { type: 'input_image', image_url: 'https://x/cat.png', detail: 'high' },
          ]),
        ],
      },
      [
        user([
          { type: 'text', text: 'what is it?' },
          { type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'high' } },
        ]),
      ],
    ],
    [
      'input_file (file_data, filename) → file part',
      {
        input: [user([{ type: 'input_file', file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' }])],
      },
      [user([{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } }])],
    ],
    [
      'system parts are joined with a blank line',
      {
        input: [
          {
            role: 'system',
            content: [
              { type: 'input_text', text: 'one' },
              { type: 'input_text', text: 'two' },
            ],
          },
          user('x'),
        ],
      },
      [{ role: 'system', content: 'one\n\ntwo' }, user('x')],
    ],
    [
      'developer → system',
      { input: [{ role: 'developer', content: 'rules' }, user('x')] },
      [{ role: 'system', content: 'rules' }, user('x')],
    ],
    [
      'an assistant message with string content',
      { input: [user('a'), { role: 'assistant', content: 'b' }] },
      [user('a'), { role: 'assistant', content: 'b' }],
    ],
    [
      'assistant output_text and refusal parts are its text',
      {
        input: [
          {
            type: 'message',
            role: 'assistant',
            id: 'msg_1',
            status: 'completed',
            content: [
              { type: 'output_text', text: 'I ', annotations: [] },
              { type: 'refusal', refusal: 'cannot.' },
            ],
          },
        ],
      },
      [{ role: 'assistant', content: 'I cannot.' }],
    ],
    // --- function calls ---
    [
      'consecutive function_call items share one assistant message; call_id is the id',
      {
        input: [
          user('weather?'),
          { type: 'function_call', id: 'fc_1', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call', call_id: 'call_b', name: 'get_time', arguments: '{}' },
        ],
      },
      [
        user('weather?'),
        { role: 'assistant', content: null, tool_calls: [call('call_a'), call('call_b', 'get_time', '{}')] },
      ],
    ],
    [
      'a function_call with a namespace → a tool call named <namespace>__<name>',
      {
        input: [
          user('spawn one'),
          {
            type: 'function_call',
            call_id: 'call_a',
            namespace: 'multi_agent_v1',
            name: 'spawn_agent',
            arguments: '{"task":"x"}',
          },
          { type: 'function_call_output', call_id: 'call_a', namespace: 'multi_agent_v1', output: 'ok' },
        ],
      },
      [
        user('spawn one'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [call('call_a', 'multi_agent_v1__spawn_agent', '{"task":"x"}')],
        },
        { role: 'tool', tool_call_id: 'call_a', content: 'ok' },
      ],
    ],
    [
      'an assistant message followed by function calls is one chat message',
      {
        input: [
          { role: 'assistant', content: 'Checking.' },
          { type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        ],
      },
      [{ role: 'assistant', content: 'Checking.', tool_calls: [call('call_a')] }],
    ],
    [
      'function_call_output → role tool with tool_call_id',
      {
        input: [
          { type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call_output', call_id: 'call_a', output: '{"temp":21}' },
        ],
      },
      [
        { role: 'assistant', content: null, tool_calls: [call('call_a')] },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
      ],
    ],
    [
      'output parts: text in the tool message, images in a user message after the run of outputs',
      {
        input: [
          { type: 'function_call', call_id: 'a', name: 'shot', arguments: '{}' },
          { type: 'function_call', call_id: 'b', name: 'shot', arguments: '{}' },
          {
            type: 'function_call_output',
            call_id: 'a',
            output: [
              { type: 'input_text', text: 'done' },
              { type: 'input_image', image_url: 'data:image/png;base64,AA' },
            ],
          },
          {
            type: 'function_call_output',
            call_id: 'b',
            output: [{ type: 'input_image', image_url: 'https://x/b.png' }],
          },
          user('and?'),
        ],
      },
      [
        { role: 'assistant', content: null, tool_calls: [call('a', 'shot', '{}'), call('b', 'shot', '{}')] },
        { role: 'tool', tool_call_id: 'a', content: 'done' },
        { role: 'tool', tool_call_id: 'b', content: '(the output is in the attachment that follows)' },
        user([
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
          { type: 'image_url', image_url: { url: 'https://x/b.png' } },
        ]),
        user('and?'),
      ],
    ],
    // --- reasoning ---
    [
      'reasoning → reasoning_content of the next assistant message (summary parts joined)',
      {
        input: [
          user('q'),
          {
            type: 'reasoning',
            id: 'rs_1',
            summary: [
              { type: 'summary_text', text: 'First.' },
              { type: 'summary_text', text: 'Second.' },
            ],
          },
          { role: 'assistant', content: 'A.' },
        ],
      },
      [user('q'), { role: 'assistant', content: 'A.', reasoning_content: 'First.\n\nSecond.' }],
    ],
    [
      'our encrypted_content restores the signed thinking_blocks',
      {
        input: [
          {
            type: 'reasoning',
            summary: [{ type: 'summary_text', text: 'Let me think.' }],
            encrypted_content: sealThinkingBlocks(signed),
          },
          { type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        ],
      },
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [call('call_a')],
          reasoning_content: 'Let me think.',
          thinking_blocks: signed,
        },
      ],
    ],
    [
      "OpenAI's encrypted_content is dropped; the summary stays",
      {
        input: [
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'S' }], encrypted_content: 'gAAAAABo-openai' },
          { role: 'assistant', content: 'A' },
        ],
      },
      [{ role: 'assistant', content: 'A', reasoning_content: 'S' }],
    ],
    [
      'reasoning_text content stands in for an empty summary',
      {
        input: [
          { type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'raw' }] },
          { role: 'assistant', content: 'A' },
        ],
      },
      [{ role: 'assistant', content: 'A', reasoning_content: 'raw' }],
    ],
    [
      'reasoning before a user turn (no assistant output) is dropped',
      { input: [{ type: 'reasoning', summary: [{ type: 'summary_text', text: 'S' }] }, user('next')] },
      [user('next')],
    ],
    [
      'reasoning between two calls of one turn joins the same message',
      {
        input: [
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'one' }] },
          { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
          { type: 'reasoning', summary: [{ type: 'summary_text', text: 'two' }] },
          { type: 'function_call', call_id: 'b', name: 'f', arguments: '{}' },
        ],
      },
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [call('a', 'f', '{}'), call('b', 'f', '{}')],
          reasoning_content: 'one\n\ntwo',
        },
      ],
    ],
  ])('%s', (_, body, messages) => {
    expect(chat(body).messages).toEqual(messages)
  })
})

describe('toChatRequest: request fields', () => {
  const weather = { type: 'function', name: 'get_weather', parameters: { type: 'object' } }
  const chatWeather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }
  // [field, the Responses fields (input 'hi' added), the chat fields besides model and messages]
  test.each<[string, Json, Json]>([
    ['nothing else', {}, {}],
    [
      'tools: flat function → nested (description, strict)',
      { tools: [{ ...weather, description: 'Weather now.', strict: true }] },
      {
        tools: [{ type: 'function', function: { ...chatWeather.function, description: 'Weather now.', strict: true } }],
      },
    ],
    [
      'tools: parameters null is left out',
      { tools: [{ type: 'function', name: 'now', parameters: null, strict: null }] },
      {
        tools: [{ type: 'function', function: { name: 'now' } }],
      },
    ],
    [
      'tools: a namespace → one function per inner function, <ns>__<name>, its description first',
      {
        tools: [
          weather,
          {
            type: 'namespace',
            name: 'crm',
            description: 'Customer records.',
            tools: [
              { type: 'function', name: 'find', description: 'Find a customer.', parameters: { type: 'object' } },
              { type: 'function', name: 'delete-one', strict: true },
            ],
          },
        ],
      },
      {
        tools: [
          chatWeather,
          {
            type: 'function',
            function: {
              name: 'crm__find',
              description: 'Customer records.\n\nFind a customer.',
              parameters: { type: 'object' },
            },
          },
          {
            type: 'function',
            function: { name: 'crm__delete-one', description: 'Customer records.', strict: true },
          },
        ],
      },
    ],
    [
      'tools: a namespace without description leaves its functions as they are',
      { tools: [{ type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 'f', description: 'F.' }] }] },
      { tools: [{ type: 'function', function: { name: 'ns__f', description: 'F.' } }] },
    ],
    [
      'tool_choice names a namespaced function by its chat name',
      {
        tools: [{ type: 'namespace', name: 'ns', description: '', tools: [{ type: 'function', name: 'f' }] }],
        tool_choice: { type: 'function', name: 'ns__f' },
      },
      {
        tools: [{ type: 'function', function: { name: 'ns__f' } }],
        tool_choice: { type: 'function', function: { name: 'ns__f' } },
      },
    ],
    [
      'tool_choice "required"',
      { tools: [weather], tool_choice: 'required' },
      { tools: [chatWeather], tool_choice: 'required' },
    ],
    ['tool_choice "none"', { tools: [weather], tool_choice: 'none' }, { tools: [chatWeather], tool_choice: 'none' }],
    [
      'tool_choice {type: function, name}',
      { tools: [weather], tool_choice: { type: 'function', name: 'get_weather' } },
      {
        tools: [chatWeather],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      },
    ],
    [
      'tool_choice allowed_tools narrows tools, its mode is the choice',
      {
        tools: [weather, { type: 'function', name: 'other', parameters: { type: 'object' } }],
        tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_weather' }] },
      },
      { tools: [chatWeather], tool_choice: 'required' },
    ],
    [
      'tool_choice and parallel_tool_calls without tools are not sent',
      { tool_choice: 'auto', parallel_tool_calls: false },
      {},
    ],
    [
      'parallel_tool_calls with tools',
      { tools: [weather], parallel_tool_calls: false },
      { tools: [chatWeather], parallel_tool_calls: false },
    ],
    [
      'text.format json_schema → response_format json_schema',
      {
        text: {
          format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true, description: 'd' },
        },
      },
      {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'out', schema: { type: 'object' }, description: 'd', strict: true },
        },
      },
    ],
    [
      'text.format json_object',
      { text: { format: { type: 'json_object' } } },
      { response_format: { type: 'json_object' } },
    ],
    ["text.format text is chat's default: not sent", { text: { format: { type: 'text' } } }, {}],
    ['text.verbosity → verbosity', { text: { verbosity: 'low' } }, { verbosity: 'low' }],
    [
      'reasoning.effort → reasoning_effort (summary not sent)',
      { reasoning: { effort: 'high', summary: 'auto' } },
      { reasoning_effort: 'high' },
    ],
    ['max_output_tokens → max_tokens', { max_output_tokens: 256 }, { max_tokens: 256 }],
    ['temperature and top_p', { temperature: 0.2, top_p: 0.9 }, { temperature: 0.2, top_p: 0.9 }],
    [
      'user, safety_identifier, prompt_cache_key',
      { user: 'u', safety_identifier: 's', prompt_cache_key: 'k' },
      {
        user: 'u',
        safety_identifier: 's',
        prompt_cache_key: 'k',
      },
    ],
    ['stream asks for the usage chunk', { stream: true }, { stream: true, stream_options: { include_usage: true } }],
    ['stream false sends nothing', { stream: false }, {}],
    [
      'include message.output_text.logprobs → logprobs (+ top_logprobs)',
      { include: ['message.output_text.logprobs'], top_logprobs: 3 },
      {
        logprobs: true,
        top_logprobs: 3,
      },
    ],
    [
      'include reasoning.encrypted_content is accepted (it shapes the answer)',
      { include: ['reasoning.encrypted_content'] },
      {},
    ],
    [
      'echo-only and gateway-resolved fields are not sent',
      {
        metadata: { a: '1' },
        store: false,
        previous_response_id: 'resp_1',
        truncation: 'auto',
        service_tier: 'flex',
        max_tool_calls: 3,
        background: false,
        conversation: null,
        prompt: null,
        stream_options: { include_obfuscation: false },
      },
      {},
    ],
  ])('%s', (_, body, fields) => {
    expect(chat({ input: 'hi', ...body })).toEqual({ model: 'm', messages: [user('hi')], ...fields })
  })

  test('the model given by the caller (an alias resolved) wins over the body', () => {
    expect(toChatRequest({ model: 'alias', input: 'hi' }, { model: 'real' }).model).toBe('real')
  })
})

describe('toChatRequest: refusals', () => {
  // [case, body (model 'm' added unless given), param, exact message, code]
  test.each<[string, Json, string, string, string]>([
    // --- unservable features ---
    [
      'background',
      { input: 'x', background: true },
      'background',
      'background: background responses cannot be run for a model served through chat completions; send the request without background.',
      'unsupported_value',
    ],
    [
      'conversation',
      { input: 'x', conversation: 'conv_1' },
      'conversation',
      "conversation: conversations are OpenAI's stored state, which the gateway cannot read for a model served through chat completions; send the conversation's items in input, or chain responses with previous_response_id.",
      'unsupported_value',
    ],
    [
      'prompt',
      { input: 'x', prompt: { id: 'pmpt_1' } },
      'prompt',
      "prompt: prompt templates are stored by OpenAI, which the gateway cannot read for a model served through chat completions; send the prompt's text as instructions and input.",
      'unsupported_value',
    ],
    ['no model', { model: '', input: 'x' }, 'model', 'model: a model name is required.', 'missing_required_parameter'],
    // --- input ---
    [
      'input missing',
      {},
      'input',
      'input: a string or an array of input items is required.',
      'missing_required_parameter',
    ],
    [
      'input of the wrong type',
      { input: 3 },
      'input',
      'input: expected a string or an array of input items, got 3.',
      'invalid_value',
    ],
    ['input empty', { input: [] }, 'input', 'input: at least one input item is required.', 'invalid_value'],
    [
      'an item that is not an object',
      { input: ['hi'] },
      'input[0]',
      'input[0]: expected an input item object, got "hi".',
      'invalid_value',
    ],
    [
      'an item without type or role',
      { input: [{ content: 'x' }] },
      'input[0].type',
      'input[0].type: an input item type is required.',
      'missing_required_parameter',
    ],
    [
      'an unknown item type',
      { input: [user('a'), { type: 'banana' }] },
      'input[1].type',
      'input[1].type: unknown input item type "banana".',
      'invalid_value',
    ],
    [
      'a hosted-tool item',
      { input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] },
      'input[0].type',
      'input[0].type: items of type "web_search_call" belong to OpenAI\'s hosted tools and cannot be sent to a model served through chat completions.',
      'unsupported_value',
    ],
    [
      'item_reference',
      { input: [{ type: 'item_reference', id: 'msg_1' }] },
      'input[0]',
      'input[0]: item_reference items cannot be resolved by the gateway for a model served through chat completions; send the referenced item itself.',
      'unsupported_value',
    ],
    [
      'a role chat has no place for',
      { input: [{ role: 'tool', content: 'x' }] },
      'input[0].role',
      'input[0].role: expected "user", "assistant", "system" or "developer", got "tool".',
      'invalid_value',
    ],
    [
      'content of the wrong type',
      { input: [{ role: 'user', content: 5 }] },
      'input[0].content',
      'input[0].content: expected a string or an array of content parts, got 5.',
      'invalid_value',
    ],
    [
      'an unknown part type',
      { input: [user('a'), user([{ type: 'input_text', text: 'x' }, { type: 'input_video' }])] },
      'input[1].content[1].type',
      'input[1].content[1].type: unknown content part type "input_video"; expected "input_text", "input_image" or "input_file".',
      'invalid_value',
    ],
    [
      'a part without type',
      { input: [user([{ text: 'x' }])] },
      'input[0].content[0].type',
      'input[0].content[0].type: a content part type is required.',
      'missing_required_parameter',
    ],
    [
      'output_text in a user message',
      { input: [user([{ type: 'output_text', text: 'x' }])] },
      'input[0].content[0].type',
      'input[0].content[0].type: "output_text" parts are only allowed in assistant messages.',
      'invalid_value',
    ],
    [
      'an image in a system message',
      { input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x' }] }] },
      'input[0].content[0].type',
      'input[0].content[0].type: "input_image" parts are only allowed in user messages.',
      'invalid_value',
    ],
    [
      'an image in an assistant message',
      { input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'https://x' }] }] },
      'input[0].content[0].type',
      'input[0].content[0].type: "input_image" parts are only allowed in user messages.',
      'invalid_value',
    ],
    [
      'input_image by file_id',
      { input: [user([{ type: 'input_image', file_id: 'file-1', detail: 'auto' }])] },
      'input[0].content[0].file_id',
      'input[0].content[0].file_id: uploaded file ids cannot be resolved by the gateway for a model served through chat completions; send the image as image_url (an https URL or a data: URL).',
      'unsupported_value',
    ],
    [
      'input_image with neither',
      { input: [user([{ type: 'input_image', detail: 'auto' }])] },
      'input[0].content[0].image_url',
      'input[0].content[0].image_url: an image_url (an https URL or a data: URL) is required.',
      'missing_required_parameter',
    ],
    [
      'input_file by file_id',
      { input: [user([{ type: 'input_file', file_id: 'file-1' }])] },
      'input[0].content[0].file_id',
      'input[0].content[0].file_id: uploaded file ids cannot be resolved by the gateway for a model served through chat completions; send the file as file_data (a base64 data: URL).',
      'unsupported_value',
    ],
    [
      'input_file by file_url',
      { input: [user([{ type: 'input_file', file_url: 'https://x/a.pdf' }])] },
      'input[0].content[0].file_url',
      'input[0].content[0].file_url: file URLs cannot be sent to a model served through chat completions; send the file as file_data (a base64 data: URL).',
      'unsupported_value',
    ],
    [
      'input_file with nothing',
      { input: [user([{ type: 'input_file' }])] },
      'input[0].content[0].file_data',
      'input[0].content[0].file_data: file_data (a base64 data: URL) is required.',
      'missing_required_parameter',
    ],
    [
      'a function_call without call_id',
      { input: [{ type: 'function_call', name: 'f', arguments: '{}' }] },
      'input[0].call_id',
      'input[0].call_id: a string is required.',
      'missing_required_parameter',
    ],
    [
      'a function_call_output of the wrong type',
      { input: [{ type: 'function_call_output', call_id: 'a', output: 3 }] },
      'input[0].output',
      'input[0].output: expected a string or an array of content parts, got 3.',
      'invalid_value',
    ],
    [
      'a reasoning summary that is not an array',
      { input: [{ type: 'reasoning', summary: 'x' }] },
      'input[0].summary',
      'input[0].summary: expected an array of summary parts, got "x".',
      'invalid_value',
    ],
    [
      'our mark on content that does not read back',
      { input: [{ type: 'reasoning', summary: [], encrypted_content: `${SEAL_PREFIX}bm90IGpzb24` }] },
      'input[0].encrypted_content',
      "input[0].encrypted_content: this reasoning item's encrypted_content carries the gateway's mark but cannot be read; send the item as the gateway returned it.",
      'invalid_value',
    ],
    // --- tools ---
    [
      'tools not an array',
      { input: 'x', tools: {} },
      'tools',
      'tools: expected an array of tools, got an object.',
      'invalid_value',
    ],
    [
      'web_search (as Codex sends it)',
      { input: 'x', tools: [{ type: 'web_search', external_web_access: false }] },
      'tools[0]',
      'tools[0]: the tool type "web_search" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'web_search_preview',
      { input: 'x', tools: [{ type: 'function', name: 'f' }, { type: 'web_search_preview' }] },
      'tools[1]',
      'tools[1]: the tool type "web_search_preview" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'file_search',
      { input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] },
      'tools[0]',
      'tools[0]: the tool type "file_search" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'computer_use_preview',
      { input: 'x', tools: [{ type: 'computer_use_preview' }] },
      'tools[0]',
      'tools[0]: the tool type "computer_use_preview" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'code_interpreter',
      { input: 'x', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] },
      'tools[0]',
      'tools[0]: the tool type "code_interpreter" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'image_generation',
      { input: 'x', tools: [{ type: 'image_generation' }] },
      'tools[0]',
      'tools[0]: the tool type "image_generation" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'mcp',
      { input: 'x', tools: [{ type: 'mcp', server_label: 's' }] },
      'tools[0]',
      'tools[0]: the tool type "mcp" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'local_shell',
      { input: 'x', tools: [{ type: 'local_shell' }] },
      'tools[0]',
      'tools[0]: the tool type "local_shell" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'custom',
      { input: 'x', tools: [{ type: 'custom', name: 'grammar' }] },
      'tools[0]',
      'tools[0]: the tool type "custom" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'a custom tool inside a namespace',
      {
        input: 'x',
        tools: [
          { type: 'function', name: 'f' },
          { type: 'namespace', name: 'ns', description: 'd', tools: [{ type: 'custom', name: 'grammar' }] },
        ],
      },
      'tools[1].tools[0]',
      'tools[1].tools[0]: the tool type "custom" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
      'unsupported_value',
    ],
    [
      'a namespaced name longer than 64 characters',
      {
        input: 'x',
        tools: [
          {
            type: 'namespace',
            name: 'multi_agent_v1',
            description: 'd',
            tools: [
              { type: 'function', name: 'f' },
              { type: 'function', name: 'a'.repeat(49) },
            ],
          },
        ],
      },
      'tools[0].tools[1].name',
      `tools[0].tools[1].name: the function "${'a'.repeat(49)}" of namespace "multi_agent_v1" is sent to chat completions as "multi_agent_v1__${'a'.repeat(48)}…", which is not a valid chat function name (at most 64 characters, each a letter, a digit, "_" or "-"); rename the namespace or the function.`,
      'unsupported_value',
    ],
    [
      'a namespaced name with other characters',
      {
        input: 'x',
        tools: [{ type: 'namespace', name: 'crm.v2', description: 'd', tools: [{ type: 'function', name: 'find' }] }],
      },
      'tools[0].tools[0].name',
      'tools[0].tools[0].name: the function "find" of namespace "crm.v2" is sent to chat completions as "crm.v2__find", which is not a valid chat function name (at most 64 characters, each a letter, a digit, "_" or "-"); rename the namespace or the function.',
      'unsupported_value',
    ],
    [
      'a namespaced name another function already has',
      {
        input: 'x',
        tools: [
          { type: 'namespace', name: 'crm', description: 'd', tools: [{ type: 'function', name: 'find' }] },
          { type: 'function', name: 'crm__find' },
        ],
      },
      'tools[0].tools[0].name',
      'tools[0].tools[0].name: the function "find" of namespace "crm" is sent to chat completions as "crm__find", which another function in tools is also called; rename one of them.',
      'invalid_value',
    ],
    [
      'a namespace without tools',
      { input: 'x', tools: [{ type: 'namespace', name: 'crm', description: 'd' }] },
      'tools[0].tools',
      'tools[0].tools: an array of function tools is required.',
      'missing_required_parameter',
    ],
    [
      'a namespace without name',
      { input: 'x', tools: [{ type: 'namespace', description: 'd', tools: [] }] },
      'tools[0].name',
      'tools[0].name: a string is required.',
      'missing_required_parameter',
    ],
    [
      'a tool without type',
      { input: 'x', tools: [{ name: 'f' }] },
      'tools[0].type',
      'tools[0].type: a tool type is required.',
      'missing_required_parameter',
    ],
    [
      'a function without name',
      { input: 'x', tools: [{ type: 'function', parameters: {} }] },
      'tools[0].name',
      'tools[0].name: a string is required.',
      'missing_required_parameter',
    ],
    [
      'parameters not an object',
      { input: 'x', tools: [{ type: 'function', name: 'f', parameters: 'x' }] },
      'tools[0].parameters',
      'tools[0].parameters: expected a JSON Schema object, got "x".',
      'invalid_value',
    ],
    // --- tool_choice ---
    [
      'an unknown tool_choice string',
      { input: 'x', tool_choice: 'any' },
      'tool_choice',
      'tool_choice: expected "auto", "none" or "required", {"type": "function", "name": …} or {"type": "allowed_tools", …}, got "any".',
      'invalid_value',
    ],
    [
      'a hosted tool_choice',
      { input: 'x', tool_choice: { type: 'web_search_preview' } },
      'tool_choice.type',
      'tool_choice.type: the tool type "web_search_preview" cannot be chosen: this model is served through chat completions, which can call function tools only.',
      'unsupported_value',
    ],
    [
      'a function tool_choice not declared',
      { input: 'x', tools: [{ type: 'function', name: 'f' }], tool_choice: { type: 'function', name: 'g' } },
      'tool_choice.name',
      'tool_choice.name: no function tool named "g" is declared in tools.',
      'invalid_value',
    ],
    [
      '"required" without tools',
      { input: 'x', tool_choice: 'required' },
      'tool_choice',
      'tool_choice: "required" needs at least one function tool in tools.',
      'unsupported_value',
    ],
    [
      'allowed_tools with a bad mode',
      {
        input: 'x',
        tools: [{ type: 'function', name: 'f' }],
        tool_choice: { type: 'allowed_tools', mode: 'none', tools: [] },
      },
      'tool_choice.mode',
      'tool_choice.mode: expected "auto" or "required", got "none".',
      'invalid_value',
    ],
    // --- other fields ---
    [
      'a text.format type',
      { input: 'x', text: { format: { type: 'yaml' } } },
      'text.format.type',
      'text.format.type: expected "text", "json_object" or "json_schema", got "yaml".',
      'invalid_value',
    ],
    [
      'a json_schema without schema',
      { input: 'x', text: { format: { type: 'json_schema', name: 'n' } } },
      'text.format.schema',
      'text.format.schema: a JSON Schema object is required.',
      'missing_required_parameter',
    ],
    [
      'max_output_tokens 0',
      { input: 'x', max_output_tokens: 0 },
      'max_output_tokens',
      'max_output_tokens: expected a positive integer, got 0.',
      'invalid_value',
    ],
    [
      'temperature as text',
      { input: 'x', temperature: 'hot' },
      'temperature',
      'temperature: expected a number, got "hot".',
      'invalid_value',
    ],
    [
      'reasoning.effort a number',
      { input: 'x', reasoning: { effort: 3 } },
      'reasoning.effort',
      'reasoning.effort: expected a string, got 3.',
      'invalid_value',
    ],
    [
      'instructions not a string',
      { input: 'x', instructions: [{ role: 'system' }] },
      'instructions',
      'instructions: expected a string, got an array.',
      'invalid_value',
    ],
    [
      'include with a number',
      { input: 'x', include: [1] },
      'include[0]',
      'include[0]: expected a string, got 1.',
      'invalid_value',
    ],
    [
      'top_logprobs out of range',
      { input: 'x', include: ['message.output_text.logprobs'], top_logprobs: 21 },
      'top_logprobs',
      'top_logprobs: expected an integer between 0 and 20, got 21.',
      'invalid_value',
    ],
    [
      'stream as text',
      { input: 'x', stream: 'yes' },
      'stream',
      'stream: expected a boolean, got "yes".',
      'invalid_value',
    ],
  ])('%s', (_, body, param, message, code) => {
    let error: unknown
    try {
      toChatRequest({ model: 'm', ...body })
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(GatewayError)
    expect(error).toMatchObject({ status: 400, type: 'invalid_request_error', param, message, code })
  })
})

describe('toChatRequest: a Codex CLI request', () => {
  const schema = (properties: Json, required: string[]) => ({
    type: 'object',
    properties,
    required,
    additionalProperties: false,
  })
  const shell = {
    type: 'function',
    name: 'shell',
    description: 'Runs a shell command and returns its output.',
    strict: false,
    parameters: schema({ command: { type: 'array', items: { type: 'string' } }, workdir: { type: 'string' } }, [
      'command',
    ]),
  }
  const updatePlan = {
    type: 'function',
    name: 'update_plan',
    description: 'Updates the task plan.',
    strict: false,
    parameters: schema({ plan: { type: 'array', items: { type: 'object' } } }, ['plan']),
  }
  const viewImage = {
    type: 'function',
    name: 'view_image',
    description: 'Attach a local image.',
    strict: false,
    parameters: schema({ path: { type: 'string' } }, ['path']),
  }
  const spawn = {
    type: 'function',
    name: 'spawn_agent',
    description: 'Start a sub-agent on a task.',
    strict: false,
    parameters: schema({ task: { type: 'string' } }, ['task']),
  }
  const wait = {
    type: 'function',
    name: 'wait_agent',
    description: 'Wait for a sub-agent to finish.',
    parameters: schema({ id: { type: 'string' } }, ['id']),
  }
  const body: Json = {
    model: 'claude-sonnet-4-5',
    instructions: 'You are Codex.',
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions>…</permissions>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Split the work.' }] },
      {
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 'Delegate.' }],
        encrypted_content: sealThinkingBlocks(signed),
      },
      {
        type: 'function_call',
        call_id: 'call_1',
        namespace: 'multi_agent_v1',
        name: 'spawn_agent',
        arguments: '{"task":"tests"}',
      },
      { type: 'function_call_output', call_id: 'call_1', output: '{"id":"agent-1"}' },
    ],
    tools: [
      shell,
      updatePlan,
      viewImage,
      {
        type: 'namespace',
        name: 'multi_agent_v1',
        description: 'Sub-agents working in parallel.',
        tools: [spawn, wait],
      },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'medium', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'thread-1',
  }
  const nested = ({ type: _type, ...fn }: Json): Json => ({ type: 'function', function: fn })

  test('translates cleanly: namespace flattened, its history call named the same way', () => {
    expect(toChatRequest(body)).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'You are Codex.' },
        { role: 'system', content: '<permissions>…</permissions>' },
        user('Split the work.'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [call('call_1', 'multi_agent_v1__spawn_agent', '{"task":"tests"}')],
          reasoning_content: 'Delegate.',
          thinking_blocks: signed,
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"id":"agent-1"}' },
      ],
      tools: [
        nested(shell),
        nested(updatePlan),
        nested(viewImage),
        nested({
          ...spawn,
          name: 'multi_agent_v1__spawn_agent',
          description: 'Sub-agents working in parallel.\n\nStart a sub-agent on a task.',
        }),
        nested({
          ...wait,
          name: 'multi_agent_v1__wait_agent',
          description: 'Sub-agents working in parallel.\n\nWait for a sub-agent to finish.',
        }),
      ],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning_effort: 'medium',
      prompt_cache_key: 'thread-1',
      stream: true,
      stream_options: { include_usage: true },
    })
  })

  test("with Codex's web_search tool: a 400 naming it, and the fix", () => {
    const tools = [...(body.tools as Json[]), { type: 'web_search', external_web_access: false }]
    expect(() => toChatRequest({ ...body, tools })).toThrow(
      'tools[4]: the tool type "web_search" is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.',
    )
  })
})

describe('encrypted reasoning', () => {
  test('seals only what text cannot carry, and reads it back exactly', () => {
    expect(sealThinkingBlocks([{ type: 'thinking', thinking: 'plain' }])).toBeUndefined()
    const blocks = [
      { type: 'thinking' as const, thinking: 'é ünïcode', signature: 'EqQBCkYI' },
      { type: 'redacted_thinking' as const, data: 'EmwKAhgB' },
    ]
    const sealed = sealThinkingBlocks(blocks)!
    expect(sealed.startsWith('crabllm:v1:')).toBe(true)
    expect(sealed).toMatch(/^crabllm:v1:[A-Za-z0-9_-]+$/)
    expect(unsealThinkingBlocks(sealed)).toEqual(blocks)
  })

  test.each([
    ['gAAAAABoOpenAI', 'foreign'],
    [`${SEAL_PREFIX}${Buffer.from('{"a":1}').toString('base64url')}`, 'corrupt'],
    [`${SEAL_PREFIX}${Buffer.from('[{"type":"thinking"}]').toString('base64url')}`, 'corrupt'],
  ])('%s reads as %s', (value, expected) => {
    expect(unsealThinkingBlocks(value)).toBe(expected as 'foreign')
  })
})
