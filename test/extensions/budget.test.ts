// [extensions.budget] through the real gateway, on every storage backend: spend in micro-dollars from
// per-model pricing (JSON, streams with and without usage, /v1/messages, embeddings; errors free), the
// 429 at budget, GET /v1/budget visibility, and the overshoot bound under concurrency.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { digest, keyIdOf } from '../../src/auth'
import { catalogOf, costMicros } from '../../src/catalog'
import { parseConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/core/log'
import { budgetExtension } from '../../src/extensions/budget'
import { createPricer, formatUsd, usdToMicros } from '../../src/extensions/pricing'
import type { RequestContext } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import { memoryStore } from '../../src/storage/memory'
import { jsonOf, provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import {
  chatChunks,
  chatCompletion,
  heldBurst,
  type MockUpstream,
  openAiError,
  startMockUpstream,
} from '../support/mock-upstream'
import { BACKENDS, closeAll } from '../support/stores'

const ALICE = 'sk-budget-alice-0123456789abcdef'
const BIG = 'sk-budget-big-0123456789abcdefgh'
const BROKE = 'sk-budget-broke-0123456789abcdef'
const ADMIN = 'admin-budget-0123456789abcdef'

let openai: MockUpstream
let claude: MockUpstream

beforeAll(async () => {
  openai = await startMockUpstream()
  claude = await startMockUpstream()
})
afterAll(async () => {
  await openai.close()
  await claude.close()
  await closeAll()
})

// Prices chosen so that the mock's chat answer (9 prompt + 4 completion tokens) costs exactly
// 9 × 4 + 4 × 16 = 100 micro-dollars, and alice's $0.0005 budget allows exactly 5 of them.
const COST = 100
const N = 5
const toml = () => `
admin_token = "${ADMIN}"
[[keys]]
name = "alice"
key = "${ALICE}"
[[keys]]
name = "big"
key = "${BIG}"
[[keys]]
name = "broke"
key = "${BROKE}"
${provider('oai', openai.url, ['gpt-4o-mini', 'llama3:8b', 'text-embedding-3-small'])}
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${claude.url}/v1"
models = ["claude-sonnet-4-6"]
[aliases]
mini = "gpt-4o-mini"
[models.gpt-4o-mini]
prompt_cost_per_million = 4
completion_cost_per_million = 16
[models.claude-sonnet-4-6]
prompt_cost_per_million = 3
completion_cost_per_million = 15
[models.text-embedding-3-small]
prompt_cost_per_million = 0.02
completion_cost_per_million = 0
[extensions.budget]
default_budget = 0.0005
[extensions.budget.keys.big]
budget = 1.0
[extensions.budget.keys.broke]
budget = 0
`

const anthropicMessage = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-6',
  content: [{ type: 'text', text: 'Hello from Claude' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 3 },
}

const ask = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
})
const usd = (micros: number) => micros / 1_000_000
/** Spend is kept under each key's id (from its secret); rows show the name and the id. */
const IDS: Record<string, string> = {
  alice: keyIdOf(digest(ALICE)),
  big: keyIdOf(digest(BIG)),
  broke: keyIdOf(digest(BROKE)),
}
const row = (key: string, spentMicros: number, budgetMicros: number) => ({
  key,
  key_id: IDS[key]!,
  spent_usd: usd(spentMicros),
  budget_usd: usd(budgetMicros),
  remaining_usd: usd(Math.max(0, budgetMicros - spentMicros)),
})

