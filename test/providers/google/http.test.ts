import { describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import {
  geminiError,
  geminiFrame,
  textAnswer,
  textStreamEvents,
  toolStreamEvents,
} from '../../support/fixtures/google/gemini'
import { jsonOf, readSse, startGateway } from '../../support/gateway'
import { startMockUpstream } from '../../support/mock-upstream'

const tomlFor = (url: string, kind = 'google') =>
  `[providers.gem]\nkind = "${kind}"\napi_key = "g-test"\nbase_url = "${url}/v1beta"\nmodels = ["gemini-2.5-flash","text-embedding-004"]\n`

const embedAnswer = { embeddings: [{ values: [0.5, -0.25, 1] }, { values: [0, 1, 0] }] }

describe('google provider over HTTP', () => {
  test('non-stream chat: exact outbound request and translated answer', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    mock.enqueue({ json: textAnswer() })
    const res = await gw.chat({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
      temperature: 0.3,
      max_tokens: 64,
    })
    expect(res.status).toBe(200)
    expect(await jsonOf(res)).toMatchObject({
      id: 'chatcmpl-resp-json',
      object: 'chat.completion',
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from Gemini' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
    })
    const sent = mock.requests[0]!
    expect(sent.method).toBe('POST')
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent')
    expect(sent.headers['x-goog-api-key']).toBe('g-test')
    expect(sent.headers['content-type']).toBe('application/json')
    expect(sent.headers['accept-encoding']).toBe('identity')
    expect(sent.headers.authorization).toBeUndefined()
    expect(sent.path).not.toContain('key=')
    expect(sent.json()).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      systemInstruction: { parts: [{ text: 'be brief' }] },
      generationConfig: { temperature: 0.3, maxOutputTokens: 64 },
    })
  })

  test('the gemini alias kind works the same', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url, 'gemini'))
    mock.enqueue({ json: textAnswer('aliased') })
    const res = await gw.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] })
    expect((await jsonOf(res)).choices[0].message.content).toBe('aliased')
    expect(mock.requests[0]!.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent')
  })

  test('stream chat: alt=sse request, OpenAI chunks with usage, [DONE]', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    mock.enqueue({ sse: textStreamEvents().map(geminiFrame) })
    const res = await gw.chat({
      model: 'gemini-2.5-flash',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const frames = await readSse(res)
    expect(frames.at(-1)).toBe('[DONE]')
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f))
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? null).join('|')).toBe('|Hello| there|!||')
    expect(chunks.at(-1).usage).toEqual({ prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 })
    const sent = mock.requests[0]!
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse')
    expect(sent.headers['x-goog-api-key']).toBe('g-test')
    expect(sent.headers.accept).toBe('text/event-stream')
    expect(sent.json()).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })
  })

  test('an error event mid-stream reaches the client in-band, without [DONE]', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    // Hold the error until the client has the first chunk, so that the stream is committed (not retried).
    const release = Promise.withResolvers<void>()
    mock.enqueue({
      sse: [
        geminiFrame(textStreamEvents()[0]),
        geminiFrame(geminiError(500, 'INTERNAL', 'An internal error has occurred.')),
      ],
      holdFrames: release.promise,
      holdFramesAfter: 1,
    })
    const res = await gw.chat({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = decoder.decode((await reader.read()).value, { stream: true })
    release.resolve()
    for (let r = await reader.read(); !r.done; r = await reader.read())
      text += decoder.decode(r.value, { stream: true })
    const frames = text
      .split('\n\n')
      .filter((f) => f.trim())
      .map((f) => f.replace(/^data: /, ''))
    expect(frames).not.toContain('[DONE]')
    expect(frames.some((f) => f.includes('"content":"Hello"'))).toBe(true)
    const last = JSON.parse(frames.at(-1)!)
    expect(last.error.message).toContain('Gemini stream error 500 INTERNAL: An internal error has occurred.')
    expect(mock.requests.length).toBe(1)
  })

  test('an error event before anything was relayed is retried like any transient failure', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    mock.enqueue(
      { sse: [geminiFrame(geminiError(503, 'UNAVAILABLE', 'The model is overloaded.'))] },
      { sse: textStreamEvents().map(geminiFrame) },
    )
    const res = await gw.chat({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] })
    const frames = await readSse(res)
    expect(frames.at(-1)).toBe('[DONE]')
    expect(frames.join('')).toContain(' there')
    expect(mock.requests.length).toBe(2)
  })

  test('embeddings: batchEmbedContents request and OpenAI list', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    mock.enqueue({ json: embedAnswer })
    const res = await gw.fetch('/v1/embeddings', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-004', input: ['a', 'b'], dimensions: 3 }),
    })
    expect(res.status).toBe(200)
    expect(await jsonOf(res)).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -0.25, 1] },
        { object: 'embedding', index: 1, embedding: [0, 1, 0] },
      ],
      model: 'text-embedding-004',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    })
    const sent = mock.requests[0]!
    expect(sent.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents')
    expect(sent.headers['x-goog-api-key']).toBe('g-test')
    expect(sent.json()).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] }, outputDimensionality: 3 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] }, outputDimensionality: 3 },
      ],
    })
  })

  test('a 429 RESOURCE_EXHAUSTED is retried', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    const quota = geminiError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', [
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' },
    ])
    mock.enqueue({ status: 429, json: quota }, { json: textAnswer('after retry') })
    const res = await gw.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).choices[0].message.content).toBe('after retry')
    expect(mock.requests.length).toBe(2)
  })

  test('a 429 that outlasts the retries reaches the client as an OpenAI 429 with Retry-After', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    const quota = {
      status: 429,
      json: geminiError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', [{ retryDelay: '7s' }]),
    }
    mock.enqueue(quota, quota, quota)
    const res = await gw.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(429)
    expect(await jsonOf(res)).toEqual({
      error: { message: 'Quota exceeded.', type: 'requests', param: null, code: 'resource_exhausted' },
    })
    expect(mock.requests.length).toBe(3)
  })

  test('a 400 INVALID_ARGUMENT is relayed at once as an OpenAI-shaped 400', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    mock.enqueue({
      status: 400,
      json: geminiError(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified'),
    })
    const res = await gw.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] })
    expect(res.status).toBe(400)
    expect(await jsonOf(res)).toEqual({
      error: {
        message: '* GenerateContentRequest.contents: contents is not specified',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_argument',
      },
    })
    expect(mock.requests.length).toBe(1)
  })

  test('a body the translator refuses is a 400 naming the field, and nothing goes upstream', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    const res = await gw.chat({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{oops' } }],
        },
      ],
    })
    expect(res.status).toBe(400)
    const body = await jsonOf(res)
    expect(body.error.type).toBe('invalid_request_error')
    expect(body.error.param).toBe('messages[1].tool_calls[0].function.arguments')
    expect(mock.requests.length).toBe(0)
    expect(gw.errors()).toEqual([])
  })
})

