// Model discovery (ProviderKind.listModels through discoverModels): each kind against a mock speaking
// that API's listing format (paging, credentials, error shapes), and the failures every kind shares:
// an upstream error keeps its status and message, unreachable is 502, too slow is 504.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { validateProvider } from '../../src/config/load'
import type { ProviderConfig } from '../../src/config/schema'
import { GatewayError } from '../../src/core/errors'
import { discoverModels, PROVIDER_RULES } from '../../src/providers'
import { MAX_MODEL_PAGES } from '../../src/providers/list-models'
import { closedPort, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

let mock: MockUpstream
beforeAll(async () => {
  mock = await startMockUpstream()
})
afterAll(() => mock.close())
beforeEach(() => {
  mock.requests.length = 0
})

/** A provider config as the admin API has it before discovery (defaults and kind defaults applied). */
function config(fields: Record<string, unknown>): ProviderConfig {
  const result = validateProvider(fields, PROVIDER_RULES, { discover: true })
  if (!result.ok) throw new Error(`${result.issue.field}: ${result.issue.problem}`)
  return result.config
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError)
    return err as GatewayError
  }
  throw new Error('expected a failure')
}

describe('the OpenAI family: GET {base_url}/models → data[].id', () => {
  test('openai sends the key as Bearer and reads data[].id', async () => {
    mock.enqueue({
      json: {
        object: 'list',
        data: [
          { id: 'gpt-4o', object: 'model' },
          { id: 'gpt-4o-mini', object: 'model' },
        ],
      },
    })
    const models = await discoverModels(
      'oa',
      config({ kind: 'openai', api_key: 'sk-list-openai-1234', base_url: `${mock.url}/v1` }),
    )
    expect(models).toEqual(['gpt-4o', 'gpt-4o-mini'])
    expect(mock.requests[0]!.method).toBe('GET')
    expect(mock.requests[0]!.path).toBe('/v1/models')
    expect(mock.requests[0]!.headers.authorization).toBe('Bearer sk-list-openai-1234')
  })

  test('ollama and custom kinds use the same listing; no key, no authorization header', async () => {
    mock.enqueue(
      { json: { object: 'list', data: [{ id: 'llama3.2:latest' }] } },
      { json: { data: [{ id: 'qwen' }, { id: 'qwen' }, { id: 7 }] } },
    )
    expect(await discoverModels('ol', config({ kind: 'ollama', base_url: `${mock.url}/v1/` }))).toEqual([
      'llama3.2:latest',
    ])
    expect(mock.requests[0]!.path).toBe('/v1/models')
    expect(mock.requests[0]!.headers.authorization).toBeUndefined()
    // duplicates folded, items without a string id skipped
    expect(await discoverModels('vl', config({ kind: 'vllm', base_url: `${mock.url}/v1` }))).toEqual(['qwen'])
  })

  test("an upstream error keeps its status, type, code and message (prefixed with the provider's name)", async () => {
    mock.enqueue({
      status: 401,
      json: {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    })
    const err = await failure(
      discoverModels('oa', config({ kind: 'openai', api_key: 'sk-wrong-0000000000', base_url: `${mock.url}/v1` })),
    )
    expect(err.status).toBe(401)
    expect(err.type).toBe('authentication_error')
    expect(err.code).toBe('invalid_api_key')
    expect(err.message).toBe("Provider 'oa' could not list its models: Incorrect API key provided.")
  })

  test("ollama's {error: string} and a body that is not JSON keep their text", async () => {
    mock.enqueue(
      { status: 404, json: { error: 'model listing disabled' } },
      { status: 503, body: 'upstream down for maintenance' },
    )
    const a = await failure(discoverModels('ol', config({ kind: 'ollama', base_url: `${mock.url}/v1` })))
    expect([a.status, a.message]).toEqual([404, "Provider 'ol' could not list its models: model listing disabled"])
    const b = await failure(discoverModels('ol', config({ kind: 'ollama', base_url: `${mock.url}/v1` })))
    expect(b.status).toBe(503)
    expect(b.type).toBe('server_error')
    expect(b.message).toContain('upstream down for maintenance')
  })

  test('a 200 that is not a listing is a 502', async () => {
    mock.enqueue({ body: '<html>login</html>' }, { json: { models: [] } })
    const a = await failure(discoverModels('oa', config({ kind: 'openai', api_key: 'k', base_url: `${mock.url}/v1` })))
    expect([a.status, a.code]).toEqual([502, 'upstream_invalid_response'])
    const b = await failure(discoverModels('oa', config({ kind: 'openai', api_key: 'k', base_url: `${mock.url}/v1` })))
    expect(b.status).toBe(502)
    expect(b.message).toContain('no "data" list')
  })
})

describe('anthropic: GET {base}/models with x-api-key and anthropic-version, paged by after_id', () => {
  test('follows has_more/last_id across pages', async () => {
    mock.enqueue(
      {
        json: {
          data: [
            { type: 'model', id: 'claude-sonnet-4-5' },
            { type: 'model', id: 'claude-opus-4-1' },
          ],
          has_more: true,
          first_id: 'claude-sonnet-4-5',
          last_id: 'claude-opus-4-1',
        },
      },
      {
        json: {
          data: [{ type: 'model', id: 'claude-3-5-haiku-latest' }],
          has_more: false,
          first_id: 'claude-3-5-haiku-latest',
          last_id: 'claude-3-5-haiku-latest',
        },
      },
    )
    const models = await discoverModels(
      'an',
      config({ kind: 'anthropic', api_key: 'sk-ant-list-000000', base_url: `${mock.url}/v1` }),
    )
    expect(models).toEqual(['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-3-5-haiku-latest'])
    expect(mock.requests.map((r) => r.path)).toEqual([
      '/v1/models?limit=1000',
      '/v1/models?limit=1000&after_id=claude-opus-4-1',
    ])
    expect(mock.requests[0]!.headers['x-api-key']).toBe('sk-ant-list-000000')
    expect(mock.requests[0]!.headers['anthropic-version']).toBe('2023-06-01')
    expect(mock.requests[0]!.headers.authorization).toBeUndefined()
  })

  test('paging is bounded', async () => {
    const previous = mock.fallback
    let n = 0
    mock.fallback = () => ({ json: { data: [{ id: `m${++n}` }], has_more: true, last_id: `m${n}` } })
    try {
      const models = await discoverModels('an', config({ kind: 'anthropic', api_key: 'k', base_url: `${mock.url}/v1` }))
      expect(models).toHaveLength(MAX_MODEL_PAGES)
      expect(mock.requests).toHaveLength(MAX_MODEL_PAGES)
    } finally {
      mock.fallback = previous
    }
  })

  test("Anthropic's error shape is translated, status kept", async () => {
    mock.enqueue({
      status: 401,
      json: { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
    })
    const err = await failure(
      discoverModels('an', config({ kind: 'anthropic', api_key: 'bad', base_url: `${mock.url}/v1` })),
    )
    expect([err.status, err.type, err.code]).toEqual([401, 'authentication_error', 'authentication_error'])
    expect(err.message).toContain('invalid x-api-key')
  })
})

describe('google: GET {base}/models with x-goog-api-key, paged by nextPageToken', () => {
  test('names lose "models/", models that neither chat nor embed are left out, the key stays out of the URL', async () => {
    mock.enqueue(
      {
        json: {
          models: [
            { name: 'models/gemini-2.5-flash', supportedGenerationMethods: ['generateContent', 'countTokens'] },
            { name: 'models/aqa', supportedGenerationMethods: ['generateAnswer'] },
          ],
          nextPageToken: 'page two',
        },
      },
      {
        json: {
          models: [
            { name: 'models/text-embedding-004', supportedGenerationMethods: ['embedContent'] },
            { name: 'models/bare' },
          ],
        },
      },
    )
    const models = await discoverModels(
      'g',
      config({ kind: 'gemini', api_key: 'AIza-list-key-0000', base_url: `${mock.url}/v1beta` }),
    )
    expect(models).toEqual(['gemini-2.5-flash', 'text-embedding-004', 'bare'])
    expect(mock.requests.map((r) => r.path)).toEqual([
      '/v1beta/models?pageSize=1000',
      '/v1beta/models?pageSize=1000&pageToken=page%20two',
    ])
    expect(mock.requests[1]!.headers['x-goog-api-key']).toBe('AIza-list-key-0000')
    for (const r of mock.requests) expect(r.path).not.toContain('AIza')
  })

  test("Gemini's error shape is translated, status kept", async () => {
    mock.enqueue({
      status: 400,
      json: {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
        },
      },
    })
    const err = await failure(
      discoverModels('g', config({ kind: 'google', api_key: 'bad', base_url: `${mock.url}/v1beta` })),
    )
    expect([err.status, err.type, err.code]).toEqual([400, 'invalid_request_error', 'api_key_invalid'])
    expect(err.message).toContain('API key not valid')
  })
})

describe('kinds without a network listing', () => {
  test('echo lists its built-in models', async () => {
    expect(await discoverModels('e', { ...config({ kind: 'echo' }), models: [] })).toEqual(['echo'])
  })

  test.each([
    ['azure', { kind: 'azure', api_key: 'k', base_url: 'https://x.openai.azure.com', api_version: '2024-10-21' }],
    ['bedrock', { kind: 'bedrock', region: 'us-east-1', access_key: 'AKIAEXAMPLE', secret_key: 'secret' }],
  ])('%s: 400 "models is required"', async (kind, fields) => {
    const err = await failure(discoverModels('x', config(fields)))
    expect([err.status, err.type, err.param]).toEqual([400, 'invalid_request_error', 'models'])
    expect(err.message).toStartWith(`models is required for kind ${kind}`)
    expect(mock.requests).toHaveLength(0)
  })
})

describe('no answer', () => {
  test('unreachable → 502 upstream_unreachable', async () => {
    const port = await closedPort()
    const err = await failure(
      discoverModels('oa', config({ kind: 'openai', api_key: 'k', base_url: `http://127.0.0.1:${port}/v1` })),
    )
    expect([err.status, err.code]).toEqual([502, 'upstream_unreachable'])
    expect(err.message).toContain("provider 'oa'")
  })

  test('too slow → 504 upstream_timeout', async () => {
    const { promise, resolve } = Promise.withResolvers<void>()
    mock.enqueue({ hold: promise, json: { data: [] } })
    try {
      const err = await failure(
        discoverModels('oa', config({ kind: 'openai', api_key: 'k', base_url: `${mock.url}/v1` }), 50),
      )
      expect([err.status, err.code]).toEqual([504, 'upstream_timeout'])
    } finally {
      resolve()
    }
  })
})
