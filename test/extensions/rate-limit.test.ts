// rate_limit through the real gateway on memory, SQLite and Redis: the x-ratelimit-* headers on every
// answer, the 429 with Retry-After (no upstream call), per-key overrides, exactness under concurrency,
// tokens counted from actual usage (JSON and streams), and fixed windows rolling over. Most tests run
// the extension with a fake clock (createRateLimit) so that header values are exact and no test can
// straddle a real minute boundary; the TOML-registered factory is checked on its own.
import { afterAll, describe, expect, test } from 'bun:test'
import { catalogOf } from '../../src/catalog'
import { parseConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/core/log'
import { createRateLimit, rateLimitExtension } from '../../src/extensions/rate-limit'
import { formatDuration, retryAfterSeconds } from '../../src/extensions/rate-limit/headers'
import { limitTable } from '../../src/extensions/rate-limit/limits'
import type { Extension } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import { memoryStore } from '../../src/storage/memory'
import type { Store } from '../../src/storage/store'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatCompletion, heldBurst, type MockUpstream, openAiError, startMockUpstream } from '../support/mock-upstream'
import { BACKENDS, type Backend, closeAll } from '../support/stores'

const T0 = 29_000_000 * 60_000 // the start of a minute window
const KEY_A = 'sk-rate-a-0123456789abcdef'
const KEY_B = 'sk-rate-b-0123456789abcdef'
const KEY_C = 'sk-rate-c-0123456789abcdef'
const ADMIN = 'admin-token-0123456789abcdef'
const ECHO = '[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n'
const key = (name: string, secret: string, extra = '') => `[[keys]]\nname = "${name}"\nkey = "${secret}"\n${extra}\n`

const gateways: TestGateway[] = []
const mocks: MockUpstream[] = []
afterAll(async () => {
  for (const gw of gateways) await gw[Symbol.asyncDispose]()
  for (const m of mocks) await m.close()
  await closeAll()
})

interface Rig {
  gw: TestGateway
  clock: { t: number }
  ext: Extension
  /** Waits for the token writes deferred so far. */
  settle(): Promise<void>
}

/** A gateway whose rate_limit extension reads a fake clock (48 s into a window unless told). */
async function rig(store: Store, toml: string, t = T0 + 48_000): Promise<Rig> {
  const config = parseConfig(toml, 'test.toml', PROVIDER_RULES, {})
  const clock = { t }
  const pending: Promise<unknown>[] = []
  const ext = createRateLimit(
    {
      options: config.extensions!.rate_limit!,
      config,
      store: store.namespace('rate_limit'),
      log: memoryLogger('info'),
      defer: (work) => void pending.push(work),
      catalog: catalogOf(config),
      principals: () => [],
    },
    () => clock.t,
  )
  const gw = await startGateway(toml, { store, extensions: [ext] })
  gateways.push(gw)
  return {
    gw,
    clock,
    ext,
    settle: async () => {
      while (pending.length) await Promise.all(pending.splice(0))
    },
  }
}

async function mockUpstream(): Promise<MockUpstream> {
  const mock = await startMockUpstream()
  mocks.push(mock)
  return mock
}

const ask = (content = 'hello there') => ({ model: 'echo', messages: [{ role: 'user', content }] })
const rateHeaders = (res: Response) =>
  Object.fromEntries(
    [...res.headers]
      .filter(([k]) => k.startsWith('x-ratelimit-') || k === 'retry-after')
      .sort(([a], [b]) => a.localeCompare(b)),
  )

