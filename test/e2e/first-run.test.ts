// The first run, as a new user makes it with the compiled binary: `crabllm init && crabllm serve` (the
// starter config as written, SQLite beside it, usage, budget and audit on), three requests to the
// built-in echo model with the default key, then `crabllm usage`, `crabllm budget`, `crabllm logs` and
// the dashboard's overview (its API here; the page itself in chromium, screenshot in docs/ui/) all
// show them. Nothing is edited between the commands.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type CrabllmProcess, runCrabllm, spawnCrabllm } from '../support/binary'

const CHROMIUM = process.env.CRABLLM_CHROMIUM ?? '/usr/bin/chromium'
const SCREENSHOT = resolve(import.meta.dir, '../../docs/ui/first-run.png')

let dir: string
let gw: CrabllmProcess
let admin: string
let key: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crabllm-first-run-'))
  const init = await runCrabllm(['init'], { cwd: dir })
  expect(init.code).toBe(0)
  const said = init.stdout + init.stderr
  admin = said.match(/admin token: (\S+)/)![1]!
  key = said.match(/default key: (\S+)/)![1]!
  // The starter listens on 127.0.0.1:5632; a test takes any free port instead.
  gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
  await gw.ready()
  const ask = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    gw.fetch(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })
  const chat = await ask('/v1/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'hello' }] })
  expect(chat.status).toBe(200)
  const stream = await ask('/v1/chat/completions', {
    model: 'echo',
    stream: true,
    messages: [{ role: 'user', content: 'stream me' }],
  })
  expect(stream.status).toBe(200)
  await stream.text()
  const messages = await ask(
    '/v1/messages',
    { model: 'echo', max_tokens: 32, messages: [{ role: 'user', content: 'and Anthropic' }] },
    { 'anthropic-version': '2023-06-01' },
  )
  expect(messages.status).toBe(200)
})

afterAll(async () => {
  await gw?.[Symbol.asyncDispose]()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const cli = (...args: string[]) => runCrabllm([...args, '--url', gw.url, '--token', admin, '--json'], { cwd: dir })

describe('after init, serve and three requests', () => {
  test('the starter config keeps its data in SQLite beside it', () => {
    expect(existsSync(join(dir, 'crabllm.toml'))).toBe(true)
    expect(existsSync(join(dir, 'crabllm.db'))).toBe(true)
  })

  test('crabllm usage shows the three requests of the default key', async () => {
    const out = await cli('usage')
    expect(out.code).toBe(0)
    const rows = JSON.parse(out.stdout) as { key: string; model: string; requests: number; total_tokens: number }[]
    const echo = rows.find((r) => r.key === 'default' && r.model === 'echo')!
    expect(echo.requests).toBe(3)
    expect(echo.total_tokens).toBeGreaterThan(0)
  })

  test('crabllm budget shows the key without a limit, its spend counted', async () => {
    const out = await cli('budget')
    expect(out.code).toBe(0)
    const rows = JSON.parse(out.stdout) as { key: string; budget_usd: number | null; spent_usd: number }[]
    expect(rows.find((r) => r.key === 'default')).toMatchObject({ budget_usd: null, spent_usd: 0 })
  })

  test('crabllm logs shows the three records, priced (echo costs nothing)', async () => {
    const out = await cli('logs')
    expect(out.code).toBe(0)
    const records = out.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: string; surface: string; status: number; cost_usd: number | null })
    expect(records.map((r) => r.surface).sort()).toEqual(['chat', 'chat', 'messages'])
    for (const r of records) expect(r).toMatchObject({ key: 'default', status: 200, cost_usd: 0 })
  })

  test("the dashboard's overview counts them", async () => {
    const res = await gw.fetch('/v1/admin/stats?window=1h', { headers: { authorization: `Bearer ${admin}` } })
    expect(res.status).toBe(200)
    const stats = (await res.json()) as { totals: { requests: number }; top_keys: { by_requests: { name: string }[] } }
    expect(stats.totals.requests).toBe(3)
    expect(stats.top_keys.by_requests[0]?.name).toBe('default')
  })

  test.skipIf(!existsSync(CHROMIUM))(
    'the overview page in chromium shows them (screenshot: docs/ui/first-run.png)',
    async () => {
      const { chromium } = await import('playwright-core')
      // As the dashboard test launches it: nothing that would call home (this machine refuses it anyway).
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      })
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
        await page.goto(`${gw.url}/ui`)
        await page.getByLabel('Admin token').fill(admin)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor()
        // The requests total is on the page (the number, not an empty state).
        await page.getByText('3', { exact: true }).first().waitFor()
        expect(await page.getByText(/is off/).count()).toBe(0)
        await page.screenshot({ path: SCREENSHOT, fullPage: true })
      } finally {
        await browser.close()
      }
    },
    30_000,
  )
})
