// GET /v1/models and GET /v1/models/{id}, with both official SDKs: OpenAI's shape by default, with
// what the model catalog knows beside it in OpenRouter's field names; Anthropic's (paged by limit,
// after_id, before_id) when the request carries anthropic-version. Only what the calling key may use is
// listed or found; the rest is 404, never 403.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { anthropicPage, perToken } from '../../src/server/routes/models'
import { jsonOf, startGateway, type TestGateway } from '../support/gateway'

const KEY = 'sk-models-all-0123456789abcdef'
const LIMITED = 'sk-models-limited-0123456789abcdef'
/** 25 models: more than Anthropic's default page of 20. */
const MANY = Array.from({ length: 25 }, (_, i) => `echo-${String(i).padStart(2, '0')}`)

let gw: TestGateway

beforeAll(async () => {
  gw = await startGateway(`
[[keys]]
name = "all"
key = "${KEY}"
[[keys]]
name = "limited"
key = "${LIMITED}"
models = ["gpt-4o", "llama3:8b"]

[providers.local]
kind = "echo"
models = ${JSON.stringify([...MANY, 'gpt-4o', 'llama3:8b'])}

# Served elsewhere too, so not one of the echo-only models (those cost nothing): a model nobody knows.
[providers.lab]
kind = "ollama"
base_url = "http://127.0.0.1:9/v1"
models = ["echo-03"]

[aliases]
"openai/gpt-4o" = "gpt-4o"
"team/echo" = "echo-00"

[models."llama3:8b"]
context_length = 8192
vision = false
[models."llama3:8b".pricing]
input_cost_per_million = 0.1
output_cost_per_million = 0.2
`)
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
})

const openai = (key = KEY) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 })
const anthropic = (key = KEY) => new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 })
const ALL = [...MANY, 'gpt-4o', 'llama3:8b', 'openai/gpt-4o', 'team/echo']

describe("OpenAI's shape", () => {
  test('the list holds every model and alias the key may use', async () => {
    const ids: string[] = []
    for await (const model of openai().models.list()) ids.push(model.id)
    expect(ids).toEqual(ALL)
    const limited: string[] = []
    for await (const model of openai(LIMITED).models.list()) limited.push(model.id)
    expect(limited).toEqual(['gpt-4o', 'llama3:8b', 'openai/gpt-4o'])
  })

  test('retrieve: a model, and an alias with / (percent-encoded by the SDK) owned by its target provider', async () => {
    const model = await openai().models.retrieve('llama3:8b')
    expect(model).toMatchObject({ id: 'llama3:8b', object: 'model', owned_by: 'local' })
    expect(typeof model.created).toBe('number')
    expect(await openai().models.retrieve('openai/gpt-4o')).toMatchObject({ id: 'openai/gpt-4o', owned_by: 'local' })
  })

  test('an id with a bare / in the path is the rest of the path', async () => {
    const res = await gw.fetch('/v1/models/openai/gpt-4o', { headers: { authorization: `Bearer ${KEY}` } })
    expect(res.status).toBe(200)
    expect((await jsonOf(res)).id).toBe('openai/gpt-4o')
    expect(res.headers.get('x-request-id')).toBeTruthy()
  })

  test('an unknown model, and one the key may not use, are the same 404', async () => {
    for (const id of ['no-such-model', 'echo-03', 'team/echo']) {
      const err = await openai(LIMITED)
        .models.retrieve(id)
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(OpenAI.NotFoundError)
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found')
    }
  })

  test('no key is a 401 in OpenAI shape', async () => {
    const res = await gw.fetch('/v1/models/gpt-4o')
    expect(res.status).toBe(401)
    expect((await jsonOf(res)).error.code).toBe('missing_api_key')
  })
})

describe("what the catalog knows, beside OpenAI's fields (OpenRouter's names)", () => {
  /** gpt-4o in the built-in catalog: $2.50 / $10 per million tokens, $1.25 cached; 128K context, 16K out. */
  const GPT_4O = {
    context_length: 128_000,
    pricing: { prompt: '0.0000025', completion: '0.00001', input_cache_read: '0.00000125' },
    architecture: { input_modalities: ['text', 'image'] },
    top_provider: { context_length: 128_000, max_completion_tokens: 16_384 },
    supported_parameters: ['tools', 'tool_choice'],
  }

  test("retrieve: OpenAI's four fields first, then context, per-token prices, modalities, limits, parameters", async () => {
    const model = await openai().models.retrieve('gpt-4o')
    expect(model).toEqual({ id: 'gpt-4o', object: 'model', created: expect.any(Number), owned_by: 'local', ...GPT_4O })
    expect(Object.keys(model).slice(0, 4)).toEqual(['id', 'object', 'created', 'owned_by'])
  })

  test("an alias shows its model's facts; the list carries them too", async () => {
    expect(await openai().models.retrieve('openai/gpt-4o')).toMatchObject({ id: 'openai/gpt-4o', ...GPT_4O })
    const listed = new Map<string, unknown>()
    for await (const model of openai().models.list()) listed.set(model.id, model)
    expect(listed.get('gpt-4o')).toMatchObject(GPT_4O)
  })

  test('a [models] entry of the config: its own context and price; what it leaves unknown is absent', async () => {
    expect(await openai().models.retrieve('llama3:8b')).toEqual({
      id: 'llama3:8b',
      object: 'model',
      created: expect.any(Number),
      owned_by: 'local',
      context_length: 8192,
      pricing: { prompt: '0.0000001', completion: '0.0000002' },
      architecture: { input_modalities: ['text'] },
      top_provider: { context_length: 8192 },
    } as never)
  })

  test("a model nobody knows has OpenAI's four fields only", async () => {
    const model = await openai().models.retrieve('echo-03')
    expect(model).toEqual({ id: 'echo-03', object: 'model', created: expect.any(Number), owned_by: 'local' })
  })

  test('a model only the built-in echo serves costs nothing: a price of 0, not unknown', async () => {
    const model = (await openai().models.retrieve('echo-04')) as unknown as { pricing?: Record<string, string> }
    expect(model.pricing).toMatchObject({ prompt: '0', completion: '0' })
  })

  test.each([
    [2.5, '0.0000025'],
    [10, '0.00001'],
    [0.075, '0.000000075'],
    [0.0028, '0.0000000028'],
    [0, '0'],
    [150, '0.00015'],
    [1_234_567.5, '1.2345675'],
  ])('perToken(%d) = %s', (perMillion, text) => {
    expect(perToken(perMillion)).toBe(text)
  })
})

