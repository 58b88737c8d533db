// The [3/6] surfaces through the compiled binary on SQLite, with the official clients:
// - the Responses API onto an openai deployment (bytes through) and an anthropic one (translated), one
//   conversation chained by previous_response_id across both, and across a restart of the gateway (the
//   stored responses are durable on SQLite);
// - a translated Responses stream the client abandons is still charged (usage counted, estimated);
// - Anthropic's token counting onto an anthropic deployment (bytes through, query and beta header kept)
//   and an openai one (a local estimate, said so in a header); model lookup in both SDKs' shapes;
// - hostile input: a 1 MB previous_response_id, an unknown one, another key's, a hosted tool.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { anthropicMessage, anthropicTextStream } from '../support/anthropic-wire'
import { type CrabllmProcess, crabllmBin, spawnCrabllm } from '../support/binary'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'
import { responseObject } from '../support/responses-wire'

const KEY = 'sk-e2e-clients-0123456789abcdef'
const OTHER = 'sk-e2e-clients-other-0123456789ab'

let dir: string
let openaiUp: MockUpstream
let claudeUp: MockUpstream
let gw: CrabllmProcess

const claudeMessage = (text: string) => anthropicMessage(text, { input_tokens: 40, output_tokens: 9 })

async function start(): Promise<CrabllmProcess> {
  const child = spawnCrabllm(['serve'], { cwd: dir })
  await child.ready()
  return child
}

async function stop(child: CrabllmProcess): Promise<void> {
  child.kill('SIGTERM')
  await child.exited
}

const openai = (key = KEY) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 })
const anthropic = () => new Anthropic({ apiKey: KEY, baseURL: gw.url, maxRetries: 0 })

/** What a call rejects with (the SDKs' promises are lazy: Bun's `.rejects` would see them resolved). */
function failure(call: PromiseLike<unknown>): Promise<any> {
  return Promise.resolve(call).then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  )
}

beforeAll(async () => {
  crabllmBin()
  dir = mkdtempSync(join(tmpdir(), 'crabllm-e2e-clients-'))
  openaiUp = await startMockUpstream()
  claudeUp = await startMockUpstream()
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `listen = "127.0.0.1:0"
[[keys]]
name = "app"
key = "${KEY}"
[[keys]]
name = "other"
key = "${OTHER}"
[storage]
kind = "sqlite"
path = "gateway.db"
[providers.oai]
kind = "openai"
api_key = "sk-up-openai"
base_url = "${openaiUp.url}/v1"
models = ["gpt-x"]
[providers.claude]
kind = "anthropic"
api_key = "sk-up-anthropic"
base_url = "${claudeUp.url}/v1"
models = ["claude-x"]
max_retries = 0
[aliases]
"team/smart" = "claude-x"
[extensions.usage]
`,
  )
  gw = await start()
})

