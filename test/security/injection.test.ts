// Injection (issue "[7/8] Reliability and security"), on every storage backend: key names and model
// names made of glob, LIKE, SQL and shell metacharacters (`*`, `?`, `%`, `_`, quotes, `;`, `--`,
// brackets, backslashes, spaces, unicode, Redis patterns such as `a*`) are data everywhere they are
// used as a filter or a storage key: GET /v1/admin/logs?key=…&model=…&status=…&since=…, GET /v1/usage, GET /v1/budget
// and the admin API match exactly that name, never more rows, never a 500. Config-file keys may have
// any name, so they carry the metacharacters; admin-API names are limited to NAME_PATTERN
// (src/wire/admin.ts) and are tested with the characters it allows.
import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import type { AuditRecord } from '../../src/extensions/audit'
import { redisStore } from '../../src/storage/redis'
import { jsonOf, startGateway, type TestGateway } from '../support/gateway'
import { BACKENDS, closeAll, REDIS_URL } from '../support/stores'

afterAll(closeAll)

const ADMIN = 'admin-token-injection-0123456789'

/** Names that mean something to a glob, LIKE, SQL, a shell or a URL; each is a key and a model. */
const TRICKY = [
  'a',
  'ab',
  'abc',
  'a*',
  '*',
  '?',
  'a?c',
  'a[b]c',
  '[ab]',
  '%',
  'a%',
  '%25',
  '_',
  'a_c',
  "o'brien",
  'say "hi"',
  'a;b',
  'x -- y',
  "'; DROP TABLE crabllm_log; --",
  "' OR '1'='1",
  'back\\slash',
  '\\*',
  'with space',
  ' lead',
  'ünïcødé-名前',
  '🔑',
  'a/b',
  'a:b',
  '{a,b}',
  '^$.|+()',
  'a\nb',
] as const

/** Filters that look like patterns but name no key and no model. */
const NO_MATCH = [
  'a**',
  '%%',
  '__',
  '[a-z]*',
  'a%c',
  '.*',
  "' OR 1=1 --",
  '\\',
  '*a',
  'A',
  'AB',
  'Ab',
  'a ',
  ' a',
  'lead',
  ' ',
]

const secretOf = (i: number) => `sk-inj-${String(i).padStart(3, '0')}-0123456789abcdef`
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

function config(): string {
  const keys = TRICKY.map((name, i) => `[[keys]]\nname = ${JSON.stringify(name)}\nkey = "${secretOf(i)}"\n`).join('\n')
  const models = JSON.stringify([...TRICKY.map((m) => `m-${m}`), 'plain'])
  return `admin_token = "${ADMIN}"
${keys}
[models."plain"]
prompt_cost_per_million = 1000
completion_cost_per_million = 1000

[extensions.audit]
[extensions.usage]
[extensions.budget]
default_budget = 1000
unpriced = "allow"          # the test's models have no price
[extensions.rate_limit]
requests_per_minute = 1000

[providers.echo]
kind = "echo"
models = ${models}
`
}

async function chat(gw: TestGateway, secret: string, model: string): Promise<void> {
  const res = await gw.chat({ model, messages: [{ role: 'user', content: 'hello' }] }, { key: secret })
  expect({ model, status: res.status }).toEqual({ model, status: 200 })
  await res.arrayBuffer()
}

async function logs(gw: TestGateway, query: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await gw.fetch(`/v1/admin/logs?${new URLSearchParams(query)}`, { headers: bearer(ADMIN) })
  return { status: res.status, body: await jsonOf(res) }
}

