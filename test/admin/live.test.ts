// Live reconfiguration in-process (src/admin/live.ts): keys and providers written to storage (as the
// admin API writes them, through AdminStore) take effect after refresh()/changed() without a restart;
// the config file wins name conflicts; the registry swap is atomic under load and a stream in flight
// across a swap completes; reload() re-reads the config file (a broken one keeps the old config); and
// two gateways on one Redis see each other's changes (pub/sub, and polling alone as the safety net).
// No sleeps: propagation is awaited as the other gateway's swap (swapped(): an event, bounded).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import type { KeyRecord, ProviderRecord } from '../../src/admin/store'
import { digest } from '../../src/auth'
import { ConfigError } from '../../src/config/errors'
import type { ProviderConfig } from '../../src/config/schema'
import { prefixed, type Store } from '../../src/storage/store'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'
import { BACKENDS, closeAll, openSharedRedis, REDIS_URL } from '../support/stores'

const ADMIN = 'admin-token-live-0123456789abcdef'
const TEAM = 'sk-config-team-0123456789abcdefgh'

let mock: MockUpstream
let dir: string
beforeAll(async () => {
  mock = await startMockUpstream()
  dir = mkdtempSync(join(tmpdir(), 'crabllm-live-'))
})
afterAll(async () => {
  await mock.close()
  await closeAll()
  rmSync(dir, { recursive: true, force: true })
})

function baseToml(extra = ''): string {
  return `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${TEAM}"
${provider('base', mock.url, ['base-model'])}
${extra}`
}

let seq = 0
/** A fresh secret, and the record the admin API would store for it (digest only). */
function keyRecord(name: string, extra: Partial<KeyRecord> = {}): { secret: string; record: KeyRecord } {
  const secret = `sk-live${++seq}${crypto.randomUUID().replaceAll('-', '')}`
  const now = new Date().toISOString()
  return {
    secret,
    record: {
      name,
      hash: digest(secret),
      models: ['*'],
      prefix: secret.slice(0, 7),
      last4: secret.slice(-4),
      created_at: now,
      updated_at: now,
      ...extra,
    },
  }
}

function providerRecord(name: string, models: string[], extra: Partial<ProviderConfig> = {}): ProviderRecord {
  const now = new Date().toISOString()
  return {
    name,
    config: {
      kind: 'openai',
      api_key: `sk-upstream-${name}`,
      base_url: `${mock.url}/v1`,
      models,
      weight: 1,
      max_retries: 0,
      timeout: 30,
      stream_idle_timeout: 60,
      cooldown_failures: 5,
      cooldown_seconds: 30,
      ...extra,
    },
    created_at: now,
    updated_at: now,
  }
}

const ask = (model: string, stream = false) => ({ model, stream, messages: [{ role: 'user', content: 'hi' }] })

async function status(gw: TestGateway, model: string, key: string): Promise<number> {
  const res = await gw.chat(ask(model), { key })
  await res.arrayBuffer()
  return res.status
}

async function modelIds(gw: TestGateway): Promise<string[]> {
  const res = await gw.fetch('/v1/models', { headers: { authorization: `Bearer ${ADMIN}` } })
  expect(res.status).toBe(200)
  return ((await jsonOf(res)).data as { id: string }[]).map((m) => m.id)
}

/**
 * Resolves once `check` holds: checked now, then after each swap of `ctx.auth`, which every rebuild of
 * live reconfiguration assigns (src/admin/live.ts), so the test awaits the swap itself instead of
 * polling. The check runs on the microtask after the assignment, once the whole swap is done. `boundMs`
 * is a guard against a hung test, not a timing assumption. Returns how long it took.
 */
async function swapped(ctx: TestGateway['ctx'], check: () => boolean, boundMs = 3000): Promise<number> {
  const started = performance.now()
  if (check()) return 0
  let auth = ctx.auth
  const done = Promise.withResolvers<void>()
  Object.defineProperty(ctx, 'auth', {
    configurable: true,
    enumerable: true,
    get: () => auth,
    set: (next: TestGateway['ctx']['auth']) => {
      auth = next
      queueMicrotask(() => {
        if (check()) done.resolve()
      })
    },
  })
  let guard: Timer | undefined
  try {
    await Promise.race([
      done.promise,
      new Promise<never>((_, reject) => {
        guard = setTimeout(() => reject(new Error(`condition not met within ${boundMs} ms`)), boundMs)
      }),
    ])
  } finally {
    clearTimeout(guard)
    Object.defineProperty(ctx, 'auth', { configurable: true, enumerable: true, writable: true, value: auth })
  }
  return performance.now() - started
}

