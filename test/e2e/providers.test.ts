// The translating providers and /v1/messages through the compiled binary, with the official SDKs as
// clients and one recording mock speaking each provider's wire format (Anthropic SSE, Gemini SSE,
// Bedrock's binary event stream).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { type CrabllmProcess, spawnCrabllm } from '../support/binary'
import * as claude from '../support/fixtures/anthropic'
import * as bedrock from '../support/fixtures/bedrock'
import { geminiFrame, textAnswer, textStreamEvents } from '../support/fixtures/google/gemini'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-e2e-providers-0123456789abcdefgh'
let mock: MockUpstream
let gw: CrabllmProcess
let dir: string
let openai: OpenAI
let anthropic: Anthropic

beforeAll(async () => {
  mock = await startMockUpstream()
  dir = mkdtempSync(join(tmpdir(), 'crabllm-e2e-providers-'))
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `listen = "127.0.0.1:0"
[[keys]]
name = "e2e"
key = "${KEY}"
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-e2e"
base_url = "${mock.url}/v1"
models = ["claude-haiku-4-5"]
[providers.gemini]
kind = "google"
api_key = "g-e2e"
base_url = "${mock.url}/v1beta"
models = ["gemini-2.5-flash"]
[providers.aws]
kind = "bedrock"
region = "eu-west-1"
access_key = "AKIDEXAMPLE"
secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
base_url = "${mock.url}"
models = ["anthropic.claude-3-5-sonnet-20240620-v1:0"]
[providers.echo]
kind = "echo"
models = ["echo"]
`,
  )
  gw = spawnCrabllm(['serve'], { cwd: dir })
  await gw.ready()
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 })
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 })
})
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]()
  await mock?.close()
  rmSync(dir, { recursive: true, force: true })
})

const hi = [{ role: 'user' as const, content: 'hi' }]

describe('OpenAI SDK → translating providers', () => {
  test('anthropic: a chat completion from a Messages answer', async () => {
    mock.enqueue({ json: claude.message() })
    const before = mock.requests.length
    const completion = await openai.chat.completions.create({ model: 'claude-haiku-4-5', messages: hi, max_tokens: 50 })
    expect(completion.choices[0]!.message.content).toBe('Hello from Claude')
    expect(completion.choices[0]!.finish_reason).toBe('stop')
    const sent = mock.requests[before]!
    expect(sent.path).toBe('/v1/messages')
    expect(sent.headers['x-api-key']).toBe('sk-ant-e2e')
    expect(sent.json()).toMatchObject({
      model: 'claude-haiku-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    })
  })

  test('google: a streamed chat from Gemini SSE', async () => {
    mock.enqueue({ sse: textStreamEvents().map(geminiFrame) })
    const before = mock.requests.length
    const stream = await openai.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: hi,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      if (chunk.usage) usage = chunk.usage
    }
    expect(text).toBe('Hello there!')
    expect(usage?.total_tokens).toBe(11)
    const sent = mock.requests[before]!
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse')
    expect(sent.headers['x-goog-api-key']).toBe('g-e2e')
  })

  test('google: a chat completion', async () => {
    mock.enqueue({ json: textAnswer('Gemini says hi') })
    const completion = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: hi })
    expect(completion.choices[0]!.message.content).toBe('Gemini says hi')
  })

  test('bedrock: a streamed chat from AWS event-stream frames, signed with SigV4', async () => {
    mock.enqueue({
      sse: bedrock.textStream(['Bed', 'rock']),
      headers: { 'content-type': 'application/vnd.amazon.eventstream' },
    })
    const before = mock.requests.length
    const stream = await openai.chat.completions.create({
      model: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      messages: hi,
      stream: true,
    })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
    expect(text).toBe('Bedrock')
    const sent = mock.requests[before]!
    expect(sent.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream')
    expect(sent.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/bedrock\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    )
  })
})

describe('Anthropic SDK → /v1/messages', () => {
  test('passthrough to an anthropic deployment, streamed', async () => {
    mock.enqueue({ sse: claude.textStream(['Straight', ' through']) })
    const final = await anthropic.messages
      .stream({ model: 'claude-haiku-4-5', max_tokens: 50, messages: hi })
      .finalMessage()
    expect(final.content).toEqual([{ type: 'text', text: 'Straight through' } as never])
  })

  test('translated for the echo model', async () => {
    const message = await anthropic.messages.create({
      model: 'echo',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'echo via messages' }],
    })
    expect(message.content).toEqual([{ type: 'text', text: 'echo via messages' } as never])
    expect(message.stop_reason).toBe('end_turn')
  })
})