describe.each(BACKENDS)('metacharacters are data ($name storage)', (backend) => {
  test('audit filters, usage, budget and the admin API match exactly the name given', async () => {
    const store = await backend.open()
    await using gw = await startGateway(config(), { store })
    // Key i asks once for its own model and once for "plain": 2 records per key, 1 per tricky model.
    for (let i = 0; i < TRICKY.length; i++) {
      await chat(gw, secretOf(i), `m-${TRICKY[i]}`)
      await chat(gw, secretOf(i), 'plain')
    }
    await gw.ctx.pipeline.flush()
    const n = TRICKY.length

    // --- GET /v1/admin/logs ---
    const all = await logs(gw, { limit: '1000' })
    expect(all.status).toBe(200)
    expect(all.body.data.length).toBe(2 * n)
    for (const name of TRICKY) {
      const byKey = await logs(gw, { key: name, limit: '1000' })
      expect({ name, status: byKey.status, keys: byKey.body.data.map((r: AuditRecord) => r.key) }).toEqual({
        name,
        status: 200,
        keys: [name, name],
      })
      const byModel = await logs(gw, { model: `m-${name}` })
      expect({ name, models: byModel.body.data.map((r: AuditRecord) => r.model) }).toEqual({
        name,
        models: [`m-${name}`],
      })
      const both = await logs(gw, { key: name, model: 'plain' })
      expect(both.body.data.length).toBe(1)
      expect(both.body.data[0].key).toBe(name)
    }
    expect((await logs(gw, { model: 'plain', limit: '1000' })).body.data.length).toBe(n)
    for (const pattern of NO_MATCH) {
      for (const query of [{ key: pattern }, { model: pattern }, { model: `m-${pattern}` }] as Record<
        string,
        string
      >[]) {
        const page = await logs(gw, query)
        expect({ query, status: page.status, rows: page.body.data.length }).toEqual({ query, status: 200, rows: 0 })
      }
    }
    // Time and limit parameters take numbers and dates only: anything else is a 400 naming it.
    const junk: Record<string, string>[] = [
      { since: "1' OR 1=1 --" },
      { since: '*' },
      { until: '%' },
      { until: '1e999' },
      { since: '-1' },
      { since: '99999999999999999' },
      { since: '2024-13-45T99:99:99Z' },
      { limit: '10; DROP TABLE crabllm_log' },
      { limit: '-1' },
      { limit: '0x10' },
      { limit: '1001' },
      { key: '' },
      { status: '*' },
      { status: '4%' },
      { status: '2__' },
      { status: "200' OR '1'='1" },
      { status: '6xx' },
      { status: '200;' },
    ]
    for (const query of junk) {
      const page = await logs(gw, query)
      expect({ query, status: page.status, param: page.body.error?.param }).toEqual({
        query,
        status: 400,
        param: Object.keys(query)[0],
      })
    }
    // The status filter (exact, class, error/ok) combines with a tricky key as data too.
    expect((await logs(gw, { status: '200', limit: '1000' })).body.data.length).toBe(2 * n)
    expect((await logs(gw, { status: '2xx', key: 'a*' })).body.data.map((r: AuditRecord) => r.key)).toEqual([
      'a*',
      'a*',
    ])
    expect((await logs(gw, { status: 'error', limit: '1000' })).body.data.length).toBe(0)
    const far = await logs(gw, { since: '9999999999999999' })
    expect({ status: far.status, rows: far.body.data.length }).toEqual({ status: 200, rows: 0 })
    const repeated = await gw.fetch('/v1/admin/logs?key=a&key=*', { headers: bearer(ADMIN) })
    expect(repeated.status).toBe(400)
    await repeated.arrayBuffer()

    // --- GET /v1/usage: a key sees its own rows only (a Redis SCAN pattern built from `a*` or `*` would
    // also return ab/abc or everyone's) ---
    for (let i = 0; i < n; i++) {
      const name: string = TRICKY[i]!
      const res = await gw.fetch('/v1/usage', { headers: bearer(secretOf(i)) })
      expect(res.status).toBe(200)
      const rows: { key: string; model: string; requests: number }[] = await jsonOf(res)
      expect({ key: name, rows: rows.map((r) => [r.key, r.model, r.requests]) }).toEqual({
        key: name,
        rows: [
          [name, `m-${name}`, 1],
          [name, 'plain', 1],
        ],
      })
    }
    const everyone: { key: string }[] = await jsonOf(await gw.fetch('/v1/usage', { headers: bearer(ADMIN) }))
    expect(everyone.length).toBe(2 * n)
    expect(new Set(everyone.map((r) => r.key))).toEqual(new Set(TRICKY))

    // --- GET /v1/budget: each key its own spend; the admin sees every key once ---
    for (let i = 0; i < n; i++) {
      const own: { key: string; spent_usd: number }[] = await jsonOf(
        await gw.fetch('/v1/budget', { headers: bearer(secretOf(i)) }),
      )
      expect(own.map((b) => b.key)).toEqual([TRICKY[i]!])
      expect(own[0]!.spent_usd).toBeGreaterThan(0)
    }
    const budgets: { key: string; spent_usd: number }[] = await jsonOf(
      await gw.fetch('/v1/budget', { headers: bearer(ADMIN) }),
    )
    const spent = budgets.filter((b) => (TRICKY as readonly string[]).includes(b.key))
    expect(spent.length).toBe(n)
    const perKey = spent[0]!.spent_usd
    for (const b of spent) expect({ key: b.key, spent: b.spent_usd }).toEqual({ key: b.key, spent: perKey })

    // --- the admin API: a config key is shown by its exact name; a pattern finds nothing ---
    for (const name of TRICKY) {
      const res = await gw.fetch(`/v1/admin/keys/${encodeURIComponent(name)}`, { headers: bearer(ADMIN) })
      const body = await jsonOf(res)
      // '/' in a name cannot be one path segment (the router does not decode %2F inside a parameter).
      if (res.status === 404) expect(name).toContain('/')
      else
        expect({ name, status: res.status, got: body.name, source: body.source }).toEqual({
          name,
          status: 200,
          got: name,
          source: 'config',
        })
    }
    for (const pattern of NO_MATCH.filter((p) => !p.includes('\\') && p.trim() === p && !/^\.+$/.test(p))) {
      for (const method of ['GET', 'PATCH', 'DELETE']) {
        const res = await gw.fetch(`/v1/admin/keys/${encodeURIComponent(pattern)}`, {
          method,
          headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
          ...(method === 'PATCH' ? { body: '{"budget":1}' } : {}),
        })
        expect({ pattern, method, status: res.status }).toEqual({ pattern, method, status: 404 })
        await res.arrayBuffer()
      }
    }
    // Config keys stay read-only under any spelling the router accepts.
    const readOnly = await gw.fetch(`/v1/admin/keys/${encodeURIComponent('a*')}`, {
      method: 'DELETE',
      headers: bearer(ADMIN),
    })
    expect(readOnly.status).toBe(409)
    await readOnly.arrayBuffer()
    // The admin API refuses metacharacters in new names (400 naming the field), and stores nothing.
    for (const name of TRICKY.filter((t) => !/^[A-Za-z0-9._-]+$/.test(t))) {
      const res = await gw.fetch('/v1/admin/keys', {
        method: 'POST',
        headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
        body: JSON.stringify({ name: `new${name}` }),
      })
      const body = await jsonOf(res)
      expect({ name, status: res.status, param: body.error.param }).toEqual({ name, status: 400, param: 'name' })
    }
    expect(await gw.ctx.admin.keys()).toEqual([])
    expect(gw.errors()).toEqual([])
  })

  test('admin-API names differing only by LIKE and glob wildcards the pattern allows (_ . -) stay apart', async () => {
    const store = await backend.open()
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\n[extensions.audit]\n[extensions.usage]\n[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n`,
      { store },
    )
    const names = ['a_c', 'abc', 'a.c', 'a-c', 'a__', 'a', 'A_C', '_', '-', '..a', 'a..']
    const secrets = new Map<string, string>()
    for (const name of names) {
      const res = await gw.fetch('/v1/admin/keys', {
        method: 'POST',
        headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      })
      expect({ name, status: res.status }).toEqual({ name, status: 201 })
      secrets.set(name, (await jsonOf(res)).key)
    }
    for (const secret of secrets.values()) await chat(gw, secret, 'echo')
    await gw.ctx.pipeline.flush()
    for (const [name, secret] of secrets) {
      const shown = await jsonOf(await gw.fetch(`/v1/admin/keys/${name}`, { headers: bearer(ADMIN) }))
      expect(shown.name).toBe(name)
      const page = await logs(gw, { key: name })
      expect({ name, keys: page.body.data.map((r: AuditRecord) => r.key) }).toEqual({ name, keys: [name] })
      const rows: { key: string }[] = await jsonOf(await gw.fetch('/v1/usage', { headers: bearer(secret) }))
      expect({ name, keys: rows.map((r) => r.key) }).toEqual({ name, keys: [name] })
    }
    // Deleting one removes that one only.
    const del = await gw.fetch('/v1/admin/keys/a_c', { method: 'DELETE', headers: bearer(ADMIN) })
    expect(del.status).toBe(200)
    await del.arrayBuffer()
    expect((await gw.ctx.admin.keys()).map((k) => k.name).sort()).toEqual(names.filter((n) => n !== 'a_c').sort())
    expect(gw.errors()).toEqual([])
  })
})

describe.each(BACKENDS)('Store.list prefixes are literal text ($name storage)', (backend) => {
  test('every prefix lists exactly the keys that start with it (the oracle is String.startsWith)', async () => {
    const store = await backend.open()
    const keys = [
      'p',
      'pa/1',
      'pax/1',
      'p?x/1',
      'p*',
      'p**/1',
      'p*x/1',
      'p[a]x/1',
      'p[!a]/1',
      'p\\x/1',
      'p\\*/1',
      'p^x/1',
      'p-x/1',
      'p%/1',
      'p_/1',
      "p'/1",
      'p"/1',
      'p x/1',
      'pé/1',
      'p名/1',
      'p🔑/1',
      'q/1',
    ]
    for (const key of keys) await store.set(key, `v:${key}`)
    for (const prefix of [
      'p',
      'p?',
      'p*',
      'p**',
      'p[a]',
      'p[',
      'p[!a]',
      'p\\',
      'p\\*',
      'p^',
      'p-',
      'p%',
      'p_',
      "p'",
      'p"',
      'p ',
      'pé',
      'p名',
      'p🔑',
      'pa',
      '*',
      '?',
      '[pq]',
      '',
    ]) {
      const expected = keys.filter((k) => k.startsWith(prefix)).sort()
      const got = (await store.list(prefix, 1000)).map((e) => e.key).sort()
      expect({ prefix, got }).toEqual({ prefix, got: expected })
    }
  })
})

describe('Redis key prefix with glob characters', () => {
  test('a store lists only its own keys when its prefix holds * ? [ ] \\', async () => {
    const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await client.connect()
    const tag = `${process.pid}:${Date.now()}`
    const mine = redisStore(client, { keyPrefix: `crabllm-test:glob*?[ab]\\:${tag}:` })
    const sibling = redisStore(client, { keyPrefix: `crabllm-test:globXYa:${tag}:` })
    try {
      await mine.set('k/1', 'mine')
      await sibling.set('k/1', 'sibling')
      await sibling.set('k/2', 'sibling')
      expect(await mine.list('', 100)).toEqual([{ key: 'k/1', value: 'mine' }])
      expect(await mine.list('k/', 100)).toEqual([{ key: 'k/1', value: 'mine' }])
    } finally {
      await client.del(
        `crabllm-test:glob*?[ab]\\:${tag}:k/1`,
        `crabllm-test:globXYa:${tag}:k/1`,
        `crabllm-test:globXYa:${tag}:k/2`,
      )
      await client.quit()
    }
  })
})

describe('GET /v1/admin/logs filters', () => {
  test('regression: key and model are matched as given, spaces included (key="a " used to return key "a")', async () => {
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\n[[keys]]\nname = "a"\nkey = "${secretOf(1)}"\n[[keys]]\nname = " a "\nkey = "${secretOf(2)}"\n[extensions.audit]\n[providers.echo]\nkind = "echo"\nmodels = ["m", " m"]\n`,
    )
    await chat(gw, secretOf(1), 'm')
    await chat(gw, secretOf(2), ' m')
    await gw.ctx.pipeline.flush()
    const keysOf = async (query: Record<string, string>) =>
      (await logs(gw, query)).body.data.map((r: AuditRecord) => `${r.key}|${r.model}`)
    expect(await keysOf({ key: 'a' })).toEqual(['a|m'])
    expect(await keysOf({ key: ' a ' })).toEqual([' a | m'])
    expect(await keysOf({ key: 'a ' })).toEqual([])
    expect(await keysOf({ model: ' m' })).toEqual([' a | m'])
    expect(await keysOf({ model: 'm ' })).toEqual([])
    // An empty value is still a 400; since/until/limit are still read trimmed.
    expect((await logs(gw, { key: '' })).status).toBe(400)
    expect((await logs(gw, { limit: ' 1 ' })).body.data.length).toBe(1)
  })
})

describe('admin-API key names', () => {
  test('regression: "." and ".." are refused (a URL path cannot address them: /v1/admin/keys/.. is /v1/admin)', async () => {
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\n[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n`,
    )
    for (const name of ['.', '..']) {
      const res = await gw.fetch('/v1/admin/keys', {
        method: 'POST',
        headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      })
      const body = await jsonOf(res)
      expect({ name, status: res.status, param: body.error.param }).toEqual({ name, status: 400, param: 'name' })
    }
    for (const name of ['...', '.a', 'a.']) {
      const res = await gw.fetch('/v1/admin/keys', {
        method: 'POST',
        headers: { ...bearer(ADMIN), 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      })
      expect({ name, status: res.status }).toEqual({ name, status: 201 })
      await res.arrayBuffer()
      const shown = await gw.fetch(`/v1/admin/keys/${name}`, { headers: bearer(ADMIN) })
      expect({ name, status: shown.status }).toEqual({ name, status: 200 })
      await shown.arrayBuffer()
    }
  })
})
