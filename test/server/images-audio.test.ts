// OpenAI's media endpoints through the real gateway: POST /v1/images/generations (JSON), /v1/audio/speech
// (audio streamed back as it arrives), /v1/audio/transcriptions and /translations (multipart, relayed
// byte for byte). Fallback without retry, the per-kind capability check, bad input, and the official
// `openai` SDK against the gateway.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI, { toFile } from 'openai'
import type { Extension } from '../../src/extensions/types'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import {
  chatCompletion,
  type MockReply,
  type MockUpstream,
  openAiError,
  type RecordedRequest,
  startMockUpstream,
} from '../support/mock-upstream'

const KEY = 'sk-test-media-0123456789abcdef'
const NARROW = 'sk-test-media-narrow-0123456789'
const encoder = new TextEncoder()

/** Every byte value, several times over: a file no text handling survives unchanged. */
const AUDIO = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256)
const PROMPT = 'Zürich, 東京, café ☕ — “quotes” and \r\n a line break'

const IMAGE_ANSWER =
  '{ "created": 1700000000,\n  "data": [ { "b64_json": "iVBORw0KGgo=", "revised_prompt": "a crab ✓" } ],\n  "usage": {"input_tokens": 12, "output_tokens": 4160, "total_tokens": 4172} }'

let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(`
[[keys]]
name = "team"
key = "${KEY}"
[[keys]]
name = "narrow"
key = "${NARROW}"
models = ["gpt-4o-mini"]
${provider('up', mock.url, ['gpt-image-1', 'tts-1', 'whisper-1', 'gpt-4o-mini'])}
[aliases]
painter = "gpt-image-1"
voice = "tts-1"
ears = "whisper-1"
`)
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})
afterEach(() => {
  expect(gw.errors()).toEqual([])
})

const opened: AsyncDisposable[] = []
afterEach(async () => {
  for (const d of opened.splice(0).reverse()) await d[Symbol.asyncDispose]()
})
async function freshMock(): Promise<MockUpstream> {
  const m = await startMockUpstream()
  opened.push(m)
  return m
}
async function freshGateway(toml: string, random = () => 0): Promise<TestGateway> {
  const g = await startGateway(`[[keys]]\nname = "t"\nkey = "${KEY}"\n${toml}`, { dispatch: { random } })
  opened.push(g)
  return g
}

/** A multipart body as a client would send it: its bytes and its content type (boundary included). */
async function multipart(
  fields: Record<string, string | string[]>,
  file: Uint8Array | null = AUDIO,
  filename = 'speech.wav',
  type = 'audio/wav',
) {
  const form = new FormData()
  if (file) form.append('file', new File([file], filename, { type }))
  for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) form.append(name, v)
  const encoded = new Response(form)
  // Read the content type before the body (Bun makes up a new boundary otherwise).
  const contentType = encoded.headers.get('content-type')!
  return { bytes: new Uint8Array(await encoded.arrayBuffer()), contentType }
}

function post(
  g: TestGateway,
  path: string,
  body: { bytes: Uint8Array; contentType: string } | string,
  key: string | null = KEY,
) {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {}
  if (typeof body === 'string')
    return g.fetch(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body })
  return g.fetch(path, { method: 'POST', headers: { ...headers, 'content-type': body.contentType }, body: body.bytes })
}

/** The upstream's view of a multipart request, parsed. */
async function formOf(seen: RecordedRequest) {
  return new Response(seen.body, { headers: { 'content-type': seen.headers['content-type']! } }).formData()
}

async function expectError(res: Response, status: number, code: string | null, param?: string | null) {
  expect(res.status).toBe(status)
  const body = await jsonOf(res)
  expect(body.error.code).toBe(code)
  if (param !== undefined) expect(body.error.param).toBe(param)
  return body.error as { message: string; type: string; param: string | null; code: string | null }
}

/** Reads from `reader` until `n` bytes came; returns them. */
async function readBytes(
  reader: { read(): Promise<{ done: boolean; value?: Uint8Array }> },
  n: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  let got = 0
  while (got < n) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`the body ended after ${got} of ${n} bytes`)
    parts.push(value!)
    got += value!.byteLength
  }
  return Buffer.concat(parts)
}

const TRANSCRIPT: MockReply = {
  json: {
    text: 'hello from the mock',
    usage: { type: 'tokens', input_tokens: 14, output_tokens: 5, total_tokens: 19 },
  },
}

