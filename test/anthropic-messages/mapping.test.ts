// The /v1/messages ⇄ chat mapping, one row per field: what each Messages request field becomes in chat
// (carried, or dropped on purpose), the exact 400 for each field that is refused, and what each chat
// answer field becomes in a Message and in a Messages stream.
import { describe, expect, test } from 'bun:test'
import { ChatStreamTranslator, fromChatResponse, toChatRequest } from '../../src/anthropic-messages'
import { GatewayError } from '../../src/core/errors'

type Json = Record<string, unknown>

const base = { model: 'claude-sonnet-4-5', max_tokens: 256 }
const hi = [{ role: 'user', content: 'hi' }]
const user = (content: unknown) => ({ role: 'user', content })
const assistant = (content: unknown) => ({ role: 'assistant', content })
/** The chat request for `{...base, messages: hi}` plus `extra`. */
const chat = (extra: Json = {}): Json => ({
  model: base.model,
  messages: [{ role: 'user', content: 'hi' }],
  max_tokens: 256,
  ...extra,
})
const weather = { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }
const weatherFn = { type: 'function', function: { name: 'get_weather', parameters: weather.input_schema } }
const schema = {
  type: 'object',
  properties: { answer: { type: 'string' } },
  required: ['answer'],
  additionalProperties: false,
}
const jsonSchema = { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } }

describe('toChatRequest: one row per field', () => {
  const rows: [string, Json, Json][] = [
    ['model', {}, chat()],
    ['max_tokens', { max_tokens: 9 }, chat({ max_tokens: 9 })],
    ['system (string)', { system: 'Be brief.' }, chat({ messages: [{ role: 'system', content: 'Be brief.' }, ...hi] })],
    [
      'system (text blocks; cache_control and citations dropped)',
      {
        system: [
          { type: 'text', text: 'a', cache_control: { type: 'ephemeral', ttl: '1h' } },
          { type: 'text', text: 'b', citations: null },
        ],
      },
      chat({ messages: [{ role: 'system', content: 'a\n\nb' }, ...hi] }),
    ],
    [
      'messages: system turns in their place, after the top-level system',
      {
        system: 'You are Claude Code.',
        messages: [
          { role: 'system', content: '<env>cwd: /repo</env>' },
          user('hi'),
          assistant('hello'),
          {
            role: 'system',
            content: [
              { type: 'text', text: 'Deferred tools:' },
              { type: 'text', text: 'WebFetch', cache_control: { type: 'ephemeral' } },
            ],
          },
          user('go'),
        ],
      },
      chat({
        messages: [
          { role: 'system', content: 'You are Claude Code.' },
          { role: 'system', content: '<env>cwd: /repo</env>' },
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
          { role: 'system', content: 'Deferred tools:\n\nWebFetch' },
          { role: 'user', content: 'go' },
        ],
      }),
    ],
    ['messages: an empty system turn is left out', { messages: [{ role: 'system', content: [] }, ...hi] }, chat()],
    ['stream', { stream: true }, chat({ stream: true, stream_options: { include_usage: true } })],
    ['stop_sequences → stop', { stop_sequences: ['END'] }, chat({ stop: ['END'] })],
    ['temperature', { temperature: 0.3 }, chat({ temperature: 0.3 })],
    ['top_p', { top_p: 0.8 }, chat({ top_p: 0.8 })],
    ['top_k (dropped: no chat field)', { top_k: 40 }, chat()],
    ['metadata.user_id → user', { metadata: { user_id: 'u-1' } }, chat({ user: 'u-1' })],
    [
      'tools (cache_control, eager_input_streaming, defer_loading dropped; strict kept)',
      {
        tools: [
          {
            ...weather,
            description: 'Weather',
            strict: true,
            cache_control: { type: 'ephemeral' },
            eager_input_streaming: true,
            defer_loading: true,
            allowed_callers: ['direct'],
          },
        ],
      },
      chat({
        tools: [{ type: 'function', function: { ...weatherFn.function, description: 'Weather', strict: true } }],
      }),
    ],
    [
      'tools: input_examples → the description',
      { tools: [{ ...weather, description: 'Weather', input_examples: [{ city: 'Paris' }, { city: 'Oslo' }] }] },
      chat({
        tools: [
          {
            type: 'function',
            function: {
              ...weatherFn.function,
              description: 'Weather\n\nExample inputs:\n{"city":"Paris"}\n{"city":"Oslo"}',
            },
          },
        ],
      }),
    ],
    [
      'tools: tool search tools dropped (every tool is declared)',
      {
        tools: [
          { type: 'tool_search_tool_regex_20251119', name: 'tool_search_tool_regex' },
          { ...weather, defer_loading: true },
        ],
      },
      chat({ tools: [weatherFn] }),
    ],
    [
      'tool_choice none',
      { tools: [weather], tool_choice: { type: 'none' } },
      chat({ tools: [weatherFn], tool_choice: 'none' }),
    ],
    [
      'tool_choice disable_parallel_tool_use',
      { tools: [weather], tool_choice: { type: 'any', disable_parallel_tool_use: true } },
      chat({ tools: [weatherFn], tool_choice: 'required', parallel_tool_calls: false }),
    ],
    [
      'thinking enabled, small budget → low',
      { thinking: { type: 'enabled', budget_tokens: 1024 } },
      chat({ reasoning_effort: 'low' }),
    ],
    [
      'thinking enabled, 10000 → medium',
      { thinking: { type: 'enabled', budget_tokens: 10000 } },
      chat({ reasoning_effort: 'medium' }),
    ],
    [
      'thinking enabled, 31999 → high (display dropped)',
      { thinking: { type: 'enabled', budget_tokens: 31999, display: 'omitted' } },
      chat({ reasoning_effort: 'high' }),
    ],
    ['thinking adaptive → medium', { thinking: { type: 'adaptive' } }, chat({ reasoning_effort: 'medium' })],
    ['thinking disabled → nothing', { thinking: { type: 'disabled' } }, chat()],
    ['output_config.effort', { output_config: { effort: 'low' } }, chat({ reasoning_effort: 'low' })],
    ['output_config.effort xhigh → high', { output_config: { effort: 'xhigh' } }, chat({ reasoning_effort: 'high' })],
    ['output_config.effort max → high', { output_config: { effort: 'max' } }, chat({ reasoning_effort: 'high' })],
    [
      'output_config.effort wins over the thinking budget',
      { thinking: { type: 'enabled', budget_tokens: 30000 }, output_config: { effort: 'low' } },
      chat({ reasoning_effort: 'low' }),
    ],
    [
      'thinking disabled wins over output_config.effort',
      { thinking: { type: 'disabled' }, output_config: { effort: 'high' } },
      chat(),
    ],
    [
      'output_config.format → response_format',
      { output_config: { format: { type: 'json_schema', schema } } },
      chat({ response_format: jsonSchema }),
    ],
    [
      'output_format (beta) → response_format',
      { output_format: { type: 'json_schema', schema } },
      chat({ response_format: jsonSchema }),
    ],
    ['output_config with null fields', { output_config: { format: null, effort: null } }, chat()],
    ['cache_control (dropped: a hint)', { cache_control: { type: 'ephemeral' } }, chat()],
    ['context_management (dropped)', { context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } }, chat()],
    ['container (dropped)', { container: 'cntr_1' }, chat()],
    ['service_tier and speed (dropped)', { service_tier: 'standard_only', speed: 'fast' }, chat()],
    ['diagnostics (dropped)', { diagnostics: { previous_message_id: 'msg_1' } }, chat()],
    [
      'fallbacks, fallback_credit_token, billing_policy (dropped)',
      { fallbacks: 'default', fallback_credit_token: 't', billing_policy: { type: 'billing_policy' } },
      chat(),
    ],
    ['mcp_servers empty, inference_geo null (nothing to serve)', { mcp_servers: [], inference_geo: null }, chat()],
    ['an unknown field is ignored', { some_future_field: { x: 1 } }, chat()],
    [
      'assistant thinking without signatures → reasoning_content only',
      {
        messages: [
          user('q'),
          assistant([
            { type: 'thinking', thinking: 'one' },
            { type: 'thinking', thinking: 'two', signature: '' },
            { type: 'text', text: 'a' },
          ]),
        ],
      },
      chat({
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'a', reasoning_content: 'one\n\ntwo' },
        ],
      }),
    ],
    [
      'assistant thinking + tool_use → reasoning_content, thinking_blocks, tool_calls',
      {
        messages: [
          user('q'),
          assistant([
            { type: 'thinking', thinking: 'Paris first.', signature: 'EqQBCkYIBRgCKkA' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' }, cache_control: null },
          ]),
        ],
      },
      chat({
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: null,
            reasoning_content: 'Paris first.',
            thinking_blocks: [{ type: 'thinking', thinking: 'Paris first.', signature: 'EqQBCkYIBRgCKkA' }],
            tool_calls: [
              { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            ],
          },
        ],
      }),
    ],
    [
      'search_result → text',
      {
        messages: [
          user([
            {
              type: 'search_result',
              title: 'Grass',
              source: 'https://example.com/grass',
              content: [{ type: 'text', text: 'Grass is green.' }],
              citations: { enabled: true },
            },
            { type: 'text', text: 'Colour?' },
          ]),
        ],
      },
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Grass\nhttps://example.com/grass\n\nGrass is green.' },
              { type: 'text', text: 'Colour?' },
            ],
          },
        ],
      }),
    ],
    [
      'document: title and context head the text; a PDF context is a text part before the file',
      {
        messages: [
          user([
            {
              type: 'document',
              source: { type: 'text', media_type: 'text/plain', data: 'body' },
              title: 'T',
              context: 'C',
              citations: { enabled: true },
            },
            {
              type: 'document',
              source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
              title: 'r.pdf',
              context: 'Q3 report',
            },
          ]),
        ],
      },
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'T\n\nC\n\nbody' },
              { type: 'text', text: 'Q3 report' },
              { type: 'file', file: { filename: 'r.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
            ],
          },
        ],
      }),
    ],
    [
      'image sources: base64 and url (transformations and cache_control dropped)',
      {
        messages: [
          user([
            {
              type: 'image',
              source: { type: 'base64', media_type: 'image/png', data: 'iVBO' },
              transformations: { oversized_image: 'error' },
            },
            { type: 'image', source: { type: 'url', url: 'https://x/y.png' }, cache_control: { type: 'ephemeral' } },
          ]),
        ],
      },
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBO' } },
              { type: 'image_url', image_url: { url: 'https://x/y.png' } },
            ],
          },
        ],
      }),
    ],
    [
      'tool_result: search_result and tool_reference → text',
      {
        messages: [
          user('q'),
          assistant([{ type: 'tool_use', id: 't1', name: 'ToolSearch', input: {} }]),
          user([
            {
              type: 'tool_result',
              tool_use_id: 't1',
              cache_control: { type: 'ephemeral' },
              content: [
                { type: 'tool_reference', tool_name: 'WebFetch' },
                { type: 'search_result', title: 'T', source: 's', content: [{ type: 'text', text: 'x' }] },
              ],
            },
          ]),
        ],
      },
      chat({
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'ToolSearch', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 't1', content: 'Tool "WebFetch" is available.\n\nT\ns\n\nx' },
        ],
      }),
    ],
  ]
  for (const [name, extra, expected] of rows)
    test(name, () => {
      expect(toChatRequest({ ...base, messages: hi, ...extra })).toEqual(expected)
    })
})

