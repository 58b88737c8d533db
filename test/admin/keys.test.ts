// The keys half of the admin API (/v1/admin/keys), through the real gateway in-process: every route
// and status, that a key made here works (and stops working) on the next request, that its models,
// rate limit, budget and expiry are enforced, that the store and the logs never hold the secret, that
// the key survives a restart on the same store, a revoked one stays revoked when storage goes back to an
// older state; and the admin API's gate (admin_token: 401 without it, 404 when it is not configured) with
// the catch-all for other /v1/admin paths.
import { afterAll, describe, expect, test } from 'bun:test'
import { maskKey } from '../../src/admin/keys'
import type { KeyRecord } from '../../src/admin/store'
import { digest, keyIdOf } from '../../src/auth'
import { jsonOf, startGateway, type TestGateway } from '../support/gateway'
import { BACKENDS, closeAll } from '../support/stores'

afterAll(closeAll)

const ADMIN = 'admin-token-keys-0123456789abcdef'
const TEAM = 'sk-config-team-0123456789abcdefghij'

function toml(extra = '', header = `admin_token = "${ADMIN}"`): string {
  return `${header}
[[keys]]
name = "team"
key = "${TEAM}"
models = ["echo"]

[providers.echo]
kind = "echo"
models = ["echo"]

[providers.other]
kind = "echo"
models = ["other"]
${extra}`
}

const ask = (model = 'echo') => ({ model, messages: [{ role: 'user', content: 'hi' }] })

