// POST /v1/messages/count_tokens end to end: the real gateway in-process, recording mocks standing in
// for Anthropic, Gemini and Bedrock (each checked for the exact request its counting API documents:
// path, headers, SigV4, body), and the official @anthropic-ai/sdk as the client. Kinds without a
// counting API (here: openai and echo) are estimated by the gateway and say so in a header.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { parseAuthorization, referenceSignature } from '../providers/bedrock/sigv4-reference'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-count-tokens-0123456789abcdef'
const LIMITED = 'sk-count-limited-0123456789abcdef'
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
const BEDROCK_MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0'

let claude: MockUpstream
let gemini: MockUpstream
let bedrock: MockUpstream
let openai: MockUpstream
let gw: TestGateway
let sdk: Anthropic

beforeAll(async () => {
  ;[claude, gemini, bedrock, openai] = await Promise.all([
    startMockUpstream(),
    startMockUpstream(),
    startMockUpstream(),
    startMockUpstream(),
  ])
  gw = await startGateway(`
[[keys]]
name = "dev"
key = "${KEY}"
[[keys]]
name = "limited"
key = "${LIMITED}"
models = ["gpt-4o-mini"]

[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${claude.url}/v1"
models = ["claude-sonnet-4-6"]

[providers.gem]
kind = "google"
api_key = "g-upstream"
base_url = "${gemini.url}/v1beta"
models = ["gemini-2.5-flash"]
# One attempt and no cooldown: the error tests see each answer once, and the breaker stays closed.
max_retries = 0
cooldown_failures = 0

[providers.br]
kind = "bedrock"
region = "us-east-1"
access_key = "AKIDEXAMPLE"
secret_key = "${SECRET}"
base_url = "${bedrock.url}"
models = ["${BEDROCK_MODEL}"]

${provider('oai', openai.url, ['gpt-4o-mini'])}
[providers.local]
kind = "echo"
models = ["echo"]

[aliases]
sonnet = "claude-sonnet-4-6"
`)
  sdk = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await Promise.all([claude.close(), gemini.close(), bedrock.close(), openai.close()])
})

const weather = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
}

function post(body: unknown, headers: Record<string, string> = {}) {
  return gw.fetch('/v1/messages/count_tokens', {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

describe('onto an anthropic deployment', () => {
  test('the bytes go to /v1/messages/count_tokens with the kind credentials and the client anthropic headers', async () => {
    claude.enqueue({ json: { input_tokens: 14 } })
    const raw = '{"model":"claude-sonnet-4-6",  "messages":[{"role":"user","content":"hi"}],"x":1}'
    const before = claude.requests.length
    const res = await post(raw, { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'token-counting-2024-11-01' })
    expect(res.status).toBe(200)
    expect(await jsonOf(res)).toEqual({ input_tokens: 14 })
    expect(res.headers.get('x-crabllm-token-count')).toBeNull()
    const seen = claude.requests[before]!
    expect(seen.method).toBe('POST')
    expect(seen.path).toBe('/v1/messages/count_tokens')
    expect(seen.text()).toBe(raw)
    expect(seen.headers['x-api-key']).toBe('sk-ant-upstream')
    expect(seen.headers['anthropic-version']).toBe('2023-06-01')
    expect(seen.headers['anthropic-beta']).toBe('token-counting-2024-11-01')
    expect(seen.headers.accept).not.toBe('text/event-stream')
    expect(seen.headers.authorization).toBeUndefined()
  })

  test('the SDK counts through an alias (the body names the canonical model upstream)', async () => {
    claude.enqueue({ json: { input_tokens: 27 } })
    const before = claude.requests.length
    const count = await sdk.messages.countTokens({
      model: 'sonnet',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weather],
    })
    expect(count).toEqual({ input_tokens: 27 })
    const sent = claude.requests[before]!.json()
    expect(sent.model).toBe('claude-sonnet-4-6')
    expect(sent.tools).toEqual([weather])
  })

  test("Anthropic's error comes back as it was", async () => {
    const error = { type: 'error', error: { type: 'invalid_request_error', message: 'messages: Field required' } }
    claude.enqueue({ status: 400, json: error })
    const res = await post({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'x' }] })
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toEqual(error)
  })
})