describe('toChatRequest: every refusal, its exact message', () => {
  const refusals: [string, Json, string][] = [
    [
      'an unknown role',
      { messages: [{ role: 'ctx', content: 'x' }] },
      'messages.0.role: expected "user", "assistant" or "system", got "ctx"',
    ],
    [
      'a system turn with an image',
      { messages: [{ role: 'system', content: [{ type: 'image' }] }] },
      'messages.0.content.0.type: only text blocks are allowed in system, got "image"',
    ],
    [
      'mcp_servers',
      { mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'x' }] },
      "mcp_servers: Anthropic's MCP connector cannot be served by an OpenAI-format deployment; declare the MCP tools as custom tools",
    ],
    [
      'inference_geo',
      { inference_geo: 'us' },
      'inference_geo: an OpenAI-format deployment cannot be pinned to an Anthropic inference region',
    ],
    [
      'compaction',
      { compaction: { type: 'summarize' } },
      'compaction: compaction requests cannot be served by an OpenAI-format deployment',
    ],
    [
      'thread',
      { thread: { type: 'continue', previous_message_id: 'msg_1' } },
      'thread: server-held threads cannot be served by an OpenAI-format deployment; send the whole conversation',
    ],
    [
      'output_config.task_budget',
      { output_config: { task_budget: { type: 'tokens', total: 1000 } } },
      'output_config.task_budget: cannot be served by an OpenAI-format deployment; only format and effort can',
    ],
    [
      'output_config.format of another type',
      { output_config: { format: { type: 'json_object' } } },
      'output_config.format.type: expected "json_schema", got "json_object"',
    ],
    [
      'output_config.format without a schema',
      { output_config: { format: { type: 'json_schema' } } },
      'output_config.format.schema: expected an object',
    ],
    [
      'output_config.effort unknown',
      { output_config: { effort: 'extreme' } },
      'output_config.effort: expected one of "low", "medium", "high", "xhigh", "max"',
    ],
    [
      'output_format and output_config.format together',
      { output_format: { type: 'json_schema', schema }, output_config: { format: { type: 'json_schema', schema } } },
      'output_format: send either output_format or output_config.format, not both',
    ],
    [
      'thinking of an unknown type',
      { thinking: { type: 'sometimes' } },
      'thinking.type: expected "enabled", "adaptive", "between_tools" or "disabled", got "sometimes"',
    ],
    [
      'thinking enabled without a budget',
      { thinking: { type: 'enabled' } },
      'thinking.budget_tokens: a positive integer is required',
    ],
    [
      'thinking in a user turn',
      { messages: [user([{ type: 'thinking', thinking: 'x', signature: 's' }])] },
      'messages.0.content.0.type: thinking blocks belong in assistant messages',
    ],
    [
      'a thinking block whose signature is not a string',
      { messages: [user('q'), assistant([{ type: 'thinking', thinking: 'x', signature: 5 }])] },
      'messages.1.content.0.signature: expected a string',
    ],
    [
      'a redacted_thinking block without data',
      { messages: [user('q'), assistant([{ type: 'redacted_thinking' }])] },
      'messages.1.content.0.data: expected a string',
    ],
    [
      'a tool only code execution may call',
      { tools: [{ ...weather, allowed_callers: ['code_execution_20250825'] }] },
      'tools.0.allowed_callers: a tool only code execution may call cannot be served by an OpenAI-format deployment; allow "direct"',
    ],
    [
      'a server tool',
      { tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] },
      'tools.0.type: the Anthropic-defined tool "web_search_20250305" (web_search) cannot be served by an OpenAI-format deployment; declare it as a custom tool with an input_schema',
    ],
    [
      'code execution',
      { tools: [{ type: 'code_execution_20250825', name: 'code_execution' }] },
      'tools.0.type: the Anthropic-defined tool "code_execution_20250825" (code_execution) cannot be served by an OpenAI-format deployment; declare it as a custom tool with an input_schema',
    ],
    [
      'the text editor tool',
      { tools: [{ type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' }] },
      'tools.0.type: the Anthropic-defined tool "text_editor_20250728" (str_replace_based_edit_tool) cannot be served by an OpenAI-format deployment; declare it as a custom tool with an input_schema',
    ],
    [
      'a document by URL',
      { messages: [user([{ type: 'document', source: { type: 'url', url: 'https://x/a.pdf' } }])] },
      'messages.0.content.0.source.type: document sources of type "url" cannot be sent to an OpenAI-format deployment; send the text, or a base64 PDF',
    ],
    [
      'an image by file id',
      { messages: [user([{ type: 'image', source: { type: 'file', file_id: 'file_1' } }])] },
      'messages.0.content.0.source.type: image sources of type "file" cannot be sent to an OpenAI-format deployment; use "base64" or "url"',
    ],
    [
      'a server_tool_use block',
      {
        messages: [user('q'), assistant([{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }])],
      },
      'messages.1.content.0.type: content blocks of type "server_tool_use" cannot be sent to an OpenAI-format deployment',
    ],
    [
      'a tool_result with a browser_state block',
      { messages: [user([{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'browser_state', tabs: [] }] }])] },
      'messages.0.content.0.content.0.type: content blocks of type "browser_state" cannot be sent to an OpenAI-format deployment',
    ],
    [
      'a search_result without a title',
      { messages: [user([{ type: 'search_result', source: 's', content: [] }])] },
      'messages.0.content.0.title: expected a string',
    ],
  ]
  for (const [name, extra, message] of refusals)
    test(name, () => {
      let thrown: unknown
      try {
        toChatRequest({ ...base, messages: hi, ...extra })
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(GatewayError)
      const error = thrown as GatewayError
      expect(error.status).toBe(400)
      expect(error.message).toBe(message)
      expect(error.param).toBe(message.slice(0, message.indexOf(':')))
    })
})

