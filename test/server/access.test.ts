// x-request-id on every answer and one access line per request (probes at debug), relay routes or not.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startGateway, type TestGateway } from '../support/gateway'

const KEY = 'sk-access-test-0123456789abcdef'
let gw: TestGateway

beforeAll(async () => {
  gw = await startGateway(
    `admin_token = "admin-token-0123456789abc"\n[[keys]]\nname = "t"\nkey = "${KEY}"\n[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n`,
  )
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
})

const lines = () =>
  gw
    .logs()
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === 'request')
const auth = { authorization: `Bearer ${KEY}` }

test.each([
  ['GET', '/v1/models', auth, 200],
  ['GET', '/v1/models', {}, 401],
  ['GET', '/v1/nope', auth, 404],
  ['PUT', '/v1/models', auth, 405],
  ['GET', '/v1/admin/keys', auth, 401],
  ['POST', '/v1/chat/completions', auth, 200],
])('%s %s answers %i with a request id and logs one access line', async (method, path, headers, status) => {
  const before = lines().length
  const res = await gw.fetch(path, {
    method,
    headers,
    ...(method === 'POST' ? { body: '{"model":"echo","messages":[{"role":"user","content":"x"}]}' } : {}),
  })
  expect(res.status).toBe(status)
  const id = res.headers.get('x-request-id')
  expect(id).toMatch(/^[0-9a-f-]{36}$/)
  const added = lines().slice(before)
  expect(added).toHaveLength(1)
  expect(added[0]).toMatchObject({ level: 'info', request_id: id, method, path, status })
})

test("the client's x-request-id is kept on every route", async () => {
  const res = await gw.fetch('/v1/models', { headers: { ...auth, 'x-request-id': 'trace-abc.123' } })
  expect(res.headers.get('x-request-id')).toBe('trace-abc.123')
})

test('probes log at debug only (the harness logs at info, so nothing shows)', async () => {
  const before = lines().length
  const res = await gw.fetch('/health')
  expect(res.headers.get('x-request-id')).toBeTruthy()
  expect(lines().slice(before)).toEqual([])
})

test('the request id goes upstream as x-request-id', async () => {
  const { startMockUpstream } = await import('../support/mock-upstream')
  const { provider } = await import('../support/gateway')
  await using up = await startMockUpstream()
  await using g = await startGateway(provider('up', up.url, ['m']))
  const res = await g.chat({ model: 'm', messages: [] }, { headers: { 'x-request-id': 'join-me-42' } })
  expect(res.headers.get('x-request-id')).toBe('join-me-42')
  expect(up.requests[0]!.headers['x-request-id']).toBe('join-me-42')
  const generated = await g.chat({ model: 'm', messages: [] })
  expect(up.requests[1]!.headers['x-request-id']).toBe(generated.headers.get('x-request-id')!)
})