describe('onto a google deployment', () => {
  test('the SDK gets totalTokens from models.countTokens, asked with the whole generateContentRequest', async () => {
    gemini.enqueue({ json: { totalTokens: 31, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 31 }] } })
    const before = gemini.requests.length
    const count = await sdk.messages.countTokens({
      model: 'gemini-2.5-flash',
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [weather],
      tool_choice: { type: 'auto' },
    })
    expect(count).toEqual({ input_tokens: 31 })
    const seen = gemini.requests[before]!
    expect(seen.method).toBe('POST')
    expect(seen.path).toBe('/v1beta/models/gemini-2.5-flash:countTokens')
    expect(seen.headers['x-goog-api-key']).toBe('g-upstream')
    expect(seen.headers['content-type']).toBe('application/json')
    expect(seen.headers['x-api-key']).toBeUndefined()
    expect(seen.json()).toEqual({
      generateContentRequest: {
        model: 'models/gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ text: 'What is the weather in Paris?' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        tools: [
          {
            functionDeclarations: [
              {
                name: 'get_weather',
                description: 'The weather in a city',
                parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
              },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
      },
    })
  })

  test("Gemini's error comes back in Anthropic's shape, with its status and Retry-After", async () => {
    const quota = {
      error: {
        code: 429,
        message: 'Resource has been exhausted (e.g. check quota).',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }],
      },
    }
    gemini.enqueue({ status: 429, json: quota })
    const res = await post({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] })
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
    expect(await jsonOf(res)).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'Resource has been exhausted (e.g. check quota).' },
    })
  })

  test("a 2xx that is not a count is a 502 in Anthropic's shape", async () => {
    gemini.enqueue({ json: { candidates: [] } })
    const res = await post({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] })
    expect(res.status).toBe(502)
    const body = await jsonOf(res)
    expect(body).toMatchObject({ type: 'error', error: { type: 'api_error' } })
    expect(body.error.message).toContain('a Gemini token count')
  })

  test('a body Gemini could not read is refused before any fetch, naming the field', async () => {
    const before = gemini.requests.length
    const res = await post({ model: 'gemini-2.5-flash', messages: [{ role: 'tool', content: 'x' }] })
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    expect((await jsonOf(await post({ model: 'gemini-2.5-flash', messages: [] }))).error.message).toContain('messages')
    expect(gemini.requests.length).toBe(before)
  })
})

describe('onto a bedrock deployment', () => {
  test('the SDK gets inputTokens from CountTokens, signed with SigV4, asked with the Converse input', async () => {
    bedrock.enqueue({ json: { inputTokens: 42 } })
    const before = bedrock.requests.length
    const count = await sdk.messages.countTokens({
      model: BEDROCK_MODEL,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: 'What is the weather in Paris?' },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'tu_1', name: 'get_weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'Sunny' }] },
      ],
      tools: [weather],
    })
    expect(count).toEqual({ input_tokens: 42 })
    const seen = bedrock.requests[before]!
    expect(seen.method).toBe('POST')
    expect(seen.path).toBe('/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/count-tokens')
    expect(seen.headers['content-type']).toBe('application/json')
    expect(seen.json()).toEqual({
      input: {
        converse: {
          system: [{ text: 'Be brief.' }],
          messages: [
            { role: 'user', content: [{ text: 'What is the weather in Paris?' }] },
            {
              role: 'assistant',
              content: [{ toolUse: { toolUseId: 'tu_1', name: 'get_weather', input: { city: 'Paris' } } }],
            },
            { role: 'user', content: [{ toolResult: { toolUseId: 'tu_1', content: [{ text: 'Sunny' }] } }] },
          ],
          toolConfig: {
            tools: [
              {
                toolSpec: {
                  name: 'get_weather',
                  description: 'The weather in a city',
                  inputSchema: { json: weather.input_schema },
                },
              },
            ],
          },
        },
      },
    })
    // SigV4: the signature recomputed from what the mock received.
    const amzDate = seen.headers['x-amz-date']!
    const auth = parseAuthorization(seen.headers.authorization!)
    expect(auth.credential).toBe(`AKIDEXAMPLE/${amzDate.slice(0, 8)}/us-east-1/bedrock/aws4_request`)
    expect(auth.signature).toBe(
      referenceSignature({
        method: seen.method,
        path: seen.path,
        headers: seen.headers,
        signedHeaders: auth.signedHeaders,
        body: seen.body,
        datetime: amzDate,
        region: 'us-east-1',
        service: 'bedrock',
        secretAccessKey: SECRET,
      }),
    )
  })

  test("Bedrock's error comes back in Anthropic's shape, with its status", async () => {
    bedrock.enqueue({
      status: 400,
      headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      json: { message: 'The provided model does not support counting tokens.' },
    })
    const res = await post({ model: BEDROCK_MODEL, messages: [{ role: 'user', content: 'x' }] })
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'The provided model does not support counting tokens.' },
    })
  })
})

