// Auth hardening (issue "[7/8] Reliability and security"): presented secrets are compared in constant
// time on equal-length digests; keys (config keys, API-created keys, the admin token, the metrics
// token, upstream api_keys) never show in logs at trace level, in error answers, in /metrics, in audit
// records or usage rows, nor in what storage holds; and the admin API is unreachable without the admin
// token whatever the spelling of its path or method.
import { afterAll, beforeAll, describe, expect, mock, test } from 'bun:test'
import * as nodeCrypto from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthenticator } from '../../src/auth'
import { spawnCrabllm } from '../support/binary'
import { jsonOf, provider, startGateway } from '../support/gateway'
import { chatChunks, closedPort, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'
import { BACKENDS, closeAll } from '../support/stores'
import { expectNoSecret, rawRequest, startTraceGateway } from './harness'

// Random bodies: no two secrets share a 12-character piece, so a leak is attributed to the right one.
const ADMIN = 'adm-u8jzPde0IgxLd6GncfBAepfJBd0Kh8'
const METRICS = 'met-oOOL8dKLzdocJ2isAjIhKtJ0RlgL'
const TEAM = 'sk-team-KOmxgJTeKdNnFRIBXuDL7DxtpYlS'
const LIMITED = 'sk-lim-XpfKtHF4vUCsMehGAkWvj7FAc9Qe'
const UPSTREAM = 'sk-up-WJKY40uvSwMFLZDe1f8rESQedUStPK'
const DOWN_UPSTREAM = 'sk-down-R0CsTy4Qwb8DwkNhFdnXsiVpzz63'
const API_PROVIDER = 'sk-prov-FfkCzJr4i0B3JrTAwR4y9ojfljoQ'

let up: MockUpstream
beforeAll(async () => {
  up = await startMockUpstream()
})
afterAll(async () => {
  await up.close()
  await closeAll()
})

const chatBody = (model = 'gpt-4o-mini', extra: object = {}) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], ...extra })
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

// --- constant time ---

