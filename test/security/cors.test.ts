// [cors]: off unless configured (no CORS headers, no hooks); with it, an allowed Origin gets
// Access-Control-Allow-Origin (its own, or * for origins = ["*"]), Vary: origin and the exposed headers
// on every answer (relayed streams, errors, 404s included), and its preflights get a 204 on any route
// without auth. A disallowed Origin is served as if [cors] were absent. In-process, then once through
// the compiled binary.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCors } from '../../src/server/cors'
import { spawnCrabllm } from '../support/binary'
import { jsonOf, provider, startGateway } from '../support/gateway'
import { chatChunks, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const ADMIN = 'admin-token-cors-0123456789'
const KEY = 'sk-cors-key-0123456789abcdef'
const APP = 'https://app.example.com'
const EVIL = 'https://evil.example.net'

let up: MockUpstream
beforeAll(async () => {
  up = await startMockUpstream()
})
afterAll(async () => {
  await up.close()
})

function toml(cors: string, extra = ''): string {
  return `admin_token = "${ADMIN}"\n${cors}\n[[keys]]\nname = "app"\nkey = "${KEY}"\n${extra}\n${provider('up', up.url, ['gpt-4o-mini'])}`
}

const CORS_LIST = `[cors]\norigins = ["${APP}", "http://localhost:3000"]\nmax_age = 120\n`

function preflight(
  url: string,
  origin: string,
  method = 'POST',
  headers = 'authorization, content-type',
): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
  })
}

function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of res.headers) if (k.startsWith('access-control-')) out[k] = v
  return out
}

describe('[cors] absent', () => {
  test('no answer carries a CORS header or Vary: origin, and a preflight is not answered', async () => {
    await using gw = await startGateway(toml(''))
    const auth = { authorization: `Bearer ${KEY}` }
    const answers = [
      await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY, headers: { origin: APP } }),
      await gw.fetch('/v1/models', { headers: { ...auth, origin: APP } }),
      await gw.fetch('/health', { headers: { origin: APP } }),
      await gw.fetch('/v1/nope', { headers: { origin: APP } }),
      await gw.fetch('/v1/models', { headers: { origin: APP } }),
      await preflight(`${gw.url}/v1/chat/completions`, APP),
    ]
    for (const res of answers) {
      expect(corsHeaders(res)).toEqual({})
      expect(res.headers.get('vary') ?? '').not.toContain('origin')
      await res.arrayBuffer()
    }
    // The preflight met the ordinary routes: there is no OPTIONS route.
    expect(answers.at(-1)!.status).toBe(405)
    expect(gw.errors()).toEqual([])
  })

  test('createApp mounts no hook at all without [cors] (zero per-request work)', async () => {
    await using gw = await startGateway(toml(''))
    const { createApp } = await import('../../src/server/app')
    const app = createApp(gw.ctx)
    expect(app.event.request?.length ?? 0).toBe(0)
    const withCors = await startGateway(toml(CORS_LIST))
    await using _ = withCors
    expect(createApp(withCors.ctx).event.request?.length ?? 0).toBe(1)
  })
})

