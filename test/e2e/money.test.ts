// Money through the compiled binary (issue [2/6], findings 1, 4, 12 and 13), on memory, SQLite and Redis:
// - a stream the client closes after the last word and before the provider's usage (the official SDKs,
//   breaking out of their stream) is charged for the request and the text delivered, within ±5% of the
//   provider's count, and marked estimated in the audit log;
// - 200 concurrent requests against a budget good for 10 serve at most 10 (+1, the one that held what
//   was left), the rest refused before any provider is called; the same for tokens_per_minute; on Redis
//   the same across two gateways (+1 each);
// - a cache hit counts as a request and a cached request, with no tokens;
// - an answer whose cost passes 2^53 µ$ is charged the largest safe amount, not $0.
// Upstream answers are held until every request has been decided, so all 200 are in flight at once.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import Redis from 'ioredis'
import OpenAI from 'openai'
import { type CrabllmProcess, crabllmBin, spawnCrabllm } from '../support/binary'
import { IN_ONE_MINUTE_TIMEOUT_MS, inOneMinute } from '../support/minute'
import { chatChunks, chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'
import { REDIS_URL } from '../support/stores'
import { until } from '../support/until'

const ADMIN = 'admin-token-money-0123456789abcdef'
const KEYS = {
  abort: 'sk-money-abort-0123456789abcdef',
  ten: 'sk-money-ten-0123456789abcdefgh',
  tpm: 'sk-money-tpm-0123456789abcdefgh',
  pricey: 'sk-money-pricey-0123456789abcde',
  cache: 'sk-money-cache-0123456789abcdef',
}
/** $1,000 per million tokens: one token is $0.001 (1,000 µ$), so counts read straight off the spend. */
const PRICE = 1000
/** What one concurrency request costs: 8 prompt tokens ('hi' framed as OpenAI counts) + max_tokens 10. */
const PER_REQUEST = 18
const CONCURRENT = 200

const PROMPT = 'Write two paragraphs about the history of the lighthouse, with dates.'
/** The answer the stream delivers word by word: prose, digits, punctuation, a code span and non-ASCII. */
const ANSWER = [
  'The first lighthouses were fires on hills; the Pharos of Alexandria, finished around 280 BC,',
  'stood over 100 metres tall and guided ships for sixteen centuries. In 1822 Augustin Fresnel',
  'built his lens — rings of glass prisms — and a single lamp could be seen 20 miles away.',
  'Keepers logged every night: `lamp lit 18:42, wind NNE, visibility 9/10`. Électricité came later;',
  'by 1950 most lights ran unattended, and today GPS does the rest. Fin.',
].join(' ')
const WORDS = ANSWER.split(/(?<= )/)
/** The provider's counts, as the mock would have sent them at the end (OpenAI's o200k_base). */
const TRUE_COMPLETION = countTokens(ANSWER)
const TRUE_PROMPT = 3 + 4 + countTokens(PROMPT)

const hasRedis = await new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 }).connect().then(
  () => true,
  () => false,
)

/** The held end of the aborted streams: released only when the file is done (after the clients left). */
const streamEnds = Promise.withResolvers<void>()
let root: string
let openaiUp: MockUpstream
let claudeUp: MockUpstream
const prefix = `crabllm-money-${process.pid}-${Date.now()}:`

function config(storage: string): string {
  return `admin_token = "${ADMIN}"
listen = "127.0.0.1:0"
max_inflight = 1000
key_max_inflight = 500

[[keys]]
name = "abort"
key = "${KEYS.abort}"
[[keys]]
name = "ten"
key = "${KEYS.ten}"
[[keys]]
name = "tpm"
key = "${KEYS.tpm}"
rate_limit = { requests_per_minute = 100000, tokens_per_minute = ${10 * PER_REQUEST} }
[[keys]]
name = "pricey"
key = "${KEYS.pricey}"
[[keys]]
name = "cache"
key = "${KEYS.cache}"

[providers.openai]
kind = "openai"
api_key = "sk-upstream-money"
base_url = "${openaiUp.url}/v1"
models = ["gpt-4o-mini", "pricey", "cached"]
max_retries = 0

[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream-money"
base_url = "${claudeUp.url}/v1"
models = ["claude-sonnet-4-6"]
max_retries = 0

[models."gpt-4o-mini"]
prompt_cost_per_million = ${PRICE}
completion_cost_per_million = ${PRICE}
[models."claude-sonnet-4-6"]
prompt_cost_per_million = ${PRICE}
completion_cost_per_million = ${PRICE}
[models.pricey]
prompt_cost_per_million = 1e15
completion_cost_per_million = 1e15

${storage}

[extensions.cache]
[extensions.rate_limit]
requests_per_minute = 100000
[extensions.usage]
[extensions.budget]
default_budget = 1000
unpriced = "allow"            # the cache test's model has no price
[extensions.budget.keys.ten]
budget = ${(10 * PER_REQUEST * PRICE) / 1e6}
[extensions.budget.keys.pricey]
budget = 1e10
[extensions.audit]
`
}