describe('google provider through the openai SDK', () => {
  test('chat.completions.create, non-stream and stream, and embeddings.create', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(tomlFor(mock.url))
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 })

    mock.enqueue({ json: textAnswer('sdk hello') })
    const completion = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(completion.choices[0]!.message.content).toBe('sdk hello')
    expect(completion.usage?.total_tokens).toBe(11)

    mock.enqueue({ sse: toolStreamEvents().map(geminiFrame) })
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [
        {
          type: 'function',
          function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        },
      ],
      stream: true,
      stream_options: { include_usage: true },
    })
    const calls: { index: number; name?: string; arguments?: string }[] = []
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? [])
        calls.push({ index: call.index, name: call.function?.name, arguments: call.function?.arguments })
      finish = chunk.choices[0]?.finish_reason ?? finish
      if (chunk.usage) usage = chunk.usage
    }
    expect(calls).toEqual([
      { index: 0, name: 'weather', arguments: '{"city":"Paris"}' },
      { index: 1, name: 'weather', arguments: '{"city":"Zürich"}' },
    ])
    expect(finish).toBe('tool_calls')
    expect(usage?.completion_tokens).toBe(15)
    expect(mock.requests[1]!.json().tools).toEqual([
      {
        functionDeclarations: [
          { name: 'weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } },
        ],
      },
    ])

    mock.enqueue({ json: embedAnswer })
    const embeddings = await client.embeddings.create({ model: 'text-embedding-004', input: ['a', 'b'] })
    // The SDK asks for base64 by default and decodes it: float32 round-trips exactly for these values.
    expect(mock.requests[2]!.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents')
    expect(embeddings.data.map((d) => d.embedding)).toEqual([
      [0.5, -0.25, 1],
      [0, 1, 0],
    ])
  })
})