describe('POST /v1/images/generations', () => {
  test('the JSON request and the answer are relayed byte for byte', async () => {
    const raw =
      '{ "model":"gpt-image-1",\n "prompt":"a crab ✓ \\u00e9", "size":"1024x1024", "x_vendor":{"n":[1,2.50]} }'
    mock.enqueue({ body: IMAGE_ANSWER, headers: { 'content-type': 'application/json' } })
    const before = mock.requests.length
    const res = await post(gw, '/v1/images/generations', raw)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    expect(await res.text()).toBe(IMAGE_ANSWER)
    const seen = mock.requests[before]!
    expect(seen.path).toBe('/v1/images/generations')
    expect(seen.text()).toBe(raw)
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-up')
    expect(seen.headers['content-type']).toBe('application/json')
  })

  test('an alias rewrites only `model`', async () => {
    mock.enqueue({ body: IMAGE_ANSWER, headers: { 'content-type': 'application/json' } })
    const before = mock.requests.length
    const res = await post(gw, '/v1/images/generations', JSON.stringify({ model: 'painter', prompt: 'p', n: 2 }))
    expect(res.status).toBe(200)
    expect(mock.requests[before]!.json()).toEqual({ model: 'gpt-image-1', prompt: 'p', n: 2 })
  })

  test('stream: true is passed through as the upstream sends it (events without [DONE])', async () => {
    const frames = [
      'event: image_generation.partial_image\ndata: {"type":"image_generation.partial_image","b64_json":"AAA","partial_image_index":0}\n\n',
      'event: image_generation.completed\ndata: {"type":"image_generation.completed","b64_json":"BBB","usage":{"input_tokens":1,"output_tokens":2,"total_tokens":3}}\n\n',
    ]
    mock.enqueue({ sse: frames })
    const res = await post(
      gw,
      '/v1/images/generations',
      JSON.stringify({ model: 'gpt-image-1', prompt: 'p', stream: true, partial_images: 1 }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith('text/event-stream')
    expect(await res.text()).toBe(frames.join(''))
  })
})

describe('POST /v1/audio/speech', () => {
  test('audio is relayed as it arrives, with the upstream content type', async () => {
    const chunks = [AUDIO.subarray(0, 300), AUDIO.subarray(300, 700), AUDIO.subarray(700)]
    const hold = Promise.withResolvers<void>()
    mock.enqueue({
      sse: chunks,
      headers: { 'content-type': 'audio/mpeg' },
      holdFrames: hold.promise,
      holdFramesAfter: 1,
    })
    const raw = '{"model":"voice","input":"Hello ✓","voice":"alloy","response_format":"mp3"}'
    const before = mock.requests.length
    const res = await post(gw, '/v1/audio/speech', raw)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('audio/mpeg')
    expect(res.headers.get('x-request-id')).toBeTruthy()
    const reader = res.body!.getReader()
    // The first chunk reaches the client while the upstream still holds the rest.
    expect(await readBytes(reader, 300)).toEqual(Buffer.from(chunks[0]!))
    hold.resolve()
    const rest: Uint8Array[] = []
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      rest.push(value)
    }
    expect(Buffer.concat(rest)).toEqual(Buffer.from(AUDIO.subarray(300)))
    const seen = mock.requests[before]!
    expect(seen.path).toBe('/v1/audio/speech')
    expect(seen.json()).toEqual({ model: 'tts-1', input: 'Hello ✓', voice: 'alloy', response_format: 'mp3' })
    expect(seen.headers.accept).not.toBe('text/event-stream')
  })

  test('a client that leaves mid-audio aborts the upstream request', async () => {
    const up = await freshMock()
    const g = await freshGateway(provider('up', up.url, ['tts-1']))
    const hold = Promise.withResolvers<void>()
    up.enqueue({
      sse: [AUDIO.subarray(0, 100), AUDIO.subarray(100)],
      headers: { 'content-type': 'audio/ogg' },
      holdFrames: hold.promise,
      holdFramesAfter: 1,
    })
    const res = await post(g, '/v1/audio/speech', '{"model":"tts-1","input":"x","voice":"alloy"}')
    const reader = res.body!.getReader()
    await readBytes(reader, 100)
    await reader.cancel()
    await up.aborted
    hold.resolve()
    expect(g.errors()).toEqual([])
  })

  test('an upstream that fails mid-audio cuts the response instead of ending it cleanly', async () => {
    const up = await freshMock()
    const g = await freshGateway(provider('up', up.url, ['tts-1']))
    up.enqueue({
      sse: [AUDIO.subarray(0, 100), AUDIO.subarray(100)],
      headers: { 'content-type': 'audio/mpeg' },
      cutAfter: 1,
    })
    const res = await post(g, '/v1/audio/speech', '{"model":"tts-1","input":"x","voice":"alloy"}')
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    expect(await readBytes(reader, 100)).toEqual(Buffer.from(AUDIO.subarray(0, 100)))
    let failed = false
    try {
      while (!(await reader.read()).done);
    } catch {
      failed = true
    }
    expect(failed).toBe(true)
    expect(g.errors()).toEqual([])
  })

  test('an upstream error before any audio is relayed with its status', async () => {
    mock.enqueue(openAiError(400, "Invalid value for 'voice'.", 'invalid_request_error', 'invalid_value'))
    const res = await post(gw, '/v1/audio/speech', '{"model":"tts-1","input":"x","voice":"nobody"}')
    await expectError(res, 400, 'invalid_value')
  })
})

describe('POST /v1/audio/transcriptions', () => {
  const FIELDS = {
    model: 'whisper-1',
    language: 'de',
    prompt: PROMPT,
    response_format: 'verbose_json',
    temperature: '0.2',
    'timestamp_granularities[]': ['word', 'segment'],
  }

  test('the multipart body reaches the upstream byte for byte, boundary included', async () => {
    const body = await multipart(FIELDS)
    mock.enqueue(TRANSCRIPT)
    const before = mock.requests.length
    const res = await post(gw, '/v1/audio/transcriptions', body)
    expect(res.status).toBe(200)
    expect(await jsonOf(res)).toEqual((TRANSCRIPT as { json: unknown }).json)
    const seen = mock.requests[before]!
    expect(seen.path).toBe('/v1/audio/transcriptions')
    expect(seen.headers['content-type']).toBe(body.contentType)
    expect(Buffer.from(seen.body).equals(Buffer.from(body.bytes))).toBe(true)
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-up')
    const file = (await formOf(seen)).get('file') as File
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(AUDIO)
  })

  test('with an alias, only the model changes: file bytes, filename, file type and fields are kept', async () => {
    const body = await multipart({ ...FIELDS, model: 'ears' }, AUDIO, 'voice note (1).webm', 'audio/webm')
    mock.enqueue(TRANSCRIPT)
    const before = mock.requests.length
    const res = await post(gw, '/v1/audio/transcriptions', body)
    expect(res.status).toBe(200)
    const seen = mock.requests[before]!
    const form = await formOf(seen)
    expect(form.get('model')).toBe('whisper-1')
    const file = form.get('file') as File
    expect(file.name).toBe('voice note (1).webm')
    // Checked in the bytes: Bun's FormData parser reports audio/webm as video/webm.
    expect(seen.text()).toContain('filename="voice note (1).webm"\r\nContent-Type: audio/webm\r\n')
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(AUDIO)
    expect(form.get('language')).toBe('de')
    expect(form.get('prompt')).toBe(PROMPT)
    expect(form.get('response_format')).toBe('verbose_json')
    expect(form.get('temperature')).toBe('0.2')
    expect(form.getAll('timestamp_granularities[]')).toEqual(['word', 'segment'])
    expect([...form.keys()]).toEqual([
      'file',
      'model',
      'language',
      'prompt',
      'response_format',
      'temperature',
      'timestamp_granularities[]',
      'timestamp_granularities[]',
    ])
    // The part headers (the file's declared type included) are the client's own bytes: only the value changed.
    const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1')
    expect(latin1(seen.body)).toBe(latin1(body.bytes).replace('\r\n\r\nears\r\n', '\r\n\r\nwhisper-1\r\n'))
  })

  test('response_format=text comes back as text with the upstream content type', async () => {
    mock.enqueue({ body: 'hello from the mock\n', headers: { 'content-type': 'text/plain; charset=utf-8' } })
    const res = await post(
      gw,
      '/v1/audio/transcriptions',
      await multipart({ model: 'whisper-1', response_format: 'text' }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await res.text()).toBe('hello from the mock\n')
  })

  test('stream=true is passed through as the upstream sends it', async () => {
    const frames = [
      'data: {"type":"transcript.text.delta","delta":"hel"}\n\n',
      'data: {"type":"transcript.text.done","text":"hello"}\n\n',
    ]
    mock.enqueue({ sse: frames })
    const before = mock.requests.length
    const res = await post(gw, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1', stream: 'true' }))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(frames.join(''))
    expect(mock.requests[before]!.headers.accept).toBe('text/event-stream')
  })
})

describe('POST /v1/audio/translations', () => {
  test('the multipart body reaches /audio/translations byte for byte', async () => {
    const body = await multipart({ model: 'whisper-1', prompt: PROMPT, response_format: 'json' })
    mock.enqueue({ json: { text: 'Hello' } })
    const before = mock.requests.length
    const res = await post(gw, '/v1/audio/translations', body)
    expect(res.status).toBe(200)
    expect(await jsonOf(res)).toEqual({ text: 'Hello' })
    const seen = mock.requests[before]!
    expect(seen.path).toBe('/v1/audio/translations')
    expect(seen.headers['content-type']).toBe(body.contentType)
    expect(Buffer.from(seen.body).equals(Buffer.from(body.bytes))).toBe(true)
  })
})

describe('fallback without retry', () => {
  const twoDeployments = (a: MockUpstream, b: MockUpstream) =>
    provider('a', a.url, ['whisper-1', 'tts-1', 'gpt-image-1', 'm'], 'weight = 10\nmax_retries = 3') +
    provider('b', b.url, ['whisper-1', 'tts-1', 'gpt-image-1', 'm'], 'weight = 1') +
    '[aliases]\nears = "whisper-1"\n'

  test('a 503 moves a transcription on to the next deployment after exactly one attempt, with the same bytes', async () => {
    const a = await freshMock()
    const b = await freshMock()
    a.fallback = () => openAiError(503, 'overloaded', 'server_error')
    b.fallback = () => TRANSCRIPT
    const g = await freshGateway(twoDeployments(a, b))
    const body = await multipart({ model: 'ears', prompt: PROMPT })
    const res = await post(g, '/v1/audio/transcriptions', body)
    expect(res.status).toBe(200)
    expect(a.requests.length).toBe(1)
    expect(b.requests.length).toBe(1)
    // Both attempts carried the same (alias-rewritten) body.
    expect(Buffer.from(b.requests[0]!.body).equals(Buffer.from(a.requests[0]!.body))).toBe(true)
    expect(b.requests[0]!.headers['content-type']).toBe(a.requests[0]!.headers['content-type']!)
    expect(new Uint8Array(await ((await formOf(b.requests[0]!)).get('file') as File).arrayBuffer())).toEqual(AUDIO)
  })

  test.each([
    [
      '/v1/images/generations',
      '{"model":"gpt-image-1","prompt":"p"}',
      { body: IMAGE_ANSWER, headers: { 'content-type': 'application/json' } },
    ],
    [
      '/v1/audio/speech',
      '{"model":"tts-1","input":"x","voice":"alloy"}',
      { sse: [AUDIO], headers: { 'content-type': 'audio/mpeg' } },
    ],
  ] as [string, string, MockReply][])('%s falls back after one attempt', async (path, raw, reply) => {
    const a = await freshMock()
    const b = await freshMock()
    a.fallback = () => openAiError(503, 'overloaded', 'server_error')
    b.fallback = () => reply
    const g = await freshGateway(twoDeployments(a, b))
    const res = await post(g, path, raw)
    expect(res.status).toBe(200)
    await res.arrayBuffer()
    expect([a.requests.length, b.requests.length]).toEqual([1, 1])
    expect(b.requests[0]!.text()).toBe(raw)
  })

  test('with a single deployment, its 503 is returned after exactly one attempt', async () => {
    const a = await freshMock()
    a.fallback = () => openAiError(503, 'overloaded', 'server_error', 'overloaded')
    const g = await freshGateway(provider('a', a.url, ['whisper-1'], 'max_retries = 3'))
    const res = await post(g, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1' }))
    await expectError(res, 503, 'overloaded')
    expect(a.requests.length).toBe(1)
  })

  test('chat still retries on the same deployment', async () => {
    const a = await freshMock()
    a.enqueue(openAiError(503, 'overloaded', 'server_error'), openAiError(503, 'overloaded', 'server_error'))
    a.fallback = () => ({ json: chatCompletion() })
    const g = await freshGateway(provider('a', a.url, ['m'], 'max_retries = 3'))
    const res = await g.chat({ model: 'm', messages: [] }, { key: KEY })
    expect(res.status).toBe(200)
    expect(a.requests.length).toBe(3)
  })
})

describe('providers that do not serve media', () => {
  const KINDS: [string, string][] = [
    ['anthropic', 'api_key = "k"\nbase_url = "URL/v1"'],
    ['google', 'api_key = "k"\nbase_url = "URL/v1beta"'],
    ['bedrock', 'region = "us-east-1"\naccess_key = "AKIDEXAMPLE"\nsecret_key = "secret"\nbase_url = "URL"'],
    ['echo', ''],
  ]
  const CALLS: [string, () => Promise<{ bytes: Uint8Array; contentType: string } | string>][] = [
    ['/v1/images/generations', async () => '{"model":"m","prompt":"p"}'],
    ['/v1/audio/speech', async () => '{"model":"m","input":"x","voice":"alloy"}'],
    ['/v1/audio/transcriptions', () => multipart({ model: 'm' })],
    ['/v1/audio/translations', () => multipart({ model: 'm' })],
  ]

  test.each(KINDS)(
    'kind %s answers 400 unsupported_endpoint naming the provider, without calling it',
    async (kind, extra) => {
      const up = await freshMock()
      const g = await freshGateway(
        `[providers.other]\nkind = "${kind}"\nmodels = ["m"]\n${extra.replaceAll('URL', up.url)}\n`,
      )
      for (const [path, body] of CALLS) {
        const error = await expectError(await post(g, path, await body()), 400, 'unsupported_endpoint')
        expect(error.message).toContain("Provider 'other'")
        expect(error.message).toContain(`kind ${kind}`)
        expect(error.message).toContain(path)
      }
      expect(up.requests.length).toBe(0)
    },
  )

  test('a model served by one such kind and one OpenAI deployment goes to the OpenAI one', async () => {
    const claude = await freshMock()
    const up = await freshMock()
    up.fallback = () => TRANSCRIPT
    // The anthropic deployment weighs more and would be picked first.
    const g = await freshGateway(
      `[providers.claude]\nkind = "anthropic"\napi_key = "k"\nbase_url = "${claude.url}/v1"\nmodels = ["m"]\nweight = 10\n` +
        provider('up', up.url, ['m']),
    )
    const res = await post(g, '/v1/audio/transcriptions', await multipart({ model: 'm' }))
    expect(res.status).toBe(200)
    expect([claude.requests.length, up.requests.length]).toEqual([0, 1])
  })
})

describe('azure', () => {
  test('each endpoint goes to the deployment URL with api-version and the api-key header', async () => {
    const up = await freshMock()
    up.fallback = (r) =>
      r.path.includes('/audio/speech')
        ? { sse: [AUDIO], headers: { 'content-type': 'audio/mpeg' } }
        : { json: { text: 'ok', data: [] } }
    const g = await freshGateway(
      `[providers.az]\nkind = "azure"\nbase_url = "${up.url}"\napi_version = "2024-10-21"\napi_key = "az-key"\nmodels = ["m"]\n`,
    )
    const calls: [string, { bytes: Uint8Array; contentType: string } | string, string][] = [
      ['/v1/images/generations', '{"model":"m","prompt":"p"}', 'images/generations'],
      ['/v1/audio/speech', '{"model":"m","input":"x","voice":"alloy"}', 'audio/speech'],
      ['/v1/audio/transcriptions', await multipart({ model: 'm' }), 'audio/transcriptions'],
      ['/v1/audio/translations', await multipart({ model: 'm' }), 'audio/translations'],
    ]
    for (const [i, [path, body, upstreamPath]] of calls.entries()) {
      const res = await post(g, path, body)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
      const seen = up.requests[i]!
      expect(seen.path).toBe(`/openai/deployments/m/${upstreamPath}?api-version=2024-10-21`)
      expect(seen.headers['api-key']).toBe('az-key')
      if (typeof body !== 'string') expect(Buffer.from(seen.body).equals(Buffer.from(body.bytes))).toBe(true)
    }
  })
})

describe('bad input', () => {
  test('401 without a key', async () => {
    await expectError(
      await post(gw, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1' }), null),
      401,
      'missing_api_key',
    )
    await expectError(
      await post(gw, '/v1/audio/speech', '{"model":"tts-1","input":"x","voice":"alloy"}', null),
      401,
      'missing_api_key',
    )
  })

  test('403 for a model outside the key allowlist', async () => {
    await expectError(
      await post(gw, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1' }), NARROW),
      403,
      'model_not_allowed',
      'model',
    )
    await expectError(
      await post(gw, '/v1/images/generations', '{"model":"gpt-image-1","prompt":"p"}', NARROW),
      403,
      'model_not_allowed',
      'model',
    )
  })

  test('404 for an unknown model', async () => {
    await expectError(
      await post(gw, '/v1/audio/translations', await multipart({ model: 'nope' })),
      404,
      'model_not_found',
      'model',
    )
    await expectError(
      await post(gw, '/v1/audio/speech', '{"model":"nope","input":"x","voice":"alloy"}'),
      404,
      'model_not_found',
      'model',
    )
  })

  test('400 names the missing field: model, file', async () => {
    await expectError(
      await post(gw, '/v1/audio/transcriptions', await multipart({ language: 'en' })),
      400,
      'missing_required_parameter',
      'model',
    )
    await expectError(
      await post(gw, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1' }, null)),
      400,
      'missing_required_parameter',
      'file',
    )
    await expectError(
      await post(gw, '/v1/audio/translations', await multipart({ model: 'whisper-1', file: 'not a file' }, null)),
      400,
      'invalid_type',
      'file',
    )
    await expectError(
      await post(gw, '/v1/images/generations', '{"prompt":"p"}'),
      400,
      'missing_required_parameter',
      'model',
    )
  })

  test('400 for a body that is not multipart, or not parseable', async () => {
    await expectError(await post(gw, '/v1/audio/transcriptions', '{"model":"whisper-1"}'), 400, 'invalid_content_type')
    const broken = { bytes: encoder.encode('--nope\r\nnot a part'), contentType: 'multipart/form-data; boundary=other' }
    await expectError(await post(gw, '/v1/audio/transcriptions', broken), 400, 'invalid_multipart')
    await expectError(await post(gw, '/v1/images/generations', '{"model":'), 400, 'invalid_json')
  })

  test('413 above max_body_size, from content-length', async () => {
    const up = await freshMock()
    const g = await startGateway(
      `max_body_size = 1024\n[[keys]]\nname = "t"\nkey = "${KEY}"\n${provider('up', up.url, ['whisper-1'])}`,
    )
    opened.push(g)
    const big = await multipart({ model: 'whisper-1' }, new Uint8Array(4096))
    await expectError(await post(g, '/v1/audio/transcriptions', big), 413, 'request_too_large')
    expect(up.requests.length).toBe(0)
  })

  test('the extension pipeline applies: a rate limit refuses the second call', async () => {
    const up = await freshMock()
    up.fallback = () => TRANSCRIPT
    const g = await freshGateway(
      `${provider('up', up.url, ['whisper-1'])}[extensions.rate_limit]\nrequests_per_minute = 1\n`,
    )
    expect((await post(g, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1' }))).status).toBe(200)
    const refused = await post(g, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1' }))
    await expectError(refused, 429, 'rate_limit_exceeded')
    expect(up.requests.length).toBe(1)
  })
})

describe('extension hooks', () => {
  test('see each surface: usage from JSON answers, chunks and the end of a speech stream', async () => {
    const up = await freshMock()
    const events: Record<string, unknown>[] = []
    const recorder: Extension = {
      name: 'recorder',
      needsUsage: true,
      onRequest: (c) =>
        void events.push({
          hook: 'request',
          surface: c.surface,
          model: c.model,
          stream: c.stream,
          json: { ...c.json },
        }),
      onResponse: (c, body) =>
        void events.push({
          hook: 'response',
          surface: c.surface,
          provider: c.provider,
          usage: c.usage,
          bytes: body.byteLength,
        }),
      onChunk: (c, chunk) => void events.push({ hook: 'chunk', surface: c.surface, bytes: chunk.byteLength }),
      onStreamEnd: (c, outcome) => void events.push({ hook: 'end', surface: c.surface, outcome }),
    }
    const g = await startGateway(
      `[[keys]]\nname = "t"\nkey = "${KEY}"\n${provider('up', up.url, ['gpt-image-1', 'tts-1', 'whisper-1'])}`,
      { extensions: [recorder] },
    )
    opened.push(g)
    up.enqueue(
      { body: IMAGE_ANSWER, headers: { 'content-type': 'application/json' } },
      { sse: [AUDIO.subarray(0, 10), AUDIO.subarray(10)], headers: { 'content-type': 'audio/mpeg' } },
      TRANSCRIPT,
    )
    await (await post(g, '/v1/images/generations', '{"model":"gpt-image-1","prompt":"p"}')).arrayBuffer()
    await (await post(g, '/v1/audio/speech', '{"model":"tts-1","input":"x","voice":"alloy"}')).arrayBuffer()
    await (
      await post(g, '/v1/audio/transcriptions', await multipart({ model: 'whisper-1', language: 'de' }))
    ).arrayBuffer()
    const chunks = events.filter((e) => e.hook === 'chunk')
    expect(chunks.reduce((n, e) => n + (e.bytes as number), 0)).toBe(AUDIO.length)
    expect(events.filter((e) => e.hook !== 'chunk')).toEqual([
      {
        hook: 'request',
        surface: 'images',
        model: 'gpt-image-1',
        stream: false,
        json: { model: 'gpt-image-1', prompt: 'p' },
      },
      {
        hook: 'response',
        surface: 'images',
        provider: 'up',
        usage: { prompt_tokens: 12, completion_tokens: 4160, total_tokens: 4172 },
        bytes: encoder.encode(IMAGE_ANSWER).length,
      },
      {
        hook: 'request',
        surface: 'speech',
        model: 'tts-1',
        stream: true,
        json: { model: 'tts-1', input: 'x', voice: 'alloy' },
      },
      { hook: 'end', surface: 'speech', outcome: 'done' },
      // A multipart body's text fields are what extensions see as its JSON (the file is left out).
      {
        hook: 'request',
        surface: 'transcriptions',
        model: 'whisper-1',
        stream: false,
        json: { model: 'whisper-1', language: 'de' },
      },
      {
        hook: 'response',
        surface: 'transcriptions',
        provider: 'up',
        usage: { prompt_tokens: 14, completion_tokens: 5, total_tokens: 19 },
        bytes: JSON.stringify((TRANSCRIPT as { json: unknown }).json).length,
      },
    ])
  })
})

describe('the openai SDK against the gateway', () => {
  const client = () => new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 })

  test('images.generate', async () => {
    mock.enqueue({ body: IMAGE_ANSWER, headers: { 'content-type': 'application/json' } })
    const image = await client().images.generate({ model: 'painter', prompt: 'a crab' })
    expect(image.data?.[0]?.b64_json).toBe('iVBORw0KGgo=')
    expect(image.usage?.total_tokens).toBe(4172)
  })

  test('audio.speech.create, read as a stream', async () => {
    mock.enqueue({ sse: [AUDIO.subarray(0, 500), AUDIO.subarray(500)], headers: { 'content-type': 'audio/mpeg' } })
    const speech = await client().audio.speech.create({ model: 'voice', voice: 'alloy', input: 'Hello' })
    expect(speech.headers.get('content-type')).toBe('audio/mpeg')
    const parts: Uint8Array[] = []
    for await (const chunk of speech.body!) parts.push(chunk)
    expect(new Uint8Array(Buffer.concat(parts))).toEqual(AUDIO)
  })

  test('audio.transcriptions.create with a File', async () => {
    mock.enqueue(TRANSCRIPT)
    const before = mock.requests.length
    const file = await toFile(AUDIO, 'clip.wav', { type: 'audio/wav' })
    const transcript = await client().audio.transcriptions.create({
      file,
      model: 'ears',
      language: 'de',
      prompt: PROMPT,
    })
    expect(transcript.text).toBe('hello from the mock')
    const form = await formOf(mock.requests[before]!)
    expect(form.get('model')).toBe('whisper-1')
    expect(form.get('prompt')).toBe(PROMPT)
    expect(new Uint8Array(await (form.get('file') as File).arrayBuffer())).toEqual(AUDIO)
  })
})
