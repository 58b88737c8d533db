// The official `openai` SDK's Responses API across kinds: one conversation whose turns are served by an
// openai deployment (bytes through) and an anthropic one (translated), chained by previous_response_id,
// retrieved afterwards; the translated stream as the SDK's ResponseStream consumes it; usage charged on
// both paths; a hosted tool a translated deployment cannot run refused with a 400 naming it.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { anthropicMessage, anthropicTextStream } from '../support/anthropic-wire'
import { provider, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'
import { responseObject } from '../support/responses-wire'

const KEY = 'sk-openai-responses-0123456789abcdef'
let openaiUp: MockUpstream
let claudeUp: MockUpstream
let gw: TestGateway
let client: OpenAI

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
[extensions.usage]
`)
  client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await openaiUp.close()
  await claudeUp.close()
})

const claudeMessage = (text: string) => anthropicMessage(text, { input_tokens: 30, output_tokens: 8 })

test('one conversation across an openai and an anthropic deployment, by previous_response_id', async () => {
  openaiUp.enqueue({ json: responseObject({ text: 'Paris.' }) })
  const first = await client.responses.create({ model: 'gpt-x', input: 'Capital of France?' })

  claudeUp.enqueue({ json: claudeMessage('About 2.1 million.') })
  const second = await client.responses.create({
    model: 'claude-x',
    previous_response_id: first.id,
    input: 'Its population?',
  })
  expect(second.output_text).toBe('About 2.1 million.')
  expect(second.object).toBe('response')
  expect(second.model).toBe('claude-x')
  expect(second.usage).toMatchObject({ input_tokens: 30, output_tokens: 8, total_tokens: 38 })
  const toClaude = claudeUp.requests.at(-1)!.json()
  expect(toClaude.messages).toEqual([
    { role: 'user', content: 'Capital of France?' },
    { role: 'assistant', content: 'Paris.' },
    { role: 'user', content: 'Its population?' },
  ])

  openaiUp.enqueue({ json: responseObject({ text: 'Yes.' }) })
  await client.responses.create({ model: 'gpt-x', previous_response_id: second.id, input: 'Sure?' })
  const toOpenai = openaiUp.requests.at(-1)!.json()
  expect(toOpenai.previous_response_id).toBeUndefined()
  expect(toOpenai.input).toEqual([
    { type: 'message', role: 'user', content: 'Capital of France?' },
    { type: 'message', role: 'assistant', content: 'Paris.' },
    { type: 'message', role: 'user', content: 'Its population?' },
    { type: 'message', role: 'assistant', content: 'About 2.1 million.' },
    { type: 'message', role: 'user', content: 'Sure?' },
  ])

  const retrieved = await client.responses.retrieve(second.id)
  expect(retrieved.output_text).toBe('About 2.1 million.')
})

test('a translated stream as the SDK consumes it: deltas, then the completed response with usage', async () => {
  claudeUp.enqueue({
    sse: anthropicTextStream(['Bonjour ', 'à tous'], { input_tokens: 30, output_tokens: 8 }),
  })
  const stream = client.responses.stream({ model: 'claude-x', input: 'Greet in French' })
  const types: string[] = []
  const deltas: string[] = []
  stream.on('event', (event) => types.push(event.type))
  stream.on('response.output_text.delta', (event) => deltas.push(event.delta))
  const final = await stream.finalResponse()
  expect(deltas.join('')).toBe('Bonjour à tous')
  expect(final.output_text).toBe('Bonjour à tous')
  expect(final.status).toBe('completed')
  expect(final.usage).toMatchObject({ input_tokens: 30, output_tokens: 8 })
  expect(types[0]).toBe('response.created')
  expect(types.at(-1)).toBe('response.completed')
  // Stored as completed, for the next turn.
  expect((await client.responses.retrieve(final.id)).output_text).toBe('Bonjour à tous')
})

test('usage is charged on both paths', async () => {
  const stats = await gw.ctx.pipeline.flush?.()
  void stats
  const usage = gw.ctx.store.namespace('usage')
  const listed = await usage.list('', 100)
  expect(listed.length).toBeGreaterThan(0)
})

test('a hosted tool onto a translated deployment: 400 naming the tool, nothing sent', async () => {
  const before = claudeUp.requests.length
  const failed = await Promise.resolve(
    client.responses.create({ model: 'claude-x', input: 'search', tools: [{ type: 'web_search' }] }),
  ).then(
    () => undefined,
    (err: unknown) => err as InstanceType<typeof OpenAI.APIError>,
  )
  expect(failed).toBeInstanceOf(OpenAI.BadRequestError)
  expect(failed!.param).toBe('tools[0]')
  expect(failed!.message).toContain('web_search')
  expect(claudeUp.requests.length).toBe(before)
})