describe("Anthropic's shape (anthropic-version)", () => {
  test('the SDK pages through more models than one page holds', async () => {
    const ids: string[] = []
    for await (const model of anthropic().models.list()) {
      expect(model).toMatchObject({ type: 'model', id: model.id, display_name: model.id })
      expect(model.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      ids.push(model.id)
    }
    expect(ids).toEqual(ALL)
  })

  test('one page: limit, has_more, first_id, last_id; after_id and before_id move it', async () => {
    const page = await anthropic().models.list({ limit: 3 })
    expect(page.data.map((m) => m.id)).toEqual(['echo-00', 'echo-01', 'echo-02'])
    expect(page.has_more).toBe(true)
    expect(page.first_id).toBe('echo-00')
    expect(page.last_id).toBe('echo-02')
    const next = await anthropic().models.list({ limit: 3, after_id: 'echo-02' })
    expect(next.data.map((m) => m.id)).toEqual(['echo-03', 'echo-04', 'echo-05'])
    const back = await anthropic().models.list({ limit: 2, before_id: 'echo-03' })
    expect(back.data.map((m) => m.id)).toEqual(['echo-01', 'echo-02'])
    expect(back.has_more).toBe(true)
    const last = await anthropic().models.list({ limit: 1000, after_id: 'openai/gpt-4o' })
    expect(last.data.map((m) => m.id)).toEqual(['team/echo'])
    expect(last.has_more).toBe(false)
  })

  test('a restricted key pages through its own models only', async () => {
    const ids: string[] = []
    for await (const model of anthropic(LIMITED).models.list({ limit: 1 })) ids.push(model.id)
    expect(ids).toEqual(['gpt-4o', 'llama3:8b', 'openai/gpt-4o'])
  })

  test('retrieve: Anthropic model objects, ids with / and :', async () => {
    const model = await anthropic().models.retrieve('openai/gpt-4o')
    expect(model).toEqual({
      type: 'model',
      id: 'openai/gpt-4o',
      display_name: 'openai/gpt-4o',
      created_at: expect.any(String),
    } as never)
    expect((await anthropic(LIMITED).models.retrieve('llama3:8b')).id).toBe('llama3:8b')
  })

  test('a model the key may not use is a not_found_error, as an unknown one', async () => {
    for (const id of ['echo-03', 'nope']) {
      const err = await anthropic(LIMITED)
        .models.retrieve(id)
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(Anthropic.NotFoundError)
      expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toEqual({
        type: 'error',
        error: {
          type: 'not_found_error',
          message: `The model '${id}' does not exist or you do not have access to it.`,
        },
      })
    }
  })

  test('bad paging params and a missing key answer in Anthropic shape', async () => {
    const headers = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' }
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'after_id=nope', 'after_id=echo-01&before_id=echo-05']) {
      const res = await gw.fetch(`/v1/models?${query}`, { headers })
      expect(res.status).toBe(400)
      expect(await jsonOf(res)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    }
    const res = await gw.fetch('/v1/models', { headers: { 'anthropic-version': '2023-06-01' } })
    expect(res.status).toBe(401)
    expect(await jsonOf(res)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } })
    expect(gw.errors()).toEqual([])
  })
})

describe('anthropicPage', () => {
  const ids = ['a', 'b', 'c', 'd', 'e']
  const page = (query: string) => anthropicPage(ids, new URLSearchParams(query))

  test.each([
    ['', ['a', 'b', 'c', 'd', 'e'], false],
    ['limit=2', ['a', 'b'], true],
    ['limit=2&after_id=c', ['d', 'e'], false],
    ['limit=2&after_id=e', [], false],
    ['limit=2&before_id=c', ['a', 'b'], false],
    ['limit=2&before_id=e', ['c', 'd'], true],
    ['before_id=a', [], false],
  ])('%s → %j', (query, data, hasMore) => {
    const result = page(query)
    expect(result.data.map((m) => m.id)).toEqual(data)
    expect(result.has_more).toBe(hasMore)
    expect(result.first_id).toBe(data[0] ?? null)
    expect(result.last_id).toBe(data[data.length - 1] ?? null)
  })
})
