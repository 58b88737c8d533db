// Hostile upstreams against the compiled binary (issue [2/6], findings 2, 5, 6 and 10), one gateway in
// front of the fault upstream (test/support/fault-upstream.ts): redirects to another host (every kind,
// model discovery included) never followed, so the credentials and the prompt never leave; one 100 MB
// line and a stream of events that never end, cut at max_sse_event_size; a gzip bomb refused unread and
// an answer over max_answer_size cut as it arrives; an upstream error quoting the provider's key masked.
// While the hostile answers run, /health keeps answering and the gateway's memory stays flat.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CrabllmProcess, spawnCrabllm } from '../support/binary'
import { type FaultUpstream, type RedirectFault, startFaultUpstream } from '../support/fault-upstream'
import { jsonOf } from '../support/gateway'

const KEY = 'sk-e2e-hostile-0123456789abcdefghij'
const ADMIN = 'admin-token-hostile-0123456789'
const MiB = 1024 * 1024
const LINE = 100 * MiB
/** What the gateway's RSS may grow by while it handles one hostile answer. */
const RSS_BUDGET = 100 * MiB
/** max_answer_size here (the default is 64 MiB): holding up to it is allowed, so it stays under RSS_BUDGET. */
const ANSWER_LIMIT = 16 * MiB
/** A liveness probe's patience: see whileProbing. */
const HEALTH_BOUND_MS = 100

const KINDS = ['openai', 'anthropic', 'azure', 'google', 'bedrock'] as const
type Kind = (typeof KINDS)[number]
const REDIRECTS = [301, 302, 307, 308] as const

/** The secrets of the provider of `kind` behind redirect `status`: every one must stay with the gateway. */
function secretsOf(kind: Kind, status: number): Record<string, string> {
  if (kind === 'bedrock')
    return {
      access_key: `AKIAHOSTILE${status}EXAMPLE`,
      secret_key: `wJalrXUtnFEMI/K7MDENG/bPxRfiCY${status}HOSTILEKEY`,
      session_token: `FwoGZXIvYXdzEHostileSessionToken${status}abcdef`,
    }
  return { api_key: `sk-${kind}-redirect-${status}-0123456789abcdef` }
}

/** TOML for a provider of `kind` whose base URL is `base` (the fault's path prefix). */
function providerToml(name: string, kind: Kind, base: string, models: string[], secrets: Record<string, string>) {
  const lines = [`[providers.${name}]`, `kind = "${kind}"`, `models = ${JSON.stringify(models)}`]
  for (const [field, value] of Object.entries(secrets)) lines.push(`${field} = "${value}"`)
  if (kind === 'openai' || kind === 'anthropic') lines.push(`base_url = "${base}/v1"`)
  if (kind === 'azure') lines.push(`base_url = "${base}"`, 'api_version = "2024-10-21"')
  if (kind === 'google') lines.push(`base_url = "${base}/v1beta"`)
  if (kind === 'bedrock') lines.push(`base_url = "${base}"`, 'region = "us-east-1"')
  // Retries on: the tests show a redirect is not retried. Breakers off: each test starts from a closed one.
  lines.push('max_retries = 2', 'cooldown_failures = 0', 'timeout = 120', '')
  return lines.join('\n')
}

const ECHO_SECRET = 'sk-proj-echoed-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

let dir: string
let gw: CrabllmProcess
let faults: FaultUpstream