describe('fromChatResponse: one row per answer field', () => {
  const completion = (message: Json, finish = 'stop'): Json => ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  })
  const call = { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }
  const rows: [string, Json, unknown[]][] = [
    ['content → text', { content: 'hi' }, [{ type: 'text', text: 'hi' }]],
    ['refusal → text', { content: null, refusal: 'I cannot.' }, [{ type: 'text', text: 'I cannot.' }]],
    [
      'reasoning_content → a thinking block first (signature "")',
      { content: 'hi', reasoning_content: 'Hmm.' },
      [
        { type: 'thinking', thinking: 'Hmm.', signature: '' },
        { type: 'text', text: 'hi' },
      ],
    ],
    [
      'reasoning (OpenRouter, vLLM) → thinking',
      { content: 'hi', reasoning: 'Hmm.' },
      [
        { type: 'thinking', thinking: 'Hmm.', signature: '' },
        { type: 'text', text: 'hi' },
      ],
    ],
    [
      'thinking_blocks → thinking and redacted_thinking, signatures kept, before text and tool_use',
      {
        content: 'hi',
        reasoning_content: 'Hmm.',
        thinking_blocks: [
          { type: 'thinking', thinking: 'Hmm.', signature: 'sig-1' },
          { type: 'redacted_thinking', data: 'EmwKAhgB' },
        ],
        tool_calls: [call],
      },
      [
        { type: 'thinking', thinking: 'Hmm.', signature: 'sig-1' },
        { type: 'redacted_thinking', data: 'EmwKAhgB' },
        { type: 'text', text: 'hi' },
        { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
      ],
    ],
    [
      'only redacted thinking_blocks: reasoning_content is a thinking block before them',
      { content: 'hi', reasoning_content: 'Hmm.', thinking_blocks: [{ type: 'redacted_thinking', data: 'x' }] },
      [
        { type: 'thinking', thinking: 'Hmm.', signature: '' },
        { type: 'redacted_thinking', data: 'x' },
        { type: 'text', text: 'hi' },
      ],
    ],
    [
      'a thinking block without a signature gets ""; malformed entries are skipped',
      { content: 'hi', thinking_blocks: [{ type: 'thinking', thinking: 'a' }, { type: 'thinking' }, 'x', null] },
      [
        { type: 'thinking', thinking: 'a', signature: '' },
        { type: 'text', text: 'hi' },
      ],
    ],
    [
      'tool_calls → tool_use',
      { content: null, tool_calls: [call] },
      [{ type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } }],
    ],
  ]
  for (const [name, message, content] of rows)
    test(name, () => {
      expect(fromChatResponse(completion(message), 'claude-x').content).toEqual(content as never)
    })
})