describe('onto kinds that cannot count (an estimate)', () => {
  test('an openai deployment: counted by the gateway, the upstream never asked', async () => {
    const before = openai.requests.length
    const { data, response } = await sdk.messages
      .countTokens({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello, world' }] })
      .withResponse()
    expect(response.status).toBe(200)
    // 3 for the request, 4 for the message, and the text.
    expect(data).toEqual({ input_tokens: 3 + 4 + countTokens('Hello, world') })
    expect(openai.requests.length).toBe(before)
  })

  test('the estimate says so: x-crabllm-token-count: estimate', async () => {
    const response = await sdk.messages
      .countTokens({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello, world' }] })
      .asResponse()
    expect(response.headers.get('x-crabllm-token-count')).toBe('estimate')
  })

  test('system, tools, tool calls and results, and images all count', async () => {
    const bare = await sdk.messages.countTokens({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] })
    const rich = await sdk.messages.countTokens({
      model: 'echo',
      system: 'You are terse.',
      tools: [weather],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'tu_1', name: 'get_weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: 'Sunny' }] },
      ],
    })
    expect(rich.input_tokens).toBeGreaterThan(bare.input_tokens + 765)
  })
})

describe('bad input, in Anthropic shape', () => {
  test('a missing model is a 400 naming it', async () => {
    const res = await post({ messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(400)
    const body = await jsonOf(res)
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    expect(body.error.message).toContain('model')
  })

  test('missing messages, and a message of an unknown role, are 400s naming the field', async () => {
    const missing = await post({ model: 'gpt-4o-mini' })
    expect(missing.status).toBe(400)
    expect((await jsonOf(missing)).error.message).toContain('messages')
    const role = await post({ model: 'gpt-4o-mini', messages: [{ role: 'tool', content: 'hi' }] })
    expect(role.status).toBe(400)
    expect((await jsonOf(role)).error.message).toContain('messages.0.role')
  })

  test('an unknown model is a 404 not_found_error, through the SDK', async () => {
    const err = await sdk.messages
      .countTokens({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Anthropic.NotFoundError)
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    })
  })

  test('a model the key may not use is a 403 permission_error', async () => {
    const limited = new Anthropic({ baseURL: gw.url, apiKey: LIMITED, maxRetries: 0 })
    const err = await limited.messages
      .countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError)
    const ok = await limited.messages.countTokens({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    expect(ok.input_tokens).toBeGreaterThan(0)
  })

  test('no key is a 401 authentication_error', async () => {
    const res = await gw.fetch('/v1/messages/count_tokens', {
      method: 'POST',
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(401)
    expect(await jsonOf(res)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } })
  })

  test('POST /v1/messages still answers messages (not shadowed by count_tokens)', async () => {
    const message = await sdk.messages.create({
      model: 'echo',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'ping' }],
    })
    expect(message.type).toBe('message')
    expect(gw.errors()).toEqual([])
  })
})
