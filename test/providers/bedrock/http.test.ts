// The bedrock kind end to end: the real gateway in-process, a recording mock standing in for
// bedrock-runtime. Checks the exact outbound request (path, body, a SigV4 signature recomputed here),
// translated answers (JSON and event-stream), retries, relayed errors, and the official openai SDK.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { parseConfig } from '../../../src/config/load'
import { normalizeProvider, PROVIDER_RULES } from '../../../src/providers'
import { event, exception, textStream, toolBlock, USAGE } from '../../support/fixtures/bedrock'
import { jsonOf, readSse, startGateway, type TestGateway } from '../../support/gateway'
import { type MockUpstream, type RecordedRequest, startMockUpstream } from '../../support/mock-upstream'
import { parseAuthorization, referenceSignature } from './sigv4-reference'

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0'
const MODEL_PATH = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0'
const LLAMA = 'meta.llama3-8b-instruct-v1:0'
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
const TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLETOKEN'
const EVENTSTREAM = { 'content-type': 'application/vnd.amazon.eventstream' }
const THROTTLED = 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/'

let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(
    `
[providers.br]
kind = "bedrock"
region = "us-east-1"
access_key = "AKIDEXAMPLE"
secret_key = "${SECRET}"
base_url = "${mock.url}"
models = ["${MODEL}"]

[providers.temp]
kind = "bedrock"
region = "eu-central-1"
access_key = "\${AWS_ACCESS_KEY_ID}"
secret_key = "\${AWS_SECRET_ACCESS_KEY}"
session_token = "\${AWS_SESSION_TOKEN}"
base_url = "${mock.url}/"
models = ["${LLAMA}"]
`,
    { env: { AWS_ACCESS_KEY_ID: 'ASIATEMP', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN } },
  )
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})

function converse(content: unknown[], stopReason = 'end_turn') {
  return { output: { message: { role: 'assistant', content } }, stopReason, usage: USAGE, metrics: { latencyMs: 100 } }
}

/** Recomputes the request's SigV4 signature from what the mock received and checks it. */
function expectSigned(req: RecordedRequest, accessKey: string, region: string) {
  const amzDate = req.headers['x-amz-date']!
  expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/)
  const auth = parseAuthorization(req.headers.authorization!)
  expect(auth.credential).toBe(`${accessKey}/${amzDate.slice(0, 8)}/${region}/bedrock/aws4_request`)
  expect(auth.signedHeaders).toContain('host')
  expect(auth.signedHeaders).toContain('x-amz-date')
  expect(auth.signature).toBe(
    referenceSignature({
      method: req.method,
      path: req.path,
      headers: req.headers,
      signedHeaders: auth.signedHeaders,
      body: req.body,
      datetime: amzDate,
      region,
      service: 'bedrock',
      secretAccessKey: SECRET,
    }),
  )
  return auth
}

describe('outbound request', () => {
  test('non-stream: path with the encoded model id, Converse body, SigV4, no client credentials', async () => {
    const before = mock.requests.length
    mock.enqueue({ json: converse([{ text: 'Bonjour !' }]), headers: { 'x-amzn-requestid': 'req-42' } })
    const res = await gw.chat(
      {
        model: MODEL,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Salut' },
        ],
        max_tokens: 64,
        temperature: 0.5,
      },
      { headers: { authorization: 'Bearer sk-client-secret-must-not-leak' } },
    )
    expect(res.status).toBe(200)
    const req = mock.requests[before]!
    expect(req.method).toBe('POST')
    expect(req.path).toBe(`${MODEL_PATH}/converse`)
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.json()).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Salut' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 64, temperature: 0.5 },
    })
    const auth = expectSigned(req, 'AKIDEXAMPLE', 'us-east-1')
    expect(auth.signedHeaders).not.toContain('x-amz-security-token')
    expect(req.headers['x-amz-content-sha256']).toBeUndefined()
    expect(JSON.stringify(req.headers)).not.toContain('sk-client-secret-must-not-leak')
    expect(await jsonOf(res)).toEqual({
      id: 'chatcmpl-req-42',
      object: 'chat.completion',
      created: expect.any(Number),
      model: MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Bonjour !', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    })
  })

  test('temporary credentials: x-amz-security-token is sent and signed; base_url trailing slash trimmed', async () => {
    const before = mock.requests.length
    mock.enqueue({ json: converse([{ text: 'ok' }]) })
    const res = await gw.chat({ model: LLAMA, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(200)
    const req = mock.requests[before]!
    expect(req.path).toBe('/model/meta.llama3-8b-instruct-v1%3A0/converse')
    expect(req.headers['x-amz-security-token']).toBe(TOKEN)
    expect(expectSigned(req, 'ASIATEMP', 'eu-central-1').signedHeaders).toContain('x-amz-security-token')
  })
})