beforeAll(async () => {
  faults = await startFaultUpstream({ lineBytes: LINE, hugeBytes: 100 * MiB, bombBytes: 2048 * MiB })
  const h = (fault: string) => `${faults.http}/${fault}`
  const providers: string[] = []
  for (const kind of KINDS)
    for (const status of REDIRECTS)
      providers.push(
        providerToml(
          `${kind}_${status}`,
          kind,
          h(`redirect-${status}`),
          [`${kind}-${status}`],
          secretsOf(kind, status),
        ),
      )
  const key = { api_key: 'sk-hostile-0123456789abcdef' }
  providers.push(
    providerToml('long_line', 'openai', h('long-line'), ['long-line'], key),
    providerToml('long_line_claude', 'anthropic', h('long-line'), ['long-line-claude'], key),
    providerToml('partial', 'openai', h('partial-events'), ['partial-events'], key),
    providerToml('partial_claude', 'anthropic', h('partial-events'), ['partial-events-claude'], key),
    providerToml('bomb', 'openai', h('gzip-bomb'), ['gzip-bomb'], key),
    providerToml('bomb_claude', 'anthropic', h('gzip-bomb'), ['gzip-bomb-claude'], key),
    providerToml('huge', 'openai', h('huge-json'), ['huge-json'], key),
    providerToml('echo_key', 'openai', h('echo-key'), ['echo-key'], { api_key: ECHO_SECRET }),
    providerToml('echo_key_claude', 'anthropic', h('echo-key'), ['echo-key-claude'], { api_key: ECHO_SECRET }),
    providerToml('healthy', 'openai', h('ok'), ['ok'], key),
  )
  dir = mkdtempSync(join(tmpdir(), 'crabllm-e2e-hostile-'))
  writeFileSync(
    join(dir, 'crabllm.toml'),
    [
      'listen = "127.0.0.1:0"',
      `admin_token = "${ADMIN}"`,
      `max_answer_size = ${ANSWER_LIMIT}`,
      '[[keys]]',
      'name = "hostile"',
      `key = "${KEY}"`,
      '',
      ...providers,
    ].join('\n'),
  )
  gw = spawnCrabllm(['serve'], { cwd: dir })
  await gw.ready()
})

afterAll(async () => {
  await gw?.[Symbol.asyncDispose]()
  await faults?.close()
  rmSync(dir, { recursive: true, force: true })
})

// After every hostile answer: still up, still serving, nothing followed to the catcher, no gateway bug.
afterEach(async () => {
  expect(gw.proc.exitCode).toBeNull()
  const res = await chat('ok')
  expect(res.status).toBe(200)
  expect((await jsonOf(res)).choices[0].message.content).toBe('Hello from upstream')
  expect(faults.caught()).toEqual([])
  expect(gw.stderr()).not.toContain('unexpected error')
})

const chat = (model: string, stream = false, prompt = 'hi') =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: prompt }] }),
  })