describe('[cors] with a list of origins', () => {
  test('a preflight from an allowed origin is a 204 with methods, headers and max-age, on any route, without auth', async () => {
    await using gw = await startGateway(toml(CORS_LIST, '[extensions.audit]\n[extensions.usage]\n'))
    const before = up.requests.length
    for (const path of [
      '/v1/chat/completions',
      '/v1/messages',
      '/v1/models',
      '/v1/admin/keys',
      '/v1/admin/keys/app',
      '/v1/usage',
      '/metrics',
      '/v1/nowhere',
    ]) {
      const res = await preflight(
        `${gw.url}${path}`,
        APP,
        'POST',
        'Authorization, Content-Type, X-Stainless-OS, bad header, anthropic-version',
      )
      expect(res.status).toBe(204)
      expect(await res.text()).toBe('')
      expect(res.headers.get('access-control-allow-origin')).toBe(APP)
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, PATCH, DELETE, OPTIONS')
      const allowed = res.headers.get('access-control-allow-headers')!.split(', ')
      for (const h of [
        'authorization',
        'content-type',
        'x-api-key',
        'anthropic-version',
        'x-request-id',
        'x-stainless-os',
      ])
        expect(allowed).toContain(h)
      expect(allowed).not.toContain('bad header')
      expect(res.headers.get('access-control-max-age')).toBe('120')
      expect(res.headers.get('vary')).toContain('origin')
      // A preflight never carries credentials and is answered before auth: no 401.
    }
    expect(up.requests.length).toBe(before)
    expect(gw.errors()).toEqual([])
  })

  test('answers to an allowed origin carry its origin, Vary: origin and the exposed headers (success, stream, errors, 404)', async () => {
    await using gw = await startGateway(toml(CORS_LIST))
    const before = up.requests.length
    up.enqueue({ sse: chatChunks() })
    const stream = await gw.chat(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { key: KEY, headers: { origin: APP } },
    )
    const json = await gw.chat(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      { key: KEY, headers: { origin: APP } },
    )
    const unauthorized = await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { headers: { origin: APP } })
    const notFound = await gw.fetch('/v1/nowhere', { headers: { origin: APP } })
    const wrongMethod = await gw.fetch('/v1/chat/completions', { method: 'GET', headers: { origin: APP } })
    const models = await gw.fetch('/v1/models', { headers: { origin: APP, authorization: `Bearer ${KEY}` } })
    const admin = await gw.fetch('/v1/admin/keys', { headers: { origin: APP } })
    const health = await gw.fetch('/health', { headers: { origin: 'http://localhost:3000' } })
    const expected: [Response, number][] = [
      [stream, 200],
      [json, 200],
      [unauthorized, 401],
      [notFound, 404],
      [wrongMethod, 405],
      [models, 200],
      [admin, 401],
      [health, 200],
    ]
    for (const [res, status] of expected) {
      expect(res.status).toBe(status)
      const origin = res === health ? 'http://localhost:3000' : APP
      expect(res.headers.get('access-control-allow-origin')).toBe(origin)
      expect(res.headers.get('vary')).toContain('origin')
      const exposed = res.headers.get('access-control-expose-headers')!.split(', ')
      for (const h of ['x-request-id', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-tokens', 'retry-after'])
        expect(exposed).toContain(h)
      // No credentials mode: the gateway takes keys in headers, never cookies.
      expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    }
    // The stream is still relayed frame for frame, with the headers on it.
    const text = await stream.text()
    expect(text).toContain('data: [DONE]')
    expect(text).toContain('"Hel"')
    for (const [res] of expected.slice(1)) await res.arrayBuffer()
    expect(up.requests.length - before).toBe(2)
    expect(gw.errors()).toEqual([])
  })

  test('a relayed stream still arrives frame by frame (the headers go on the Response, it is not rebuilt)', async () => {
    await using gw = await startGateway(toml(CORS_LIST))
    const release = Promise.withResolvers<void>()
    up.enqueue({ sse: chatChunks(['one', 'two']), holdFrames: release.promise, holdFramesAfter: 2 })
    const res = await gw.chat(
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      { key: KEY, headers: { origin: APP } },
    )
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let seen = ''
    // The upstream holds everything after its second frame: what arrives now was not buffered.
    while (!seen.includes('"one"')) {
      const { value, done } = await reader.read()
      expect(done).toBe(false)
      seen += decoder.decode(value, { stream: true })
    }
    expect(seen).not.toContain('[DONE]')
    release.resolve()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      seen += decoder.decode(value, { stream: true })
    }
    expect(seen).toContain('"two"')
    expect(seen).toContain('data: [DONE]')
  })

  test('a disallowed or absent Origin gets no CORS headers, and its preflight is not answered (405/404 as without [cors])', async () => {
    await using gw = await startGateway(toml(CORS_LIST))
    for (const origin of [
      EVIL,
      'null',
      `${APP}.evil.net`,
      APP.toUpperCase(),
      `${APP}/`,
      `${APP}:443`,
      'http://app.example.com',
    ]) {
      const res = await gw.fetch('/v1/models', { headers: { origin, authorization: `Bearer ${KEY}` } })
      expect(res.status).toBe(200)
      expect(corsHeaders(res)).toEqual({})
      // Vary: origin still tells caches the answer depends on Origin.
      expect(res.headers.get('vary')).toContain('origin')
      await res.arrayBuffer()
      const pre = await preflight(`${gw.url}/v1/chat/completions`, origin)
      expect(pre.status).toBe(405)
      expect(corsHeaders(pre)).toEqual({})
      await pre.arrayBuffer()
      const preAdmin = await preflight(`${gw.url}/v1/admin/keys`, origin)
      expect([401, 404, 405]).toContain(preAdmin.status)
      expect(corsHeaders(preAdmin)).toEqual({})
      await preAdmin.arrayBuffer()
    }
    const noOrigin = await gw.fetch('/v1/models', { headers: { authorization: `Bearer ${KEY}` } })
    expect(corsHeaders(noOrigin)).toEqual({})
    await noOrigin.arrayBuffer()
    // An OPTIONS without Access-Control-Request-Method is no preflight: the ordinary routes answer it.
    const plain = await gw.fetch('/v1/chat/completions', { method: 'OPTIONS', headers: { origin: APP } })
    expect(plain.status).toBe(405)
    expect(plain.headers.get('access-control-allow-origin')).toBe(APP)
    await plain.arrayBuffer()
    expect(gw.errors()).toEqual([])
  })

  test('a preflight never reaches the admin API or a route handler with data', async () => {
    await using gw = await startGateway(toml(CORS_LIST))
    const res = await preflight(`${gw.url}/v1/admin/keys`, APP, 'GET')
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    // And the real request from the browser still needs the admin token.
    const get = await gw.fetch('/v1/admin/keys', { headers: { origin: APP } })
    expect(get.status).toBe(401)
    expect(get.headers.get('access-control-allow-origin')).toBe(APP)
    expect(JSON.stringify(await jsonOf(get))).not.toContain(KEY)
  })
})