function admin(
  gw: TestGateway,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = ADMIN,
): Promise<Response> {
  const headers: Record<string, string> = {}
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  return gw.fetch(`/v1/admin/keys${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
}

async function create(gw: TestGateway, body: Record<string, unknown>): Promise<any> {
  const res = await admin(gw, 'POST', '', body)
  const json = await jsonOf(res)
  expect(res.status, JSON.stringify(json)).toBe(201)
  return json
}

async function chatStatus(gw: TestGateway, key: string, model = 'echo'): Promise<number> {
  const res = await gw.chat(ask(model), { key })
  await res.arrayBuffer()
  return res.status
}

async function expectError(res: Response, status: number, code: string | null, param?: string | null): Promise<any> {
  const json = await jsonOf(res)
  expect(res.status, JSON.stringify(json)).toBe(status)
  expect(res.headers.get('content-type')).toContain('application/json')
  expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type'])
  expect(json.error.code).toBe(code)
  if (param !== undefined) expect(json.error.param).toBe(param)
  return json.error
}

const SECRET = /^sk-[0-9A-Za-z]{48}$/

describe.each(BACKENDS)('admin keys API on $name storage', (backend) => {
  test('create: 201 with the secret once; the key works at once; list and get mask it; the store holds only its digest', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await create(gw, { name: 'ci-bot' })
    expect(created.key).toMatch(SECRET)
    expect(created).toEqual({
      id: keyIdOf(digest(created.key)),
      name: 'ci-bot',
      key: created.key,
      masked: `${created.key.slice(0, 7)}…${created.key.slice(-4)}`,
      models: ['*'],
      source: 'api',
      created_at: created.created_at,
      updated_at: created.created_at,
    })
    expect(Date.parse(created.created_at)).not.toBeNaN()

    // Usable immediately, for any model (default ["*"]).
    expect(await chatStatus(gw, created.key)).toBe(200)
    expect(await chatStatus(gw, created.key, 'other')).toBe(200)

    const list = await admin(gw, 'GET', '')
    expect(list.status).toBe(200)
    const listText = await list.text()
    expect(listText).not.toContain(created.key)
    expect(listText).not.toContain(TEAM)
    const listed = JSON.parse(listText)
    expect(listed.object).toBe('list')
    expect(listed.data).toEqual([
      {
        id: keyIdOf(digest(TEAM)),
        name: 'team',
        masked: `${TEAM.slice(0, 7)}…${TEAM.slice(-4)}`,
        models: ['echo'],
        expired: false,
        source: 'config',
      },
      {
        id: created.id,
        name: 'ci-bot',
        masked: created.masked,
        models: ['*'],
        expired: false,
        source: 'api',
        created_at: created.created_at,
        updated_at: created.updated_at,
      },
    ])

    const one = await admin(gw, 'GET', '/ci-bot')
    expect(one.status).toBe(200)
    expect(await jsonOf(one)).toEqual(listed.data[1])
    const team = await admin(gw, 'GET', '/team')
    expect(team.status).toBe(200)
    expect(await jsonOf(team)).toEqual(listed.data[0])

    // At rest: the digest and display parts, never the secret (every admin entry is checked).
    const raw = await gw.ctx.admin.store.get('key/ci-bot')
    const record = JSON.parse(raw!) as KeyRecord
    expect(record.hash).toBe(digest(created.key))
    expect(record.id).toBe(created.id)
    expect(record).not.toHaveProperty('key')
    for (const entry of await gw.ctx.admin.store.list('', 1000)) expect(entry.value).not.toContain(created.key)
    expect(gw.errors()).toEqual([])
  })

  test('models allowlist: enforced for the new key, and a PATCH of models takes effect on the next request', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await create(gw, { name: 'narrow', models: ['echo'] })
    expect(created.models).toEqual(['echo'])
    expect(await chatStatus(gw, created.key, 'echo')).toBe(200)
    const refused = await gw.chat(ask('other'), { key: created.key })
    await expectError(refused, 403, 'model_not_allowed', 'model')

    const patched = await admin(gw, 'PATCH', '/narrow', { models: ['other'] })
    expect(patched.status).toBe(200)
    const view = await jsonOf(patched)
    expect(view).not.toHaveProperty('key')
    expect(view.models).toEqual(['other'])
    expect(view.masked).toBe(created.masked)
    expect(await chatStatus(gw, created.key, 'other')).toBe(200)
    expect(await chatStatus(gw, created.key, 'echo')).toBe(403)
  })

  test('PATCH sets and (with null) removes rate_limit, budget and expires_at; an empty PATCH changes nothing', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await create(gw, { name: 'tuned' })
    const expires = new Date(Date.now() + 86_400_000).toISOString()
    const set = await admin(gw, 'PATCH', '/tuned', {
      rate_limit: { requests_per_minute: 5 },
      budget: 2.5,
      expires_at: expires,
    })
    expect(set.status).toBe(200)
    const view = await jsonOf(set)
    expect(view).toMatchObject({
      name: 'tuned',
      models: ['*'],
      rate_limit: { requests_per_minute: 5 },
      budget: 2.5,
      expires_at: expires,
      expired: false,
      source: 'api',
    })
    expect(view.created_at).toBe(created.created_at)
    expect(Date.parse(view.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at))
    const principal = gw.ctx.auth.principals.find((p) => p.name === 'tuned')!
    expect(principal.rateLimit).toEqual({ requests_per_minute: 5 })
    expect(principal.budgetUsd).toBe(2.5)
    expect(principal.expiresAt).toBe(Date.parse(expires))
    expect(await jsonOf(await admin(gw, 'GET', '/tuned'))).toEqual(view)

    const same = await admin(gw, 'PATCH', '/tuned', {})
    expect(same.status).toBe(200)
    expect(await jsonOf(same)).toEqual(view)

    const cleared = await jsonOf(
      await admin(gw, 'PATCH', '/tuned', { rate_limit: null, budget: null, expires_at: null }),
    )
    expect(cleared).not.toHaveProperty('rate_limit')
    expect(cleared).not.toHaveProperty('budget')
    expect(cleared).not.toHaveProperty('expires_at')
    const after = gw.ctx.auth.principals.find((p) => p.name === 'tuned')!
    expect(after.rateLimit).toBeUndefined()
    expect(after.budgetUsd).toBeUndefined()
    expect(after.expiresAt).toBeUndefined()
    expect(await chatStatus(gw, created.key)).toBe(200)
  })

  test('DELETE revokes: 200, then 401 on the next request, 404 on get and on a second delete', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await create(gw, { name: 'leaked' })
    expect(await chatStatus(gw, created.key)).toBe(200)
    const deleted = await admin(gw, 'DELETE', '/leaked')
    expect(deleted.status).toBe(200)
    expect(await jsonOf(deleted)).toEqual({ name: 'leaked', deleted: true })
    await expectError(await gw.chat(ask(), { key: created.key }), 401, 'invalid_api_key')
    await expectError(await admin(gw, 'GET', '/leaked'), 404, 'key_not_found')
    await expectError(await admin(gw, 'DELETE', '/leaked'), 404, 'key_not_found')
    expect((await jsonOf(await admin(gw, 'GET', ''))).data.map((k: { name: string }) => k.name)).toEqual(['team'])
    expect(await gw.ctx.admin.key('leaked')).toBeUndefined()
    // The name is free again, with a new secret; the old one stays refused.
    const again = await create(gw, { name: 'leaked' })
    expect(again.key).not.toBe(created.key)
    expect(await chatStatus(gw, again.key)).toBe(200)
    expect(await chatStatus(gw, created.key)).toBe(401)
  })

  test('DELETE remembers the digest: storage that goes back to an older state cannot bring the key back', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await create(gw, { name: 'leaked' })
    const snapshot = { version: String(await gw.ctx.admin.version()), record: (await gw.ctx.admin.key('leaked'))! }
    // Storage already went back (the counter with it) before the revocation: the revocation itself is
    // remembered, not learnt from a rebuild, so it holds.
    await gw.ctx.admin.store.set('version', '0')
    expect((await admin(gw, 'DELETE', '/leaked')).status).toBe(200)
    expect(gw.ctx.live.revoked.has(digest(created.key))).toBe(true)
    await gw.ctx.admin.store.set('version', snapshot.version)
    await gw.ctx.admin.putKey(snapshot.record)
    await gw.ctx.live.refresh()
    await expectError(await gw.chat(ask(), { key: created.key }), 401, 'invalid_api_key')
    expect(await gw.ctx.admin.key('leaked')).toBeUndefined()
  })

  test('a key whose expiry has passed is refused (401) and listed as expired', async () => {
    await using gw = await startGateway(toml(), { store: await backend.open() })
    const created = await create(gw, { name: 'temp', expires_at: new Date(Date.now() + 86_400_000).toISOString() })
    expect(await chatStatus(gw, created.key)).toBe(200)
    // Time passing, without waiting for it: the stored expiry is moved into the past, as it would be
    // once the clock passes it, and the tables are rebuilt.
    const record = (await gw.ctx.admin.key('temp'))!
    await gw.ctx.admin.putKey({ ...record, expires_at: new Date(Date.now() - 1000).toISOString() })
    await gw.ctx.live.changed()
    const err = await expectError(await gw.chat(ask(), { key: created.key }), 401, 'invalid_api_key')
    expect(err.message).toContain('expired')
    const view = await jsonOf(await admin(gw, 'GET', '/temp'))
    expect(view.expired).toBe(true)
  })

  test('the key survives a gateway restart on the same store', async () => {
    const store = await backend.open()
    let created: any
    {
      await using first = await startGateway(toml(), { store })
      created = await create(first, { name: 'durable', models: ['echo'], rate_limit: { requests_per_minute: 50 } })
    }
    await using second = await startGateway(toml(), { store })
    expect(await chatStatus(second, created.key)).toBe(200)
    expect(await chatStatus(second, created.key, 'other')).toBe(403)
    const view = await jsonOf(await admin(second, 'GET', '/durable'))
    expect(view).toMatchObject({
      name: 'durable',
      masked: created.masked,
      models: ['echo'],
      rate_limit: { requests_per_minute: 50 },
      source: 'api',
    })
  })

  test("a key's own rate_limit and budget from the API are enforced by [extensions.rate_limit] and [extensions.budget]", async () => {
    // The echo models are free: a price of 0 lets budgeted keys use them (unpriced models are refused).
    const extensions = `
[models.echo]
prompt_cost_per_million = 0
completion_cost_per_million = 0

[extensions.rate_limit]
requests_per_minute = 100

[extensions.budget]
default_budget = 100
`
    await using gw = await startGateway(toml(extensions), { store: await backend.open() })
    const limited = await create(gw, { name: 'limited', rate_limit: { requests_per_minute: 2 } })
    expect(await chatStatus(gw, limited.key)).toBe(200)
    expect(await chatStatus(gw, limited.key)).toBe(200)
    await expectError(await gw.chat(ask(), { key: limited.key }), 429, 'rate_limit_exceeded')

    const broke = await create(gw, { name: 'broke', budget: 0 })
    await expectError(await gw.chat(ask(), { key: broke.key }), 429, 'budget_exceeded')
    // Raising its budget takes effect on the next request.
    expect((await admin(gw, 'PATCH', '/broke', { budget: 10 })).status).toBe(200)
    expect(await chatStatus(gw, broke.key)).toBe(200)

    // A key without its own limits gets the extensions' defaults (100 per minute, $100).
    const plain = await create(gw, { name: 'plain' })
    const res = await gw.chat(ask(), { key: plain.key })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('100')
    await res.arrayBuffer()
    await gw.ctx.pipeline.flush()
  })
})

describe('admin keys API: conflicts and the config file', () => {
  test('names taken by a config key or an API key are 409 already_exists; config keys are read-only (409)', async () => {
    await using gw = await startGateway(toml())
    const taken = await expectError(await admin(gw, 'POST', '', { name: 'team' }), 409, 'already_exists')
    expect(taken.message).toContain('config file')
    await create(gw, { name: 'dup' })
    await expectError(await admin(gw, 'POST', '', { name: 'dup', models: ['echo'] }), 409, 'already_exists')

    const patch = await expectError(await admin(gw, 'PATCH', '/team', { models: ['*'] }), 409, 'read_only')
    expect(patch.message).toMatch(/edit the config file/)
    const del = await expectError(await admin(gw, 'DELETE', '/team'), 409, 'read_only')
    expect(del.message).toMatch(/edit the config file/)
    // Still there, still working, still limited to its models.
    expect(await chatStatus(gw, TEAM)).toBe(200)
    expect(await chatStatus(gw, TEAM, 'other')).toBe(403)
  })

  test('unknown names are 404 key_not_found on get, patch and delete', async () => {
    await using gw = await startGateway(toml())
    for (const [method, body] of [['GET'], ['PATCH', { models: ['*'] }], ['DELETE']] as const) {
      const err = await expectError(await admin(gw, method, '/ghost', body), 404, 'key_not_found')
      expect(err.type).toBe('not_found_error')
      expect(err.message).toContain("'ghost'")
    }
  })

  test('a short config-file secret is masked entirely', () => {
    expect(maskKey('sk-short-1234')).toBe('****')
    expect(maskKey('sk-AbCdefghijklmnopqrstwxyz')).toBe('sk-AbCd…wxyz')
  })
})

describe('admin keys API: invalid input is 400 naming the field, and nothing is stored', () => {
  const future = new Date(Date.now() + 86_400_000).toISOString()
  const cases: [string, unknown, string | null][] = [
    ['name missing', {}, 'name'],
    ['name with a space', { name: 'bad name' }, 'name'],
    ['name too long', { name: 'x'.repeat(65) }, 'name'],
    ['name not a string', { name: 7 }, 'name'],
    ['name reserved: admin', { name: 'admin' }, 'name'],
    ['name reserved: anonymous', { name: 'anonymous' }, 'name'],
    ['models empty', { name: 'k', models: [] }, 'models'],
    ['models not a list', { name: 'k', models: 'echo' }, 'models'],
    ['models with an empty name', { name: 'k', models: [''] }, 'models[0]'],
    ['rate_limit zero', { name: 'k', rate_limit: { requests_per_minute: 0 } }, 'rate_limit.requests_per_minute'],
    ['rate_limit fractional', { name: 'k', rate_limit: { tokens_per_minute: 1.5 } }, 'rate_limit.tokens_per_minute'],
    ['rate_limit unknown field', { name: 'k', rate_limit: { rpm: 5 } }, 'rate_limit.rpm'],
    ['rate_limit not an object', { name: 'k', rate_limit: 5 }, 'rate_limit'],
    ['budget negative', { name: 'k', budget: -1 }, 'budget'],
    ['budget a string', { name: 'k', budget: '5' }, 'budget'],
    ['expires_at in the past', { name: 'k', expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    ['expires_at not ISO', { name: 'k', expires_at: 'tomorrow' }, 'expires_at'],
    ['expires_at without a zone', { name: 'k', expires_at: future.slice(0, 19) }, 'expires_at'],
    ['expires_at not a real day', { name: 'k', expires_at: '2099-02-30T00:00:00Z' }, 'expires_at'],
    ['a secret of its own', { name: 'k', key: 'sk-chosen-by-the-caller-0123456789' }, 'key'],
  ]

  test.each(cases)('POST: %s', async (_, body, param) => {
    await using gw = await startGateway(toml())
    const err = await expectError(await admin(gw, 'POST', '', body), 400, 'invalid_value', param)
    expect(err.type).toBe('invalid_request_error')
    if (param) expect(err.message.startsWith(`${param}:`)).toBe(true)
    expect(err.message).not.toContain('sk-chosen-by-the-caller')
    expect(await gw.ctx.admin.keys()).toEqual([])
  })

  test('POST: a body that is not JSON, or not an object', async () => {
    await using gw = await startGateway(toml())
    await expectError(await admin(gw, 'POST', '', '{"name":'), 400, 'invalid_json')
    await expectError(await admin(gw, 'POST', '', '["k"]'), 400, 'invalid_json')
    await expectError(await admin(gw, 'POST', ''), 400, 'invalid_json')
  })

  const patches: [string, unknown, string][] = [
    ['models null', { models: null }, 'models'],
    ['rate_limit zero', { rate_limit: { tokens_per_minute: 0 } }, 'rate_limit.tokens_per_minute'],
    ['budget negative', { budget: -0.01 }, 'budget'],
    ['expires_at in the past', { expires_at: new Date(Date.now() - 60_000).toISOString() }, 'expires_at'],
    ['a rename', { name: 'other-name' }, 'name'],
    ['an unknown field', { modles: ['*'] }, 'modles'],
  ]

  test.each(patches)('PATCH: %s', async (_, body, param) => {
    await using gw = await startGateway(toml())
    const created = await create(gw, { name: 'k', models: ['echo'], budget: 1 })
    await expectError(await admin(gw, 'PATCH', '/k', body), 400, 'invalid_value', param)
    const record = (await gw.ctx.admin.key('k'))!
    expect(record.models).toEqual(['echo'])
    expect(record.budget).toBe(1)
    expect(record.updated_at).toBe(created.updated_at)
  })
})

describe('admin keys API: expiry by the clock', () => {
  test('a key refuses requests once its expires_at passes (PATCHed to just after now)', async () => {
    await using gw = await startGateway(toml())
    const created = await create(gw, { name: 'short-lived' })
    const at = Date.now() + 400
    expect((await admin(gw, 'PATCH', '/short-lived', { expires_at: new Date(at).toISOString() })).status).toBe(200)
    expect(await chatStatus(gw, created.key)).toBe(200)
    // The authenticator and the admin view read Date.now() (no injected clock): the clock is set to the
    // expiry instead of sleeping until it (bun:test's system time, restored when the test ends).
    const { setSystemTime } = await import('bun:test')
    using _clock = { [Symbol.dispose]: () => void setSystemTime() }
    setSystemTime(at)
    const err = await expectError(await gw.chat(ask(), { key: created.key }), 401, 'invalid_api_key')
    expect(err.message).toContain('expired')
    expect((await jsonOf(await admin(gw, 'GET', '/short-lived'))).expired).toBe(true)
  })
})

describe('the admin gate', () => {
  test('every keys route is 401 without the admin token, with a wrong one, or with an ordinary key', async () => {
    await using gw = await startGateway(toml())
    const made = await create(gw, { name: 'made' })
    const routes: [string, string, unknown?][] = [
      ['GET', ''],
      ['POST', '', { name: 'sneaky' }],
      ['GET', '/made'],
      ['PATCH', '/made', { models: ['*'] }],
      ['DELETE', '/made'],
    ]
    for (const [method, path, body] of routes) {
      const missing = await expectError(await admin(gw, method, path, body, null), 401, 'missing_api_key')
      expect(missing.type).toBe('authentication_error')
      expect(missing.message).toContain('admin token')
      for (const token of ['sk-not-a-real-key-0123456789', TEAM, made.key]) {
        const err = await expectError(await admin(gw, method, path, body, token), 401, 'invalid_api_key')
        expect(err.message).not.toContain(token)
      }
    }
    // Nothing changed.
    expect((await gw.ctx.admin.keys()).map((k) => k.name)).toEqual(['made'])
    expect(await chatStatus(gw, made.key)).toBe(200)
  })

  test('without admin_token configured, /v1/admin answers 404 saying to set admin_token', async () => {
    // With config keys (auth on, an ordinary key sent) and, below, with no keys at all (auth off).
    await using gw = await startGateway(toml('', ''))
    for (const [method, path] of [
      ['GET', '/v1/admin/keys'],
      ['POST', '/v1/admin/keys'],
      ['DELETE', '/v1/admin/keys/team'],
      ['GET', '/v1/admin/other'],
    ] as const) {
      const res = await gw.fetch(path, { method, headers: { authorization: `Bearer ${TEAM}` } })
      const err = await expectError(res, 404, 'admin_api_disabled')
      expect(err.message).toContain('admin_token')
    }
    await using open = await startGateway('[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n')
    expect(open.ctx.auth.enabled).toBe(false)
    await expectError(await open.fetch('/v1/admin/keys'), 404, 'admin_api_disabled')
    await expectError(
      await open.fetch('/v1/admin/keys', { method: 'POST', body: '{"name":"x"}' }),
      404,
      'admin_api_disabled',
    )
    expect(await open.ctx.admin.keys()).toEqual([])
  })

  test('any other /v1/admin path: 401 without the admin token, 404 with it (405 for a known path and the wrong method)', async () => {
    await using gw = await startGateway(toml('\n[extensions.audit]\n'))
    for (const path of ['/v1/admin', '/v1/admin/', '/v1/admin/nope', '/v1/admin/keys/a/b', '/v1/admin/providers/x/y']) {
      await expectError(await gw.fetch(path), 401, 'missing_api_key')
      await expectError(await gw.fetch(path, { headers: { authorization: `Bearer ${TEAM}` } }), 401, 'invalid_api_key')
      await expectError(
        await gw.fetch(path, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } }),
        404,
        'not_found',
      )
    }
    await expectError(await gw.fetch('/v1/admin/keys', { method: 'PUT' }), 401, 'missing_api_key')
    const wrongMethod = await gw.fetch('/v1/admin/keys', {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}` },
    })
    await expectError(wrongMethod, 405, 'method_not_allowed')
    expect(wrongMethod.headers.get('allow')).toBe('GET, HEAD, POST')

    // The static admin routes are not shadowed by the catch-all.
    const logs = await gw.fetch('/v1/admin/logs', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(logs.status).toBe(200)
    await logs.arrayBuffer()
    const providers = await gw.fetch('/v1/admin/providers', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(providers.status).toBe(200)
    expect((await jsonOf(providers)).object).toBe('list')
    const keys = await gw.fetch('/v1/admin/keys', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(keys.status).toBe(200)
    await keys.arrayBuffer()
    expect(gw.errors()).toEqual([])
  })
})

