// The Vercel AI SDK as users point it at the gateway: `createOpenAI({ baseURL })` and its default
// `openai(model)`, which speaks the Responses API. generateText, streamText and a tool loop, onto an
// openai deployment (bytes through) and an anthropic one (Responses translated through chat to Claude's
// Messages API); and a second turn whose assistant text the SDK sends as an `item_reference` (it does
// with store on), which the gateway resolves from the responses it stored.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createOpenAI } from '@ai-sdk/openai'
import { generateText, isStepCount, streamText, tool } from 'ai'
import { z } from 'zod'
import { anthropicMessage, anthropicTextStream } from '../support/anthropic-wire'
import { provider, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../support/mock-upstream'
import { responseEvents, responseObject } from '../support/responses-wire'

const KEY = 'sk-ai-sdk-0123456789abcdefghij'
let openaiUp: MockUpstream
let claudeUp: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  openaiUp = await startMockUpstream()
  claudeUp = await startMockUpstream()
  gw = await startGateway(`
[[keys]]
name = "app"
key = "${KEY}"
${provider('oai', openaiUp.url, ['gpt-x'])}
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${claudeUp.url}/v1"
models = ["claude-x"]
[aliases]
smart = "claude-x"
`)
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await openaiUp.close()
  await claudeUp.close()
})

const openai = () => createOpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1` })

const weather = tool({
  description: 'The weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, sky: 'clear' }),
})

describe('onto an openai deployment (Responses bytes through)', () => {
  test('generateText', async () => {
    openaiUp.enqueue({ json: responseObject({ text: 'Hello from gpt', usage: { input: 11, output: 4 } }) })
    const result = await generateText({ model: openai()('gpt-x'), prompt: 'Say hello' })
    expect(result.text).toBe('Hello from gpt')
    expect(result.usage.inputTokens).toBe(11)
    expect(result.usage.outputTokens).toBe(4)
    expect(openaiUp.requests.at(-1)!.path).toBe('/v1/responses')
  })

  test('streamText', async () => {
    openaiUp.enqueue({ sse: responseEvents({ text: 'one two three' }, ['one ', 'two ', 'three']) })
    const result = streamText({ model: openai()('gpt-x'), prompt: 'Count' })
    const pieces: string[] = []
    for await (const piece of result.textStream) pieces.push(piece)
    expect(pieces.join('')).toBe('one two three')
    expect(pieces.length).toBeGreaterThanOrEqual(3)
  })

  test('a tool loop: the call, the tool runs, its output goes back, the final answer', async () => {
    openaiUp.enqueue(
      { json: responseObject({ calls: [{ name: 'weather', arguments: '{"city":"Paris"}', call_id: 'call_w1' }] }) },
      { json: responseObject({ text: 'It is clear in Paris.' }) },
    )
    const result = await generateText({
      model: openai()('gpt-x'),
      prompt: 'Weather in Paris?',
      tools: { weather },
      stopWhen: isStepCount(3),
    })
    expect(result.text).toBe('It is clear in Paris.')
    const second = openaiUp.requests.at(-1)!.json()
    expect(second.input).toContainEqual({
      type: 'function_call_output',
      call_id: 'call_w1',
      output: JSON.stringify({ city: 'Paris', sky: 'clear' }),
    })
  })

  test("a second turn's item_reference is resolved from the stored response", async () => {
    openaiUp.enqueue({ json: responseObject({ text: 'I am a gateway test.' }) })
    const first = await generateText({ model: openai()('gpt-x'), prompt: 'Who are you?' })
    openaiUp.enqueue({ json: responseObject({ text: 'Yes.' }) })
    const bodies: string[] = []
    const watched = createOpenAI({
      apiKey: KEY,
      baseURL: `${gw.url}/v1`,
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        bodies.push(String(init?.body))
        return fetch(url, init)
      }) as typeof fetch,
    })
    await generateText({
      model: watched('gpt-x'),
      messages: [
        { role: 'user', content: 'Who are you?' },
        ...first.response.messages,
        { role: 'user', content: 'Sure?' },
      ],
    })
    // The SDK named the first answer's message by reference; the upstream got the message itself.
    expect(bodies[0]).toContain('"type":"item_reference"')
    const sent = openaiUp.requests.at(-1)!.json()
    expect(JSON.stringify(sent.input)).not.toContain('item_reference')
    expect(sent.input).toContainEqual({ type: 'message', role: 'assistant', content: 'I am a gateway test.' })
  })
})

const USAGE = { input_tokens: 21, output_tokens: 6 }
const claudeMessage = (content: unknown[], stop = 'end_turn') => anthropicMessage(content, USAGE, stop)

describe('onto an anthropic deployment (Responses → chat → Messages)', () => {
  const lastClaude = (): RecordedRequest => claudeUp.requests.at(-1)!

  test('generateText through an alias', async () => {
    claudeUp.enqueue({ json: claudeMessage([{ type: 'text', text: 'Hello from Claude' }]) })
    const result = await generateText({ model: openai()('smart'), system: 'Be brief.', prompt: 'Say hello' })
    expect(result.text).toBe('Hello from Claude')
    expect(result.usage.inputTokens).toBe(21)
    const sent = lastClaude().json()
    expect(lastClaude().path).toBe('/v1/messages')
    expect(sent.model).toBe('claude-x')
    expect(JSON.stringify(sent.system)).toContain('Be brief.')
  })

  test('streamText', async () => {
    claudeUp.enqueue({ sse: anthropicTextStream(['Hi ', 'from ', 'Claude'], USAGE) })
    const result = streamText({ model: openai()('smart'), prompt: 'Greet' })
    const pieces: string[] = []
    for await (const piece of result.textStream) pieces.push(piece)
    expect(pieces.join('')).toBe('Hi from Claude')
    expect((await result.usage).outputTokens).toBe(6)
  })

  test('a tool loop onto Claude', async () => {
    claudeUp.enqueue(
      {
        json: claudeMessage(
          [{ type: 'tool_use', id: 'toolu_01', name: 'weather', input: { city: 'Oslo' } }],
          'tool_use',
        ),
      },
      { json: claudeMessage([{ type: 'text', text: 'Clear skies in Oslo.' }]) },
    )
    const result = await generateText({
      model: openai()('smart'),
      prompt: 'Weather in Oslo?',
      tools: { weather },
      stopWhen: isStepCount(3),
    })
    expect(result.text).toBe('Clear skies in Oslo.')
    const second = lastClaude().json()
    const toolResult = second.messages.at(-1).content[0]
    expect(toolResult).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_01' })
  })
})
