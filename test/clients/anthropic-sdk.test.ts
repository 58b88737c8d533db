// The official `@anthropic-ai/sdk` onto models that are not Claude: `messages.parse` with a Zod output
// format onto an openai deployment (output_config.format → response_format json_schema) and a google one
// (→ Gemini's responseJsonSchema), `parsed_output` read from the answer; thinking sent as Anthropic's
// `thinking` reaches OpenAI as reasoning_effort (only for a model that reasons); a system turn inside
// `messages` (as Claude Code sends).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod'
import { z } from 'zod'
import { provider, startGateway, type TestGateway } from '../support/gateway'
import { chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-anthropic-sdk-0123456789abcdef'
let openaiUp: MockUpstream
let googleUp: MockUpstream
let gw: TestGateway
let sdk: Anthropic

const Person = z.object({ name: z.string(), age: z.number() })

beforeAll(async () => {
  openaiUp = await startMockUpstream()
  googleUp = await startMockUpstream()
  gw = await startGateway(`
[[keys]]
name = "dev"
key = "${KEY}"
${provider('oai', openaiUp.url, ['gpt-x', 'gpt-4o', 'gpt-5'])}
[providers.gem]
kind = "google"
api_key = "sk-google-upstream"
base_url = "${googleUp.url}/v1beta"
models = ["gemini-2.5-flash"]
`)
  sdk = new Anthropic({ apiKey: KEY, baseURL: gw.url, maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await openaiUp.close()
  await googleUp.close()
})

const ask = (model: string) => ({
  model,
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Who wrote Dune? Name and age at publication.' }],
  output_config: { format: zodOutputFormat(Person) },
})

describe('messages.parse onto models that are not Claude', () => {
  test('openai: the schema goes as response_format json_schema; parsed_output is the object', async () => {
    openaiUp.enqueue({ json: chatCompletion('{"name":"Frank Herbert","age":45}', 'gpt-x') })
    const message = await sdk.messages.parse(ask('gpt-x'))
    expect(message.parsed_output).toEqual({ name: 'Frank Herbert', age: 45 })
    const sent = openaiUp.requests.at(-1)!.json()
    expect(sent.response_format.type).toBe('json_schema')
    expect(sent.response_format.json_schema.strict).toBe(true)
    expect(sent.response_format.json_schema.schema.properties).toEqual({
      name: { type: 'string' },
      age: { type: 'number' },
    })
  })

  test('google: the schema goes as responseJsonSchema with a JSON mime type; parsed_output is the object', async () => {
    googleUp.enqueue({
      json: {
        candidates: [
          {
            content: { role: 'model', parts: [{ text: '{"name":"Frank Herbert","age":45}' }] },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 12, totalTokenCount: 32 },
        modelVersion: 'gemini-2.5-flash',
      },
    })
    const message = await sdk.messages.parse(ask('gemini-2.5-flash'))
    expect(message.parsed_output).toEqual({ name: 'Frank Herbert', age: 45 })
    const seen = googleUp.requests.at(-1)!
    expect(seen.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent')
    const config = seen.json().generationConfig
    expect(config.responseMimeType).toBe('application/json')
    expect(config.responseJsonSchema.properties).toEqual({ name: { type: 'string' }, age: { type: 'number' } })
  })
})

test("Claude Code's shape onto openai: system turns inside messages, thinking as reasoning_effort", async () => {
  openaiUp.enqueue({ json: chatCompletion('done', 'gpt-x') })
  await sdk.messages.create({
    model: 'gpt-x',
    max_tokens: 2048,
    system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
    thinking: { type: 'enabled', budget_tokens: 10_000 },
    messages: [
      { role: 'user', content: 'hi' },
      // Claude Code puts its environment block in a system turn for models it does not know.
      { role: 'system', content: 'Environment: linux' } as never,
      { role: 'user', content: 'list files' },
    ],
  })
  const sent = openaiUp.requests.at(-1)!.json()
  expect(sent.messages).toEqual([
    { role: 'system', content: 'You are Claude Code.' },
    { role: 'user', content: 'hi' },
    { role: 'system', content: 'Environment: linux' },
    { role: 'user', content: 'list files' },
  ])
  expect(sent.reasoning_effort).toBe('medium')
  expect(sent.thinking).toBeUndefined()
})

test.each([
  ['gpt-4o', undefined],
  ['gpt-5', 'high'],
])(
  "Claude Code's adaptive thinking onto %s: reasoning_effort %p (only to a model the catalog says reasons)",
  async (model, effort) => {
    openaiUp.enqueue({ json: chatCompletion('done', model) })
    await sdk.messages.create({
      model,
      max_tokens: 256,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'high' },
      messages: [{ role: 'user', content: 'hi' }],
    } as never)
    expect(openaiUp.requests.at(-1)!.json().reasoning_effort).toBe(effort)
  },
)