/** A store without publish/subscribe (as if pub/sub were unavailable): polling alone must propagate. */
function withoutPubSub(inner: Store): Store {
  const { publish: _p, subscribe: _s, ...rest } = inner
  const store: Store = { ...rest, namespace: (name) => prefixed(store, `${name}:`) }
  return store
}

describe.each(BACKENDS)('live reconfiguration on $name storage', (backend) => {
  test('a stored key works after refresh and is refused after delete + changed', async () => {
    await using gw = await startGateway(baseToml(), { store: await backend.open() })
    const { secret, record } = keyRecord('stored')
    await gw.ctx.admin.putKey(record)
    // Not seen until this instance rebuilds.
    expect(await status(gw, 'base-model', secret)).toBe(401)
    await gw.ctx.live.refresh()
    expect(await status(gw, 'base-model', secret)).toBe(200)
    expect(gw.ctx.auth.principals.find((p) => p.name === 'stored')?.source).toBe('api')

    expect(await gw.ctx.admin.deleteKey('stored')).toBe(true)
    const before = gw.ctx.live.version
    await gw.ctx.live.changed()
    expect(gw.ctx.live.version).toBeGreaterThan(before)
    const refused = await gw.chat(ask('base-model'), { key: secret })
    expect(refused.status).toBe(401)
    expect((await jsonOf(refused)).error.code).toBe('invalid_api_key')
    // The config key is untouched.
    expect(await status(gw, 'base-model', TEAM)).toBe(200)
    expect(gw.errors()).toEqual([])
  })

  test("a stored key's models, rate limit and expiry apply", async () => {
    await using gw = await startGateway(baseToml(provider('other', mock.url, ['other-model'])), {
      store: await backend.open(),
    })
    const narrow = keyRecord('narrow', { models: ['other-model'], rate_limit: { requests_per_minute: 7 } })
    const expired = keyRecord('expired', { expires_at: new Date(Date.now() - 1000).toISOString() })
    await gw.ctx.admin.putKey(narrow.record)
    await gw.ctx.admin.putKey(expired.record)
    await gw.ctx.live.changed()
    expect(await status(gw, 'other-model', narrow.secret)).toBe(200)
    expect(await status(gw, 'base-model', narrow.secret)).toBe(403)
    expect(gw.ctx.auth.principals.find((p) => p.name === 'narrow')?.rateLimit).toEqual({ requests_per_minute: 7 })
    const res = await gw.chat(ask('base-model'), { key: expired.secret })
    expect(res.status).toBe(401)
    expect((await jsonOf(res)).error.message).toContain('expired')
  })

  test("a stored provider's model is served after changed and 404 after removal", async () => {
    await using gw = await startGateway(baseToml(), { store: await backend.open() })
    expect(await status(gw, 'api-model', TEAM)).toBe(404)
    await gw.ctx.admin.putProvider(providerRecord('api', ['api-model']))
    await gw.ctx.live.changed()
    const before = mock.requests.length
    expect(await status(gw, 'api-model', TEAM)).toBe(200)
    // It went upstream with the stored provider's own credentials.
    const sent = mock.requests[before]!
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-api')
    expect(sent.json().model).toBe('api-model')
    expect(await modelIds(gw)).toEqual(expect.arrayContaining(['api-model', 'base-model']))
    expect(gw.ctx.registry.providers.has('api')).toBe(true)

    expect(await gw.ctx.admin.deleteProvider('api')).toBe(true)
    await gw.ctx.live.changed()
    const res = await gw.chat(ask('api-model'), { key: TEAM })
    expect(res.status).toBe(404)
    expect((await jsonOf(res)).error.code).toBe('model_not_found')
    expect(await modelIds(gw)).not.toContain('api-model')
    expect(await status(gw, 'base-model', TEAM)).toBe(200)
  })

  test('config-file names win conflicts, for keys and providers', async () => {
    await using gw = await startGateway(baseToml(), { store: await backend.open() })
    const impostor = keyRecord('team')
    await gw.ctx.admin.putKey(impostor.record)
    // A stored provider named like the config's, pointing at other models and other credentials.
    await gw.ctx.admin.putProvider(providerRecord('base', ['hijacked-model'], { api_key: 'sk-upstream-impostor' }))
    await gw.ctx.live.changed()

    expect(await status(gw, 'base-model', impostor.secret)).toBe(401)
    const before = mock.requests.length
    expect(await status(gw, 'base-model', TEAM)).toBe(200)
    expect(mock.requests[before]!.headers.authorization).toBe('Bearer sk-upstream-base')
    expect(await status(gw, 'hijacked-model', TEAM)).toBe(404)
    expect(gw.ctx.auth.principals.filter((p) => p.name === 'team').map((p) => p.source)).toEqual(['config'])
    expect(gw.logs().some((l) => l.includes('config file wins') && l.includes('"base"'))).toBe(true)
  })
})

