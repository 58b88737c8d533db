// Bad input gets a clear 4xx in OpenAI's error shape that names the field; nothing reaches the
// upstream and nothing is logged as an unexpected error.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { jsonOf, provider, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'

let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(
    `max_body_size = 4096\n${provider('up', mock.url, ['gpt-4o-mini', 'text-embedding-3-small'])}`,
  )
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
})

const post = (
  path: string,
  body: string | Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) => gw.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })

describe.each(['/v1/chat/completions', '/v1/embeddings'])('%s', (path) => {
  test.each([
    ['malformed JSON', '{"model": "gpt-4o-mini",', 'invalid_json', null, /JSON/],
    ['an empty body', '', 'invalid_json', null, /empty/],
    ['a JSON array', '[1,2]', 'invalid_json', null, /JSON object/],
    ['a JSON string', '"hello"', 'invalid_json', null, /JSON object/],
    ['missing model', '{"messages":[]}', 'missing_required_parameter', 'model', /'model'/],
    ['a numeric model', '{"model":42}', 'invalid_type', 'model', /expected a string, but got a number/],
    ['an object model', '{"model":{"id":"x"}}', 'invalid_type', 'model', /got an object/],
    ['an empty model', '{"model":""}', 'invalid_value', 'model', /empty/],
    ['a string stream flag', '{"model":"gpt-4o-mini","stream":"yes"}', 'invalid_type', 'stream', /'stream'.*boolean/],
  ])('%s is a 400', async (_, raw, code, param, message) => {
    const before = mock.requests.length
    const res = await post(path, raw)
    expect(res.status).toBe(400)
    const { error } = await jsonOf(res)
    expect(error.type).toBe('invalid_request_error')
    expect(error.code).toBe(code)
    expect(error.param).toBe(param)
    expect(error.message).toMatch(message)
    expect(mock.requests.length).toBe(before)
  })

  test('invalid UTF-8 is a 400', async () => {
    const res = await post(path, new Uint8Array([0x7b, 0x22, 0x6d, 0xff, 0xfe, 0x22, 0x7d]))
    expect(res.status).toBe(400)
    expect((await jsonOf(res)).error.message).toMatch(/UTF-8/)
  })

  test('a body over max_body_size is a 413 naming the limit', async () => {
    const raw = JSON.stringify({ model: 'gpt-4o-mini', input: 'x'.repeat(5000) })
    const res = await post(path, raw)
    expect(res.status).toBe(413)
    const { error } = await jsonOf(res)
    expect(error.code).toBe('request_too_large')
    expect(error.message).toContain('4096')
  })

  test('a chunked body over the limit is a 413 too', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024))
    let sent = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ === 0) controller.enqueue(new TextEncoder().encode('{"model":"gpt-4o-mini","input":"'))
        else if (sent < 10) controller.enqueue(chunk)
        else {
          controller.enqueue(new TextEncoder().encode('"}'))
          controller.close()
        }
      },
    })
    const res = await post(path, body)
    expect(res.status).toBe(413)
  })

  test('an unknown model is a 404 naming it', async () => {
    const res = await post(path, '{"model":"gpt-17","input":"x","messages":[]}')
    expect(res.status).toBe(404)
    const { error } = await jsonOf(res)
    expect(error.code).toBe('model_not_found')
    expect(error.message).toContain("'gpt-17'")
  })

  test('GET is a 405 with Allow', async () => {
    const res = await gw.fetch(path)
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toContain('POST')
    expect((await jsonOf(res)).error.type).toBe('invalid_request_error')
  })
})

test('an unknown route is a 404 in OpenAI shape', async () => {
  const res = await gw.fetch('/v1/nope', { method: 'POST', body: '{}' })
  expect(res.status).toBe(404)
  const { error } = await jsonOf(res)
  expect(error.message).toContain('/v1/nope')
})

test('the gateway keeps serving after all that', async () => {
  expect((await post('/v1/chat/completions', '{"model":"gpt-4o-mini","messages":[]}')).status).toBe(200)
  expect((await gw.fetch('/health')).status).toBe(200)
})

test('no unexpected errors were logged', () => {
  expect(gw.errors()).toEqual([])
})