/** Resident memory of the gateway process in bytes (VmRSS). */
function rss(): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${gw.proc.pid}/status`, 'utf8'))?.[1]
  return Number(kb) * 1024
}

/**
 * Runs `work` while probing /health back to back, the gateway's RSS read after each probe. The one
 * explicit timing in this file, kept on purpose: these upstreams used to stall the gateway's event loop
 * (/health took seconds), and what the issue asks is that a liveness probe, which gives up after about
 * 100 ms, keeps getting its answer. It bounds a probe's patience; it is not a speed claim.
 */
async function whileProbing<T>(work: Promise<T>) {
  let done = false
  const settled = work.finally(() => {
    done = true
  })
  let worstMs = 0
  let probes = 0
  let peakRss = rss()
  do {
    const started = performance.now()
    const res = await gw.fetch('/health')
    await res.arrayBuffer()
    worstMs = Math.max(worstMs, performance.now() - started)
    probes++
    expect(res.status).toBe(200)
    peakRss = Math.max(peakRss, rss())
  } while (!done)
  const result = await settled
  return { result, worstMs, probes, peakRss: Math.max(peakRss, rss()) }
}

/** The `data:` payloads of an SSE body, in order. */
function dataOf(text: string): string[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((frame) =>
      frame
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n'),
    )
    .filter((d) => d !== '')
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status)
  const body = await jsonOf(res)
  expect(body.error).toMatchObject({ type: 'server_error', code })
  return body.error as { message: string }
}

// --- finding 2: redirects ---

describe('an upstream that redirects to another host', () => {
  const cases = KINDS.flatMap((kind) => REDIRECTS.map((status) => [kind, status] as const))

  test.each(cases)(
    '%s, HTTP %i: 502 upstream_redirect; neither the credentials nor the prompt leave',
    async (kind, status) => {
      const fault: RedirectFault = `redirect-${status}`
      const before = faults.hits(fault)
      const prompt = `a prompt for ${kind} that must not leave`
      const error = await expectError(await chat(`${kind}-${status}`, false, prompt), 502, 'upstream_redirect')
      // Named by its host only: the Location's path and query (a key can be there) are not repeated.
      expect(error.message).toContain(`redirect to host ${new URL(faults.catcher).host}`)
      expect(error.message).not.toContain('stolen')
      expect(error.message).not.toContain('sk-in-the-location-query')
      // Asked once: a redirect is a configuration mistake, and asking again gets it again.
      expect(faults.hits(fault)).toBe(before + 1)
      // The other host never heard of it (afterEach checks the same for every test).
      expect(faults.caught()).toEqual([])
    },
  )

  test('a stream request (Anthropic on /v1/messages, passthrough): the 502 in Anthropic’s shape', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'anthropic-307',
        max_tokens: 16,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    })
    expect(res.status).toBe(502)
    const body = await jsonOf(res)
    expect(body.type).toBe('error')
    expect(body.error.type).toBe('api_error')
    expect(body.error.message).toContain('redirect')
  })

  test.each(
    (['openai', 'anthropic', 'google'] as const).flatMap((kind) => REDIRECTS.map((status) => [kind, status] as const)),
  )('model discovery (%s, HTTP %i) does not follow: 502, nothing stored, nothing sent on', async (kind, status) => {
    const fault: RedirectFault = `redirect-${status}`
    const before = faults.hits(fault)
    const base = `${faults.http}/${fault}${kind === 'google' ? '/v1beta' : '/v1'}`
    const name = `discovered_${kind}_${status}`
    const res = await gw.fetch('/v1/admin/providers', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, kind, api_key: `sk-discovery-${kind}-${status}-0123456789`, base_url: base }),
    })
    const error = await expectError(res, 502, 'upstream_redirect')
    expect(error.message).toContain(`Provider '${name}' could not list its models`)
    expect(faults.hits(fault)).toBe(before + 1)
    const stored = await gw.fetch(`/v1/admin/providers/${name}`, { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(stored.status).toBe(404)
  })
})

// --- finding 5: unbounded stream events ---

describe('stream events that never end', () => {
  test(`one ${LINE / MiB} MB line (passthrough): ended in-band at max_sse_event_size, upstream cancelled; /health and memory steady`, async () => {
    const idle = rss()
    const abandoned = faults.abandoned('long-line')
    const probe = await whileProbing(
      chat('long-line', true).then(async (res) => [res.status, await res.text()] as const),
    )
    const [status, text] = probe.result
    console.log(
      `long line: ${(faults.bytesOut('long-line') / MiB).toFixed(1)} MiB read upstream; /health worst ${probe.worstMs.toFixed(1)} ms over ${probe.probes} probes; RSS ${(idle / MiB).toFixed(0)} MiB idle, peak ${(probe.peakRss / MiB).toFixed(0)} MiB`,
    )
    expect(status).toBe(200)
    const data = dataOf(text)
    expect(data).toHaveLength(1) // nothing of the line went out: only the in-band error
    const { error } = JSON.parse(data[0]!)
    expect(error).toMatchObject({ type: 'server_error', code: 'upstream_stream_error' })
    expect(error.message).toContain('max_sse_event_size')
    await faults.waitAbandoned('long-line', abandoned + 1) // the upstream request was cancelled
    expect(faults.bytesOut('long-line')).toBeLessThan(LINE / 4)
    expect(probe.worstMs).toBeLessThan(HEALTH_BOUND_MS)
    expect(probe.peakRss - idle).toBeLessThan(RSS_BUDGET)
  }, 120_000)

  test('a stream of events that never end (passthrough): the same in-band end', async () => {
    const idle = rss()
    const abandoned = faults.abandoned('partial-events')
    const probe = await whileProbing(
      chat('partial-events', true).then(async (res) => [res.status, await res.text()] as const),
    )
    const [status, text] = probe.result
    expect(status).toBe(200)
    const data = dataOf(text)
    expect(JSON.parse(data.at(-1)!).error.message).toContain('max_sse_event_size')
    await faults.waitAbandoned('partial-events', abandoned + 1)
    expect(probe.worstMs).toBeLessThan(HEALTH_BOUND_MS)
    expect(probe.peakRss - idle).toBeLessThan(RSS_BUDGET)
  }, 120_000)

  test.each([
    ['long-line-claude', 'long-line'],
    ['partial-events-claude', 'partial-events'],
  ] as const)(
    '%s (translated): nothing came out before the limit, so a 502 upstream_event_too_large',
    async (model, fault) => {
      const idle = rss()
      const abandoned = faults.abandoned(fault)
      const probe = await whileProbing(chat(model, true))
      const error = await expectError(probe.result, 502, 'upstream_event_too_large')
      expect(error.message).toContain('max_sse_event_size')
      await faults.waitAbandoned(fault, abandoned + 1)
      expect(probe.worstMs).toBeLessThan(HEALTH_BOUND_MS)
      expect(probe.peakRss - idle).toBeLessThan(RSS_BUDGET)
    },
    120_000,
  )
})

// --- finding 6: compressed and oversized answers ---

describe('answers that would not fit', () => {
  test.each([
    ['gzip-bomb', 'passthrough'],
    ['gzip-bomb-claude', 'translated'],
  ])(
    'a gzip bomb (%s, %s): 502 upstream_unexpected_encoding, never inflated; /health and memory steady',
    async (model) => {
      const idle = rss()
      const probe = await whileProbing(chat(model))
      console.log(
        `gzip bomb (${model}): /health worst ${probe.worstMs.toFixed(1)} ms over ${probe.probes} probes; RSS ${(idle / MiB).toFixed(0)} MiB idle, peak ${(probe.peakRss / MiB).toFixed(0)} MiB`,
      )
      const error = await expectError(probe.result, 502, 'upstream_unexpected_encoding')
      expect(error.message).toContain('gzip')
      expect(probe.worstMs).toBeLessThan(HEALTH_BOUND_MS)
      expect(probe.peakRss - idle).toBeLessThan(RSS_BUDGET)
    },
    120_000,
  )

  test('an answer over max_answer_size (configured): 502 upstream_answer_too_large, read no further', async () => {
    const idle = rss()
    const abandoned = faults.abandoned('huge-json')
    const before = faults.hits('huge-json')
    const probe = await whileProbing(chat('huge-json'))
    console.log(
      `huge JSON: ${(faults.bytesOut('huge-json') / MiB).toFixed(1)} MiB read upstream; /health worst ${probe.worstMs.toFixed(1)} ms over ${probe.probes} probes; RSS ${(idle / MiB).toFixed(0)} MiB idle, peak ${(probe.peakRss / MiB).toFixed(0)} MiB`,
    )
    const error = await expectError(probe.result, 502, 'upstream_answer_too_large')
    expect(error.message).toContain(`over ${ANSWER_LIMIT} bytes (max_answer_size)`)
    await faults.waitAbandoned('huge-json', abandoned + 1)
    expect(faults.hits('huge-json')).toBe(before + 1) // not retried: it would be as large again
    expect(faults.bytesOut('huge-json')).toBeLessThan(2 * ANSWER_LIMIT)
    expect(probe.worstMs).toBeLessThan(HEALTH_BOUND_MS)
    expect(probe.peakRss - idle).toBeLessThan(RSS_BUDGET)
  }, 120_000)
})

// --- finding 10: the provider's key in an upstream error ---

describe("an upstream error quoting the provider's key", () => {
  test.each([
    ['echo-key', 'passthrough'],
    ['echo-key-claude', 'translated'],
  ])('%s (%s): relayed with the key masked', async (model) => {
    const res = await chat(model)
    expect(res.status).toBe(401)
    const text = await res.text()
    expect(text).not.toContain(ECHO_SECRET)
    expect(text).not.toContain(ECHO_SECRET.slice(4, -4))
    expect(JSON.parse(text).error.message).toContain('Incorrect API key provided: sk-…6789')
  })
})
