// Thinking across /v1/messages ⇄ chat: a Messages conversation with signed thinking, redacted thinking
// and tool use goes to chat and back with every signature intact, and the official @anthropic-ai/sdk,
// talking to a local server that answers with the translators' output, reassembles the thinking block.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { ChatStreamTranslator, fromChatResponse, toChatRequest } from '../../src/anthropic-messages'
import { translateStream } from '../../src/sse'

type Json = Record<string, unknown>

const SIG_1 = 'EqQBCkYIBRgCKkCx3vPJ0aZ+signature/one=='
const SIG_2 = 'ErUBCkYIBhgCKkDq9/signature+two=='
const REDACTED = 'EmwKAhgBEgy3va3pzix/redacted=='

const question = { role: 'user' as const, content: 'Weather in Paris, then the time?' }
/** An assistant turn as Claude answers it: signed thinking, redacted thinking, text, a tool call. */
const firstTurn = {
  role: 'assistant' as const,
  content: [
    { type: 'thinking' as const, thinking: 'Weather first.', signature: SIG_1 },
    { type: 'redacted_thinking' as const, data: REDACTED },
    { type: 'text' as const, text: 'Checking.' },
    { type: 'tool_use' as const, id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
  ],
}
const toolResult = {
  role: 'user' as const,
  content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_01', content: '18°C' }],
}
const tools = [
  { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } },
  { name: 'get_time', input_schema: { type: 'object' as const, properties: {} } },
]
const request = {
  model: 'claude-gateway-test',
  max_tokens: 4096,
  thinking: { type: 'enabled' as const, budget_tokens: 2048 },
  tools,
  messages: [question, firstTurn, toolResult],
}

/** The chat answer a chat translator (Anthropic's, Gemini's) gives for the next turn. */
const chatAnswer = {
  id: 'chatcmpl-rt',
  object: 'chat.completion',
  created: 1,
  model: 'upstream',
  choices: [
    {
      index: 0,
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: null,
        reasoning_content: 'Now the time.',
        thinking_blocks: [{ type: 'thinking', thinking: 'Now the time.', signature: SIG_2 }],
        tool_calls: [{ id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '{}' } }],
      },
    },
  ],
  usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
}

/** The same answer streamed as a chat translator streams it. */
const chatStream = [
  { reasoning_content: 'Now ' },
  { reasoning_content: 'the time.' },
  { thinking_blocks: [{ type: 'thinking', thinking: '', signature: SIG_2 }] },
  { tool_calls: [{ index: 0, id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '' } }] },
  { tool_calls: [{ index: 0, function: { arguments: '{}' } }] },
]
  .map((delta, i, all) => ({
    id: 'chatcmpl-rt',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: i === all.length - 1 ? 'tool_calls' : null }],
  }))
  .concat([
    {
      id: 'chatcmpl-rt',
      object: 'chat.completion.chunk',
      choices: [],
      usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
    } as never,
  ])
  .map((c) => `data: ${JSON.stringify(c)}\n\n`)
  .join('')
  .concat('data: [DONE]\n\n')

const secondTurnContent = [
  { type: 'thinking', thinking: 'Now the time.', signature: SIG_2 },
  { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} },
]

/** The chat assistant message toChatRequest makes of an assistant turn (the last one of `messages`). */
function chatAssistantOf(messages: unknown[]): Json {
  const chat = toChatRequest({ ...request, messages })
  const assistants = (chat.messages as Json[]).filter((m) => m.role === 'assistant')
  return assistants.at(-1) as Json
}

describe('round trip: Messages → chat → (a chat translator answers) → Messages', () => {
  test('the request carries thinking, signatures and redacted blocks to chat', () => {
    const chat = toChatRequest(request)
    expect(chat.reasoning_effort).toBe('low')
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris, then the time?' },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning_content: 'Weather first.',
        thinking_blocks: [
          { type: 'thinking', thinking: 'Weather first.', signature: SIG_1 },
          { type: 'redacted_thinking', data: REDACTED },
        ],
        tool_calls: [
          { id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: '18°C' },
    ])
  })

  test('the answer comes back with its signature, and goes out again unchanged', () => {
    const message = fromChatResponse(chatAnswer, 'claude-gateway-test')
    expect(message.content).toEqual(secondTurnContent as never)
    expect(message.stop_reason).toBe('tool_use')
    // The client sends the answer back as the next assistant turn: chat sees the blocks the translator gave.
    const next = chatAssistantOf([question, firstTurn, toolResult, { role: 'assistant', content: message.content }])
    expect(next).toEqual({
      role: 'assistant',
      content: null,
      reasoning_content: chatAnswer.choices[0]?.message.reasoning_content,
      thinking_blocks: chatAnswer.choices[0]?.message.thinking_blocks,
      tool_calls: chatAnswer.choices[0]?.message.tool_calls,
    })
  })
})

describe('the official SDK against a local server answering with the translators', () => {
  let server: ReturnType<typeof Bun.serve>
  let client: Anthropic
  const received: Json[] = []

  beforeAll(() => {
    server = Bun.serve({
      port: 0,
      async fetch(req) {
        const body = (await req.json()) as Json
        received.push(toChatRequest(body))
        const model = body.model as string
        if (body.stream !== true) return Response.json(fromChatResponse(chatAnswer, model))
        const upstream = new ReadableStream<Uint8Array>({
          start(controller) {
            const bytes = new TextEncoder().encode(chatStream)
            for (let i = 0; i < bytes.length; i += 11) controller.enqueue(bytes.subarray(i, i + 11))
            controller.close()
          },
        })
        return new Response(translateStream(upstream, new ChatStreamTranslator(model)), {
          headers: { 'content-type': 'text/event-stream' },
        })
      },
    })
    client = new Anthropic({ apiKey: 'test', baseURL: server.url.origin, maxRetries: 0 })
  })
  afterAll(() => server.stop(true))

  test('messages.stream(...).finalMessage(): thinking with its signature, then the tool call', async () => {
    const stream = client.messages.stream(request)
    const thinking: string[] = []
    const signatures: string[] = []
    stream.on('thinking', (delta) => thinking.push(delta))
    stream.on('signature', (signature) => signatures.push(signature))
    const message = await stream.finalMessage()
    expect(thinking.join('')).toBe('Now the time.')
    expect(signatures).toEqual([SIG_2])
    expect(message).toMatchObject({
      id: 'msg_chatcmpl-rt',
      role: 'assistant',
      model: 'claude-gateway-test',
      content: secondTurnContent,
      stop_reason: 'tool_use',
      usage: { input_tokens: 50, output_tokens: 20 },
    })
    // What the server read: the thinking, signatures and redacted block of the history.
    const sent = received.at(-1) as Json
    expect(sent.stream).toBe(true)
    expect((sent.messages as Json[])[1]?.thinking_blocks).toEqual([
      { type: 'thinking', thinking: 'Weather first.', signature: SIG_1 },
      { type: 'redacted_thinking', data: REDACTED },
    ])
    // And the streamed answer, sent back, keeps its signature.
    expect(
      chatAssistantOf([...request.messages, { role: 'assistant', content: message.content }]).thinking_blocks,
    ).toEqual([{ type: 'thinking', thinking: 'Now the time.', signature: SIG_2 }])
  })

  test('messages.create(...): the same content', async () => {
    const message = await client.messages.create(request)
    expect(message.content).toEqual(secondTurnContent as never)
  })
})
