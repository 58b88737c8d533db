// Upstream connections are pooled: requests through the gateway reuse keep-alive connections instead
// of opening one per request, and the upstream's host name is resolved once (Bun's DNS cache, warmed
// when the registry is built), not per request.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dns } from 'bun'
import { startGateway, type TestGateway } from '../support/gateway'

const ANSWER = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
})

let upstream: Server
let connections = 0
let requests = 0
let gw: TestGateway

beforeAll(async () => {
  // node:http, so that each TCP connection the gateway opens is seen ('connection' event).
  upstream = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      requests++
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ANSWER) })
      res.end(ANSWER)
    })
  })
  upstream.on('connection', () => connections++)
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve))
  const port = (upstream.address() as AddressInfo).port
  // "localhost": a name to resolve, as a real upstream has.
  gw = await startGateway(
    `[providers.up]\nkind = "openai"\napi_key = "k"\nbase_url = "http://localhost:${port}/v1"\nmodels = ["m"]\n`,
  )
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  upstream.close()
})

const chat = () =>
  gw
    .chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
    .then(async (r) => [r.status, await r.text()] as const)

test('sequential requests share one upstream connection', async () => {
  const before = connections
  for (let i = 0; i < 30; i++) expect((await chat())[0]).toBe(200)
  expect(requests).toBeGreaterThanOrEqual(30)
  expect(connections - before).toBeLessThanOrEqual(1)
})

test('concurrent requests open at most one connection each in flight, then reuse them', async () => {
  const before = connections
  for (let round = 0; round < 10; round++) {
    const answers = await Promise.all(Array.from({ length: 5 }, chat))
    for (const [status] of answers) expect(status).toBe(200)
  }
  // 50 requests, at most 5 at once: a pool, not a connection per request.
  expect(connections - before).toBeLessThanOrEqual(5)
})

test('the upstream host name is not resolved again per request', async () => {
  await chat()
  const before = dns.getCacheStats()
  for (let i = 0; i < 20; i++) await chat()
  const after = dns.getCacheStats()
  expect(after.cacheMisses - before.cacheMisses).toBe(0)
})