describe('a bad stored record', () => {
  test('is skipped with an error log and does not block other changes (a revocation still lands)', async () => {
    await using gw = await startGateway(baseToml())
    const { secret, record } = keyRecord('victim')
    await gw.ctx.admin.putKey(record)
    await gw.ctx.live.changed()
    expect(await status(gw, 'base-model', secret)).toBe(200)
    // Records no admin route would write (an older version, a hand edit): no base_url for a custom
    // kind, an empty model list, a config that is not an object.
    await gw.ctx.admin.putProvider(
      providerRecord('nourl', ['nourl-model'], { kind: 'custom-thing', base_url: undefined }),
    )
    await gw.ctx.admin.putProvider(providerRecord('nomodels', []))
    await gw.ctx.admin.store.set('provider/garbage', JSON.stringify({ name: 'garbage', config: null }))
    await gw.ctx.admin.putProvider(providerRecord('good', ['good-model']))
    await gw.ctx.admin.store.set('key/broken', JSON.stringify({ name: 'broken', models: '*' }))
    await gw.ctx.admin.deleteKey('victim')
    await gw.ctx.live.changed()
    expect(await status(gw, 'base-model', secret)).toBe(401)
    expect(await status(gw, 'good-model', TEAM)).toBe(200)
    expect(await status(gw, 'nourl-model', TEAM)).toBe(404)
    const errors = gw.errors().join('\n')
    for (const name of ['nourl', 'nomodels', 'garbage', 'broken']) expect(errors).toContain(`"${name}"`)
  })
})

describe('the registry swap', () => {
  test('is atomic under load: concurrent requests across many swaps all succeed', async () => {
    await using gw = await startGateway(baseToml())
    const { secret, record } = keyRecord('loader')
    await gw.ctx.admin.putKey(record)
    await gw.ctx.admin.putProvider(providerRecord('stable', ['stable-model']))
    await gw.ctx.live.changed()
    const registries = new Set([gw.ctx.registry])
    // Batches of requests stay in flight across swaps. At most three batches at once: in one process the
    // test's client and the gateway's upstream calls share fetch's connection pool (256 sockets).
    const batches: Promise<number[]>[] = []
    const SWAPS = 40
    const BATCH = 20
    for (let i = 0; i < SWAPS; i++) {
      if (i >= 3) await batches[i - 3]
      batches.push(
        Promise.all(
          Array.from({ length: BATCH }, (_, j) =>
            status(gw, j % 2 ? 'stable-model' : 'base-model', j % 3 ? secret : TEAM),
          ),
        ),
      )
      // A swap while they run: one provider appears or goes, another changes its weight.
      if (i % 2) await gw.ctx.admin.deleteProvider('flapping')
      else await gw.ctx.admin.putProvider(providerRecord('flapping', ['flapping-model']))
      await gw.ctx.admin.putProvider(providerRecord('stable', ['stable-model'], { weight: 1 + (i % 5) }))
      await gw.ctx.live.changed()
      registries.add(gw.ctx.registry)
    }
    const statuses = (await Promise.all(batches)).flat()
    expect(registries.size).toBe(SWAPS + 1)
    expect(statuses).toHaveLength(SWAPS * BATCH)
    expect(statuses.filter((s) => s !== 200)).toEqual([])
    expect(gw.errors()).toEqual([])
  })

  test('concurrent changed() calls fold into rebuilds and end on the newest version', async () => {
    await using gw = await startGateway(baseToml())
    const records = Array.from({ length: 20 }, (_, i) => providerRecord(`p${i}`, [`model-${i}`]))
    await Promise.all(
      records.map(async (r) => {
        await gw.ctx.admin.putProvider(r)
        await gw.ctx.live.changed()
      }),
    )
    expect(gw.ctx.live.version).toBe(await gw.ctx.admin.version())
    for (let i = 0; i < 20; i++) expect(gw.ctx.registry.models).toContain(`model-${i}`)
  })

  test('a stream in flight across a swap that removes its provider completes with [DONE]', async () => {
    await using gw = await startGateway(baseToml())
    await gw.ctx.admin.putProvider(providerRecord('streamer', ['stream-model']))
    await gw.ctx.live.changed()
    const gate = Promise.withResolvers<void>()
    const frames = chatChunks(['one', ' two', ' three'], 'stream-model')
    mock.enqueue({ sse: frames, holdFrames: gate.promise, holdFramesAfter: 1 })
    const res = await gw.chat(ask('stream-model', true), { key: TEAM })
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"')

    // Mid-stream: the provider is removed and the registry swapped. New requests see the new one...
    const old = gw.ctx.registry
    await gw.ctx.admin.deleteProvider('streamer')
    await gw.ctx.live.changed()
    expect(gw.ctx.registry).not.toBe(old)
    expect(await status(gw, 'stream-model', TEAM)).toBe(404)
    // ...while the stream in flight finishes on the old one.
    gate.resolve()
    let rest = ''
    const decoder = new TextDecoder()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      rest += decoder.decode(value, { stream: true })
    }
    const events = rest.split('\n\n').filter((f) => f.trim())
    expect(events.at(-1)).toBe('data: [DONE]')
    expect(rest).toContain(' three')
    expect(gw.ctx.inflight.count).toBe(0)
    expect(gw.errors()).toEqual([])
  })
})

