// /metrics served by the compiled binary: counters follow the requests it relayed, and metrics_token
// protects the endpoint.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CrabllmProcess, spawnCrabllm } from '../support/binary'

const KEY = 'sk-e2e-metrics-0123456789abcdefgh'
const METRICS_TOKEN = 'metrics-token-0123456789abcdef'
let dir: string
let gw: CrabllmProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crabllm-metrics-'))
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `listen = "127.0.0.1:0"\nmetrics_token = "${METRICS_TOKEN}"\n[[keys]]\nname = "e2e"\nkey = "${KEY}"\n[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n`,
  )
  gw = spawnCrabllm(['serve'], { cwd: dir })
  await gw.ready()
})
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]()
  rmSync(dir, { recursive: true, force: true })
})

test('counters follow the relayed requests; the token is required', async () => {
  const chat = (stream: boolean) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'echo', stream, messages: [{ role: 'user', content: 'count me' }] }),
    }).then((r) => r.text())
  await chat(false)
  await chat(false)
  await chat(true)
  expect((await fetch(`${gw.url}/metrics`)).status).toBe(401)
  const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/plain')
  const text = await res.text()
  const series = (name: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
  expect(series('crabllm_requests_total')).toBe(3)
  expect(series('crabllm_tokens_total')).toBeGreaterThan(0)
  expect(series('crabllm_open_streams')).toBe(0)
  expect(text).toContain('process_cpu_user_seconds_total')
  expect(text).not.toContain(KEY)
})