describe('stream', () => {
  test('event-stream frames become chunk SSE, with usage when asked', async () => {
    const before = mock.requests.length
    mock.enqueue({ sse: textStream(['Hel', 'lo', ' world']), headers: EVENTSTREAM })
    const res = await gw.chat({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const frames = await readSse(res)
    const req = mock.requests[before]!
    expect(req.path).toBe(`${MODEL_PATH}/converse-stream`)
    expect(req.headers.accept).toBe('application/vnd.amazon.eventstream')
    expectSigned(req, 'AKIDEXAMPLE', 'us-east-1')
    expect(req.json().messages).toEqual([{ role: 'user', content: [{ text: 'hi' }] }])
    expect(frames.at(-1)).toBe('[DONE]')
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f))
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null)).toEqual(['', 'Hel', 'lo', ' world', null, null])
    expect(chunks[4].choices[0].finish_reason).toBe('stop')
    expect(chunks[5]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
    })
    expect(chunks.every((c) => c.model === MODEL && c.object === 'chat.completion.chunk')).toBe(true)
  })

  test('an exception event mid-stream reaches the client as an in-band error', async () => {
    const release = Promise.withResolvers<void>()
    mock.enqueue({
      sse: [...textStream(['Partial']).slice(0, 2), exception('modelStreamErrorException', 'The model stream broke')],
      headers: EVENTSTREAM,
      holdFrames: release.promise,
      holdFramesAfter: 2,
    })
    const res = await gw.chat({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(200) // committed: the first chunk went out before the exception came
    release.resolve()
    const frames = await readSse(res)
    expect(frames).not.toContain('[DONE]')
    expect(frames.some((f) => f.includes('"Partial"'))).toBe(true)
    const error = JSON.parse(frames.at(-1)!)
    expect(error.error.message).toContain('modelStreamErrorException: The model stream broke')
  })

  test('a throttlingException before any output is a 429: retried, and the retry streams', async () => {
    const before = mock.requests.length
    mock.enqueue(
      {
        sse: [exception('throttlingException', 'Too many tokens, please wait before trying again.')],
        headers: EVENTSTREAM,
      },
      { sse: textStream(['ok']), headers: EVENTSTREAM },
    )
    const res = await gw.chat({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(200)
    const frames = await readSse(res)
    expect(frames.at(-1)).toBe('[DONE]')
    expect(frames.some((f) => f.includes('"ok"'))).toBe(true)
    expect(mock.requests.length - before).toBe(2)
  })

  test('throttled on every attempt: the client gets the 429 in OpenAI shape', async () => {
    const before = mock.requests.length
    const throttled = { sse: [exception('throttlingException', 'Slow down.')], headers: EVENTSTREAM }
    mock.enqueue(throttled, throttled, throttled)
    const res = await gw.chat({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(429)
    expect(await jsonOf(res)).toEqual({
      error: { message: 'Slow down.', type: 'requests', param: null, code: 'ThrottlingException' },
    })
    expect(mock.requests.length - before).toBe(3) // max_retries = 2 by default
  })

  test('a validationException before any output is a 400 in OpenAI shape, not retried', async () => {
    const before = mock.requests.length
    mock.enqueue({
      sse: [exception('validationException', 'Input is too long for requested model.')],
      headers: EVENTSTREAM,
    })
    const res = await gw.chat({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toEqual({
      error: {
        message: 'Input is too long for requested model.',
        type: 'invalid_request_error',
        param: null,
        code: 'ValidationException',
      },
    })
    expect(mock.requests.length - before).toBe(1)
  })
})

describe('errors', () => {
  test('a throttling 429 is retried and the retry succeeds', async () => {
    const before = mock.requests.length
    mock.enqueue(
      {
        status: 429,
        json: { message: 'Too many requests, please wait before trying again.' },
        headers: { 'x-amzn-errortype': THROTTLED },
      },
      { json: converse([{ text: 'after retry' }]) },
    )
    const res = await gw.chat({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).choices[0].message.content).toBe('after retry')
    expect(mock.requests.length - before).toBe(2)
    expectSigned(mock.requests[before + 1]!, 'AKIDEXAMPLE', 'us-east-1')
  })

  test('a 400 ValidationException is relayed in OpenAI shape, not retried', async () => {
    const before = mock.requests.length
    mock.enqueue({
      status: 400,
      json: { message: 'The model returned the following errors: messages: roles must alternate' },
      headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
    })
    const res = await gw.chat({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toEqual({
      error: {
        message: 'The model returned the following errors: messages: roles must alternate',
        type: 'invalid_request_error',
        param: null,
        code: 'ValidationException',
      },
    })
    expect(mock.requests.length - before).toBe(1)
  })

  test('input Bedrock cannot take is a 400 naming the field, and nothing goes upstream', async () => {
    const before = mock.requests.length
    const res = await gw.chat({
      model: MODEL,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    })
    expect(res.status).toBe(400)
    const body = await jsonOf(res)
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages[0].content[0].image_url.url' })
    expect(body.error.message).toContain('data URL')
    expect(mock.requests.length).toBe(before)
  })

  test('embeddings are not served by bedrock', async () => {
    const before = mock.requests.length
    const res = await gw.fetch('/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'x' }),
    })
    expect(res.status).toBe(400)
    expect((await jsonOf(res)).error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_endpoint' })
    expect(mock.requests.length).toBe(before)
  })
})

describe('config', () => {
  test('base_url defaults to the regional bedrock-runtime endpoint', () => {
    const { config, issue } = normalizeProvider({
      kind: 'bedrock',
      region: 'ap-south-1',
      access_key: 'a',
      secret_key: 's',
      models: [],
      weight: 1,
      max_retries: 2,
      timeout: 30,
      stream_idle_timeout: 60,
      cooldown_failures: 5,
      cooldown_seconds: 30,
    })
    expect(issue).toBeUndefined()
    expect(config.base_url).toBe('https://bedrock-runtime.ap-south-1.amazonaws.com')
  })

  const missing: [string, string, RegExp][] = [
    ['region', 'access_key = "a"\nsecret_key = "s"', /region[\s\S]*AWS_REGION/],
    ['access_key', 'region = "us-east-1"\nsecret_key = "s"', /access_key[\s\S]*AWS_ACCESS_KEY_ID/],
    ['secret_key', 'region = "us-east-1"\naccess_key = "a"', /secret_key[\s\S]*AWS_SECRET_ACCESS_KEY/],
  ]
  for (const [field, lines, message] of missing)
    test(`${field} is required, with a fix`, () => {
      let error: unknown
      try {
        parseConfig(`[providers.br]\nkind = "bedrock"\n${lines}\nmodels = ["m"]\n`, 'test.toml', PROVIDER_RULES, {})
      } catch (err) {
        error = err
      }
      expect(error).toBeInstanceOf(Error)
      const e = error as { field?: string; fix?: string; message: string }
      expect(`${e.field} ${e.message} ${e.fix}`).toMatch(message)
    })
})

describe('official openai SDK', () => {
  const client = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 })

  test('non-stream with a tool call', async () => {
    mock.enqueue({
      json: converse(
        [{ text: 'Checking.' }, { toolUse: { toolUseId: 'tooluse_9', name: 'get_weather', input: { city: 'Lyon' } } }],
        'tool_use',
      ),
    })
    const completion = await client().chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Lyon?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
      ],
    })
    const choice = completion.choices[0]!
    expect(choice.finish_reason).toBe('tool_calls')
    expect(choice.message.content).toBe('Checking.')
    const call = choice.message.tool_calls![0]!
    expect(call.type === 'function' && call.function.name).toBe('get_weather')
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Lyon' })
    expect(completion.usage?.total_tokens).toBe(19)
  })

  test('stream: text then a tool call streamed in pieces', async () => {
    mock.enqueue({
      sse: [
        event('messageStart', { role: 'assistant' }),
        event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Sure' } }),
        event('contentBlockStop', { contentBlockIndex: 0 }),
        ...toolBlock(1, 'tooluse_s', 'get_weather', ['{"ci', 'ty": "Ni', 'ce"}']),
        event('messageStop', { stopReason: 'tool_use' }),
        event('metadata', { usage: USAGE }),
      ],
      headers: EVENTSTREAM,
    })
    const stream = await client().chat.completions.create({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Weather in Nice?' }],
    })
    let text = ''
    let args = ''
    let name = ''
    let finish: string | null = null
    let total: number | undefined
    for await (const chunk of stream) {
      const choice = chunk.choices[0]
      if (chunk.usage) total = chunk.usage.total_tokens
      if (!choice) continue
      text += choice.delta.content ?? ''
      for (const c of choice.delta.tool_calls ?? []) {
        name += c.function?.name ?? ''
        args += c.function?.arguments ?? ''
      }
      finish = choice.finish_reason ?? finish
    }
    expect(text).toBe('Sure')
    expect(name).toBe('get_weather')
    expect(JSON.parse(args)).toEqual({ city: 'Nice' })
    expect(finish).toBe('tool_calls')
    expect(total).toBe(19)
  })
})