describe('google provider: a thinking model across two tool turns (openai SDK)', () => {
  const SIG = 'CikB0e2Kb+4/x9Zq1w=='
  const toml = (url: string) =>
    `[providers.gem]\nkind = "google"\napi_key = "g-test"\nbase_url = "${url}/v1beta"\nmodels = ["gemini-3-pro-preview"]\n`
  const tools = [
    {
      type: 'function' as const,
      function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    },
  ]
  const usage = { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 20, totalTokenCount: 35 }
  const call = {
    candidates: [
      {
        content: {
          role: 'model',
          parts: [
            { text: 'The user wants weather.', thought: true },
            { functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: SIG },
          ],
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: usage,
    modelVersion: 'gemini-3-pro-preview',
    responseId: 'r1',
  }

  /** The second turn as an SDK user writes it: the assistant message echoed, the tool answered by id. */
  function secondTurn(id: string): OpenAI.ChatCompletionMessageParam[] {
    return [
      { role: 'user', content: 'weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id, type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: id, content: 'sunny' },
    ]
  }
  const expectedContents = [
    { role: 'user', parts: [{ text: 'weather in Paris?' }] },
    { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: SIG }] },
    { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { output: 'sunny' } } }] },
  ]

  test('non-stream: reasoning asked, reasoning_content back, the signature restored from the id alone', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(toml(mock.url))
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 })
    mock.enqueue({ json: call })
    const first = await client.chat.completions.create({
      model: 'gemini-3-pro-preview',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools,
      reasoning_effort: 'high',
    })
    const message = first.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string }
    expect(message.reasoning_content).toBe('The user wants weather.')
    const id = message.tool_calls![0]!.id
    expect(id).toMatch(/^call_[0-9a-f]{24}__gts__CikB0e2Kb-4_x9Zq1w$/)
    expect(mock.requests[0]!.json().generationConfig).toEqual({
      thinkingConfig: { thinkingLevel: 'high', includeThoughts: true },
    })

    mock.enqueue({ json: textAnswer('Sunny in Paris.') })
    const second = await client.chat.completions.create({
      model: 'gemini-3-pro-preview',
      messages: secondTurn(id),
      tools,
    })
    expect(second.choices[0]!.message.content).toBe('Sunny in Paris.')
    expect(mock.requests[1]!.json().contents).toEqual(expectedContents)
  })

  test('stream: the id of the streamed call carries the signature the same way', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(toml(mock.url))
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 })
    mock.enqueue({ sse: [geminiFrame(call)] })
    const stream = await client.chat.completions.create({
      model: 'gemini-3-pro-preview',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools,
      stream: true,
    })
    let reasoning = ''
    const ids: string[] = []
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string } & OpenAI.ChatCompletionChunk.Choice.Delta
      reasoning += delta?.reasoning_content ?? ''
      for (const c of delta?.tool_calls ?? []) if (c.id) ids.push(c.id)
    }
    expect(mock.requests[0]!.path).toBe('/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse')
    expect(reasoning).toBe('The user wants weather.')
    expect(ids).toHaveLength(1)
    expect(ids[0]).toEndWith('__gts__CikB0e2Kb-4_x9Zq1w')

    mock.enqueue({ json: textAnswer('Sunny.') })
    await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages: secondTurn(ids[0]!), tools })
    expect(mock.requests[1]!.json().contents).toEqual(expectedContents)
  })

  test('a history from another provider gets the skip value on its first call', async () => {
    await using mock = await startMockUpstream()
    await using gw = await startGateway(toml(mock.url))
    mock.enqueue({ json: textAnswer('Sunny.') })
    const res = await gw.chat({ model: 'gemini-3-pro-preview', messages: secondTurn('toolu_01XyZ'), tools })
    expect(res.status).toBe(200)
    expect(mock.requests[0]!.json().contents[1]).toEqual({
      role: 'model',
      parts: [
        {
          functionCall: { name: 'weather', args: { city: 'Paris' } },
          thoughtSignature: 'skip_thought_signature_validator',
        },
      ],
    })
  })
})