afterAll(async () => {
  if (gw) await stop(gw)
  await openaiUp?.close()
  await claudeUp?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the Responses API through the binary', () => {
  test('one conversation across an openai and an anthropic deployment, and across a restart', async () => {
    openaiUp.enqueue({ json: responseObject({ text: 'Paris.' }) })
    const first = await openai().responses.create({ model: 'gpt-x', input: 'Capital of France?' })
    claudeUp.enqueue({ json: claudeMessage('About 2.1 million.') })
    const second = await openai().responses.create({
      model: 'team/smart',
      previous_response_id: first.id,
      input: 'Its population?',
    })
    expect(second.output_text).toBe('About 2.1 million.')
    expect(claudeUp.requests.at(-1)!.json().messages).toEqual([
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris.' },
      { role: 'user', content: 'Its population?' },
    ])

    await stop(gw)
    gw = await start()

    openaiUp.enqueue({ json: responseObject({ text: 'Yes.' }) })
    const third = await openai().responses.create({ model: 'gpt-x', previous_response_id: second.id, input: 'Sure?' })
    expect(third.output_text).toBe('Yes.')
    expect(openaiUp.requests.at(-1)!.json().input).toHaveLength(5)
    expect((await openai().responses.retrieve(second.id)).output_text).toBe('About 2.1 million.')
  })

  test('a translated stream the client abandons is charged', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i} `)
    claudeUp.enqueue({
      sse: anthropicTextStream(words, { input_tokens: 40, output_tokens: 120 }),
      holdFrames: new Promise(() => {}),
      holdFramesAfter: 2 + words.length,
    })
    const before = await usageOf('claude-x')
    const stream = await openai().responses.create({ model: 'claude-x', input: 'Count to sixty', stream: true })
    let text = ''
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta
      if (text.includes('word59')) break
    }
    let after = before
    for (let i = 0; i < 100 && after.requests === before.requests; i++) {
      await Bun.sleep(50)
      after = await usageOf('claude-x')
    }
    expect(after.requests).toBe(before.requests + 1)
    // Counted from the request and what was delivered (the client saw Responses events: Anthropic's own
    // input count stayed in the translation): 60 words of about two tokens.
    expect(after.prompt_tokens - before.prompt_tokens).toBeGreaterThan(0)
    expect(after.completion_tokens - before.completion_tokens).toBeGreaterThan(100)
    expect(after.completion_tokens - before.completion_tokens).toBeLessThan(200)
  })

  test('hostile and wrong ids: 404 without reaching a provider, echoed at most 256 characters', async () => {
    const requests = openaiUp.requests.length + claudeUp.requests.length
    const huge = `resp_${'x'.repeat(1_000_000)}`
    const tooLong = await failure(openai().responses.create({ model: 'gpt-x', previous_response_id: huge, input: 'x' }))
    expect(tooLong.status).toBe(404)
    expect(tooLong.message.length).toBeLessThan(400)
    const unknown = await failure(
      openai().responses.create({ model: 'claude-x', previous_response_id: 'resp_nope', input: 'x' }),
    )
    expect(unknown.status).toBe(404)
    expect(unknown.error.message).toBe("Previous response with id 'resp_nope' not found.")
    openaiUp.enqueue({ json: responseObject({ text: 'mine' }) })
    const mine = await openai().responses.create({ model: 'gpt-x', input: 'secret' })
    const requestsNow = openaiUp.requests.length + claudeUp.requests.length
    expect((await failure(openai(OTHER).responses.retrieve(mine.id))).status).toBe(404)
    expect(
      (await failure(openai(OTHER).responses.create({ model: 'gpt-x', previous_response_id: mine.id, input: 'x' })))
        .status,
    ).toBe(404)
    const hosted = await failure(
      openai().responses.create({
        model: 'claude-x',
        input: 'x',
        tools: [{ type: 'file_search', vector_store_ids: ['v'] }],
      }),
    )
    expect(hosted.status).toBe(400)
    expect(hosted.message).toContain('file_search')
    expect(openaiUp.requests.length + claudeUp.requests.length).toBe(requestsNow)
    expect(requestsNow).toBe(requests + 1)
  })
})

describe('token counting and model lookup through the binary', () => {
  test('count_tokens: bytes through to anthropic with ?beta=true; a local estimate for openai', async () => {
    claudeUp.enqueue({ json: { input_tokens: 17 } })
    const counted = await anthropic().messages.countTokens(
      { model: 'claude-x', messages: [{ role: 'user', content: 'Hello there' }] },
      { query: { beta: 'true' }, headers: { 'anthropic-beta': 'token-counting-2024-11-01' } },
    )
    expect(counted.input_tokens).toBe(17)
    const seen = claudeUp.requests.at(-1)!
    expect(seen.path).toBe('/v1/messages/count_tokens?beta=true')
    expect(seen.headers['x-api-key']).toBe('sk-up-anthropic')
    const requests = openaiUp.requests.length
    const { data, response } = await anthropic()
      .messages.countTokens({ model: 'gpt-x', messages: [{ role: 'user', content: 'Hello there' }] })
      .withResponse()
    expect(data.input_tokens).toBeGreaterThan(7)
    expect(response.headers.get('x-crabllm-token-count')).toBe('estimate')
    expect(openaiUp.requests.length).toBe(requests)
  })

  test('models: OpenAI shape, Anthropic shape with anthropic-version, ids with a slash', async () => {
    const model = await openai().models.retrieve('team/smart')
    expect(model).toMatchObject({ id: 'team/smart', object: 'model' })
    const listed: string[] = []
    for await (const m of anthropic().models.list({ limit: 1 })) listed.push(m.id)
    expect(listed.sort()).toEqual(['claude-x', 'gpt-x', 'team/smart'])
    const info = await anthropic().models.retrieve('claude-x')
    expect(info).toMatchObject({ type: 'model', id: 'claude-x' })
    expect((await failure(openai().models.retrieve('nope'))).status).toBe(404)
  })
})

async function usageOf(model: string): Promise<{ requests: number; prompt_tokens: number; completion_tokens: number }> {
  const res = await gw.fetch('/v1/usage', { headers: { authorization: `Bearer ${KEY}` } })
  const rows = (await res.json()) as any[]
  const row = rows.find((r) => r.model === model)
  return {
    requests: row?.requests ?? 0,
    prompt_tokens: row?.prompt_tokens ?? 0,
    completion_tokens: row?.completion_tokens ?? 0,
  }
}
