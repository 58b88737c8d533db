// The providers half of the admin API over HTTP (src/server/routes/admin-providers.ts, src/admin/providers.ts), on every storage
// backend: list/show/create/update/delete, config-file providers listed read-only, validation errors
// that name the field, model discovery (and nothing stored when it fails), secrets masked in every
// answer and absent from every log line, a stream in flight across an update or delete completes,
// and API providers survive a restart on the same store.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, closedPort, type MockUpstream, startMockUpstream } from '../support/mock-upstream'
import { BACKENDS, closeAll } from '../support/stores'

const ADMIN = 'admin-token-providers-0123456789abcdef'
const TEAM = 'sk-team-providers-0123456789abcdefgh'
/** Secrets that must never show in an answer or a log line. */
const CONFIG_SECRET = 'sk-config-secret-base-7777777777'
const API_SECRET = 'sk-api-secret-provider-9999999999'
const AWS_SECRET = 'aws-secret-key-0000000000000000000000'
const AWS_TOKEN = 'aws-session-token-11111111111111111'
const SECRETS = [CONFIG_SECRET, API_SECRET, AWS_SECRET, AWS_TOKEN]

let a: MockUpstream
let b: MockUpstream
beforeAll(async () => {
  a = await startMockUpstream()
  b = await startMockUpstream()
})
afterAll(async () => {
  await a.close()
  await b.close()
  await closeAll()
})

function toml(): string {
  return `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${TEAM}"

[providers.base]
kind = "openai"
api_key = "${CONFIG_SECRET}"
base_url = "${a.url}/v1"
models = ["base-model"]

[aliases]
fast = "base-model"

[extensions.logging]
level = "debug"
`
}

/** Every answer body the admin API gave, for the secrets check. */
const answers: string[] = []

interface Answer {
  status: number
  body: any
}