// --- streams ---

const encoder = new TextEncoder()
const chunk = (delta: Json, finish: string | null = null): Json => ({
  id: 'chatcmpl-s',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta, finish_reason: finish }],
})
const sse = (chunks: Json[]) => `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`
const signed = (signature: string): Json => ({ thinking_blocks: [{ type: 'thinking', thinking: '', signature }] })

function translate(text: string, cuts: number[] = []): string {
  const bytes = encoder.encode(text)
  const t = new ChatStreamTranslator('claude-x')
  let out = ''
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    out += t.push(bytes.subarray(from, cut))
    from = cut
  }
  return out + t.end()
}

/** The events between message_start and message_delta, checked for Anthropic's block grammar. */
function blockEvents(out: string): Json[] {
  const events = out
    .split('\n\n')
    .filter((f) => f !== '')
    .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as Json)
  expect(events[0]?.type).toBe('message_start')
  expect(events.at(-2)?.type).toBe('message_delta')
  expect(events.at(-1)?.type).toBe('message_stop')
  const inner = events.slice(1, -2)
  let open: Json | null = null
  let next = 0
  const deltas: Record<string, string[]> = {
    text: ['text_delta'],
    thinking: ['thinking_delta', 'signature_delta'],
    tool_use: ['input_json_delta'],
    redacted_thinking: [],
  }
  for (const event of inner) {
    if (event.type === 'content_block_start') {
      expect(open).toBeNull()
      expect(event.index).toBe(next++)
      open = event.content_block as Json
    } else if (event.type === 'content_block_delta') {
      expect(event.index).toBe(next - 1)
      expect(deltas[open?.type as string]).toContain((event.delta as Json).type as string)
    } else {
      expect(event).toEqual({ type: 'content_block_stop', index: next - 1 })
      open = null
    }
  }
  expect(open).toBeNull()
  return inner
}