async function start(name: string, storage: string): Promise<CrabllmProcess> {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'crabllm.toml'), config(storage))
  const child = spawnCrabllm(['serve'], { cwd: dir })
  await child.ready()
  return child
}

async function stop(...gateways: (CrabllmProcess | undefined)[]): Promise<void> {
  for (const gw of gateways) {
    if (!gw) continue
    gw.kill('SIGTERM')
    await gw.exited
  }
}

const get = async (gw: CrabllmProcess, path: string, key: string) => {
  const res = await gw.fetch(path, { headers: { authorization: `Bearer ${key}` } })
  expect(res.status).toBe(200)
  return (await res.json()) as any
}
const spent = async (gw: CrabllmProcess, key: string) => (await get(gw, '/v1/budget', key))[0].spent_usd as number
const usageRows = (gw: CrabllmProcess, key: string) => get(gw, '/v1/usage', key)

/** A held OpenAI stream: role chunk, one chunk per word, then (never sent) the finish, usage and [DONE]. */
function heldOpenAiStream(gate: Promise<unknown>) {
  const frames = chatChunks(WORDS, 'gpt-4o-mini', true)
  const last = frames.length - 2
  frames[last] = frames[last]!.replace(/"usage":\{[^}]*\}/, () => {
    const usage = { prompt_tokens: TRUE_PROMPT, completion_tokens: TRUE_COMPLETION }
    return `"usage":${JSON.stringify({ ...usage, total_tokens: TRUE_PROMPT + TRUE_COMPLETION })}`
  })
  return { sse: frames, holdFrames: gate, holdFramesAfter: 1 + WORDS.length }
}

/** A held Anthropic stream: message_start (the input tokens), the words, then (never sent) the end. */
function heldAnthropicStream(gate: Promise<unknown>) {
  const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
  const message = {
    id: 'msg_money',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-6',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: TRUE_PROMPT, output_tokens: 1 },
  }
  const frames = [
    event('message_start', { message }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    ...WORDS.map((text) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } })),
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: TRUE_COMPLETION },
    }),
    event('message_stop', {}),
  ]
  return { sse: frames, holdFrames: gate, holdFramesAfter: 2 + WORDS.length }
}

/**
 * Sends CONCURRENT requests at once through the OpenAI SDK, upstream answers held until every one is
 * decided (refused by the gateway or arrived upstream); returns how many were served and the refusals.
 */
async function burst(gateways: CrabllmProcess[], key: string) {
  const gate = Promise.withResolvers<void>()
  const before = openaiUp.requests.length
  openaiUp.fallback = () => ({
    json: { ...chatCompletion('ok'), usage: { prompt_tokens: 8, completion_tokens: 10, total_tokens: 18 } },
    hold: gate.promise,
  })
  const refusals: string[] = []
  const clients = gateways.map((gw) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 }))
  // A `user` of its own: the cache (on in this config) must not answer one burst from another's answers.
  const user = crypto.randomUUID()
  const calls = Array.from({ length: CONCURRENT }, (_, i) =>
    clients[i % clients.length]!.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 10,
      user,
    }).then(
      () => true,
      (err: unknown) => {
        refusals.push(err instanceof OpenAI.APIError ? `${err.status} ${err.code}` : String(err))
        return false
      },
    ),
  )
  try {
    await until(
      async () => refusals.length + openaiUp.requests.length - before,
      (decided) => decided >= CONCURRENT,
      'requests decided (refused, or arrived upstream)',
    )
  } finally {
    gate.resolve()
  }
  const results = await Promise.all(calls)
  return { served: results.filter(Boolean).length, refusals }
}

beforeAll(async () => {
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-money-'))
  openaiUp = await startMockUpstream()
  claudeUp = await startMockUpstream()
})