async function call(gw: TestGateway, method: string, path: string, body?: unknown, token = ADMIN): Promise<Answer> {
  const res = await gw.fetch(`/v1/admin/providers${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await res.text()
  answers.push(text)
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}

const ask = (model: string, stream = false) => ({ model, stream, messages: [{ role: 'user', content: 'hi' }] })

async function chatStatus(gw: TestGateway, model: string): Promise<number> {
  const res = await gw.chat(ask(model), { key: TEAM })
  await res.arrayBuffer()
  return res.status
}

function expectNoSecrets(gw: TestGateway): void {
  const logs = gw.logs().join('\n')
  const bodies = answers.join('\n')
  for (const secret of SECRETS) {
    expect(logs).not.toContain(secret)
    expect(bodies).not.toContain(secret)
  }
}

describe.each(BACKENDS)('/v1/admin/providers on $name storage', (backend) => {
  test('needs the admin token', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const none = await gw.fetch('/v1/admin/providers')
    expect(none.status).toBe(401)
    expect((await jsonOf(none)).error.type).toBe('authentication_error')
    expect((await call(gw, 'GET', '', undefined, TEAM)).status).toBe(401)
    expect((await call(gw, 'POST', '', { name: 'x', kind: 'echo' }, TEAM)).status).toBe(401)
    expect((await call(gw, 'DELETE', '/base', undefined, TEAM)).status).toBe(401)
    expect((await call(gw, 'GET', '')).status).toBe(200)
  })

  test('lists config-file providers as source "config", masked and read-only', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const list = await call(gw, 'GET', '')
    expect(list.status).toBe(200)
    expect(list.body.object).toBe('list')
    expect(list.body.data).toEqual([
      {
        name: 'base',
        kind: 'openai',
        api_key: 'sk-…7777',
        base_url: `${a.url}/v1`,
        models: ['base-model'],
        weight: 1,
        max_retries: 2,
        timeout: 30,
        stream_idle_timeout: 60,
        cooldown_failures: 5,
        cooldown_seconds: 30,
        source: 'config',
        health: { state: 'closed', consecutive_failures: 0, cooldown_until: null, cooldowns: 0 },
      },
    ])
    expect((await call(gw, 'GET', '/base')).body).toEqual(list.body.data[0])

    const patch = await call(gw, 'PATCH', '/base', { weight: 2 })
    expect(patch.status).toBe(409)
    expect(patch.body.error.code).toBe('read_only')
    expect(patch.body.error.message).toContain('edit the config file')
    const del = await call(gw, 'DELETE', '/base')
    expect([del.status, del.body.error.code]).toEqual([409, 'read_only'])
    const post = await call(gw, 'POST', '', { name: 'base', kind: 'echo' })
    expect([post.status, post.body.error.code]).toEqual([409, 'already_exists'])
    expect(await chatStatus(gw, 'base-model')).toBe(200)

    const missing = await call(gw, 'GET', '/nope')
    expect([missing.status, missing.body.error.code, missing.body.error.type]).toEqual([
      404,
      'provider_not_found',
      'not_found_error',
    ])
    expectNoSecrets(gw)
  })

  test('a created provider serves its models at once, with its own credentials', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await call(gw, 'POST', '', {
      name: 'api',
      kind: 'openai',
      api_key: API_SECRET,
      base_url: `${b.url}/v1`,
      models: ['api-model'],
      weight: 2,
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      name: 'api',
      kind: 'openai',
      api_key: 'sk-…9999',
      models: ['api-model'],
      weight: 2,
      max_retries: 2,
      timeout: 30,
      source: 'api',
    })
    expect(Date.parse(created.body.created_at)).toBeGreaterThan(0)
    expect(created.body.updated_at).toBe(created.body.created_at)

    const before = b.requests.length
    expect(await chatStatus(gw, 'api-model')).toBe(200)
    expect(b.requests[before]!.headers.authorization).toBe(`Bearer ${API_SECRET}`)
    const models = await jsonOf(await gw.fetch('/v1/models', { headers: { authorization: `Bearer ${TEAM}` } }))
    expect(models.data.map((m: { id: string }) => m.id)).toContain('api-model')

    expect((await call(gw, 'GET', '/api')).body).toEqual(created.body)
    expect(
      (await call(gw, 'GET', '')).body.data.map((p: { name: string; source: string }) => `${p.name}:${p.source}`),
    ).toEqual(['base:config', 'api:api'])
    const again = await call(gw, 'POST', '', { name: 'api', kind: 'echo' })
    expect([again.status, again.body.error.code]).toEqual([409, 'already_exists'])
    expectNoSecrets(gw)
  })

  test('without models, the upstream is asked for its list', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const before = b.requests.length
    b.enqueue({
      json: {
        object: 'list',
        data: [
          { id: 'found-1', object: 'model' },
          { id: 'found-2', object: 'model' },
        ],
      },
    })
    const created = await call(gw, 'POST', '', {
      name: 'found',
      kind: 'openai',
      api_key: API_SECRET,
      base_url: `${b.url}/v1`,
    })
    expect(created.status).toBe(201)
    expect(created.body.models).toEqual(['found-1', 'found-2'])
    expect(b.requests[before]!.path).toBe('/v1/models')
    expect(b.requests[before]!.headers.authorization).toBe(`Bearer ${API_SECRET}`)
    expect(await chatStatus(gw, 'found-2')).toBe(200)

    // echo fills its own list without a network call
    const echo = await call(gw, 'POST', '', { name: 'loopback', kind: 'echo' })
    expect([echo.status, echo.body.models]).toEqual([201, ['echo']])
    expectNoSecrets(gw)
  })

  test('a failed discovery answers with the upstream error and stores nothing', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const version = await gw.ctx.admin.version()
    // An upstream that echoes the key it was sent: the answer must not.
    b.enqueue({
      status: 401,
      json: {
        error: {
          message: `Incorrect API key provided: ${API_SECRET}.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    })
    const denied = await call(gw, 'POST', '', {
      name: 'nokey',
      kind: 'openai',
      api_key: API_SECRET,
      base_url: `${b.url}/v1`,
    })
    expect(denied.status).toBe(401)
    expect(denied.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' })
    expect(denied.body.error.message).toContain('Incorrect API key provided: sk-…9999')

    const port = await closedPort()
    const unreachable = await call(gw, 'POST', '', {
      name: 'gone',
      kind: 'openai',
      api_key: API_SECRET,
      base_url: `http://127.0.0.1:${port}/v1`,
    })
    expect([unreachable.status, unreachable.body.error.code]).toEqual([502, 'upstream_unreachable'])

    const azure = await call(gw, 'POST', '', {
      name: 'az',
      kind: 'azure',
      api_key: API_SECRET,
      base_url: `${b.url}`,
      api_version: '2024-10-21',
    })
    expect([azure.status, azure.body.error.param]).toEqual([400, 'models'])
    expect(azure.body.error.message).toStartWith('models is required for kind azure')

    b.enqueue({ json: { object: 'list', data: [] } })
    const empty = await call(gw, 'POST', '', {
      name: 'empty',
      kind: 'openai',
      api_key: API_SECRET,
      base_url: `${b.url}/v1`,
    })
    expect([empty.status, empty.body.error.param]).toEqual([400, 'models'])

    for (const name of ['nokey', 'gone', 'az', 'empty']) {
      expect((await call(gw, 'GET', `/${name}`)).status).toBe(404)
      expect(await gw.ctx.admin.provider(name)).toBeUndefined()
    }
    expect(await gw.ctx.admin.version()).toBe(version)
    expectNoSecrets(gw)
  })

  test('invalid fields are refused with a 400 naming the field, and nothing is stored', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const ok = { kind: 'openai', api_key: API_SECRET, base_url: `${b.url}/v1`, models: ['m'] }
    const cases: [unknown, string | null, string][] = [
      [{ ...ok }, 'name', 'is required'],
      [{ ...ok, name: 'bad name!' }, 'name', 'letters, digits'],
      [{ ...ok, name: 'x'.repeat(65) }, 'name', '64'],
      [{ ...ok, name: 'p', kind: undefined }, 'kind', 'is required'],
      [{ ...ok, name: 'p', kind: 'mystery', base_url: undefined }, 'kind', 'unknown provider kind "mystery"'],
      [{ ...ok, name: 'p', base_url: 'ftp://files.example.com' }, 'base_url', 'is not an http(s) URL'],
      [{ ...ok, name: 'p', models: [] }, 'models', 'lists no models'],
      [{ ...ok, name: 'p', models: ['fast'] }, 'models', 'alias'],
      [{ ...ok, name: 'p', models: 'gpt-4o' }, 'models', 'expected a list'],
      [{ ...ok, name: 'p', weight: -1 }, 'weight', '0 or more'],
      [{ ...ok, name: 'p', max_retries: 11 }, 'max_retries', '10'],
      [{ ...ok, name: 'p', timeout: 'soon' }, 'timeout', 'expected a number'],
      [{ ...ok, name: 'p', api_kye: 'k' }, 'api_kye', "did you mean 'api_key'"],
      [{ ...ok, name: 'p', api_key: undefined, base_url: undefined }, 'api_key', 'is required for kind "openai"'],
      [
        { name: 'p', kind: 'bedrock', region: 'us-east-1', access_key: 'AKIAEXAMPLEKEY00', models: ['m'] },
        'secret_key',
        'is required',
      ],
    ]
    for (const [body, param, message] of cases) {
      const res = await call(gw, 'POST', '', body)
      expect({ body, status: res.status, type: res.body.error.type, param: res.body.error.param }).toEqual({
        body,
        status: 400,
        type: 'invalid_request_error',
        param,
      })
      expect(res.body.error.message).toContain(message)
    }
    const notJson = await call(gw, 'POST', '', '{"name":')
    expect([notJson.status, notJson.body.error.code]).toEqual([400, 'invalid_json'])
    const notObject = await call(gw, 'POST', '', '["p"]')
    expect(notObject.status).toBe(400)
    expect((await call(gw, 'GET', '')).body.data).toHaveLength(1)
    expect(await gw.ctx.admin.providers()).toEqual([])
    expectNoSecrets(gw)
  })

  test('PATCH changes any subset, re-validated; DELETE removes', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await call(gw, 'POST', '', {
      name: 'api',
      kind: 'openai',
      api_key: API_SECRET,
      base_url: `${a.url}/v1`,
      models: ['api-model'],
    })
    expect(created.status).toBe(201)

    const bad = await call(gw, 'PATCH', '/api', { weight: -1 })
    expect([bad.status, bad.body.error.param]).toEqual([400, 'weight'])
    const typo = await call(gw, 'PATCH', '/api', { modles: ['x'] })
    expect([typo.status, typo.body.error.param]).toEqual([400, 'modles'])
    const rename = await call(gw, 'PATCH', '/api', { name: 'other' })
    expect([rename.status, rename.body.error.param]).toEqual([400, 'name'])
    expect((await call(gw, 'PATCH', '/nope', { weight: 2 })).body.error.code).toBe('provider_not_found')
    expect((await call(gw, 'GET', '/api')).body).toEqual(created.body)

    // The listing's masked secret sent back as is keeps the secret.
    const patched = await call(gw, 'PATCH', '/api', {
      ...created.body,
      name: undefined,
      source: undefined,
      created_at: undefined,
      updated_at: undefined,
      health: undefined,
      base_url: `${b.url}/v1`,
      models: ['api-model', 'api-2'],
      weight: 3,
    })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({
      name: 'api',
      api_key: 'sk-…9999',
      base_url: `${b.url}/v1`,
      models: ['api-model', 'api-2'],
      weight: 3,
      source: 'api',
      created_at: created.body.created_at,
    })
    const before = b.requests.length
    expect(await chatStatus(gw, 'api-2')).toBe(200)
    expect(b.requests[before]!.headers.authorization).toBe(`Bearer ${API_SECRET}`)

    // null removes a field: weight back to its default.
    expect((await call(gw, 'PATCH', '/api', { weight: null })).body.weight).toBe(1)

    const deleted = await call(gw, 'DELETE', '/api')
    expect([deleted.status, deleted.body]).toEqual([200, { name: 'api', deleted: true }])
    expect((await call(gw, 'DELETE', '/api')).status).toBe(404)
    expect(await chatStatus(gw, 'api-2')).toBe(404)
    expect(await gw.ctx.admin.providers()).toEqual([])
    expectNoSecrets(gw)
  })

  test("bedrock: every credential masked; a PATCHed region moves the kind's default base_url", async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const fields = {
      name: 'aws',
      kind: 'bedrock',
      region: 'us-east-1',
      access_key: 'AKIAIOSFODNN7EXAMPLE',
      secret_key: AWS_SECRET,
      session_token: AWS_TOKEN,
      models: ['anthropic.claude-3-haiku'],
    }
    const created = await call(gw, 'POST', '', fields)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      access_key: 'AKI…MPLE',
      secret_key: 'aws…0000',
      session_token: 'aws…1111',
      base_url: 'https://bedrock-runtime.us-east-1.amazonaws.com',
    })
    const moved = await call(gw, 'PATCH', '/aws', { region: 'eu-west-1' })
    expect(moved.body.base_url).toBe('https://bedrock-runtime.eu-west-1.amazonaws.com')
    expect((await gw.ctx.admin.provider('aws'))!.config.secret_key).toBe(AWS_SECRET)
    expectNoSecrets(gw)
  })

  test('a stream in flight finishes across a PATCH and a DELETE of its provider; new requests use the new registry', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    expect(
      (
        await call(gw, 'POST', '', {
          name: 'moving',
          kind: 'openai',
          api_key: API_SECRET,
          base_url: `${a.url}/v1`,
          models: ['moving-model'],
        })
      ).status,
    ).toBe(201)

    for (const change of ['PATCH', 'DELETE'] as const) {
      const gate = Promise.withResolvers<void>()
      a.enqueue({
        sse: chatChunks(['one', ' two', ' three'], 'moving-model'),
        holdFrames: gate.promise,
        holdFramesAfter: 1,
      })
      const seen = a.requests.length
      const res = await gw.chat(ask('moving-model', true), { key: TEAM })
      expect(res.status).toBe(200)
      await a.waitForRequest(seen + 1)
      const text = res.text()
      const answer =
        change === 'PATCH'
          ? await call(gw, 'PATCH', '/moving', { base_url: `${b.url}/v1` })
          : await call(gw, 'DELETE', '/moving')
      expect(answer.status).toBe(200)
      gate.resolve()
      const body = await text
      expect(body).toContain('three')
      expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true)

      if (change === 'PATCH') {
        const before = { a: a.requests.length, b: b.requests.length }
        expect(await chatStatus(gw, 'moving-model')).toBe(200)
        expect(b.requests.length).toBe(before.b + 1)
        expect(a.requests.length).toBe(before.a)
        // Reset the provider to mock A for the DELETE round.
        expect((await call(gw, 'PATCH', '/moving', { base_url: `${a.url}/v1` })).status).toBe(200)
      } else {
        const res = await gw.chat(ask('moving-model'), { key: TEAM })
        expect(res.status).toBe(404)
        expect((await jsonOf(res)).error.code).toBe('model_not_found')
      }
    }
    expect(gw.errors()).toEqual([])
    expectNoSecrets(gw)
  })

  test('API providers survive a restart on the same store', async () => {
    const store = await backend.open()
    {
      await using first = await startGateway(toml(), { store })
      expect(
        (
          await call(first, 'POST', '', {
            name: 'kept',
            kind: 'openai',
            api_key: API_SECRET,
            base_url: `${b.url}/v1`,
            models: ['kept-model'],
          })
        ).status,
      ).toBe(201)
    }
    await using second = await startGateway(toml(), { store })
    const shown = await call(second, 'GET', '/kept')
    expect(shown.status).toBe(200)
    expect(shown.body).toMatchObject({ name: 'kept', api_key: 'sk-…9999', models: ['kept-model'], source: 'api' })
    const before = b.requests.length
    expect(await chatStatus(second, 'kept-model')).toBe(200)
    expect(b.requests[before]!.headers.authorization).toBe(`Bearer ${API_SECRET}`)
    expectNoSecrets(second)
  })
})

test('a provider defined in the config file after one was made through the API: the config wins', async () => {
  const store = await BACKENDS[0]!.open()
  {
    await using first = await startGateway(toml(), { store })
    expect((await call(first, 'POST', '', { name: 'later', kind: 'echo', models: ['api-echo'] })).status).toBe(201)
  }
  await using second = await startGateway(toml() + provider('later', b.url, ['file-model']), { store })
  const list = (await call(second, 'GET', '')).body.data as { name: string; source: string; models: string[] }[]
  expect(list.filter((p) => p.name === 'later')).toEqual([
    expect.objectContaining({ source: 'config', models: ['file-model'] }),
  ])
  expect((await call(second, 'DELETE', '/later')).body.error.code).toBe('read_only')
  expect(await chatStatus(second, 'api-echo')).toBe(404)
})