describe.each(BACKENDS)('budget on $name', (backend) => {
  /** A gateway on a fresh, empty store of this backend. */
  const fresh = async () => startGateway(toml(), { store: await backend.open() })
  /** GET /v1/budget once every deferred charge has landed. */
  const budget = async (gw: TestGateway, key: string = ADMIN) => {
    await gw.ctx.pipeline.flush()
    const res = await gw.fetch('/v1/budget', { headers: { authorization: `Bearer ${key}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('application/json')
    return jsonOf(res)
  }

  test('a JSON answer costs its tokens at the model prices; GET /v1/budget shows the spend', async () => {
    await using gw = await fresh()
    expect((await gw.chat(ask('gpt-4o-mini'), { key: ALICE })).status).toBe(200)
    expect(await budget(gw, ALICE)).toEqual([row('alice', COST, 500)])
  })

  test('at its budget a key gets 429 insufficient_quota / budget_exceeded, and the upstream is not called', async () => {
    await using gw = await fresh()
    for (let i = 0; i < N; i++) {
      expect((await gw.chat(ask('gpt-4o-mini'), { key: ALICE })).status).toBe(200)
      await gw.ctx.pipeline.flush()
    }
    const before = openai.requests.length
    const refused = await gw.chat(ask('gpt-4o-mini'), { key: ALICE })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('x-request-id')).toBeTruthy()
    expect(await jsonOf(refused)).toEqual({
      error: {
        message: "Key 'alice' has spent $0.0005 of its $0.0005 budget.",
        type: 'insufficient_quota',
        param: null,
        code: 'budget_exceeded',
      },
    })
    // A stream is refused the same way, before any SSE.
    const stream = await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: ALICE })
    expect(stream.status).toBe(429)
    expect((await jsonOf(stream)).error.code).toBe('budget_exceeded')
    expect(openai.requests.length).toBe(before)
    expect(await budget(gw, ALICE)).toEqual([row('alice', N * COST, 500)])
    // Another key is not affected.
    expect((await gw.chat(ask('gpt-4o-mini'), { key: BIG })).status).toBe(200)
  })

  test('a per-key budget overrides the default; a zero budget refuses at once', async () => {
    await using gw = await fresh()
    const res = await gw.chat(ask('gpt-4o-mini'), { key: BROKE })
    expect(res.status).toBe(429)
    expect((await jsonOf(res)).error.message).toBe("Key 'broke' has spent $0.00 of its $0.00 budget.")
    for (let i = 0; i < N + 2; i++) expect((await gw.chat(ask('gpt-4o-mini'), { key: BIG })).status).toBe(200)
    expect(await budget(gw, BIG)).toEqual([row('big', (N + 2) * COST, 1_000_000)])
  })

  test('streams are charged from the usage they carried, or from what they delivered when none came', async () => {
    await using gw = await fresh()
    const withUsage = chatChunks(['a', 'b'], 'gpt-4o-mini', true) // 9 × 4 + 2 × 16 = 68 µ$
    openai.enqueue({ sse: withUsage })
    expect((await readSse(await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: BIG }))).at(-1)).toBe('[DONE]')
    // No usage chunk: the gateway counts the prompt (8) and 'ab' (1): 8 × 4 + 1 × 16 = 48 µ$.
    openai.enqueue({ sse: chatChunks(['a', 'b']) })
    await readSse(await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: BIG }))
    openai.enqueue({ sse: withUsage, cutAfter: withUsage.length - 1 })
    expect(await (await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: BIG })).text()).toContain(
      'upstream_stream_error',
    )
    expect(await budget(gw, BIG)).toEqual([row('big', 68 + 48 + 68, 1_000_000)])
  })

  test('/v1/messages, embeddings and aliases are priced by their canonical model', async () => {
    await using gw = await fresh()
    claude.enqueue({ json: anthropicMessage }) // (12 + 3) × 3 + 5 × 15 = 120 µ$
    const messages = await gw.fetch('/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': BIG, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask('claude-sonnet-4-6'), max_tokens: 64 }),
    })
    expect(messages.status).toBe(200)
    const embeddings = await gw.fetch('/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${BIG}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hello' }),
    })
    expect(embeddings.status).toBe(200) // 2 × 0.02 = 0.04 µ$, rounded up to 1
    expect((await gw.chat(ask('mini'), { key: BIG })).status).toBe(200) // priced as gpt-4o-mini
    expect(await budget(gw, BIG)).toEqual([row('big', 120 + 1 + COST, 1_000_000)])
  })

  test('errors cost nothing; a stream cut before its usage costs what it had delivered', async () => {
    await using gw = await fresh()
    openai.enqueue(openAiError(400, 'bad request from upstream'))
    expect((await gw.chat(ask('gpt-4o-mini'), { key: ALICE })).status).toBe(400)
    expect(await budget(gw, ALICE)).toEqual([row('alice', 0, 500)])
    const frames = chatChunks(['a'], 'gpt-4o-mini', true)
    openai.enqueue({ sse: frames, cutAfter: 2 }) // cut before the usage chunk, after 'a'
    expect(await (await gw.chat(ask('gpt-4o-mini', { stream: true }), { key: ALICE })).text()).toContain(
      'upstream_stream_error',
    )
    expect(await budget(gw, ALICE)).toEqual([row('alice', 8 * 4 + 1 * 16, 500)])
  })

  test('a model without a price is refused to a budgeted key (403 model_unpriced, no upstream call); the admin token passes', async () => {
    await using gw = await fresh()
    const before = openai.requests.length
    for (let i = 0; i < 2; i++) {
      const refused = await gw.chat(ask('llama3:8b'), { key: ALICE })
      expect(refused.status).toBe(403)
      expect((await jsonOf(refused)).error).toEqual({
        message: expect.stringContaining(
          `add [models."llama3:8b"] prices, or to set [extensions.budget] unpriced = "allow"`,
        ),
        type: 'permission_error',
        param: 'model',
        code: 'model_unpriced',
      })
    }
    expect(openai.requests.length).toBe(before)
    expect(await budget(gw, ALICE)).toEqual([row('alice', 0, 500)])
    // The admin token is not budgeted: its answer goes through, unpriced, with one warning per model.
    for (let i = 0; i < 2; i++) expect((await gw.chat(ask('llama3:8b'), { key: ADMIN })).status).toBe(200)
    await gw.ctx.pipeline.flush()
    const warnings = gw.logs().filter((l) => JSON.parse(l).level === 'warn' && l.includes('has no cost'))
    expect(warnings).toHaveLength(1)
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      model: 'llama3:8b',
      reason: 'no price for model llama3:8b in the catalog or [models]',
      fix: 'add [models."llama3:8b"] prices',
    })
  })

  test('the admin token is not budgeted; it sees every configured key, a key sees its own row', async () => {
    await using gw = await fresh()
    for (let i = 0; i < N + 2; i++) {
      expect((await gw.chat(ask('gpt-4o-mini'), { key: ADMIN })).status).toBe(200)
      await gw.ctx.pipeline.flush()
    }
    await gw.chat(ask('gpt-4o-mini'), { key: ALICE })
    expect(await budget(gw, ADMIN)).toEqual([row('alice', COST, 500), row('big', 0, 1_000_000), row('broke', 0, 0)])
    expect(await budget(gw, ALICE)).toEqual([row('alice', COST, 500)])
    expect(await budget(gw, BROKE)).toEqual([row('broke', 0, 0)])
  })

  test('GET /v1/budget without a key or with a wrong one is 401', async () => {
    await using gw = await fresh()
    const none = await gw.fetch('/v1/budget')
    expect(none.status).toBe(401)
    expect((await jsonOf(none)).error.code).toBe('missing_api_key')
    const wrong = await gw.fetch('/v1/budget', { headers: { authorization: 'Bearer sk-not-a-key-0123456789' } })
    expect(wrong.status).toBe(401)
  })

  test.each([
    ['', {}],
    // The client's x-request-id is no hold id: requests that all send one still hold apart.
    [', all under one x-request-id', { 'x-request-id': 'same-id-for-all' }],
  ])(
    'M concurrent requests against a budget good for N%s: reservations serve at most N + 1, the rest never reach the upstream',
    async (_, headers) => {
      await using gw = await fresh()
      const M = 12
      const before = openai.requests.length
      // Every upstream answer is held until each request is decided: all M are in flight at once, the
      // case that served all M before reservations (each checked a spend nothing had charged yet).
      const all = await heldBurst(openai, M, chatCompletion(), () =>
        gw.chat(ask('gpt-4o-mini', { max_tokens: 4 }), { key: ALICE, headers }),
      )
      const ok = all.filter((s) => s === 200).length
      expect(all.filter((s) => s !== 200).every((s) => s === 429)).toBe(true)
      // The estimate (prompt from the body, max_tokens) prices each request close to its real cost:
      // N hold the budget, and at most one more holds what is left.
      expect(ok).toBeGreaterThanOrEqual(N)
      expect(ok).toBeLessThanOrEqual(N + 1)
      expect(openai.requests.length - before).toBe(ok)
      // Every admitted request was charged, exactly once, and every hold given back.
      expect(await budget(gw, ALICE)).toEqual([row('alice', ok * COST, 500)])
      const after = await gw.chat(ask('gpt-4o-mini'), { key: ALICE })
      expect(after.status).toBe(429)
      expect((await jsonOf(after)).error.message).toBe(
        `Key 'alice' has spent ${formatUsd(ok * COST)} of its $0.0005 budget.`,
      )
    },
  )

  test('under free-running concurrency no charge is lost and spend stays within the budget plus one request', async () => {
    await using gw = await fresh()
    const M = 40
    const before = openai.requests.length
    const responses = await Promise.all(
      Array.from({ length: M }, () => gw.chat(ask('gpt-4o-mini', { max_tokens: 4 }), { key: ALICE })),
    )
    const ok = responses.filter((r) => r.status === 200).length
    for (const r of responses.filter((r) => r.status !== 200)) {
      expect(r.status).toBe(429)
      expect((await jsonOf(r)).error.code).toBe('budget_exceeded')
    }
    expect(ok).toBeGreaterThanOrEqual(N)
    expect(ok).toBeLessThanOrEqual(N + 1)
    expect(openai.requests.length - before).toBe(ok)
    // Spend is exactly the sum of the admitted requests' costs (no lost increment).
    const [spent] = await budget(gw, ALICE)
    expect(spent).toEqual(row('alice', ok * COST, 500))
    expect((await gw.chat(ask('gpt-4o-mini'), { key: ALICE })).status).toBe(429)
    expect(gw.errors()).toEqual([])
  })

  test('a request without max_tokens reserves reserve_completion_tokens, so it may hold what is left of the budget', async () => {
    await using gw = await fresh()
    // 4096 × 16 µ$ of completion is far more than the 500 µ$ budget: the first request holds all of it.
    const gate = Promise.withResolvers<void>()
    openai.enqueue({ json: chatCompletion(), hold: gate.promise })
    const first = gw.chat(ask('gpt-4o-mini'), { key: ALICE })
    await openai.waitForRequest(openai.requests.length + 1)
    const second = await gw.chat(ask('gpt-4o-mini'), { key: ALICE })
    expect(second.status).toBe(429)
    gate.resolve()
    expect((await first).status).toBe(200)
    // It settled at its real cost: the rest of the budget is free again.
    expect(await budget(gw, ALICE)).toEqual([row('alice', COST, 500)])
    expect((await gw.chat(ask('gpt-4o-mini'), { key: ALICE })).status).toBe(200)
    expect(gw.errors()).toEqual([])
  })
})

describe('unpriced = "allow"', () => {
  test('a budgeted key may use a model without a price; its answers are charged nothing', async () => {
    const config = parseConfig(toml(), 'test.toml', PROVIDER_RULES, {})
    const catalog = catalogOf(config)
    const store = memoryStore()
    const writes: Promise<unknown>[] = []
    const principal = { id: IDS.alice!, name: 'alice', models: '*' as const }
    const ext = (unpriced: 'allow' | 'refuse') =>
      budgetExtension({
        options: { ...config.extensions!.budget!, unpriced },
        config,
        catalog,
        store,
        log: memoryLogger('error'),
        defer: (w) => void writes.push(w),
        principals: () => [principal],
      })
    const ctx = (): RequestContext => ({
      requestId: crypto.randomUUID(),
      key: 'alice',
      principal,
      model: 'llama3:8b',
      requestedModel: 'llama3:8b',
      surface: 'chat',
      stream: false,
      json: {},
      request: new Request('http://gateway.test/v1/chat/completions'),
      started: performance.now(),
      startedAt: Date.now(),
      clientWantsUsage: false,
      estimate: { prompt: 10, completion: 10 },
      headers: {},
    })
    await expect(ext('refuse').onRequest!(ctx())).rejects.toMatchObject({ status: 403, code: 'model_unpriced' })
    const allowing = ext('allow')
    const answered = ctx()
    await allowing.onRequest!(answered)
    answered.usage = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 }
    answered.cost = createPricer(catalog).costOf(answered)
    expect(answered.cost).toEqual({ micros: null, reason: 'no price for model llama3:8b in the catalog or [models]' })
    await allowing.onResponse!(answered, new Uint8Array())
    await Promise.all(writes)
    const listing = await allowing.routes![0]!.handle(new Request('http://gateway.test/v1/budget'), principal)
    expect(await listing.json()).toEqual([row('alice', 0, 500)])
  })
})

describe('pricing', () => {
  const price = (prompt: number, completion: number) => ({ input: prompt, output: completion })
  const use = (prompt: number, completion: number) => ({
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  })

  test.each([
    ['USD per million tokens is micro-dollars per token', price(4, 16), use(9, 4), 100],
    ['a fraction of a micro-dollar rounds up', price(0.02, 0), use(2, 0), 1],
    ['float noise does not round up a whole amount', price(0.1, 0), use(30, 0), 3],
    ['no tokens cost nothing', price(2.5, 10), use(0, 0), 0],
    ['free pricing costs nothing', price(0, 0), use(1000, 1000), 0],
    ['large counts stay exact', price(15, 75), use(1_000_000, 200_000), 30_000_000],
  ])('%s', (_name, pricing, usage, micros) => {
    expect(costMicros(pricing, usage)).toBe(micros)
  })

  test.each([
    [10_001_200, '$10.0012'],
    [10_000_000, '$10.00'],
    [13, '$0.000013'],
    [0, '$0.00'],
    [500, '$0.0005'],
    [1_500_000, '$1.50'],
  ])('formatUsd(%d) = %s', (micros, text) => {
    expect(formatUsd(micros)).toBe(text)
  })

  test('budgets in USD become whole micro-dollars', () => {
    expect(usdToMicros(0.0005)).toBe(500)
    expect(usdToMicros(10)).toBe(10_000_000)
    expect(usdToMicros(0.1 + 0.2)).toBe(300_000)
  })
})
