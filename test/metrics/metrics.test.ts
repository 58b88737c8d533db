// GET /metrics through the real gateway: after a known sequence of requests (chats, streams, an upstream
// 400, a retry, a fallback, a cache hit, a rate-limit 429, a 401, an unknown model, embeddings and
// /v1/messages) every crabllm_* counter equals what was sent; histograms count every request; the
// in-flight and open-stream gauges follow a held stream; tokens and cost follow the mock's usage;
// metrics_token protection; `metrics = false`; two gateways never share counters.
import { describe, expect, test } from 'bun:test'
import {
  GatewayError,
  invalidApiKey,
  modelNotAllowed,
  modelNotFound,
  requestTooLarge,
  upstreamTimeout,
  upstreamUnreachable,
} from '../../src/core/errors'
import { UpstreamHttpError } from '../../src/core/upstream-error'
import { attemptOutcome } from '../../src/metrics/observer'
import { earlyRefusal, extensionRefusal } from '../../src/metrics/refusals'
import { ClientClosedError } from '../../src/routing/dispatch'
import { provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, closedPort, openAiError, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-metrics-team-0123456789abcdef'
const LIMITED = 'sk-metrics-limited-0123456789abcdef'
const ADMIN = 'admin-token-metrics-0123456789'
const METRICS_TOKEN = 'metrics-token-0123456789abcdef'

// --- a small parser for the Prometheus text exposition format (version 0.0.4) ---

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c))
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