describe.each(BACKENDS)('rate_limit on $name', (backend: Backend) => {
  test('registered from the TOML: request headers on the answer, token headers only with a token limit', async () => {
    const store = await backend.open()
    const gw = await startGateway(`${key('team', KEY_A)}${ECHO}[extensions.rate_limit]\nrequests_per_minute = 5\n`, {
      store,
    })
    gateways.push(gw)
    expect(gw.ctx.pipeline.names).toEqual(['metrics', 'rate_limit']) // metrics is built in and runs first
    expect(gw.ctx.pipeline.needsUsage).toBe(true) // API keys may bring a token limit of their own
    const res = await gw.chat(ask(), { key: KEY_A })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('5')
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('4')
    expect(res.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|\d+(\.\d+)?s|1m0s)$/)
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBeNull()

    const withTokens = await startGateway(
      `${key('team', KEY_A)}${ECHO}[extensions.rate_limit]\nrequests_per_minute = 5\ntokens_per_minute = 1000\n`,
      {
        store: await backend.open(),
      },
    )
    gateways.push(withTokens)
    expect(withTokens.ctx.pipeline.needsUsage).toBe(true)
    const first = await withTokens.chat(ask(), { key: KEY_A })
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('1000')
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe('1000')
    expect(first.headers.get('x-ratelimit-reset-tokens')).toBe(first.headers.get('x-ratelimit-reset-requests'))
  })

  test('exact headers count down; over the limit a 429 in OpenAI shape with Retry-After and no upstream call', async () => {
    const mock = await mockUpstream()
    const { gw, clock } = await rig(
      await backend.open(),
      `${key('team', KEY_A)}${provider('up', mock.url, ['gpt-4o-mini'])}[extensions.rate_limit]\nrequests_per_minute = 2\n`,
    )
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }
    const r1 = await gw.chat(body, { key: KEY_A })
    expect(r1.status).toBe(200)
    expect(rateHeaders(r1)).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-reset-requests': '12s',
    })
    const r2 = await gw.chat(body, { key: KEY_A })
    expect(rateHeaders(r2)).toEqual({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '12s',
    })

    const r3 = await gw.chat(body, { key: KEY_A })
    expect(r3.status).toBe(429)
    expect(r3.headers.get('content-type')).toBe('application/json')
    expect(r3.headers.get('x-request-id')).toBeTruthy()
    expect(rateHeaders(r3)).toEqual({
      'retry-after': '12',
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '12s',
    })
    expect(await jsonOf(r3)).toEqual({
      error: {
        message:
          "Rate limit reached for requests per minute (RPM) on key 'team': Limit 2, Used 2, Requested 1. Please try again in 12s.",
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    })
    expect(mock.requests).toHaveLength(2)

    // Half a second later: the reset shrinks, Retry-After rounds up to whole seconds.
    clock.t += 500
    const r4 = await gw.chat(body, { key: KEY_A })
    expect(r4.status).toBe(429)
    expect(r4.headers.get('retry-after')).toBe('12')
    expect(r4.headers.get('x-ratelimit-reset-requests')).toBe('11.5s')
    expect((await jsonOf(r4)).error.message).toEndWith('Limit 2, Used 2, Requested 1. Please try again in 11.5s.')
    expect(mock.requests).toHaveLength(2)
  })

  test('a new minute window starts from zero; refused requests do not carry over', async () => {
    const { gw, clock } = await rig(
      await backend.open(),
      `${key('team', KEY_A)}${ECHO}[extensions.rate_limit]\nrequests_per_minute = 1\n`,
    )
    expect((await gw.chat(ask(), { key: KEY_A })).status).toBe(200)
    expect((await gw.chat(ask(), { key: KEY_A })).status).toBe(429)
    expect((await gw.chat(ask(), { key: KEY_A })).status).toBe(429)
    clock.t = T0 + 60_000 // the first millisecond of the next window
    const next = await gw.chat(ask(), { key: KEY_A })
    expect(next.status).toBe(200)
    expect(rateHeaders(next)).toEqual({
      'x-ratelimit-limit-requests': '1',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
    })
    clock.t = T0 + 120_000 - 1 // its last millisecond
    const late = await gw.chat(ask(), { key: KEY_A })
    expect(late.status).toBe(429)
    expect(rateHeaders(late)).toEqual({
      'retry-after': '1',
      'x-ratelimit-limit-requests': '1',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1ms',
    })
  })

  test("keys are counted apart, and a key's own rate_limit replaces the extension's values field by field", async () => {
    const toml =
      key('a', KEY_A, '[keys.rate_limit]\nrequests_per_minute = 1') +
      key('b', KEY_B) +
      key('c', KEY_C, '[keys.rate_limit]\ntokens_per_minute = 500') +
      `${ECHO}[extensions.rate_limit]\nrequests_per_minute = 3\n`
    const { gw, ext } = await rig(await backend.open(), toml)
    expect(ext.needsUsage).toBe(true) // c has a token limit

    const a1 = await gw.chat(ask(), { key: KEY_A })
    expect(rateHeaders(a1)).toEqual({
      'x-ratelimit-limit-requests': '1',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '12s',
    })
    const a2 = await gw.chat(ask(), { key: KEY_A })
    expect(a2.status).toBe(429)
    expect((await jsonOf(a2)).error.message).toStartWith(
      "Rate limit reached for requests per minute (RPM) on key 'a': Limit 1, Used 1,",
    )

    for (const remaining of ['2', '1', '0']) {
      const b = await gw.chat(ask(), { key: KEY_B })
      expect(b.status).toBe(200)
      expect(rateHeaders(b)).toEqual({
        'x-ratelimit-limit-requests': '3',
        'x-ratelimit-remaining-requests': remaining,
        'x-ratelimit-reset-requests': '12s',
      })
    }
    expect((await gw.chat(ask(), { key: KEY_B })).status).toBe(429)

    const c = await gw.chat(ask(), { key: KEY_C })
    expect(c.status).toBe(200)
    expect(rateHeaders(c)).toEqual({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-limit-tokens': '500',
      'x-ratelimit-remaining-requests': '2',
      'x-ratelimit-remaining-tokens': '500',
      'x-ratelimit-reset-requests': '12s',
      'x-ratelimit-reset-tokens': '12s',
    })
  })

  test('200 simultaneous requests against requests_per_minute = 50 admit exactly 50', async () => {
    const { gw } = await rig(
      await backend.open(),
      `${key('team', KEY_A)}${ECHO}[extensions.rate_limit]\nrequests_per_minute = 50\n`,
    )
    const answers = await Promise.all(Array.from({ length: 200 }, () => gw.chat(ask(), { key: KEY_A })))
    const admitted = answers.filter((r) => r.status === 200)
    const refused = answers.filter((r) => r.status === 429)
    expect(admitted).toHaveLength(50)
    expect(refused).toHaveLength(150)
    // Each admitted request saw its own count: remaining 49 down to 0, each exactly once.
    const remaining = admitted.map((r) => Number(r.headers.get('x-ratelimit-remaining-requests'))).sort((x, y) => x - y)
    expect(remaining).toEqual(Array.from({ length: 50 }, (_, i) => i))
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('12')
      expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0')
    }
    await Promise.all(answers.map((r) => r.arrayBuffer()))
    expect(gw.errors()).toEqual([])
  })

  test('tokens_per_minute counts the actual usage of JSON answers and refuses once the window is spent', async () => {
    const mock = await mockUpstream() // answers carry usage total_tokens = 13
    const { gw, clock, settle } = await rig(
      await backend.open(),
      `${key('team', KEY_A)}${provider('up', mock.url, ['gpt-4o-mini'])}[extensions.rate_limit]\nrequests_per_minute = 100\ntokens_per_minute = 20\n`,
    )
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }
    const r1 = await gw.chat(body, { key: KEY_A })
    expect(r1.status).toBe(200)
    expect(r1.headers.get('x-ratelimit-remaining-tokens')).toBe('20')
    await settle()
    const r2 = await gw.chat(body, { key: KEY_A })
    expect(r2.status).toBe(200)
    expect(rateHeaders(r2)).toEqual({
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-limit-tokens': '20',
      'x-ratelimit-remaining-requests': '98',
      'x-ratelimit-remaining-tokens': '7',
      'x-ratelimit-reset-requests': '12s',
      'x-ratelimit-reset-tokens': '12s',
    })
    await settle()
    const r3 = await gw.chat(body, { key: KEY_A })
    expect(r3.status).toBe(429)
    expect(rateHeaders(r3)).toEqual({
      'retry-after': '12',
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-limit-tokens': '20',
      'x-ratelimit-remaining-requests': '97',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-requests': '12s',
      'x-ratelimit-reset-tokens': '12s',
    })
    expect(await jsonOf(r3)).toEqual({
      error: {
        message:
          "Rate limit reached for tokens per minute (TPM) on key 'team': Limit 20, Used 26. Please try again in 12s.",
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
    })
    expect(mock.requests).toHaveLength(2)

    clock.t = T0 + 60_000
    const next = await gw.chat(body, { key: KEY_A })
    expect(next.status).toBe(200)
    expect(next.headers.get('x-ratelimit-remaining-tokens')).toBe('20')
    expect(next.headers.get('x-ratelimit-reset-tokens')).toBe('1m0s')
  })

  test('streams are counted from their usage; a client that did not ask never sees the usage chunk', async () => {
    const { gw, settle } = await rig(
      await backend.open(),
      `${key('team', KEY_A)}${ECHO}[extensions.rate_limit]\nrequests_per_minute = 100\ntokens_per_minute = 1000\n`,
    )
    const prompt = ask('the quick brown fox jumps over the lazy dog')

    const quiet = await readSse(await gw.chat({ ...prompt, stream: true }, { key: KEY_A }))
    expect(quiet.at(-1)).toBe('[DONE]')
    expect(quiet.some((e) => e.includes('"usage"'))).toBe(false)
    await settle()

    // The same prompt as JSON says how many tokens that stream used (echo is deterministic).
    const json = await gw.chat(prompt, { key: KEY_A })
    const total: number = (await jsonOf(json)).usage.total_tokens
    expect(total).toBeGreaterThan(0)
    expect(json.headers.get('x-ratelimit-remaining-tokens')).toBe(String(1000 - total))
    await settle()

    const asked = await readSse(
      await gw.chat({ ...prompt, stream: true, stream_options: { include_usage: true } }, { key: KEY_A }),
    )
    const usageChunk = asked.filter((e) => e.includes('"usage"')).map((e) => JSON.parse(e))
    expect(usageChunk).toHaveLength(1)
    expect(usageChunk[0].usage.total_tokens).toBe(total)
    await settle()

    const after = await gw.chat(prompt, { key: KEY_A })
    expect(after.headers.get('x-ratelimit-remaining-tokens')).toBe(String(1000 - 3 * total))
  })

  test('concurrent requests under one x-request-id hold their tokens apart: the window is never passed', async () => {
    const mock = await mockUpstream()
    const { gw, settle } = await rig(
      await backend.open(),
      `${key('team', KEY_A)}${provider('up', mock.url, ['gpt-4o-mini'])}[extensions.rate_limit]\nrequests_per_minute = 100\ntokens_per_minute = 50\n`,
    )
    // Each request reserves 18 tokens ('hi': 8 estimated, max_tokens 10): two fit in 50, a third holds
    // the 14 left, the rest are refused. The upstream holds every answer until all are decided.
    const M = 8
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }
    const all = await heldBurst(mock, M, chatCompletion('ok'), () =>
      gw.chat(body, { key: KEY_A, headers: { 'x-request-id': 'one-id-for-all' } }),
    )
    expect(all.filter((s) => s === 200)).toHaveLength(3)
    expect(all.filter((s) => s === 429)).toHaveLength(M - 3)
    expect(mock.requests).toHaveLength(3)
    await settle()
  })

  test('a failed request adds no tokens, and its error still carries the headers', async () => {
    const mock = await mockUpstream()
    const { gw, settle } = await rig(
      await backend.open(),
      `${key('team', KEY_A)}${provider('up', mock.url, ['gpt-4o-mini'])}[extensions.rate_limit]\nrequests_per_minute = 10\ntokens_per_minute = 100\n`,
    )
    mock.enqueue(openAiError(400, 'bad request from upstream'))
    const failed = await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY_A })
    expect(failed.status).toBe(400)
    expect(rateHeaders(failed)).toEqual({
      'x-ratelimit-limit-requests': '10',
      'x-ratelimit-limit-tokens': '100',
      'x-ratelimit-remaining-requests': '9',
      'x-ratelimit-remaining-tokens': '100',
      'x-ratelimit-reset-requests': '12s',
      'x-ratelimit-reset-tokens': '12s',
    })
    await settle()
    const next = await gw.chat({ model: 'gpt-4o-mini', messages: [] }, { key: KEY_A })
    expect(next.headers.get('x-ratelimit-remaining-tokens')).toBe('100')
    expect(next.headers.get('x-ratelimit-remaining-requests')).toBe('8')
  })

  test("the admin token and 'anonymous' (auth off) are limited by name like any key", async () => {
    const admin = await rig(
      await backend.open(),
      `admin_token = "${ADMIN}"\n${ECHO}[extensions.rate_limit]\nrequests_per_minute = 1\n`,
    )
    expect((await admin.gw.chat(ask(), { key: ADMIN })).status).toBe(200)
    const refused = await admin.gw.chat(ask(), { key: ADMIN })
    expect(refused.status).toBe(429)
    expect((await jsonOf(refused)).error.message).toContain("on key 'admin'")

    const open = await rig(await backend.open(), `${ECHO}[extensions.rate_limit]\nrequests_per_minute = 1\n`)
    expect((await open.gw.chat(ask())).status).toBe(200)
    const anon = await open.gw.chat(ask())
    expect(anon.status).toBe(429)
    expect((await jsonOf(anon)).error.message).toContain("on key 'anonymous'")
  })
})

