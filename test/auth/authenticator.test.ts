// Virtual keys: who may call, and which models each key may use (requests and /v1/models alike).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ADMIN as ADMIN_PRINCIPAL, ANONYMOUS, createAuthenticator, digest, keyIdOf } from '../../src/auth'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const ADMIN = 'admin-token-0123456789abcdef'
const ALL = 'sk-all-models-0123456789abcdefghij'
const MINI = 'sk-only-mini-0123456789abcdefghijk'
let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(`
admin_token = "${ADMIN}"
[[keys]]
name = "all"
key = "${ALL}"
[[keys]]
name = "mini"
key = "${MINI}"
models = ["gpt-4o-mini"]
${provider('up', mock.url, ['gpt-4o-mini', 'gpt-4o'])}
[aliases]
fast = "gpt-4o-mini"
best = "gpt-4o"
`)
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})

const body = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }] })

async function expectError(res: Response, status: number, type: string, code: string | null) {
  expect(res.status).toBe(status)
  expect(res.headers.get('content-type')).toContain('application/json')
  const json = await jsonOf(res)
  expect(json.error.type).toBe(type)
  expect(json.error.code).toBe(code)
  expect(typeof json.error.message).toBe('string')
  expect(json.error).toHaveProperty('param')
  return json.error
}

describe('authentication', () => {
  test('a missing key is a 401 and nothing goes upstream', async () => {
    const before = mock.requests.length
    const err = await expectError(await gw.chat(body('gpt-4o-mini')), 401, 'authentication_error', 'missing_api_key')
    expect(err.message).toMatch(/Authorization: Bearer/)
    expect(mock.requests.length).toBe(before)
  })

  test('a wrong key is a 401 that does not echo the key', async () => {
    const err = await expectError(
      await gw.chat(body('gpt-4o-mini'), { key: 'sk-wrong-key-value' }),
      401,
      'authentication_error',
      'invalid_api_key',
    )
    expect(err.message).not.toContain('sk-wrong-key-value')
  })

  test.each([
    ['Bearer', { authorization: `Bearer ${ALL}` }],
    ['lower-case bearer', { authorization: `bearer ${ALL}` }],
    ['x-api-key (Anthropic SDKs)', { 'x-api-key': ALL }],
  ])('a key is accepted as %s', async (_, headers) => {
    expect((await gw.chat(body('gpt-4o-mini'), { headers })).status).toBe(200)
  })

  test('a malformed Authorization header is a 401', async () => {
    await expectError(
      await gw.chat(body('gpt-4o-mini'), { headers: { authorization: `Basic ${ALL}` } }),
      401,
      'authentication_error',
      'missing_api_key',
    )
  })

  test('the admin token works as a key for every model', async () => {
    expect((await gw.chat(body('gpt-4o'), { key: ADMIN })).status).toBe(200)
  })

  test('/v1/models needs a key too', async () => {
    expect((await gw.fetch('/v1/models')).status).toBe(401)
  })
})

describe('model allowlist', () => {
  test('a key may call its models, directly or through an alias', async () => {
    expect((await gw.chat(body('gpt-4o-mini'), { key: MINI })).status).toBe(200)
    expect((await gw.chat(body('fast'), { key: MINI })).status).toBe(200)
  })

  test('any other model is a 403 naming the model, and nothing goes upstream', async () => {
    const before = mock.requests.length
    const err = await expectError(
      await gw.chat(body('gpt-4o'), { key: MINI }),
      403,
      'permission_error',
      'model_not_allowed',
    )
    expect(err.message).toContain('gpt-4o')
    await expectError(await gw.chat(body('best'), { key: MINI }), 403, 'permission_error', 'model_not_allowed')
    expect(mock.requests.length).toBe(before)
  })

  test('an unknown model is a 404 whatever the key', async () => {
    const err = await expectError(
      await gw.chat(body('no-such-model'), { key: MINI }),
      404,
      'invalid_request_error',
      'model_not_found',
    )
    expect(err.message).toContain('no-such-model')
  })

  test('/v1/models lists only what the key may use', async () => {
    const ids = async (key: string) =>
      (
        (await jsonOf(await gw.fetch('/v1/models', { headers: { authorization: `Bearer ${key}` } }))).data as {
          id: string
        }[]
      )
        .map((m) => m.id)
        .sort()
    expect(await ids(MINI)).toEqual(['fast', 'gpt-4o-mini'])
    expect(await ids(ALL)).toEqual(['best', 'fast', 'gpt-4o', 'gpt-4o-mini'])
  })

  test('/v1/models has OpenAI list shape', async () => {
    const json = await jsonOf(await gw.fetch('/v1/models', { headers: { authorization: `Bearer ${ALL}` } }))
    expect(json.object).toBe('list')
    for (const m of json.data) {
      expect(m.object).toBe('model')
      expect(Number.isInteger(m.created)).toBe(true)
      expect(m.owned_by).toBe('up')
    }
  })
})

test('without keys or an admin token, auth is off', async () => {
  await using open = await startGateway(provider('up', mock.url, ['gpt-4o-mini']))
  expect(open.ctx.auth.enabled).toBe(false)
  expect((await open.chat(body('gpt-4o-mini'))).status).toBe(200)
})

test('no unexpected errors were logged', () => {
  expect(gw.errors()).toEqual([])
})

describe('key identity', () => {
  const req = (key: string) =>
    new Request('http://gateway.test/v1/models', { headers: { authorization: `Bearer ${key}` } })

  test('a key is identified by its secret, not its name: key_ and 16 hex digits of its SHA-256', () => {
    const config = [{ name: 'team', key: ALL, models: ['*'] }]
    const auth = createAuthenticator(config, ADMIN)
    const hex = new Bun.CryptoHasher('sha256').update(ALL).digest('hex')
    expect(auth.authenticate(req(ALL)).id).toBe(`key_${hex.slice(0, 16)}`)
    expect(keyIdOf(digest(ALL))).toBe(`key_${hex.slice(0, 16)}`)
    // The same name with a new secret is another key; a renamed key keeps its id.
    expect(createAuthenticator([{ ...config[0]!, key: MINI }], ADMIN).authenticate(req(MINI)).id).toBe(
      keyIdOf(digest(MINI)),
    )
    expect(createAuthenticator([{ ...config[0]!, name: 'renamed' }], ADMIN).authenticate(req(ALL)).id).toBe(
      keyIdOf(digest(ALL)),
    )
    expect(auth.authenticate(req(ADMIN))).toBe(ADMIN_PRINCIPAL)
    expect(ADMIN_PRINCIPAL.id).toBe('admin')
    expect(ANONYMOUS.id).toBe('anonymous')
  })

  test('an API key uses the id stored with it, and one stored before ids existed gets the same derived id', () => {
    const stored = (secret: string, id?: string) => ({
      name: 'bot',
      hash: digest(secret),
      models: ['*'],
      ...(id ? { id } : {}),
    })
    const auth = createAuthenticator([], ADMIN, [stored(ALL, 'key_0123456789abcdef'), stored(MINI)])
    expect(auth.authenticate(req(ALL)).id).toBe('key_0123456789abcdef')
    expect(auth.authenticate(req(MINI)).id).toBe(keyIdOf(digest(MINI)))
    expect(auth.principals.map((p) => p.id)).toEqual(['key_0123456789abcdef', keyIdOf(digest(MINI))])
  })
})