/** The blocks the events build, as an SDK would accumulate them. */
function blocksOf(events: Json[]): Json[] {
  const blocks: Json[] = []
  const json: string[] = []
  for (const event of events) {
    if (event.type === 'content_block_start') {
      blocks.push({ ...(event.content_block as Json) })
      json.push('')
    } else if (event.type === 'content_block_delta') {
      const i = event.index as number
      const block = blocks[i] as Json
      const delta = event.delta as Json
      if (delta.type === 'text_delta') block.text = `${block.text}${delta.text}`
      else if (delta.type === 'thinking_delta') block.thinking = `${block.thinking}${delta.thinking}`
      else if (delta.type === 'signature_delta') block.signature = delta.signature
      else json[i] += delta.partial_json as string
    }
  }
  return blocks.map((b, i) => (b.type === 'tool_use' ? { ...b, input: JSON.parse(json[i] || '{}') } : b))
}

describe('ChatStreamTranslator: one row per delta field', () => {
  const rows: [string, Json[], Json[]][] = [
    [
      'content → a text block',
      [chunk({ content: 'a' }), chunk({ content: 'b' }), chunk({}, 'stop')],
      [{ type: 'text', text: 'ab' }],
    ],
    ['refusal → a text block', [chunk({ refusal: 'No.' }), chunk({}, 'stop')], [{ type: 'text', text: 'No.' }]],
    [
      'reasoning_content → a thinking block before the text',
      [
        chunk({ reasoning_content: 'Hm' }),
        chunk({ reasoning_content: 'm.' }),
        chunk({ content: 'Hi' }),
        chunk({}, 'stop'),
      ],
      [
        { type: 'thinking', thinking: 'Hmm.', signature: '' },
        { type: 'text', text: 'Hi' },
      ],
    ],
    [
      'reasoning (OpenRouter, vLLM) → a thinking block',
      [chunk({ reasoning: 'Hmm.' }), chunk({ content: 'Hi' }), chunk({}, 'stop')],
      [
        { type: 'thinking', thinking: 'Hmm.', signature: '' },
        { type: 'text', text: 'Hi' },
      ],
    ],
    [
      'thinking_blocks[].signature → signature_delta',
      [chunk({ reasoning_content: 'Hmm.' }), chunk(signed('sig-1')), chunk({ content: 'Hi' }), chunk({}, 'stop')],
      [
        { type: 'thinking', thinking: 'Hmm.', signature: 'sig-1' },
        { type: 'text', text: 'Hi' },
      ],
    ],
    [
      'LiteLLM repeats the piece in thinking_blocks: read once',
      [
        chunk({ reasoning_content: 'Hm', thinking_blocks: [{ type: 'thinking', thinking: 'Hm', signature: null }] }),
        chunk({ reasoning_content: 'm.', thinking_blocks: [{ type: 'thinking', thinking: 'm.' }] }),
        chunk({ reasoning_content: '', ...signed('sig-1') }),
        chunk({ content: 'Hi' }),
        chunk({}, 'stop'),
      ],
      [
        { type: 'thinking', thinking: 'Hmm.', signature: 'sig-1' },
        { type: 'text', text: 'Hi' },
      ],
    ],
    [
      'thinking_blocks text without reasoning_content, and a signature-only block (omitted display)',
      [
        chunk({ thinking_blocks: [{ type: 'thinking', thinking: 'Hmm.', signature: 's1' }] }),
        chunk(signed('s2')),
        chunk({ content: 'Hi' }),
        chunk({}, 'stop'),
      ],
      [
        { type: 'thinking', thinking: 'Hmm.', signature: 's1' },
        { type: 'thinking', thinking: '', signature: 's2' },
        { type: 'text', text: 'Hi' },
      ],
    ],
    [
      'redacted_thinking → a redacted_thinking block',
      [
        chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: 'EmwKAhgB' }] }),
        chunk({ content: 'Hi' }),
        chunk({}, 'stop'),
      ],
      [
        { type: 'redacted_thinking', data: 'EmwKAhgB' },
        { type: 'text', text: 'Hi' },
      ],
    ],
    [
      'reasoning after a signature is a new thinking block',
      [
        chunk({ reasoning_content: 'one' }),
        chunk(signed('s1')),
        chunk({ reasoning_content: 'two' }),
        chunk(signed('s2')),
        chunk({}, 'stop'),
      ],
      [
        { type: 'thinking', thinking: 'one', signature: 's1' },
        { type: 'thinking', thinking: 'two', signature: 's2' },
      ],
    ],
    [
      'interleaved: thinking, tool call, thinking, text, tool call',
      [
        chunk({ reasoning_content: 'Weather first.' }),
        chunk(signed('s1')),
        chunk({
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'w', arguments: '{"c":' } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({ reasoning_content: 'Now time.' }),
        chunk({ content: 'Checking.' }),
        chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 't', arguments: '{}' } }] }),
        chunk({}, 'tool_calls'),
      ],
      [
        { type: 'thinking', thinking: 'Weather first.', signature: 's1' },
        { type: 'tool_use', id: 'call_1', name: 'w', input: { c: 'Paris' } },
        { type: 'thinking', thinking: 'Now time.', signature: '' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_2', name: 't', input: {} },
      ],
    ],
    [
      'a signature that arrives while a tool call holds the stream waits with its block',
      [
        chunk({
          tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'w', arguments: '{"c":' } }],
        }),
        chunk({ reasoning_content: 'Hmm.' }),
        chunk(signed('s1')),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
        chunk({}, 'tool_calls'),
      ],
      [
        { type: 'tool_use', id: 'call_1', name: 'w', input: { c: 1 } },
        { type: 'thinking', thinking: 'Hmm.', signature: 's1' },
      ],
    ],
  ]
  for (const [name, chunks, blocks] of rows)
    test(name, () => {
      expect(blocksOf(blockEvents(translate(sse(chunks))))).toEqual(blocks)
    })

  test('exact events of a signed thinking block, then text', () => {
    const events = blockEvents(
      translate(
        sse([
          chunk({ reasoning_content: 'Hmm.' }),
          chunk(signed('sig-1')),
          chunk({ content: 'Hi' }),
          chunk({}, 'stop'),
        ]),
      ),
    )
    expect(events).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm.' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig-1' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'content_block_stop', index: 1 },
    ])
  })

  test('the same output at every byte boundary', () => {
    const text = sse([
      chunk({ reasoning_content: 'Hmm… 🤔' }),
      chunk(signed('sig-1')),
      chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: 'x' }] }),
      chunk({ content: 'Hi' }),
      chunk({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ])
    const whole = translate(text)
    for (let cut = 0; cut <= encoder.encode(text).length; cut++) expect(translate(text, [cut])).toBe(whole)
  })
})