describe('reload() re-reads the config file', () => {
  test('a good file: a new provider appears, a removed one is gone, keys follow, stored records stay', async () => {
    const path = join(dir, 'reload-good.toml')
    const first = baseToml(provider('old', mock.url, ['old-model']))
    writeFileSync(path, first)
    await using gw = await startGateway(first, { configPath: path })
    const stored = keyRecord('stored')
    await gw.ctx.admin.putKey(stored.record)
    await gw.ctx.admin.putProvider(providerRecord('api', ['api-model']))
    await gw.ctx.live.changed()
    expect(await status(gw, 'old-model', TEAM)).toBe(200)
    expect(await status(gw, 'new-model', TEAM)).toBe(404)

    const NEWKEY = 'sk-config-newkey-0123456789abcdefg'
    writeFileSync(
      path,
      `admin_token = "${ADMIN}"
[[keys]]
name = "newkey"
key = "${NEWKEY}"
${provider('base', mock.url, ['base-model'])}
${provider('fresh', mock.url, ['new-model'])}`,
    )
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(await status(gw, 'new-model', NEWKEY)).toBe(200)
    expect(await status(gw, 'old-model', NEWKEY)).toBe(404)
    expect(await modelIds(gw)).toEqual(['api-model', 'base-model', 'new-model'])
    // The removed config key is refused; the new one and the stored one work.
    expect(await status(gw, 'base-model', TEAM)).toBe(401)
    expect(await status(gw, 'api-model', stored.secret)).toBe(200)
    expect(gw.logs().some((l) => l.includes('config reloaded'))).toBe(true)
    expect(gw.errors()).toEqual([])
  })

  test('a broken file is reported, names the file, and the old config keeps serving', async () => {
    const path = join(dir, 'reload-broken.toml')
    const toml = baseToml()
    writeFileSync(path, toml)
    await using gw = await startGateway(toml, { configPath: path })
    const registry = gw.ctx.registry
    const config = gw.ctx.config

    for (const broken of [
      'admin_token = "unterminated\n[providers',
      `${toml}\n[providers.bad]\nkind = "openai"\nmodels = ["x"]\nwieght = 2\n`,
    ]) {
      writeFileSync(path, broken)
      const error = await gw.ctx.live.reload()
      expect(error).toBeInstanceOf(ConfigError)
      expect(error!.message).toContain(path)
      expect(gw.ctx.registry).toBe(registry)
      expect(gw.ctx.config).toBe(config)
      expect(await status(gw, 'base-model', TEAM)).toBe(200)
    }
    const errors = gw.errors()
    expect(errors).toHaveLength(2)
    for (const line of errors) {
      expect(line).toContain('config reload failed')
      expect(line).toContain(path)
    }
  })

  test('a good file that cannot be applied (storage down) is reported, and the old config keeps serving', async () => {
    const path = join(dir, 'reload-storage-down.toml')
    const toml = baseToml()
    writeFileSync(path, toml)
    let down = false
    const inner = await BACKENDS[0]!.open()
    const flaky: Store = {
      ...inner,
      list: (prefix, limit) => (down ? Promise.reject(new Error('storage is down')) : inner.list(prefix, limit)),
      namespace: (name) => prefixed(flaky, `${name}:`),
    }
    await using gw = await startGateway(toml, { configPath: path, store: flaky })
    const config = gw.ctx.config
    writeFileSync(path, baseToml(provider('fresh', mock.url, ['new-model'])))
    down = true
    const error = await gw.ctx.live.reload()
    expect(error?.message).toContain('storage is down')
    expect(gw.ctx.config).toBe(config)
    expect(await status(gw, 'new-model', TEAM)).toBe(404)
    // Once storage is back, an unrelated resync must not half-apply the file that was reported as failed.
    down = false
    await gw.ctx.live.refresh()
    expect(gw.ctx.config).toBe(config)
    expect(await status(gw, 'new-model', TEAM)).toBe(404)
    // A new SIGHUP applies it.
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(await status(gw, 'new-model', TEAM)).toBe(200)
  })

  test('a file the semantic checks reject (alias to nothing) keeps the old config', async () => {
    const path = join(dir, 'reload-semantic.toml')
    const toml = baseToml()
    writeFileSync(path, toml)
    await using gw = await startGateway(toml, { configPath: path })
    writeFileSync(path, `${toml}\n[aliases]\nfast = "no-such-model"\n`)
    const error = await gw.ctx.live.reload()
    expect(error?.message).toContain('aliases.fast')
    expect(gw.ctx.config.aliases).toEqual({})
    expect(await status(gw, 'base-model', TEAM)).toBe(200)
  })
})

