// A call a provider refuses before any fetch (input its kind cannot translate) is the gateway's 400,
// not an upstream's: on every translating path (anthropic, google, bedrock, and /v1/messages through
// chat) it makes no upstream call, no attempt in /metrics, no retry and no breaker event; the access
// line names the refusal's code and no provider, and crabllm_rejections_total counts it. Regression
// (issue [1/6]): it used to be booked as an upstream http_4xx attempt with error=upstream_error and
// counted as a breaker success.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { jsonOf, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'

let mock: MockUpstream
let gw: TestGateway

const common = 'max_retries = 2\ncooldown_failures = 10\ncooldown_seconds = 30'

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(`
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-x"
base_url = "${mock.url}/v1"
models = ["claude-x"]
${common}

[providers.gem]
kind = "google"
api_key = "g-key"
base_url = "${mock.url}/v1beta"
models = ["gemini-x"]
${common}

[providers.rock]
kind = "bedrock"
region = "us-east-1"
access_key = "AKIAEXAMPLE"
secret_key = "secret-example"
base_url = "${mock.url}"
models = ["rock-x"]
${common}

[providers.oai]
kind = "openai"
api_key = "sk-oai"
base_url = "${mock.url}/v1"
models = ["gpt-x"]
${common}
`)
})

afterAll(async () => {
  await gw?.[Symbol.asyncDispose]()
  await mock?.close()
})

const wizard = (model: string) => ({ model, messages: [{ role: 'wizard', content: 'hi' }] })

describe.each([
  ['anthropic, chat', 'claude', '/v1/chat/completions', wizard('claude-x'), 'messages[0].role'],
  ['google, chat', 'gem', '/v1/chat/completions', wizard('gemini-x'), 'messages[0].role'],
  ['bedrock, chat', 'rock', '/v1/chat/completions', wizard('rock-x'), 'messages[0].role'],
  [
    'openai, /v1/messages through chat',
    'oai',
    '/v1/messages',
    { model: 'gpt-x', max_tokens: 10, messages: [{ role: 'wizard', content: 'hi' }] },
    'messages.0.role',
  ],
])('a translation 400 (%s)', (_name, provider, path, body, param) => {
  test('is answered at once, with no upstream call, no attempt, no retry and no breaker event', async () => {
    const breaker = gw.ctx.registry.breakers.get(provider)!
    // Two failed attempts first: a refusal booked as a breaker success would reset this count to 0.
    mock.enqueue({ status: 503, body: 'down' }, { status: 503, body: 'down' }, { status: 503, body: 'down' })
    const failing = await gw.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, messages: [{ role: 'user', content: 'x' }] }),
    })
    expect(failing.status).toBe(503)
    const failures = breaker.failures
    expect(failures).toBeGreaterThan(0)
    const calls = mock.requests.length
    const attemptsBefore = attemptLines(await metrics())

    const res = await gw.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': `refusal-${provider}` },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(400)
    const error = await jsonOf(res)
    if (path === '/v1/messages')
      expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } })
    else expect(error.error).toMatchObject({ type: 'invalid_request_error', param })
    expect(JSON.stringify(error)).toContain(param)

    expect(mock.requests.length).toBe(calls)
    expect(breaker.failures).toBe(failures)
    const text = await metrics()
    expect(attemptLines(text)).toEqual(attemptsBefore)
    expect(text).toMatch(/crabllm_rejections_total\{reason="bad_request"\} [1-9]/)
    const line = gw
      .logs()
      .map((l) => JSON.parse(l))
      .find((l) => l.request_id === `refusal-${provider}` && l.msg === 'request')
    expect(line).toMatchObject({ status: 400, error: expect.not.stringMatching(/^upstream_error$/) })
    expect(line.provider).toBeUndefined()
    expect(line.attempts).toBeUndefined()
  })
})

async function metrics(): Promise<string> {
  return (await gw.fetch('/metrics')).text()
}

/** The crabllm_upstream_attempts_total lines, sorted. */
function attemptLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('crabllm_upstream_attempts_total{'))
    .sort()
}