class Scrape {
  constructor(readonly samples: Sample[]) {}
  /** Every series of `name` as "k=v,k=v" (label order as listed) → value. */
  series(name: string, labelOrder: string[]): Record<string, number> {
    const out: Record<string, number> = {}
    for (const s of this.samples)
      if (s.name === name) out[labelOrder.map((k) => `${k}=${s.labels[k]}`).join(',')] = s.value
    return out
  }
  /** The one series of `name` whose labels include `match`; undefined when absent. */
  value(name: string, match: Record<string, string> = {}): number | undefined {
    const found = this.samples.filter(
      (s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v),
    )
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(match)} matches ${found.length} series`)
    return found[0]?.value
  }
  has(name: string): boolean {
    return this.samples.some((s) => s.name === name)
  }
}

async function scrape(gw: TestGateway, token?: string): Promise<Scrape> {
  const res = await gw.fetch('/metrics', token ? { headers: { authorization: `Bearer ${token}` } } : undefined)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return new Scrape(parseExposition(await res.text()))
}

const post = (gw: TestGateway, path: string, body: unknown, key = KEY) =>
  gw.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  })

// --- the known sequence ---

describe('GET /metrics after a known sequence of requests', () => {
  test('every counter equals what was sent', async () => {
    await using a = await startMockUpstream()
    await using b = await startMockUpstream()
    const down = await closedPort()
    await using gw = await startGateway(
      `
admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${KEY}"
[[keys]]
name = "limited"
key = "${LIMITED}"
rate_limit = { requests_per_minute = 1 }
${provider('a', a.url, ['gpt-4o-mini', 'text-embedding-3-small'], 'max_retries = 1')}
${provider('down', `http://127.0.0.1:${down}`, ['fb'], 'weight = 10\nmax_retries = 0')}
${provider('b', b.url, ['fb'])}
[models.gpt-4o-mini]
prompt_cost_per_million = 1.0
completion_cost_per_million = 2.0
[extensions.rate_limit]
requests_per_minute = 100000
[extensions.cache]
ttl_seconds = 300
`,
      // random 0: the heaviest deployment ("down") is tried first, so "fb" falls back to "b".
      { dispatch: { random: () => 0 } },
    )
    let n = 0
    /** A chat no other request in this test sends (so that only the deliberate repeat hits the cache). */
    const ask = (extra: Record<string, unknown> = {}) => ({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `question ${++n}` }],
      ...extra,
    })

    // 3 chats answered (usage 9 + 4 each, from the mock's canned completion).
    const first = ask()
    for (const body of [first, ask(), ask()]) expect((await post(gw, '/v1/chat/completions', body)).status).toBe(200)
    // 2 streams with a usage chunk (9 + 3), which the gateway asked for and hides from the client.
    for (let i = 0; i < 2; i++) {
      a.enqueue({ sse: chatChunks(['x', 'y', 'z'], 'gpt-4o-mini', true) })
      const frames = await readSse(await post(gw, '/v1/chat/completions', ask({ stream: true })))
      expect(frames.at(-1)).toBe('[DONE]')
      expect(frames.some((f) => f.includes('"usage"'))).toBe(false)
    }
    expect(a.requests.at(-1)!.json().stream_options).toEqual({ include_usage: true })
    // An upstream 400, relayed.
    a.enqueue(openAiError(400, 'bad request upstream'))
    expect((await post(gw, '/v1/chat/completions', ask())).status).toBe(400)
    // A 503, retried on the same deployment, then answered.
    a.enqueue(openAiError(503, 'busy', 'server_error'))
    expect((await post(gw, '/v1/chat/completions', ask())).status).toBe(200)
    // "fb": "down" refuses the connection, "b" answers.
    expect((await post(gw, '/v1/chat/completions', { ...ask(), model: 'fb' })).status).toBe(200)
    // The first chat again, once its cache write has landed: a hit.
    await gw.ctx.pipeline.flush()
    const hit = await post(gw, '/v1/chat/completions', first)
    expect(hit.headers.get('x-crabllm-cache')).toBe('hit')
    await hit.text()
    // "limited" may send 1 request a minute: the second in one window is refused. Three requests in a
    // row always put two in one window, so count what came back rather than assume no minute turned.
    let limitedOk = 0
    for (let i = 0; i < 3; i++) {
      const res = await post(gw, '/v1/chat/completions', ask(), LIMITED)
      await res.text()
      if (res.status === 429) break
      expect(res.status).toBe(200)
      limitedOk++
    }
    expect(limitedOk === 1 || limitedOk === 2).toBe(true)
    // Refused before the pipeline: a wrong key, an unknown model.
    expect((await post(gw, '/v1/chat/completions', ask(), 'sk-wrong-0123456789abcdef')).status).toBe(401)
    expect((await post(gw, '/v1/chat/completions', { ...ask(), model: 'no-such-model' })).status).toBe(404)
    // The other surfaces.
    expect((await post(gw, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' })).status).toBe(200)
    const message = await post(gw, '/v1/messages', {
      model: 'gpt-4o-mini',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hello' }],
    })
    expect(message.status).toBe(200)
    await message.text()

    const m = await scrape(gw)
    const okChats = 3 + 2 + 1 + limitedOk // plain, streams, retried, limited key's
    expect(m.series('crabllm_requests_total', ['route', 'model', 'provider', 'status_class'])).toEqual({
      'route=chat,model=gpt-4o-mini,provider=a,status_class=2xx': okChats,
      'route=chat,model=gpt-4o-mini,provider=a,status_class=4xx': 1,
      'route=chat,model=fb,provider=b,status_class=2xx': 1,
      'route=chat,model=gpt-4o-mini,provider=cache,status_class=2xx': 1,
      // The limited key's 429 comes before its body is read (the request rate): no model is known yet.
      'route=chat,model=unknown,provider=none,status_class=4xx': 3,
      'route=embeddings,model=text-embedding-3-small,provider=a,status_class=2xx': 1,
      'route=messages,model=gpt-4o-mini,provider=a,status_class=2xx': 1,
    })
    // One duration observation per request, whatever its status.
    expect(m.series('crabllm_request_duration_seconds_count', ['route', 'model', 'provider'])).toEqual({
      'route=chat,model=gpt-4o-mini,provider=a': okChats + 1,
      'route=chat,model=fb,provider=b': 1,
      'route=chat,model=gpt-4o-mini,provider=cache': 1,
      'route=chat,model=unknown,provider=none': 3,
      'route=embeddings,model=text-embedding-3-small,provider=a': 1,
      'route=messages,model=gpt-4o-mini,provider=a': 1,
    })
    expect(
      m.value('crabllm_request_duration_seconds_bucket', { route: 'chat', model: 'fb', provider: 'b', le: '+Inf' }),
    ).toBe(1)
    expect(m.series('crabllm_stream_first_byte_seconds_count', ['route', 'model', 'provider'])).toEqual({
      'route=chat,model=gpt-4o-mini,provider=a': 2,
    })
    expect(m.series('crabllm_upstream_attempts_total', ['provider', 'outcome'])).toEqual({
      'provider=a,outcome=ok': okChats + 2, // + embeddings, messages
      'provider=a,outcome=http_4xx': 1,
      'provider=a,outcome=http_5xx': 1,
      'provider=down,outcome=unreachable': 1,
      'provider=b,outcome=ok': 1,
    })
    expect(m.series('crabllm_retries_total', ['provider'])).toEqual({ 'provider=a': 1 })
    expect(m.series('crabllm_fallbacks_total', ['model'])).toEqual({ 'model=fb': 1 })
    const chatAnswers = okChats - 2 + 1 // JSON answers on gpt-4o-mini: 9 + 4 each; messages too
    expect(m.series('crabllm_tokens_total', ['model', 'provider', 'kind'])).toEqual({
      'model=gpt-4o-mini,provider=a,kind=prompt': 9 * chatAnswers + 9 * 2,
      'model=gpt-4o-mini,provider=a,kind=completion': 4 * chatAnswers + 3 * 2,
      'model=fb,provider=b,kind=prompt': 9,
      'model=fb,provider=b,kind=completion': 4,
      'model=text-embedding-3-small,provider=a,kind=prompt': 2,
      'model=text-embedding-3-small,provider=a,kind=completion': 0,
    })
    // $1 / $2 per million tokens: 9 + 8 µUSD per JSON answer, 9 + 6 per stream; the embedding at the
    // catalog's $0.02 per million (2 tokens: 0.04 µUSD, rounded up to 1); "fb" has no price.
    expect(Object.keys(m.series('crabllm_cost_usd_total', ['model']))).toEqual([
      'model=gpt-4o-mini',
      'model=text-embedding-3-small',
    ])
    expect(m.value('crabllm_cost_usd_total', { model: 'gpt-4o-mini' })).toBeCloseTo(
      (17 * chatAnswers + 15 * 2) / 1e6,
      12,
    )
    expect(m.value('crabllm_cost_usd_total', { model: 'text-embedding-3-small' })).toBeCloseTo(1 / 1e6, 12)
    // Never a silent 0: the answer "fb" gave is counted as unpriced.
    expect(m.series('crabllm_unpriced_answers_total', ['model'])).toEqual({ 'model=fb': 1 })
    // Every chat that reached the cache lookup missed, except the repeat.
    expect(m.series('crabllm_cache_events_total', ['result'])).toEqual({
      'result=hit': 1,
      'result=miss': okChats + 1 + 1,
    })
    expect(m.series('crabllm_rejections_total', ['reason'])).toEqual({
      'reason=rate_limit': 1,
      'reason=auth': 1,
      'reason=model_not_found': 1,
    })
    expect(m.value('crabllm_in_flight_requests')).toBe(0)
    expect(m.value('crabllm_open_streams')).toBe(0)
    // No request id, key name or secret in any label value.
    for (const s of m.samples)
      for (const v of Object.values(s.labels)) expect(v).not.toMatch(/team|limited|sk-|admin-token|question/)
    expect(gw.errors()).toEqual([])
  })

  test('a stream counts as in flight and open until it ends, not when its answer starts', async () => {
    await using up = await startMockUpstream()
    await using gw = await startGateway(
      `[[keys]]\nname = "team"\nkey = "${KEY}"\n${provider('up', up.url, ['gpt-4o-mini'])}`,
    )
    const release = Promise.withResolvers<void>()
    up.enqueue({ sse: chatChunks(['a', 'b'], 'gpt-4o-mini', true), holdFrames: release.promise, holdFramesAfter: 1 })
    const res = await post(gw, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [], stream: true })
    const reader = res.body!.getReader()
    expect((await reader.read()).done).toBe(false)

    const during = await scrape(gw)
    expect(during.value('crabllm_in_flight_requests')).toBe(1)
    expect(during.value('crabllm_open_streams')).toBe(1)
    expect(
      during.value('crabllm_stream_first_byte_seconds_count', { route: 'chat', model: 'gpt-4o-mini', provider: 'up' }),
    ).toBe(1)
    expect(during.has('crabllm_requests_total')).toBe(false) // counted when it ends

    release.resolve()
    while (!(await reader.read()).done) {}
    const after = await scrape(gw)
    expect(after.value('crabllm_in_flight_requests')).toBe(0)
    expect(after.value('crabllm_open_streams')).toBe(0)
    expect(after.value('crabllm_requests_total', { route: 'chat', provider: 'up', status_class: '2xx' })).toBe(1)
    expect(after.value('crabllm_tokens_total', { kind: 'completion' })).toBe(2)
    expect(gw.errors()).toEqual([])
  })
})

describe('GET /metrics', () => {
  test('exports the process metrics prom-client collects, without the ones Bun cannot fill', async () => {
    await using gw = await startGateway('')
    const m = await scrape(gw)
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect(m.value(name)).toBeGreaterThan(0)
    expect(m.has('nodejs_eventloop_lag_min_seconds')).toBe(false)
    expect(m.has('nodejs_heap_space_size_used_bytes')).toBe(false)
  })

  test('two gateways in one process keep their own counters', async () => {
    await using up = await startMockUpstream()
    await using one = await startGateway(provider('up', up.url, ['m']))
    await using two = await startGateway(provider('up', up.url, ['m']))
    expect((await one.chat({ model: 'm', messages: [] })).status).toBe(200)
    expect((await scrape(one)).value('crabllm_requests_total', { model: 'm' })).toBe(1)
    expect((await scrape(two)).has('crabllm_requests_total')).toBe(false)
  })

  test('with metrics_token: that token or the admin token, else 401', async () => {
    await using gw = await startGateway(
      `admin_token = "${ADMIN}"\nmetrics_token = "${METRICS_TOKEN}"\n[[keys]]\nname = "team"\nkey = "${KEY}"\n`,
    )
    const status = async (headers?: Record<string, string>) => (await gw.fetch('/metrics', { headers })).status
    const missing = await gw.fetch('/metrics')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer')
    expect((await missing.json()) as unknown).toMatchObject({
      error: { type: 'authentication_error', code: 'missing_api_key' },
    })
    expect(await status({ authorization: `Bearer ${KEY}` })).toBe(401)
    expect(await status({ authorization: 'Bearer metrics-token-0123456789abcdeX' })).toBe(401)
    expect(await status({ authorization: `Bearer ${METRICS_TOKEN}` })).toBe(200)
    expect(await status({ 'x-api-key': METRICS_TOKEN })).toBe(200)
    expect(await status({ authorization: `Bearer ${ADMIN}` })).toBe(200)
  })

  test('without metrics_token it is open, even with an admin token', async () => {
    await using gw = await startGateway(`admin_token = "${ADMIN}"\n`)
    expect((await gw.fetch('/metrics')).status).toBe(200)
  })

  test('metrics = false: no route, no metrics, and no pipeline at all', async () => {
    await using up = await startMockUpstream()
    await using gw = await startGateway(`metrics = false\n${provider('up', up.url, ['m'])}`)
    const res = await gw.fetch('/metrics')
    expect(res.status).toBe(404)
    expect((await res.json()) as unknown).toMatchObject({ error: { code: 'not_found' } })
    expect(gw.ctx.metrics).toBeUndefined()
    expect(gw.ctx.pipeline.active).toBe(false)
    expect(gw.ctx.dispatch.observer).toBeUndefined()
    const raw = '{"model":"m","messages":[],"stream":true}'
    await (await gw.chat(raw)).text()
    expect(up.requests[0]!.text()).toBe(raw) // not re-serialised to ask for usage
  })

  test('metrics on by default: first in the pipeline', async () => {
    await using gw = await startGateway('[extensions.usage]\n')
    expect(gw.ctx.pipeline.names).toEqual(['metrics', 'usage'])
    expect(gw.ctx.pipeline.active).toBe(true)
  })
})

// --- pure parts ---

describe('label values from errors', () => {
  test.each([
    ['no key', invalidApiKey(), 'auth'],
    ['forbidden model', modelNotAllowed('m'), 'forbidden'],
    ['unknown model', modelNotFound('m'), 'model_not_found'],
    ['body too large', requestTooLarge(1024), 'too_large'],
    ['rate limit', new GatewayError(429, 'requests', 'rate_limit_exceeded', 'slow down'), 'rate_limit'],
    ['budget', new GatewayError(402, 'insufficient_quota', 'budget_exceeded', 'spent'), 'budget'],
    ['a bug', new GatewayError(500, 'server_error', 'internal_error', 'oops'), 'other'],
  ])('refused before the pipeline: %s', (_, error, reason) => {
    expect(earlyRefusal(error)).toBe(reason)
  })

  test('only rate_limit and budget count as refusals inside the pipeline', () => {
    expect(extensionRefusal(new GatewayError(429, 'requests', 'rate_limit_exceeded', 'x'))).toBe('rate_limit')
    expect(extensionRefusal(new GatewayError(402, 'insufficient_quota', 'budget_exceeded', 'x'))).toBe('budget')
    expect(extensionRefusal(upstreamTimeout('p', 10))).toBeUndefined()
    expect(
      extensionRefusal(new UpstreamHttpError('p', 429, new Uint8Array(), 'application/json', undefined)),
    ).toBeUndefined()
  })

  test.each([
    ['a 429', new UpstreamHttpError('p', 429, new Uint8Array(), 'application/json', undefined), 'http_429'],
    ['a 400', new UpstreamHttpError('p', 400, new Uint8Array(), 'application/json', undefined), 'http_4xx'],
    ['a 529', new UpstreamHttpError('p', 529, new Uint8Array(), 'application/json', undefined), 'http_5xx'],
    ['a timeout', upstreamTimeout('p', 10), 'timeout'],
    ['a refused connection', upstreamUnreachable('p', new Error('ECONNREFUSED')), 'unreachable'],
    ['a client that left', new ClientClosedError(), 'client_closed'],
  ])('attempt outcome of %s', (_, error, outcome) => {
    expect(attemptOutcome(error)).toBe(outcome)
  })
})