describe('reload() rebuilds the extensions and the prices', () => {
  /** [models] prices of base-model (USD per million prompt and completion tokens), then `extra`. */
  const priced = (prompt: number, completion: number, extra = '') =>
    baseToml(`[models."base-model"]
prompt_cost_per_million = ${prompt}
completion_cost_per_million = ${completion}
[extensions.audit]
[extensions.budget]
default_budget = 10
${extra}`)
  const admin = { headers: { authorization: `Bearer ${ADMIN}` } }
  const costOf = async (gw: TestGateway, id: string): Promise<number | null> => {
    await gw.ctx.pipeline.flush()
    const page = await jsonOf(await gw.fetch('/v1/admin/logs', admin))
    return (page.data as { request_id: string; cost_usd: number | null }[]).find((r) => r.request_id === id)!.cost_usd
  }
  const ask = (gw: TestGateway, id: string) =>
    gw.chat(
      { model: 'base-model', messages: [{ role: 'user', content: 'hi' }] },
      { key: TEAM, headers: { 'x-request-id': id } },
    )

  test('a new price applies to the next answer; a request in flight finishes on the extensions it started with', async () => {
    const path = join(dir, 'reload-price.toml')
    writeFileSync(path, priced(1, 2))
    await using gw = await startGateway(priced(1, 2), { configPath: path })
    // Held upstream across the reload: 9 prompt + 4 completion tokens at the old price, 17 µ$.
    const gate = Promise.withResolvers<void>()
    mock.enqueue({ json: chatCompletion(), hold: gate.promise })
    const before = mock.requests.length
    const inFlight = ask(gw, 'reload-price-1')
    await mock.waitForRequest(before + 1)
    writeFileSync(path, priced(10, 20))
    expect(await gw.ctx.live.reload()).toBeUndefined()
    gate.resolve()
    expect((await inFlight).status).toBe(200)
    expect(await costOf(gw, 'reload-price-1')).toBe(0.000017)
    // The next answer: 9 × 10 + 4 × 20 = 170 µ$. Spend has both, and no hold is left behind.
    expect((await ask(gw, 'reload-price-2')).status).toBe(200)
    expect(await costOf(gw, 'reload-price-2')).toBe(0.00017)
    await gw.ctx.pipeline.flush()
    const [row] = await jsonOf(await gw.fetch('/v1/budget', { headers: { authorization: `Bearer ${TEAM}` } }))
    expect(row).toMatchObject({ key: 'team', spent_usd: 0.000187, remaining_usd: 10 - 0.000187 })
    expect(gw.errors()).toEqual([])
  })

  test('extensions added or removed by a reload apply to new requests; a removed route answers 404', async () => {
    const path = join(dir, 'reload-extensions.toml')
    const first = priced(1, 2, '[extensions.usage]\n')
    writeFileSync(path, first)
    await using gw = await startGateway(first, { configPath: path })
    expect((await ask(gw, 'reload-ext-1')).status).toBe(200)
    expect((await gw.fetch('/v1/usage', admin)).status).toBe(200)
    writeFileSync(path, priced(1, 2, '[extensions.rate_limit]\nrequests_per_minute = 1\n'))
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(gw.ctx.pipeline.names).toEqual(['metrics', 'audit', 'budget', 'rate_limit'])
    expect((await ask(gw, 'reload-ext-2')).status).toBe(200)
    const refused = await ask(gw, 'reload-ext-3')
    expect(refused.status).toBe(429)
    expect((await jsonOf(refused)).error.code).toBe('rate_limit_exceeded')
    const gone = await gw.fetch('/v1/usage', admin)
    expect(gone.status).toBe(404)
    expect((await jsonOf(gone)).error.message).toContain('no longer configured')
    expect(gw.errors()).toEqual([])
  })

  test('a file whose extensions or prices cannot be built is refused as a whole; the old ones keep serving', async () => {
    const path = join(dir, 'reload-unbuildable.toml')
    writeFileSync(path, priced(1, 2))
    await using gw = await startGateway(priced(1, 2), { configPath: path })
    const config = gw.ctx.config
    const names = gw.ctx.pipeline.names
    // A new provider and new prices, with a cloud_models file that is not there: nothing of it applies.
    writeFileSync(
      path,
      `cloud_models = "${join(dir, 'no-such-cloud-models.toml')}"\n${priced(10, 20, provider('fresh', mock.url, ['new-model']))}`,
    )
    const error = await gw.ctx.live.reload()
    expect(error).toBeInstanceOf(ConfigError)
    expect(gw.ctx.config).toBe(config)
    expect(gw.ctx.pipeline.names).toBe(names)
    expect(await status(gw, 'new-model', TEAM)).toBe(404)
    expect((await ask(gw, 'reload-unbuildable-1')).status).toBe(200)
    expect(await costOf(gw, 'reload-unbuildable-1')).toBe(0.000017)
  })

  test('[storage] is not reloaded: a change is reported, and the open storage keeps serving', async () => {
    const path = join(dir, 'reload-storage.toml')
    writeFileSync(path, priced(1, 2))
    await using gw = await startGateway(priced(1, 2), { configPath: path })
    const store = gw.ctx.store
    writeFileSync(path, `${priced(1, 2)}\n[storage]\nkind = "sqlite"\npath = "${join(dir, 'never.db')}"\n`)
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(gw.ctx.store).toBe(store)
    expect(gw.logs().some((l) => l.includes('[storage] changes apply at the next restart'))).toBe(true)
    expect((await ask(gw, 'reload-storage-1')).status).toBe(200)
  })
})