describe('secrets stay out of logs and answers', () => {
  test('the created secret and the admin token never appear in the captured log, nor after the create answer', async () => {
    await using gw = await startGateway(toml('\n[extensions.logging]\nlevel = "debug"\n\n[extensions.audit]\n'))
    const created = await create(gw, { name: 'quiet', models: ['echo'] })
    const after: string[] = []
    const record = async (res: Response) => {
      after.push(await res.text())
      return res
    }
    expect((await gw.chat(ask(), { key: created.key })).status).toBe(200)
    expect((await gw.chat(ask('other'), { key: created.key })).status).toBe(403)
    await record(await admin(gw, 'GET', ''))
    await record(await admin(gw, 'GET', '/quiet'))
    await record(await admin(gw, 'PATCH', '/quiet', { models: ['*'], budget: 1 }))
    await record(await admin(gw, 'PATCH', '/quiet', { budget: -1 }))
    await record(await admin(gw, 'POST', '', { name: 'quiet' }))
    await record(await admin(gw, 'GET', '', undefined, created.key))
    await record(await gw.fetch('/v1/admin/logs', { headers: { authorization: `Bearer ${ADMIN}` } }))
    await record(await admin(gw, 'DELETE', '/quiet'))
    await record(await gw.chat(ask(), { key: created.key }))
    await gw.ctx.pipeline.flush()

    const logs = gw.logs().join('\n')
    expect(logs).toContain('quiet') // the key shows by its name
    expect(logs).toContain('admin: key created')
    expect(logs).not.toContain(created.key)
    expect(logs).not.toContain(created.key.slice(7, -4))
    expect(logs).not.toContain(ADMIN)
    for (const text of after) expect(text).not.toContain(created.key)
    expect(gw.errors()).toEqual([])
  })
})