afterAll(async () => {
  streamEnds.resolve()
  await openaiUp?.close()
  await claudeUp?.close()
  if (hasRedis) {
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    const keys = await client.keys(`${prefix}*`)
    if (keys.length) await client.del(...keys)
    await client.quit()
  }
  rmSync(root, { recursive: true, force: true })
})

const BACKENDS = [
  { name: 'memory', storage: '[storage]\nkind = "memory"' },
  { name: 'sqlite', storage: (dir: string) => `[storage]\nkind = "sqlite"\npath = "${join(dir, 'money.db')}"` },
  {
    name: 'redis',
    storage: (id: string) => `[storage]\nkind = "redis"\npath = "${REDIS_URL}"\nprefix = "${prefix}${id}:"`,
  },
] as const

describe.each(BACKENDS)('money on $name (compiled binary)', ({ name, storage }) => {
  const skip = name === 'redis' && !hasRedis
  let gw: CrabllmProcess
  const storageToml = () =>
    typeof storage === 'string' ? storage : name === 'sqlite' ? storage(join(root, name)) : storage(name)

  beforeAll(async () => {
    if (skip) return
    mkdirSync(join(root, name), { recursive: true })
    gw = await start(name, storageToml())
  })
  afterAll(() => stop(gw))

  test.skipIf(skip)(
    'an OpenAI stream closed after its last word, before the usage chunk, is charged for what it delivered (±5%)',
    async () => {
      openaiUp.enqueue(heldOpenAiStream(streamEnds.promise))
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.abort, maxRetries: 0 })
      const stream = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: PROMPT }],
        stream: true,
      })
      let text = ''
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? ''
        if (text === ANSWER) break // the SDK aborts the request
      }
      expect(text).toBe(ANSWER)
      const [row] = await until(
        () => usageRows(gw, KEYS.abort),
        (rows: any[]) => rows.some((r) => r.model === 'gpt-4o-mini'),
        'the aborted stream in /v1/usage',
      )
      expect(row).toMatchObject({ key: 'abort', model: 'gpt-4o-mini', requests: 1 })
      expect(Math.abs(row.completion_tokens - TRUE_COMPLETION)).toBeLessThanOrEqual(TRUE_COMPLETION * 0.05)
      expect(Math.abs(row.prompt_tokens - TRUE_PROMPT)).toBeLessThanOrEqual(TRUE_PROMPT * 0.05)
      const truth = ((TRUE_PROMPT + TRUE_COMPLETION) * PRICE) / 1e6
      expect(Math.abs((await spent(gw, KEYS.abort)) - truth)).toBeLessThanOrEqual(truth * 0.05)
      const logs = await get(gw, '/v1/admin/logs?key=abort&limit=1', ADMIN)
      expect(logs.data[0]).toMatchObject({ outcome: 'client_closed', usage_estimated: true, model: 'gpt-4o-mini' })
    },
  )

  test.skipIf(skip)(
    'an Anthropic stream closed before message_delta keeps the provider’s input tokens and counts the output delivered',
    async () => {
      claudeUp.enqueue(heldAnthropicStream(streamEnds.promise))
      const spentBefore = await spent(gw, KEYS.abort)
      const client = new Anthropic({ baseURL: gw.url, apiKey: KEYS.abort, maxRetries: 0 })
      const stream = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 1024,
        messages: [{ role: 'user', content: PROMPT }],
        stream: true,
      })
      let text = ''
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text
        if (text === ANSWER) break
      }
      expect(text).toBe(ANSWER)
      const rows = await until(
        () => usageRows(gw, KEYS.abort),
        (rows: any[]) => rows.some((r) => r.model === 'claude-sonnet-4-6'),
        'the aborted Messages stream in /v1/usage',
      )
      const row = rows.find((r: any) => r.model === 'claude-sonnet-4-6')
      expect(row.prompt_tokens).toBe(TRUE_PROMPT) // message_start's input_tokens: the provider's own count
      expect(Math.abs(row.completion_tokens - TRUE_COMPLETION)).toBeLessThanOrEqual(TRUE_COMPLETION * 0.05)
      const truth = ((TRUE_PROMPT + TRUE_COMPLETION) * PRICE) / 1e6
      expect(Math.abs((await spent(gw, KEYS.abort)) - spentBefore - truth)).toBeLessThanOrEqual(truth * 0.05)
    },
  )

  test.skipIf(skip)(
    `${CONCURRENT} concurrent requests against a budget good for 10: at most 10 (+1) served, the rest refused before the upstream`,
    async () => {
      const before = openaiUp.requests.length
      const { served, refusals } = await burst([gw], KEYS.ten)
      expect(served).toBeGreaterThanOrEqual(10)
      expect(served).toBeLessThanOrEqual(11)
      expect(openaiUp.requests.length - before).toBe(served)
      expect(new Set(refusals)).toEqual(new Set(['429 budget_exceeded']))
      const budget = (10 * PER_REQUEST * PRICE) / 1e6
      const charged = await until(
        () => spent(gw, KEYS.ten),
        (s) => s >= budget - 1e-9,
        'the settled spend',
      )
      expect(charged).toBeLessThanOrEqual(budget + (PER_REQUEST * PRICE) / 1e6 + 1e-9)
    },
  )

  test.skipIf(skip)(
    `${CONCURRENT} concurrent requests against tokens_per_minute good for 10: at most 10 (+1) served`,
    async () => {
      const before = openaiUp.requests.length
      await inOneMinute() // token windows are fixed minutes: the burst falls in one
      const { served, refusals } = await burst([gw], KEYS.tpm)
      expect(served).toBeGreaterThanOrEqual(10)
      expect(served).toBeLessThanOrEqual(11)
      expect(openaiUp.requests.length - before).toBe(served)
      expect(new Set(refusals)).toEqual(new Set(['429 rate_limit_exceeded']))
    },
    IN_ONE_MINUTE_TIMEOUT_MS,
  )

  test.skipIf(skip)('a cache hit counts as a request and a cached request, with no tokens', async () => {
    openaiUp.fallback = () => ({ json: chatCompletion('cached answer', 'cached') })
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.cache, maxRetries: 0 })
    const ask = () => client.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'same' }] })
    const before = openaiUp.requests.length
    expect((await ask()).choices[0]!.message.content).toBe('cached answer')
    expect((await ask()).choices[0]!.message.content).toBe('cached answer')
    expect(openaiUp.requests.length - before).toBe(1)
    const [row] = await until(
      () => usageRows(gw, KEYS.cache),
      (rows: any[]) => rows[0]?.requests === 2,
      'both requests in /v1/usage',
    )
    // chatCompletion's usage: 9 prompt + 4 completion, counted once (the hit is free).
    expect(row).toMatchObject({ requests: 2, cached_requests: 1, prompt_tokens: 9, completion_tokens: 4 })
  })

  test.skipIf(skip)('an answer whose cost passes 2^53 µ$ is charged the largest safe amount, not $0', async () => {
    openaiUp.fallback = () => ({ json: chatCompletion('expensive', 'pricey') })
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEYS.pricey, maxRetries: 0 })
    await client.chat.completions.create({ model: 'pricey', messages: [{ role: 'user', content: 'hi' }] })
    // 13 tokens at $1e9 each is 1.3e16 µ$, past Number.MAX_SAFE_INTEGER: clamped to it.
    const charged = await until(
      () => spent(gw, KEYS.pricey),
      (s) => s > 0,
      'the charge',
    )
    expect(charged).toBe(Number.MAX_SAFE_INTEGER / 1e6)
  })
})