describe('two gateways on one Redis', () => {
  async function pair(options: { pubsub: boolean; followMs: number }) {
    const { prefix, stores } = await openSharedRedis(2)
    const wrap = (s: Store) => (options.pubsub ? s : withoutPubSub(s))
    const a = await startGateway(baseToml(), { store: wrap(stores[0]!), followMs: options.followMs })
    const b = await startGateway(baseToml(), { store: wrap(stores[1]!), followMs: options.followMs })
    return { a, b, prefix }
  }

  for (const pubsub of [true, false]) {
    test(`a change through A reaches B within a second (${pubsub ? 'pub/sub' : 'polling alone'})`, async () => {
      const { a: A, b: B } = await pair({ pubsub, followMs: 1000 })
      await using a = A
      await using b = B
      expect(a.ctx.store.subscribe === undefined).toBe(!pubsub)
      const delays: number[] = []
      // A key made on A is accepted by B.
      const { secret, record } = keyRecord('shared')
      await a.ctx.admin.putKey(record)
      let t = performance.now()
      await a.ctx.live.changed()
      await swapped(b.ctx, () => b.ctx.auth.principals.some((p) => p.name === 'shared'))
      delays.push(performance.now() - t)
      expect(await status(b, 'base-model', secret)).toBe(200)

      // A provider made on A is served by B.
      await a.ctx.admin.putProvider(providerRecord('shared-provider', ['shared-model']))
      t = performance.now()
      await a.ctx.live.changed()
      await swapped(b.ctx, () => b.ctx.registry.models.includes('shared-model'))
      delays.push(performance.now() - t)
      expect(await status(b, 'shared-model', secret)).toBe(200)

      // Revoked on B: refused on A.
      await b.ctx.admin.deleteKey('shared')
      t = performance.now()
      await b.ctx.live.changed()
      await swapped(a.ctx, () => !a.ctx.auth.principals.some((p) => p.name === 'shared'))
      delays.push(performance.now() - t)
      expect(await status(a, 'base-model', secret)).toBe(401)
      expect(a.ctx.live.version).toBe(b.ctx.live.version)

      console.log(
        `propagation (${pubsub ? 'pub/sub' : 'polling'}): ${delays.map((d) => `${d.toFixed(1)} ms`).join(', ')}`,
      )
      // The requirement is one second; the bound leaves room for a loaded machine.
      for (const d of delays) expect(d).toBeLessThan(1500)
      expect(a.errors()).toEqual([])
      expect(b.errors()).toEqual([])
    })
  }

  test('stop() releases the subscription; B catches up on an explicit refresh', async () => {
    const { a, b, prefix } = await pair({ pubsub: true, followMs: 1000 })
    await using _a = a
    await using _b = b
    const channel = `${prefix}chan:admin:changes`
    const probe = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    const subscribers = async () => Number(((await probe.pubsub('NUMSUB', channel)) as [string, number])[1])
    try {
      expect(await subscribers()).toBe(2)
      await b.ctx.live.stop()
      expect(await subscribers()).toBe(1)
    } finally {
      await probe.quit()
    }
    const version = b.ctx.live.version
    await a.ctx.admin.putProvider(providerRecord('late', ['late-model']))
    await a.ctx.live.changed()
    expect(b.ctx.live.version).toBe(version)
    await b.ctx.live.refresh()
    expect(b.ctx.registry.models).toContain('late-model')
    expect(b.ctx.live.version).toBe(a.ctx.live.version)
  })
})