describe('presented secrets are compared in constant time', () => {
  /** Every timingSafeEqual call from here on (node:crypto's own, wrapped; the wrapper only records). */
  const calls: [number, number][] = []
  beforeAll(() => {
    const original = nodeCrypto.timingSafeEqual
    mock.module('node:crypto', () => ({
      ...nodeCrypto,
      timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
        calls.push([a.byteLength, b.byteLength])
        return original(a, b)
      },
    }))
  })

  test('the admin token check runs timingSafeEqual on two 32-byte digests for every presented secret, whatever its length', () => {
    const auth = createAuthenticator([{ name: 'team', key: TEAM, models: ['*'] }], ADMIN)
    const presented = [
      'x',
      ADMIN.slice(0, -1),
      `${ADMIN}x`,
      ADMIN.slice(0, 16),
      ADMIN.toUpperCase(),
      'é'.repeat(300),
      TEAM,
      ADMIN,
    ]
    for (const secret of presented) {
      calls.length = 0
      let name: string | undefined
      try {
        name = auth.authenticate(new Request('http://gw/v1/models', { headers: bearer(secret) })).name
      } catch (err) {
        expect((err as { status?: number }).status).toBe(401)
      }
      // If someone swaps the digest comparison for `===` or for timingSafeEqual on the raw strings,
      // this fails: no call, or buffers of the secrets' own (different) lengths.
      expect(calls).toEqual([[32, 32]])
      if (secret === ADMIN) expect(name).toBe('admin')
      else if (secret === TEAM) expect(name).toBe('team')
      else expect(name).toBeUndefined()
    }
  })

  test('GET /metrics compares the metrics token (and the admin token) the same way', async () => {
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\nmetrics_token = "${METRICS}"\n[providers.e]\nkind = "echo"\nmodels = ["echo"]\n`,
    )
    for (const secret of ['m', METRICS.slice(0, -1), `${METRICS}${METRICS}`, TEAM]) {
      calls.length = 0
      const res = await gw.fetch('/metrics', { headers: bearer(secret) })
      expect(res.status).toBe(401)
      const body = await res.text()
      if (secret.length > 1) expect(body).not.toContain(secret)
      expect(calls).toEqual([
        [32, 32],
        [32, 32],
      ])
    }
    calls.length = 0
    expect((await gw.fetch('/metrics', { headers: bearer(METRICS) })).status).toBe(200)
    expect(calls).toEqual([[32, 32]])
    calls.length = 0
    expect((await gw.fetch('/metrics', { headers: bearer(ADMIN) })).status).toBe(200)
    expect(calls).toEqual([
      [32, 32],
      [32, 32],
    ])
  })

  test('near misses of every kind of secret are a 401 (never a 500, never a match)', async () => {
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\nmetrics_token = "${METRICS}"\n[[keys]]\nname = "team"\nkey = "${TEAM}"\n[providers.e]\nkind = "echo"\nmodels = ["echo"]\n`,
    )
    const created = await jsonOf(
      await gw.fetch('/v1/admin/keys', {
        method: 'POST',
        headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
        body: '{"name":"made"}',
      }),
    )
    const apiKey: string = created.key
    const near = (s: string) => [
      s.slice(0, -1),
      `${s}x`,
      s.slice(1),
      `x${s}`,
      s.toUpperCase(),
      s.slice(0, 8),
      `${s} ${s}`,
      s.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
    ]
    for (const secret of [TEAM, apiKey, ADMIN]) {
      for (const wrong of near(secret)) {
        for (const headers of [bearer(wrong), { 'x-api-key': wrong }]) {
          const res = await gw.fetch('/v1/models', { headers })
          expect(res.status).toBe(401)
          const body = await res.text()
          expect(body).not.toContain(wrong.trim())
        }
        const admin = await gw.fetch('/v1/admin/keys', { headers: bearer(wrong) })
        expect(admin.status).toBe(401)
        await admin.arrayBuffer()
      }
      expect((await gw.fetch('/v1/models', { headers: bearer(secret) })).status).toBe(200)
    }
    for (const wrong of near(METRICS)) expect((await gw.fetch('/metrics', { headers: bearer(wrong) })).status).toBe(401)
    expect(gw.errors()).toEqual([])
  })

  test('source check: no secret in src/auth/authenticator.ts, src/admin/auth.ts, src/server/routes/metrics.ts is compared with ===, startsWith or includes', async () => {
    // The last line of defence behind the behaviour tests above: a comparison of a secret-bearing
    // value against anything but undefined/null is a finding.
    const secretish = /\b(secret|token|presented|apiKey|api_key|adminToken|metrics_token|admin_token)\b|\.key\b/
    for (const file of ['src/auth/authenticator.ts', 'src/admin/auth.ts', 'src/server/routes/metrics.ts']) {
      const source = (await Bun.file(file).text()).replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '')
      for (const line of source.split('\n')) {
        for (const m of line.matchAll(/([\w.$[\]'"!]+)\s*(===|!==|==|!=)\s*([\w.$[\]'"]+)/g)) {
          const [, left, , right] = m as unknown as [string, string, string, string]
          if (!(secretish.test(left) || secretish.test(right))) continue
          if (/^(undefined|null|'[^']*'|"[^"]*"|\d+)$/.test(right) || /^(undefined|null)$/.test(left)) continue
          expect(`${file}: ${line.trim()}`).toBe('no direct comparison of a secret')
        }
        if (secretish.test(line) && /\.(startsWith|endsWith|includes|localeCompare)\(/.test(line))
          expect(`${file}: ${line.trim()}`).toBe('no prefix comparison of a secret')
      }
      // Each file either compares digests itself, or through the authenticator's sameSecret (checked
      // here too, in src/auth/authenticator.ts), or hands the request to the authenticator.
      expect(source).toMatch(/timingSafeEqual\(|\.authenticate\(|sameSecret\(/)
    }
  })
})

// --- secrets never leak ---

test('the leak check itself catches a whole secret and the hidden middle of one', () => {
  expect(() => expectNoSecret(`x ${TEAM} y`, { TEAM }, 'a text')).toThrow()
  expect(() => expectNoSecret(`cut: …${TEAM.slice(9, 21)}…`, { TEAM }, 'a text')).toThrow()
  expect(() => expectNoSecret(`masked: ${TEAM.slice(0, 7)}…${TEAM.slice(-4)}`, { TEAM }, 'a text')).not.toThrow()
})

/** The config of the leak tests: every extension on, logging at debug, two upstreams (one down). */
async function leakConfig(): Promise<string> {
  const down = await closedPort()
  return `admin_token = "${ADMIN}"
metrics_token = "${METRICS}"

[[keys]]
name = "team"
key = "${TEAM}"
models = ["gpt-4o-mini", "down-model"]

[[keys]]
name = "limited"
key = "${LIMITED}"
models = ["other"]

[models."gpt-4o-mini"]
prompt_cost_per_million = 1
completion_cost_per_million = 2

[extensions.logging]
level = "debug"

[extensions.rate_limit]
requests_per_minute = 1000
tokens_per_minute = 1000000

[extensions.budget]
default_budget = 100
unpriced = "allow"           # the test's models have no price

[extensions.usage]

[extensions.audit]

[extensions.cache]
ttl_seconds = 60

[providers.up]
kind = "openai"
api_key = "${UPSTREAM}"
base_url = "${up.url}/v1"
models = ["gpt-4o-mini"]
max_retries = 0

[providers.down]
kind = "openai"
api_key = "${DOWN_UPSTREAM}"
base_url = "http://127.0.0.1:${down}/v1"
models = ["down-model"]
max_retries = 0
`
}

/** Every secret of the leak tests by name (the API key is added once created). */
function secrets(extra: Record<string, string> = {}): Record<string, string> {
  return { ADMIN, METRICS, TEAM, LIMITED, UPSTREAM, DOWN_UPSTREAM, API_PROVIDER, ...extra }
}

describe.each(BACKENDS)('secrets stay out of logs, answers, metrics and storage ($name storage)', (backend) => {
  test('a run of requests, failures included, at trace level', async () => {
    const store = await backend.open()
    await using gw = await startTraceGateway(await leakConfig(), store)
    const answers: string[] = []
    const keep = async (res: Response, status?: number) => {
      const text = await res.text()
      if (status !== undefined) expect({ status: res.status, text }).toEqual({ status, text })
      answers.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`)
      return text
    }
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      gw.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

    // The admin API: a key made (its one answer holds the secret and is not kept), a provider made.
    const created = await post(
      '/v1/admin/keys',
      JSON.stringify({ name: 'made', models: ['gpt-4o-mini', 'api-model'] }),
      bearer(ADMIN),
    )
    expect(created.status).toBe(201)
    const API_KEY: string = (await jsonOf(created)).key
    // A second one, never revoked, so that storage still holds an API key record at the end.
    const KEPT_KEY: string = (await jsonOf(await post('/v1/admin/keys', '{"name":"kept"}', bearer(ADMIN)))).key
    const all = secrets({ API_KEY, KEPT_KEY })
    await keep(
      await post(
        '/v1/admin/providers',
        JSON.stringify({
          name: 'apiprov',
          kind: 'openai',
          api_key: API_PROVIDER,
          base_url: `${up.url}/v1`,
          models: ['api-model'],
          max_retries: 0,
        }),
        bearer(ADMIN),
      ),
      201,
    )

    // Successes: JSON, stream, a cache hit, the admin token as a key, an API key, the API provider.
    await keep(await post('/v1/chat/completions', chatBody(), bearer(TEAM)), 200)
    up.enqueue({ sse: chatChunks(undefined, undefined, true) })
    await keep(await post('/v1/chat/completions', chatBody('gpt-4o-mini', { stream: true }), bearer(TEAM)), 200)
    await keep(await post('/v1/chat/completions', chatBody(), bearer(TEAM)), 200)
    await keep(await post('/v1/chat/completions', chatBody('gpt-4o-mini', { user: 'admin' }), bearer(ADMIN)), 200)
    await keep(
      await post('/v1/chat/completions', chatBody('gpt-4o-mini', { user: 'api' }), { 'x-api-key': API_KEY }),
      200,
    )
    await keep(await post('/v1/chat/completions', chatBody('api-model'), bearer(API_KEY)), 200)
    await keep(await post('/v1/chat/completions', chatBody('gpt-4o-mini', { user: 'kept' }), bearer(KEPT_KEY)), 200)

    // Failures: no key, wrong keys, another key's model, unknown model, upstream errors, upstream down.
    await keep(await post('/v1/chat/completions', chatBody()), 401)
    await keep(await post('/v1/chat/completions', chatBody(), bearer(`${TEAM}x`)), 401)
    await keep(await post('/v1/chat/completions', chatBody(), bearer(TEAM.slice(0, -3))), 401)
    await keep(await post('/v1/chat/completions', chatBody(), { 'x-api-key': ADMIN.toUpperCase() }), 401)
    await keep(await post('/v1/chat/completions', chatBody(), { authorization: `Basic ${btoa(`u:${TEAM}`)}` }), 401)
    await keep(await post('/v1/chat/completions', chatBody(), bearer(LIMITED)), 403)
    await keep(await post('/v1/chat/completions', chatBody('no-such-model'), bearer(TEAM)), 404)
    await keep(await post('/v1/chat/completions', '{"model": ', bearer(TEAM)), 400)
    up.enqueue(openAiError(401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'))
    await keep(await post('/v1/chat/completions', chatBody('gpt-4o-mini', { user: 'u401' }), bearer(TEAM)), 401)
    up.enqueue(openAiError(500, 'upstream exploded', 'server_error'))
    await keep(await post('/v1/chat/completions', chatBody('gpt-4o-mini', { user: 'u500' }), bearer(TEAM)), 500)
    up.enqueue({ sse: chatChunks(), cutAfter: 2 })
    await keep(await post('/v1/chat/completions', chatBody('gpt-4o-mini', { stream: true, user: 'cut' }), bearer(TEAM)))
    await keep(await post('/v1/chat/completions', chatBody('down-model'), bearer(TEAM)), 502)
    await keep(await post('/v1/embeddings', '{"model":"gpt-4o-mini","input":"x"}', bearer(LIMITED)), 403)
    await keep(await post('/v1/messages', chatBody('no-such-model'), { 'x-api-key': `${LIMITED}0` }), 401)

    // The admin API and the extension routes, with and without the right secret.
    await keep(await gw.fetch('/v1/admin/keys', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/admin/keys/made', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/admin/keys/team', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/admin/keys/nobody', { headers: bearer(ADMIN) }), 404)
    await keep(await gw.fetch('/v1/admin/providers', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/admin/providers/apiprov', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/admin/providers/up', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/admin/keys', { method: 'PATCH', headers: bearer(ADMIN) }), 405)
    await keep(
      await gw.fetch('/v1/admin/keys/made', {
        method: 'PATCH',
        headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
        body: '{"models":[42]}',
      }),
      400,
    )
    await keep(await post('/v1/admin/keys', '{"name":"made"}', bearer(ADMIN)), 409)
    await keep(await gw.fetch('/v1/admin/keys', { headers: bearer(TEAM) }), 401)
    await keep(await gw.fetch('/v1/admin/keys', { headers: bearer(API_KEY) }), 401)
    await keep(await gw.fetch('/v1/admin/keys', { headers: bearer(METRICS) }), 401)
    await keep(await gw.fetch('/v1/admin/logs?limit=100', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/admin/logs', { headers: bearer(TEAM) }), 401)
    await keep(await gw.fetch('/v1/usage', { headers: bearer(TEAM) }), 200)
    await keep(await gw.fetch('/v1/usage', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/budget', { headers: bearer(ADMIN) }), 200)
    await keep(await gw.fetch('/v1/budget', { headers: bearer(TEAM) }), 200)
    await keep(await gw.fetch('/v1/cache', { method: 'DELETE', headers: bearer(TEAM) }), 403)
    await keep(await gw.fetch('/metrics', { headers: bearer(TEAM) }), 401)
    await keep(await gw.fetch('/metrics'), 401)
    const metrics = await keep(await gw.fetch('/metrics', { headers: bearer(METRICS) }), 200)
    expect(metrics.includes('crabllm_requests_total{')).toBe(true)
    await keep(await gw.fetch('/v1/admin/keys/made', { method: 'DELETE', headers: bearer(ADMIN) }), 200)
    await keep(await post('/v1/chat/completions', chatBody(), bearer(API_KEY)), 401)
    await keep(await gw.fetch('/v1/models', { headers: bearer(`${API_KEY.slice(0, 10)}`) }), 401)
    await gw.ctx.pipeline.flush()

    // Logs: every line, trace level included.
    const lines = gw.lines()
    expect(lines.length).toBeGreaterThan(20)
    expect(lines.some((l) => JSON.parse(l).level === 'debug')).toBe(true)
    expectNoSecret(lines.join('\n'), all, 'the log')
    // Answers: every status line, header and body (except the one create answer that shows the key).
    for (const answer of answers) expectNoSecret(answer, all, 'an answer')
    // Upstreams got their own key and nothing of ours.
    for (const request of up.requests) {
      const seen = `${JSON.stringify(request.headers)} ${request.text()}`
      expectNoSecret(seen, { ADMIN, METRICS, TEAM, LIMITED, API_KEY, KEPT_KEY, DOWN_UPSTREAM }, 'an upstream request')
      expect([`Bearer ${UPSTREAM}`, `Bearer ${API_PROVIDER}`]).toContain(request.headers.authorization!)
    }
    // Storage: every key-value entry and every audit record. API providers are stored with their
    // secrets by design (the gateway calls with them); API keys only as digests.
    const entries = (await store.list('', 100_000)).filter((e) => !e.key.startsWith('admin:provider/'))
    expect(entries.some((e) => e.key.startsWith('admin:key/'))).toBe(true)
    expect(entries.some((e) => e.key.startsWith('usage:'))).toBe(true)
    expectNoSecret(entries.map((e) => `${e.key}=${e.value}`).join('\n'), all, 'storage')
    const audit = await store.recent('audit:records', { limit: 10_000 })
    expect(audit.length).toBeGreaterThan(8)
    expectNoSecret(audit.map((r) => r.value).join('\n'), all, 'the audit log')
  })
})

describe('log lines cannot be forged', () => {
  test('a model name, key name or path with newlines and control characters stays inside one text line', async () => {
    const forged = 'x\n2099-01-01T00:00:00.000Z ERROR forged line\r\u001b[31m'
    await using gw = await startTraceGateway(
      `[[keys]]\nname = ${JSON.stringify(`team${forged}`)}\nkey = "${TEAM}"\n[extensions.logging]\nlevel = "debug"\n[extensions.audit]\n[providers.e]\nkind = "echo"\nmodels = ["echo", ${JSON.stringify(`echo${forged}`)}]\n`,
      undefined,
      { text: true },
    )
    const send = (model: string) =>
      gw.fetch('/v1/chat/completions', {
        method: 'POST',
        headers: { ...bearer(TEAM), 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: forged }] }),
      })
    for (const model of [`echo${forged}`, `nope${forged}`, 'echo']) await (await send(model)).arrayBuffer()
    await (await gw.fetch(`/v1/${encodeURIComponent(forged)}`)).arrayBuffer()
    await gw.ctx.pipeline.flush()
    const writes = gw.lines()
    expect(writes.length).toBeGreaterThan(4)
    for (const line of writes) {
      // One write is one line: a single newline, at its end, and no other control character.
      expect(line.indexOf('\n')).toBe(line.length - 1)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters
      expect(/[\u0000-\u0009\u000b-\u001f\u007f]/.test(line)).toBe(false)
      expect(line.startsWith('2099')).toBe(false)
    }
  })
})

describe("secrets stay out of the binary's output at trace level", () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'crabllm-secrets-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  test('LOG_LEVEL=trace, SQLite storage: stdout, stderr and the database files hold no secret', async () => {
    const config = (await leakConfig()).replace(
      '[extensions.logging]',
      `[storage]\nkind = "sqlite"\npath = "state.db"\n\n[extensions.logging]`,
    )
    writeFileSync(join(dir, 'crabllm.toml'), config)
    const gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir, env: { LOG_LEVEL: 'trace' } })
    await using _ = gw
    const url = await gw.ready()
    const send = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(url + path, init)
      const text = `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`
      return { status: res.status, text }
    }
    const post = (path: string, body: string, headers: Record<string, string>) =>
      send(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })
    const createdRes = await fetch(`${url}/v1/admin/keys`, {
      method: 'POST',
      headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
      body: '{"name":"made"}',
    })
    const API_KEY: string = (await jsonOf(createdRes)).key
    const all = secrets({ API_KEY })
    const answers = [
      await post('/v1/chat/completions', chatBody(), bearer(TEAM)),
      await post('/v1/chat/completions', chatBody(), bearer(API_KEY)),
      await post('/v1/chat/completions', chatBody('gpt-4o-mini', { stream: true }), bearer(ADMIN)),
      await post('/v1/chat/completions', chatBody(), bearer(`${TEAM}0`)),
      await post('/v1/chat/completions', chatBody(), bearer(LIMITED)),
      await post('/v1/chat/completions', chatBody('down-model'), bearer(TEAM)),
      await post('/v1/chat/completions', chatBody(), {}),
      await send('/v1/admin/keys', { headers: bearer(ADMIN) }),
      await send('/v1/admin/keys', { headers: bearer(TEAM) }),
      await send('/v1/admin/providers', { headers: bearer(ADMIN) }),
      await send('/v1/admin/logs', { headers: bearer(ADMIN) }),
      await send('/v1/usage', { headers: bearer(ADMIN) }),
      await send('/metrics', { headers: bearer(METRICS) }),
      await send('/metrics', { headers: bearer(`${METRICS}0`) }),
    ]
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 401, 403, 502, 401, 200, 401, 200, 200, 200, 200, 401])
    for (const answer of answers) expectNoSecret(answer.text, all, 'an answer')
    gw.kill('SIGTERM')
    expect(await gw.exited).toBe(0)
    const output = gw.stdout() + gw.stderr()
    expect(output).toMatch(/TRACE|DEBUG/)
    expectNoSecret(output, all, "the binary's output")
    for (const file of readdirSync(dir).filter((f) => f.startsWith('state.db')))
      expectNoSecret(readFileSync(join(dir, file)).toString('latin1'), all, file)
  })
})

// --- the admin API on every path spelling ---

const SPELLINGS = [
  '/v1/admin/keys',
  '/v1/admin/keys/',
  '/v1/admin/keys?limit=1',
  '/v1/admin/keys/?x=1',
  '/V1/ADMIN/KEYS',
  '/v1/Admin/keys',
  '/v1/admin/Keys',
  '//v1/admin/keys',
  '/v1//admin/keys',
  '/v1/admin//keys',
  '/v1/admin%2Fkeys',
  '/v1%2Fadmin%2Fkeys',
  '/%761/admin/keys',
  '/v1/%61dmin/keys',
  '/v1/admin/%6beys',
  '/v1/admin/../admin/keys',
  '/v1/admin/./keys',
  '/v1/./admin/keys',
  '/./v1/admin/keys',
  '/v1/models/../admin/keys',
  '/v1/admin/keys/%2e%2e/keys',
  '/v1/admin/keys/%2E%2E/providers',
  '/v1/admin/keys;x',
  '/v1/admin/keys%00',
  '/v1/admin/keys%20',
  '/v1/admin/keys/team',
  '/v1/admin/keys/team/',
  '/v1/admin/keys/%74eam',
  '/v1/admin/keys/*',
  '/v1/admin/keys/..%2Fproviders',
  '/v1/admin/providers',
  '/v1/admin/providers/up',
  '/v1/admin/logs',
  '/v1/admin/logs/',
  '/v1/admin/logs?key=team',
  '/v1/admin',
  '/v1/admin/',
  '/v1/admin/nope',
  '/v1/admin/stats',
  'http://127.0.0.1/v1/admin/keys',
]
const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']

describe('the admin API without the admin token', () => {
  test('every path spelling and method is 401, 404 or 405, never 2xx and never key or provider data', async () => {
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\n[[keys]]\nname = "team"\nkey = "${TEAM}"\n[extensions.audit]\n${provider('up', up.url, ['gpt-4o-mini'])}`,
    )
    // Something to find if a spelling got through: an API key and a request in the audit log.
    const created = await gw.fetch('/v1/admin/keys', {
      method: 'POST',
      headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
      body: '{"name":"made"}',
    })
    expect(created.status).toBe(201)
    await created.arrayBuffer()
    await (await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: TEAM })).arrayBuffer()
    await gw.ctx.pipeline.flush()

    const seen: string[] = []
    for (const host of [undefined, 'ai', ''] as const)
      for (const target of SPELLINGS)
        for (const method of METHODS)
          for (const headers of [{}, bearer(TEAM), { 'x-api-key': TEAM }] as Record<string, string>[]) {
            const body =
              method === 'POST' || method === 'PATCH' || method === 'PUT' ? '{"name":"evil","models":["*"]}' : undefined
            const answer = await rawRequest(gw.server.port, method, target, {
              host,
              headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
              body,
            })
            const where = `${method} ${target} (host ${JSON.stringify(host ?? 'default')}, ${Object.keys(headers).join('') || 'no key'}) → ${answer.status} ${answer.body.slice(0, 120)}`
            if (![401, 404, 405].includes(answer.status)) seen.push(where)
            if (/"masked"|"object":"list"|"request_id"|sk-upstream|"hash"/.test(answer.body))
              seen.push(`data: ${where}`)
          }
    expect(seen).toEqual([])
    // The check is not vacuous: with the admin token the same request gets the data, on every Host.
    for (const host of [undefined, 'ai', '']) {
      const control = await rawRequest(gw.server.port, 'GET', '/v1/admin/keys', { host, headers: bearer(ADMIN) })
      expect(control.status).toBe(200)
      expect(control.body).toContain('"masked"')
    }
    // Nothing was created, changed or deleted.
    expect((await gw.ctx.admin.keys()).map((k) => k.name)).toEqual(['made'])
    expect(await gw.ctx.admin.providers()).toEqual([])
    expect(gw.errors()).toEqual([])
  })

  test('without admin_token configured, every spelling is 404 for every caller', async () => {
    await using gw = await startGateway(
      `[[keys]]\nname = "team"\nkey = "${TEAM}"\n[extensions.audit]\n${provider('up', up.url, ['gpt-4o-mini'])}`,
    )
    for (const target of SPELLINGS)
      for (const method of ['GET', 'POST', 'DELETE'])
        for (const headers of [{}, bearer(TEAM)]) {
          const answer = await rawRequest(gw.server.port, method, target, { headers })
          expect({ target, method, status: answer.status }).toEqual({
            target,
            method,
            status: answer.status === 405 ? 405 : 404,
          })
        }
  })

  test('regression: a short Host header no longer shifts the routed path (GET /zz/health with Host "ai" was 200 /health)', async () => {
    await using gw = await startGateway(`admin_token = "${ADMIN}"\n[providers.e]\nkind = "echo"\nmodels = ["echo"]\n`)
    for (const host of ['ai', 'x', 'a:1', 'gw:80']) {
      expect((await rawRequest(gw.server.port, 'GET', '/zz/health', { host })).status).toBe(404)
      expect((await rawRequest(gw.server.port, 'GET', '/v1/v1/admin/keys', { host })).status).toBe(404)
      expect((await rawRequest(gw.server.port, 'GET', '/health', { host })).status).toBe(200)
      // The catch-all of the admin API answers for what it is (401), not as another path.
      expect((await rawRequest(gw.server.port, 'GET', '/v1/admin/nope', { host })).status).toBe(401)
    }
  })

  test("regression: the server never runs in Bun's development mode (its 500 page shows the error and stack)", async () => {
    await using gw = await startGateway(`[providers.e]\nkind = "echo"\nmodels = ["echo"]\n`)
    const { createApp } = await import('../../src/server/app')
    const app = createApp(gw.ctx).listen({ hostname: '127.0.0.1', port: 0 })
    try {
      expect(app.server!.development).toBe(false)
    } finally {
      await app.stop(true)
    }
  })

  test("regression: an empty Host header gets our JSON 404, not an unhandled error and Bun's 500 page", async () => {
    await using gw = await startGateway(`admin_token = "${ADMIN}"\n[providers.e]\nkind = "echo"\nmodels = ["echo"]\n`)
    const answer = await rawRequest(gw.server.port, 'GET', '/v1/nope', { host: '' })
    expect(answer.status).toBe(404)
    expect(JSON.parse(answer.body).error.code).toBe('not_found')
    const logs = await rawRequest(gw.server.port, 'GET', '/v1/admin/logs?key=x', { host: '', headers: bearer(ADMIN) })
    expect(logs.status).toBe(404) // no audit extension: the admin catch-all answers
    expect(gw.errors()).toEqual([])
  })
})
