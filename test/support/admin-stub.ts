// A tiny in-memory stand-in for a gateway's /v1/admin/{keys,providers} (Bun.serve on port 0) that speaks
// the admin API contract: bearer admin token, OpenAI-shaped errors (401, 400 naming the field, 404,
// 409 read_only / already_exists), one config-file key and provider, masked secrets. It records each
// request so CLI tests can check what was sent. Paths under /html answer 200 with HTML (not a gateway);
// paths under /hold never answer (for the client's timeout).

export const STUB_TOKEN = 'stub-admin-token-0123456789'
export const CONFIG_KEY_SECRET = 'sk-config-secret-abcdefghijklmnop1234'

export interface StubRequest {
  method: string
  path: string
  authorization: string | null
  body: any
}

export interface AdminStub extends AsyncDisposable {
  readonly url: string
  readonly requests: StubRequest[]
}

export function startAdminStub(): AdminStub {
  const requests: StubRequest[] = []
  const keys = new Map<string, Record<string, unknown>>([
    ['default', { name: 'default', masked: mask(CONFIG_KEY_SECRET), models: ['*'], expired: false, source: 'config' }],
  ])
  const providers = new Map<string, Record<string, unknown>>([
    [
      'echo',
      { name: 'echo', kind: 'echo', models: ['echo'], weight: 1, max_retries: 2, timeout: 30, source: 'config' },
    ],
  ])
  let seq = 0
  const hold = Promise.withResolvers<void>()

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(request) {
      const url = new URL(request.url)
      const text = await request.text()
      let body: any
      try {
        body = text ? JSON.parse(text) : undefined
      } catch {
        body = text
      }
      requests.push({
        method: request.method,
        path: url.pathname,
        authorization: request.headers.get('authorization'),
        body,
      })
      if (url.pathname.startsWith('/html/'))
        return new Response('<html>hello</html>', { headers: { 'content-type': 'text/html' } })
      if (url.pathname.startsWith('/hold/')) {
        await hold.promise
        return new Response('late')
      }
      if (url.pathname.startsWith('/plain500/')) return new Response('oops', { status: 500 })
      if (request.headers.get('authorization') !== `Bearer ${STUB_TOKEN}`)
        return fail(401, 'Invalid admin token.', 'invalid_api_key')
      const m = /^\/v1\/admin\/(keys|providers)(?:\/([^/]+))?$/.exec(url.pathname)
      if (!m) return fail(404, `No route for ${request.method} ${url.pathname}.`, 'not_found')
      const [, family, rawName] = m
      const name = rawName === undefined ? undefined : decodeURIComponent(rawName)
      const table = family === 'keys' ? keys : providers
      const noun = family === 'keys' ? 'key' : 'provider'
      if (name === undefined && request.method === 'GET')
        return Response.json({ object: 'list', data: [...table.values()] })
      if (name === undefined && request.method === 'POST') {
        if (typeof body?.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(body.name))
          return fail(400, 'name must be 1-64 characters of A-Za-z0-9._-', 'invalid_value', 'name')
        if (table.has(body.name))
          return fail(409, `A ${noun} named '${body.name}' already exists.`, 'already_exists', 'name')
        const now = new Date().toISOString()
        if (family === 'keys') {
          if (body.rate_limit?.requests_per_minute === 0)
            return fail(400, 'must be at least 1', 'invalid_value', 'rate_limit.requests_per_minute')
          const secret = `sk-stub${String(++seq).padStart(4, '0')}secretABCDEFGHIJKLMNOPQRSTUV`
          const record = {
            ...body,
            models: body.models ?? ['*'],
            masked: mask(secret),
            expired: false,
            source: 'api',
            created_at: now,
            updated_at: now,
          }
          keys.set(body.name, record)
          return Response.json({ ...record, key: secret }, { status: 201 })
        }
        if (typeof body.kind !== 'string') return fail(400, 'kind is required', 'invalid_value', 'kind')
        if (!body.models && body.kind !== 'echo')
          return fail(502, 'The upstream refused to list its models: 401 Unauthorized.', 'upstream_error')
        const record: Record<string, unknown> = {
          weight: 1,
          max_retries: 2,
          timeout: 30,
          ...body,
          models: body.models ?? ['echo'],
          source: 'api',
          created_at: now,
          updated_at: now,
        }
        for (const secret of ['api_key', 'secret_key', 'session_token'])
          if (typeof record[secret] === 'string') record[secret] = mask(record[secret] as string)
        providers.set(body.name, record)
        return Response.json(record, { status: 201 })
      }
      if (name === undefined) return fail(404, `No route for ${request.method} ${url.pathname}.`, 'not_found')
      const found = table.get(name)
      if (!found) return fail(404, `No ${noun} named '${name}'.`, `${noun}_not_found`)
      if (request.method === 'GET') return Response.json(found)
      if (found.source === 'config' && (request.method === 'PATCH' || request.method === 'DELETE'))
        return fail(409, `The ${noun} '${name}' comes from the config file; edit the file to change it.`, 'read_only')
      if (request.method === 'DELETE') {
        table.delete(name)
        return Response.json({ name, deleted: true })
      }
      if (request.method === 'PATCH') {
        const next: Record<string, unknown> = { ...found, updated_at: new Date().toISOString() }
        for (const [field, value] of Object.entries(body ?? {})) {
          if (value === null) delete next[field]
          else next[field] = value
        }
        table.set(name, next)
        return Response.json(next)
      }
      return fail(404, `No route for ${request.method} ${url.pathname}.`, 'not_found')
    },
  })

  return {
    url: `http://127.0.0.1:${server.port}`,
    requests,
    async [Symbol.asyncDispose]() {
      hold.resolve()
      await server.stop(true)
    },
  }
}

// --- internal ---

function mask(secret: string): string {
  return `${secret.slice(0, 7)}…${secret.slice(-4)}`
}

function fail(status: number, message: string, code: string, param: string | null = null): Response {
  const type = status === 401 ? 'invalid_request_error' : status >= 500 ? 'server_error' : 'invalid_request_error'
  return Response.json({ error: { message, type, param, code } }, { status })
}