describe.skipIf(!hasRedis)('money across two gateways on one Redis (compiled binary)', () => {
  let a: CrabllmProcess
  let b: CrabllmProcess
  beforeAll(async () => {
    const storage = `[storage]\nkind = "redis"\npath = "${REDIS_URL}"\nprefix = "${prefix}shared:"`
    ;[a, b] = await Promise.all([start('shared-a', storage), start('shared-b', storage)])
  })
  afterAll(() => stop(a, b))

  test(`${CONCURRENT} concurrent requests split over both, budget good for 10: at most 10 (+1 per gateway)`, async () => {
    const { served, refusals } = await burst([a, b], KEYS.ten)
    expect(served).toBeGreaterThanOrEqual(10)
    expect(served).toBeLessThanOrEqual(12)
    expect(new Set(refusals)).toEqual(new Set(['429 budget_exceeded']))
  })

  test(
    `${CONCURRENT} concurrent requests split over both, tokens_per_minute good for 10: at most 10 (+1 per gateway)`,
    async () => {
      await inOneMinute() // token windows are fixed minutes: the burst falls in one
      const { served } = await burst([a, b], KEYS.tpm)
      expect(served).toBeGreaterThanOrEqual(10)
      expect(served).toBeLessThanOrEqual(12)
    },
    IN_ONE_MINUTE_TIMEOUT_MS,
  )
})
