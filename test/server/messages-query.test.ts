// Claude Code calls only `POST /v1/messages?beta=true` (the Anthropic SDK's beta client). On an
// anthropic deployment the query string goes upstream with the bytes; a translated deployment ignores
// it; no other surface forwards a query.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { provider, startGateway, type TestGateway } from '../support/gateway'
import { chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-messages-query-0123456789abcdef'
let claude: MockUpstream
let openai: MockUpstream
let gw: TestGateway
let sdk: Anthropic

const message = {
  id: 'msg_01query',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [{ type: 'text', text: 'beta hello' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 2 },
}

beforeAll(async () => {
  claude = await startMockUpstream()
  openai = await startMockUpstream()
  gw = await startGateway(`
[[keys]]
name = "dev"
key = "${KEY}"
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${claude.url}/v1"
models = ["claude-sonnet-4-6"]
${provider('oai', openai.url, ['gpt-4o-mini'])}
`)
  sdk = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await claude.close()
  await openai.close()
})

test('the beta client: ?beta=true and anthropic-beta reach an anthropic deployment', async () => {
  claude.enqueue({ json: message })
  // The SDK's beta client put ?beta=true on the URL until 1.x (Claude Code's bundled one still does).
  const answer = await sdk.beta.messages.create(
    {
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      betas: ['interleaved-thinking-2025-05-14'],
    },
    { query: { beta: 'true' } },
  )
  expect(answer.content).toEqual([{ type: 'text', text: 'beta hello' }] as never)
  const seen = claude.requests.at(-1)!
  expect(seen.path).toBe('/v1/messages?beta=true')
  expect(seen.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14')
  expect(seen.headers['x-api-key']).toBe('sk-ant-upstream')
})

test('a translated deployment gets its own URL, without the client query', async () => {
  openai.enqueue({ json: chatCompletion('translated') })
  const answer = await sdk.beta.messages.create({
    model: 'gpt-4o-mini',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hi' }],
  })
  expect(answer.content[0]).toMatchObject({ type: 'text', text: 'translated' })
  expect(openai.requests.at(-1)!.path).toBe('/v1/chat/completions')
})

test('chat completions never forward the query', async () => {
  openai.enqueue({ json: chatCompletion('plain') })
  const res = await gw.fetch('/v1/chat/completions?beta=true&x=1', {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  })
  expect(res.status).toBe(200)
  expect(openai.requests.at(-1)!.path).toBe('/v1/chat/completions')
})