describe('the reload guard: a file that would empty or open the gateway is refused', () => {
  async function gateway(name: string, toml: string) {
    const path = join(dir, `${name}.toml`)
    writeFileSync(path, toml)
    return { gw: await startGateway(toml, { configPath: path }), path }
  }

  test('a 0-byte file: refused with an error line, the old config keeps serving; allow_unsafe_reload applies it', async () => {
    const { gw: started, path } = await gateway('guard-empty', baseToml())
    await using gw = started
    const { registry, config, auth } = gw.ctx
    writeFileSync(path, '')
    const error = await gw.ctx.live.reload()
    expect(error).toBeInstanceOf(ConfigError)
    expect(error!.message).toBe(
      `${path}: reload refused: the new file would remove every provider, remove every key and turn auth off (an empty or cut file does this) (fix: if this is intended, set allow_unsafe_reload = true in the new file and send SIGHUP again)`,
    )
    expect(gw.ctx.registry).toBe(registry)
    expect(gw.ctx.config).toBe(config)
    expect(gw.ctx.auth).toBe(auth)
    expect(await status(gw, 'base-model', TEAM)).toBe(200)
    expect(await status(gw, 'base-model', 'sk-wrong')).toBe(401)
    expect(gw.errors()).toHaveLength(1)
    expect(JSON.parse(gw.errors()[0]!).msg).toBe('config reload refused; the previous config keeps serving')

    writeFileSync(path, 'allow_unsafe_reload = true\n')
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(gw.ctx.auth.enabled).toBe(false)
    expect(gw.ctx.registry.providers.size).toBe(0)
    const reloaded = gw.logs().find((l) => l.includes('config reloaded'))
    expect(JSON.parse(reloaded!).allow_unsafe_reload).toBe('remove every provider, remove every key and turn auth off')
  })

  test('the rule counts what the admin API stored: a file without keys or providers is fine when the API has some', async () => {
    const { gw: started, path } = await gateway('guard-api', baseToml())
    await using gw = started
    const stored = keyRecord('stored')
    await gw.ctx.admin.putKey(stored.record)
    await gw.ctx.admin.putProvider(providerRecord('api', ['api-model']))
    await gw.ctx.live.changed()
    // Every config key and provider gone, the admin token kept: the API's key and provider remain.
    writeFileSync(path, `admin_token = "${ADMIN}"\n`)
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(await status(gw, 'api-model', stored.secret)).toBe(200)
    expect(await status(gw, 'base-model', TEAM)).toBe(401)
    // Now the admin token goes too: the API key still holds auth on, so this is an ordinary edit.
    writeFileSync(path, '')
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(gw.ctx.auth.enabled).toBe(true)
    expect(await status(gw, 'api-model', stored.secret)).toBe(200)
    expect(await status(gw, 'api-model', 'sk-nobody')).toBe(401)
    expect(gw.errors()).toEqual([])
  })

  test('a key table cut before its models line (every model) is refused; narrowing a key is applied', async () => {
    const toml = `admin_token = "${ADMIN}"
${provider('base', mock.url, ['base-model', 'other-model'])}
[[keys]]
name = "team"
key = "${TEAM}"
models = ["base-model"]
`
    const { gw: started, path } = await gateway('guard-models', toml)
    await using gw = started
    writeFileSync(path, toml.slice(0, toml.indexOf('models = ["base-model"]')))
    const error = await gw.ctx.live.reload()
    expect(error?.message).toContain("the new file would give key 'team' every model")
    expect(await status(gw, 'other-model', TEAM)).toBe(403)
    writeFileSync(path, toml.replace('models = ["base-model"]', 'models = ["other-model"]'))
    expect(await gw.ctx.live.reload()).toBeUndefined()
    expect(await status(gw, 'other-model', TEAM)).toBe(200)
    expect(await status(gw, 'base-model', TEAM)).toBe(403)
  })
})