describe('rate_limit pieces', () => {
  test("reset durations use OpenAI's format", () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [-5, '0s'],
      [1, '1ms'],
      [12, '12ms'],
      [999, '999ms'],
      [1000, '1s'],
      [1234, '1.234s'],
      [12_000, '12s'],
      [59_500, '59.5s'],
      [60_000, '1m0s'],
      [61_500, '1m1.5s'],
      [360_000, '6m0s'],
      [3_723_000, '1h2m3s'],
    ]
    for (const [ms, text] of cases) expect([ms, formatDuration(ms)]).toEqual([ms, text])
  })

  test('Retry-After is whole seconds, at least 1', () => {
    expect(retryAfterSeconds(1)).toBe(1)
    expect(retryAfterSeconds(0)).toBe(1)
    expect(retryAfterSeconds(1000)).toBe(1)
    expect(retryAfterSeconds(1001)).toBe(2)
    expect(retryAfterSeconds(60_000)).toBe(60)
  })

  test("limits: extension defaults, a key's own fields replacing them, and whether the defaults count tokens", () => {
    const principal = (name: string, rateLimit?: { requests_per_minute?: number; tokens_per_minute?: number }) => ({
      id: `key_${name}`,
      name,
      models: '*' as const,
      ...(rateLimit ? { rateLimit } : {}),
    })
    const withTokens = limitTable({ requests_per_minute: 10, tokens_per_minute: 100 })
    expect(withTokens.of(principal('a', { requests_per_minute: 5 }))).toEqual({ requests: 5, tokens: 100 })
    expect(withTokens.of(principal('b', { tokens_per_minute: 7 }))).toEqual({ requests: 10, tokens: 7 })
    expect(withTokens.of(principal('c'))).toEqual({ requests: 10, tokens: 100 })
    expect(withTokens.countsTokens).toBe(true)
    const requestsOnly = limitTable({ requests_per_minute: 10 })
    expect(requestsOnly.of(principal('a', { requests_per_minute: 5 }))).toEqual({ requests: 5 })
    expect(requestsOnly.of(principal('b', { tokens_per_minute: 7 }))).toEqual({ requests: 10, tokens: 7 })
    expect(requestsOnly.countsTokens).toBe(false)
  })

  test('a storage outage lets requests through (the pipeline fails open) and is logged', async () => {
    const broken: Store = {
      ...memoryStore(),
      increment: () => Promise.reject(new Error('storage is down')),
      namespace: () => broken,
    }
    const toml = `${key('team', KEY_A)}${ECHO}[extensions.rate_limit]\nrequests_per_minute = 1\n`
    const config = parseConfig(toml, 'test.toml', PROVIDER_RULES, {})
    const ext = rateLimitExtension({
      options: config.extensions!.rate_limit!,
      config,
      store: broken,
      log: memoryLogger('info'),
      defer: () => {},
      catalog: catalogOf(config),
      principals: () => [],
    })
    const gw = await startGateway(toml, { extensions: [ext] })
    gateways.push(gw)
    for (let i = 0; i < 2; i++) {
      const res = await gw.chat(ask(), { key: KEY_A })
      expect(res.status).toBe(200)
      expect(res.headers.get('x-ratelimit-limit-requests')).toBeNull()
    }
    expect(gw.errors().some((l) => l.includes('storage is down'))).toBe(true)
  })
})