describe('[cors] origins = ["*"]', () => {
  test('any Origin gets *, preflights included; a request without Origin gets none', async () => {
    await using gw = await startGateway(toml('[cors]\norigins = ["*"]\n'))
    for (const origin of [APP, EVIL, 'null']) {
      const res = await gw.fetch('/v1/models', { headers: { origin, authorization: `Bearer ${KEY}` } })
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      expect(res.headers.get('vary')).toContain('origin')
      await res.arrayBuffer()
      const pre = await preflight(`${gw.url}/v1/embeddings`, origin)
      expect(pre.status).toBe(204)
      expect(pre.headers.get('access-control-allow-origin')).toBe('*')
      expect(pre.headers.get('access-control-max-age')).toBe('600')
    }
    const none = await gw.fetch('/health')
    expect(corsHeaders(none)).toEqual({})
    await none.arrayBuffer()
  })
})

describe('createCors', () => {
  test('Vary is appended to an existing one once, and left alone when it already names origin or *', () => {
    const cors = createCors({ origins: [APP], max_age: 600 })
    const request = new Request('http://gw/v1/models', { headers: { origin: APP } })
    const vary = (value: string | undefined) =>
      cors.decorate(request, new Response('', value ? { headers: { vary: value } } : {})).headers.get('vary')
    expect(vary(undefined)).toBe('origin')
    expect(vary('accept-encoding')).toBe('accept-encoding, origin')
    expect(vary('Accept-Encoding, Origin')).toBe('Accept-Encoding, Origin')
    expect(vary('*')).toBe('*')
    expect(vary('x-origin-thing')).toBe('x-origin-thing, origin')
  })

  test('a preflight asking for many headers is bounded (32 names, 64 characters each)', () => {
    const cors = createCors({ origins: ['*'], max_age: 1 })
    const names = Array.from({ length: 100 }, (_, i) => `x-h${i}`)
    const res = cors.preflight(
      new Request('http://gw/', {
        method: 'OPTIONS',
        headers: {
          origin: APP,
          'access-control-request-method': 'POST',
          'access-control-request-headers': [...names, 'x'.repeat(65)].join(','),
        },
      }),
    )!
    const allowed = res.headers.get('access-control-allow-headers')!.split(', ')
    expect(allowed).toContain('x-h31')
    expect(allowed).not.toContain('x-h32')
    expect(allowed.some((h) => h.length > 64)).toBe(false)
  })
})

describe('[cors] through the compiled binary', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'crabllm-cors-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  test('allowed origin: preflight 204 and headers on the answer; other origin: none', async () => {
    const path = join(dir, 'crabllm.toml')
    writeFileSync(
      path,
      `${CORS_LIST}\n[[keys]]\nname = "app"\nkey = "${KEY}"\n\n[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n`,
    )
    await using gw = spawnCrabllm(['serve', '--config', path, '--bind', '127.0.0.1:0'], { cwd: dir })
    const url = await gw.ready()
    const pre = await preflight(`${url}/v1/chat/completions`, APP)
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe(APP)
    expect(pre.headers.get('access-control-max-age')).toBe('120')
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin: APP, authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe(APP)
    expect(res.headers.get('access-control-expose-headers')).toContain('x-request-id')
    await res.arrayBuffer()
    const evil = await fetch(`${url}/v1/models`, { headers: { origin: EVIL, authorization: `Bearer ${KEY}` } })
    expect(evil.status).toBe(200)
    expect(corsHeaders(evil)).toEqual({})
    await evil.arrayBuffer()
    const evilPre = await preflight(`${url}/v1/chat/completions`, EVIL)
    expect(evilPre.status).toBe(405)
    expect(corsHeaders(evilPre)).toEqual({})
  })
})