describe('a revoked key stays revoked when storage goes back to an older state', () => {
  /** What a snapshot restore does to the admin namespace: the old counter and the old records back. */
  async function restore(store: Store, snapshot: { version: string; records: KeyRecord[] }) {
    const admin = store.namespace('admin')
    await admin.set('version', snapshot.version)
    for (const record of snapshot.records) await admin.set(`key/${record.name}`, JSON.stringify(record))
  }

  test.each(BACKENDS)(
    'on $name storage: refused on the running gateway, deleted again, refused by a fresh one',
    async (backend) => {
      const store = await backend.open()
      await using a = await startGateway(baseToml(), { store })
      const revokedKey = keyRecord('revoked')
      const kept = keyRecord('kept')
      await a.ctx.admin.putKey(revokedKey.record)
      await a.ctx.admin.putKey(kept.record)
      await a.ctx.live.changed()
      const snapshot = { version: String(await a.ctx.admin.version()), records: [revokedKey.record, kept.record] }
      expect(await status(a, 'base-model', revokedKey.secret)).toBe(200)

      // Revoked after the snapshot, and a key made after it (lost with the restore, as Redis loses it).
      await a.ctx.admin.deleteKey('revoked')
      const later = keyRecord('later')
      await a.ctx.admin.putKey(later.record)
      await a.ctx.live.changed()
      expect(await status(a, 'base-model', revokedKey.secret)).toBe(401)
      expect([...a.ctx.live.revoked]).toEqual([revokedKey.record.hash])

      await a.ctx.admin.deleteKey('later')
      await restore(store, snapshot)
      await a.ctx.live.refresh()
      expect(await status(a, 'base-model', revokedKey.secret)).toBe(401)
      expect(await status(a, 'base-model', kept.secret)).toBe(200)
      // Lost with the restore, but not taken for a revocation: it would be accepted if it came back.
      expect(await status(a, 'base-model', later.secret)).toBe(401)
      expect(a.ctx.live.revoked.has(later.record.hash)).toBe(false)
      // Storage is put right: the record is gone again, and the counter moved on for the others.
      expect(await a.ctx.admin.key('revoked')).toBeUndefined()
      expect(await a.ctx.admin.version()).toBeGreaterThan(Number(snapshot.version))
      const messages = a.errors().map((l) => JSON.parse(l).msg)
      expect(messages).toEqual([
        'admin storage went back to an older state: keys and providers changed since are lost',
        'a revoked API key came back in storage; it stays refused and was deleted again',
      ])

      // A gateway started now, knowing nothing of the revocation, reads the repaired storage.
      await using fresh = await startGateway(baseToml(), { store })
      expect(await status(fresh, 'base-model', revokedKey.secret)).toBe(401)
      expect(await status(fresh, 'base-model', kept.secret)).toBe(200)
    },
  )

  test('a bump that does not move the counter past the version built from is taken for a rollback', async () => {
    await using gw = await startGateway(baseToml())
    for (let i = 0; i < 3; i++) await gw.ctx.live.changed()
    await gw.ctx.admin.store.set('version', '1')
    await gw.ctx.admin.putKey(keyRecord('after-restore').record)
    await gw.ctx.live.changed()
    expect(gw.ctx.live.version).toBe(2)
    expect(gw.errors().map((l) => JSON.parse(l).msg)).toEqual([
      'admin storage went back to an older state: keys and providers changed since are lost',
    ])
  })

  test('the revocations file: written as keys are revoked, read by a gateway started later', async () => {
    const store = await BACKENDS[0]!.open()
    const file = join(dir, `revoked-${crypto.randomUUID()}`)
    await using a = await startGateway(baseToml(), { store })
    a.ctx.live.keepRevocations(file)
    const { secret, record } = keyRecord('gone')
    await a.ctx.admin.putKey(record)
    await a.ctx.live.changed()
    await a.ctx.admin.deleteKey('gone')
    await a.ctx.live.changed()
    const text = await Bun.file(file).text()
    expect(text.startsWith('# crabllm:')).toBe(true)
    expect(text.trim().split('\n').at(-1)).toBe(record.hash)

    // Every gateway stopped, storage restored, one started again beside the same file: still refused.
    await restore(store, { version: '1', records: [record] })
    await using again = await startGateway(baseToml(), { store })
    // serve hands the file over before the first build; startGateway has built once already.
    again.ctx.live.keepRevocations(file)
    await again.ctx.live.refresh()
    expect(await status(again, 'base-model', secret)).toBe(401)
    expect(await again.ctx.admin.key('gone')).toBeUndefined()
  })

  test('a revocations file that cannot be written is reported once (warn); revocations are kept in memory', async () => {
    await using gw = await startGateway(baseToml())
    gw.ctx.live.keepRevocations(join(dir, 'no-such-dir', 'revoked'))
    const warnings = gw.logs().filter((l) => JSON.parse(l).level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(JSON.parse(warnings[0]!).msg).toBe(
      'the revocations file cannot be used; revoked keys are kept in memory only',
    )
    const { secret, record } = keyRecord('mem')
    await gw.ctx.admin.putKey(record)
    await gw.ctx.live.changed()
    await gw.ctx.admin.deleteKey('mem')
    await gw.ctx.live.changed()
    expect(gw.ctx.live.revoked.has(record.hash)).toBe(true)
    expect(await status(gw, 'base-model', secret)).toBe(401)
    expect(gw.errors()).toEqual([])
  })
})
