// The dashboard in a real browser (Debian's chromium, driven by playwright-core) against the compiled
// binary, with audit, usage and budget on, a day of audit history seeded into its SQLite file and live
// traffic through the echo provider: the assets it serves are the bundle of src/ui/app; a wrong token is refused with a clear message; sign-in; the
// overview's charts and numbers; a key created (its secret shown once and copied), listed, used,
// edited and revoked; a provider created with its models filled from the upstream and deleted; the
// logs filtered, paged and opened; the pages at a phone's width; no console errors (CSP included).
// A screenshot of each page goes to .artifacts/ui/. Skipped, saying why, when chromium is missing
// (CI installs it: .ci/run).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { AUDIT_LOG, type AuditRecord } from '../../src/extensions/audit'
import { openStorage } from '../../src/storage'
import { bundleUi } from '../../src/ui'
import { type CrabllmProcess, spawnCrabllm } from '../support/binary'
import { closedPort } from '../support/mock-upstream'

/** Per test: a guard against a hung browser, not a timing assumption (each takes 0.3–2 s). */
const TIMEOUT_MS = 20_000
const CHROMIUM = process.env.CRABLLM_CHROMIUM ?? '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
if (!HAVE_CHROMIUM)
  console.warn(
    `test/ui/dashboard.test.ts: skipped, no chromium at ${CHROMIUM} (install it with \`apt-get install chromium\`, as .ci/run does, or set CRABLLM_CHROMIUM)`,
  )

const ARTIFACTS = resolve(import.meta.dir, '../../.artifacts/ui')

const ADMIN = 'admin-token-dashboard-0123456789abcdef'
const KEYS = {
  team: 'sk-dashboard-team-0123456789abcdefghijkl',
  'mobile-app': 'sk-dashboard-mobile-0123456789abcdefghij',
  'batch-jobs': 'sk-dashboard-batch-0123456789abcdefghijk',
  broke: 'sk-dashboard-broke-0123456789abcdefghijk',
} as const

/** The gateway's config; `deadPort` refuses connections (a provider that goes into cooldown). */
const config = (deadPort: number) => `listen = "127.0.0.1:0"
admin_token = "${ADMIN}"
${Object.entries(KEYS)
  .map(([name, key]) => `[[keys]]\nname = "${name}"\nkey = "${key}"\n`)
  .join('')}
[providers.local]
kind = "echo"
models = ["echo", "echo-large"]

[providers.backup]
kind = "openai"
base_url = "http://127.0.0.1:${deadPort}/v1"
api_key = "sk-upstream-backup-0123456789"
models = ["echo-backup"]
max_retries = 0
cooldown_failures = 1
cooldown_seconds = 900

[models.echo]
prompt_cost_per_million = 150.0
completion_cost_per_million = 600.0
[models.echo-large]
prompt_cost_per_million = 1500.0
completion_cost_per_million = 6000.0

[storage]
kind = "sqlite"
path = "crabllm.db"

[extensions.audit]
[extensions.usage]
[extensions.budget]
default_budget = 2
unpriced = "allow"          # echo-backup has no price: it fails upstream, not here
[extensions.budget.keys.broke]
budget = 0
`

describe.skipIf(!HAVE_CHROMIUM)('the dashboard in chromium, served by the compiled binary', () => {
  let dir: string
  let gw: CrabllmProcess
  let browser: BrowserContext
  let page: Page
  const problems: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crabllm-ui-'))
    writeFileSync(join(dir, 'crabllm.toml'), config(await closedPort()))
    await seedHistory(dir)
    gw = spawnCrabllm(['serve'], { cwd: dir })
    const [, launched] = await Promise.all([gw.ready(), launchChromium()])
    browser = launched
    await traffic(gw.url)
    mkdirSync(ARTIFACTS, { recursive: true })
    await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url })
    page = await browser.newPage()
    page.setDefaultTimeout(10_000)
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
    page.on('console', (message) => {
      // The wrong-token sign-in is a 401 the browser reports as a failed load: expected.
      if (
        message.type() === 'error' &&
        !/Failed to load resource: the server responded with a status of 401/.test(message.text())
      )
        problems.push(`console: ${message.text()}`)
    })
  })

  afterAll(async () => {
    await browser?.close()
    await gw?.[Symbol.asyncDispose]()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
  const heading = (name: string) => page.getByRole('heading', { name, level: 1 }).waitFor()
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(gw.url + path, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...init.headers } })

  test(
    'the page and its assets come from the binary: the bundle of src/ui/app, nothing else',
    async () => {
      const { script, style } = await bundleUi()
      const html = await (await fetch(`${gw.url}/ui`)).text()
      const links = [...html.matchAll(/\b(?:src|href)="(\/ui\/[^"]+)"/g)].map((m) => m[1]!)
      expect(links).toHaveLength(2)
      const served = await Promise.all(
        links.map(async (link) => new Uint8Array(await (await fetch(gw.url + link)).arrayBuffer())),
      )
      expect(served).toContainEqual(script)
      expect(served).toContainEqual(style)
    },
    TIMEOUT_MS,
  )

  test(
    'a wrong token is refused with a clear message; the admin token signs in',
    async () => {
      await page.goto(`${gw.url}/ui`)
      await heading('crabllm')
      await page.getByLabel('Admin token').fill('not-the-admin-token')
      await page.getByRole('button', { name: 'Sign in' }).click()
      const alert = page.getByRole('alert')
      await alert.getByText('Wrong admin token').waitFor()
      expect(await alert.textContent()).toContain('Use the admin_token from its config file')
      expect(await page.getByLabel('Admin token').getAttribute('aria-invalid')).toBe('true')
      await shot('login-wrong-token')

      await page.getByLabel('Admin token').fill(ADMIN)
      await page.keyboard.press('Enter')
      await heading('Overview')
      expect(await page.evaluate(() => sessionStorage.getItem('crabllm.admin_token'))).toBe(ADMIN)
      // A reload keeps the session (sessionStorage).
      await page.reload()
      await heading('Overview')
    },
    TIMEOUT_MS,
  )

  test(
    'the overview charts requests, errors, tokens, spend and latency, with top keys and models',
    async () => {
      await page.locator('figure.chart').first().waitFor()
      expect(await page.locator('figure.chart').count()).toBe(4)
      expect(await page.locator('figure.chart svg rect.bar').count()).toBeGreaterThan(0)
      const card = (label: string) =>
        page
          .locator('.card', { has: page.getByText(label, { exact: true }) })
          .locator('.card-value')
          .textContent()
      expect(Number((await card('Requests, last hour'))!.replace(/\D/g, ''))).toBeGreaterThan(20)
      expect(await card('In-flight requests')).toBe('0')
      expect(await card('Latency p99')).toMatch(/\d/)
      await page.getByRole('button', { name: 'Last 24 hours' }).click()
      await page.getByRole('heading', { name: 'Per 30 min, last 24 hours' }).waitFor()
      expect(await page.getByRole('button', { name: 'Last 24 hours' }).getAttribute('aria-pressed')).toBe('true')
      const top = page.getByRole('region', { name: 'Keys by requests' })
      await top.getByRole('rowheader', { name: 'team' }).waitFor()
      await page
        .getByRole('region', { name: 'Models by spend' })
        .getByRole('rowheader', { name: 'echo-large' })
        .waitFor()
      await shot('overview')
    },
    TIMEOUT_MS,
  )

  test(
    'keys: create one (the secret shown once, copied), see it listed and working, edit it, revoke it',
    async () => {
      await page.getByRole('link', { name: 'Keys' }).click()
      await heading('Keys')
      await page.getByRole('rowheader', { name: /^team/ }).waitFor()
      // Spend against budget, as a bar with its numbers.
      expect(await page.getByRole('meter').count()).toBeGreaterThan(0)

      await page.getByRole('button', { name: 'New key' }).click()
      const form = page.getByRole('dialog', { name: 'New key' })
      await form.getByLabel('Name').fill('ui-made')
      await form.getByLabel('Models').fill('echo')
      await form.getByLabel('Requests per minute').fill('60')
      await form.getByLabel('Budget (USD)').fill('5')
      await form.getByRole('button', { name: 'Create key' }).click()

      const created = page.getByRole('dialog', { name: 'Key ui-made created' })
      await created.waitFor()
      const secret = await created.getByLabel('Secret of ui-made').inputValue()
      expect(secret).toMatch(/^sk-[A-Za-z0-9]{48}$/)
      await created.getByRole('button', { name: 'Copy' }).click()
      await created.getByText('Copied to the clipboard.').waitFor()
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).navigator.clipboard.readText())).toBe(
        secret,
      )
      await shot('keys-secret')
      await created.getByRole('button', { name: 'Done' }).click()
      await created.waitFor({ state: 'detached' })

      const row = page.getByRole('row', { name: /ui-made/ })
      await row.waitFor()
      expect(await row.textContent()).toContain('60 req/min')
      expect(await row.textContent()).not.toContain(secret)
      expect(await chat(gw.url, secret, 'echo')).toBe(200)
      await shot('keys')

      await page.getByRole('button', { name: 'Edit ui-made' }).click()
      const edit = page.getByRole('dialog', { name: 'Edit key ui-made' })
      expect(await edit.getByLabel('Budget (USD)').inputValue()).toBe('5')
      await edit.getByLabel('Budget (USD)').fill('7.5')
      await edit.getByLabel('Requests per minute').fill('')
      await edit.getByRole('button', { name: 'Save' }).click()
      await page.getByText('Key ui-made saved.').waitFor()
      const view = (await (await admin('/v1/admin/keys/ui-made')).json()) as { budget?: number; rate_limit?: unknown }
      expect(view.budget).toBe(7.5)
      expect(view.rate_limit).toBeUndefined()

      await page.getByRole('button', { name: 'Revoke ui-made' }).click()
      const confirm = page.getByRole('dialog', { name: 'Revoke key ui-made?' })
      await confirm.getByRole('button', { name: 'Revoke key' }).click()
      await page.getByText('Key ui-made revoked.').waitFor()
      await row.waitFor({ state: 'detached' })
      expect(await chat(gw.url, secret, 'echo')).toBe(401)
      expect((await admin('/v1/admin/keys/ui-made')).status).toBe(404)
    },
    TIMEOUT_MS,
  )

  test(
    'providers: health and recent errors; create one with its models filled from the upstream; delete it',
    async () => {
      await page.getByRole('link', { name: 'Providers' }).click()
      await heading('Providers')
      const local = page.getByRole('row', { name: /^local/ })
      await local.getByText('healthy').waitFor()
      // The circuit breaker of the provider whose upstream refused: in cooldown, until when.
      const backup = page.getByRole('row', { name: /^backup/ })
      await backup.getByText('cooldown', { exact: true }).waitFor()
      expect(await backup.textContent()).toMatch(/until \d/)
      await page.getByRole('button', { name: 'New provider' }).click()
      const form = page.getByRole('dialog', { name: 'New provider' })
      await form.getByLabel('Name').fill('spare')
      await form.getByLabel('Kind').selectOption('echo')
      // Models left blank: the gateway asks the upstream for them.
      await form.getByRole('button', { name: 'Create provider' }).click()
      await page.getByText('Provider spare saved with 1 model from its upstream.').waitFor()
      const spare = page.getByRole('row', { name: /^spare/ })
      expect(await spare.textContent()).toContain('echo')
      await shot('providers')
      await page.getByRole('button', { name: 'Delete spare' }).click()
      await page
        .getByRole('dialog', { name: 'Delete provider spare?' })
        .getByRole('button', { name: 'Delete provider' })
        .click()
      await spare.waitFor({ state: 'detached' })
    },
    TIMEOUT_MS,
  )

  test(
    'logs: filter by status and key, open a record, page back',
    async () => {
      await page.getByRole('link', { name: 'Logs' }).click()
      await heading('Logs')
      const rows = page.getByRole('region', { name: 'Audit records' }).locator('tbody tr')
      await rows.first().waitFor()

      const filters = page.getByRole('form', { name: 'Filter the audit log' })
      await filters.getByLabel('Status').selectOption('4xx')
      await filters.getByLabel('Key').fill('broke')
      await filters.getByRole('button', { name: 'Apply filters' }).click()
      await page.getByText(/Page 1: \d+ records?, newest first/).waitFor()
      await page.waitForFunction(() =>
        Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('tbody tr')).every((tr) =>
          tr.textContent?.includes('broke'),
        ),
      )
      const statuses = await rows.locator('.badge').allTextContents()
      expect(statuses.length).toBeGreaterThan(0)
      expect(statuses.every((s) => s.startsWith('429'))).toBe(true)
      await shot('logs')

      await rows.first().getByRole('button').click()
      const detail = page.getByRole('dialog', { name: /^Request at/ })
      await detail.getByText('budget_exceeded', { exact: true }).waitFor()
      expect(await detail.textContent()).toContain('Request id')
      await shot('logs-detail')
      await page.keyboard.press('Escape')
      await detail.waitFor({ state: 'detached' })

      const fresh = page.getByRole('form', { name: 'Filter the audit log' })
      await fresh.getByRole('button', { name: 'Reset' }).click()
      // The form shows the reset filters (it is rebuilt with them) before the next change.
      await page.waitForFunction(
        () => (globalThis as unknown as PageGlobals).document.querySelector('input[name=key]')?.value === '',
      )
      await fresh.getByLabel('Per page').selectOption('25')
      await fresh.getByRole('button', { name: 'Apply filters' }).click()
      // A page ends on a millisecond boundary, so it may hold a few less than the limit.
      await page.waitForFunction(() => {
        const { document } = globalThis as unknown as PageGlobals
        const shown = /^Page 1: (\d+) records?, newest first\.$/.exec(
          document.querySelector('main p[role=status]')?.textContent ?? '',
        )
        return (
          shown !== null &&
          Number(shown[1]) > 0 &&
          Number(shown[1]) <= 25 &&
          document.querySelectorAll('tbody tr').length === Number(shown[1])
        )
      })
      await page.getByRole('button', { name: 'Older' }).click()
      await page.getByText(/^Page 2: /).waitFor()
      await page.getByRole('button', { name: 'Newer' }).click()
      await page.getByText(/^Page 1: /).waitFor()
    },
    TIMEOUT_MS,
  )

  test(
    "at a phone's width every page fits the screen",
    async () => {
      await page.setViewportSize({ width: 390, height: 844 })
      for (const [hash, title] of [
        ['overview', 'Overview'],
        ['keys', 'Keys'],
        ['providers', 'Providers'],
        ['logs', 'Logs'],
      ] as const) {
        await page.goto(`${gw.url}/ui#/${hash}`)
        await heading(title)
        await page.locator('main table, main figure').first().waitFor()
        // Wide tables scroll inside their own region; the page itself never scrolls sideways.
        expect(
          await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth),
        ).toBeLessThanOrEqual(390)
        await shot(`${hash}-phone`)
      }
      await page.setViewportSize({ width: 1280, height: 800 })
    },
    TIMEOUT_MS,
  )

  test(
    'signing out forgets the token; no console errors on the way (CSP included)',
    async () => {
      await page.goto(`${gw.url}/ui#/overview`)
      await heading('Overview')
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByLabel('Admin token').waitFor()
      expect(await page.evaluate(() => sessionStorage.getItem('crabllm.admin_token'))).toBeNull()
      expect(problems).toEqual([])
    },
    TIMEOUT_MS,
  )
})

// --- internal ---

/** What the callbacks run in the page use of it (tests are type-checked without DOM types). */
interface PageGlobals {
  document: {
    querySelector(selector: string): { value?: string; textContent: string | null } | null
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>
    documentElement: { scrollWidth: number }
  }
  navigator: { clipboard: { readText(): Promise<string> } }
}

async function launchChromium(): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core')
  // This machine refuses outside connections: everything that would call home is off.
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'crabllm-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

function chat(url: string, key: string, model: string, stream = false): Promise<number> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      stream,
      messages: [{ role: 'user', content: 'Summarise the quarterly numbers in two sentences, please.' }],
    }),
  }).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })
}

/** Live requests: answers and streams for three keys, refusals of a key over its budget (429), an unreachable upstream (502). */
async function traffic(url: string): Promise<void> {
  const jobs: Promise<number>[] = []
  for (let i = 0; i < 36; i++) {
    const key = (['team', 'team', 'mobile-app', 'batch-jobs'] as const)[i % 4]!
    jobs.push(chat(url, KEYS[key], i % 3 === 0 ? 'echo-large' : 'echo', i % 2 === 0))
  }
  for (let i = 0; i < 4; i++) jobs.push(chat(url, KEYS.broke, 'echo'))
  // The backup provider's upstream refuses connections: one failure puts it in cooldown.
  jobs.push(chat(url, KEYS.team, 'echo-backup'))
  const statuses = await Promise.all(jobs)
  expect(statuses.filter((s) => s === 200)).toHaveLength(36)
  expect(statuses.filter((s) => s === 429)).toHaveLength(4)
  expect(statuses.filter((s) => s === 502)).toHaveLength(1)
}

/**
 * A day of audit history written to the SQLite file before the gateway starts, as the audit extension
 * writes it: a daily rhythm of requests, a few failures, realistic latencies. Deterministic.
 */
async function seedHistory(dir: string): Promise<void> {
  const storage = await openStorage({ kind: 'sqlite', path: 'crabllm.db' }, dir, join(dir, 'crabllm.toml'))
  const audit = storage.store.namespace('audit')
  let seed = 42
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  const now = Date.now()
  const keys = ['team', 'team', 'team', 'mobile-app', 'mobile-app', 'batch-jobs']
  for (let minutesAgo = 24 * 60; minutesAgo >= 2; minutesAgo -= 6) {
    const hour = new Date(now - minutesAgo * 60_000).getHours()
    const busy = 1 + Math.round(4 * Math.max(0, Math.sin(((hour - 6) / 24) * 2 * Math.PI)) + random() * 2)
    for (let i = 0; i < busy; i++) {
      const time = now - minutesAgo * 60_000 - Math.floor(random() * 360_000)
      const large = random() < 0.3
      const failed = random() < 0.04
      const prompt = Math.floor(200 + random() * 1800)
      const completion = failed ? 0 : Math.floor(50 + random() * 600)
      const price = large ? [1500, 6000] : [150, 600]
      const record: AuditRecord = {
        request_id: `seed-${time}-${i}`,
        timestamp: new Date(time).toISOString(),
        time,
        key: keys[Math.floor(random() * keys.length)]!,
        model: large ? 'echo-large' : 'echo',
        requested_model: large ? 'echo-large' : 'echo',
        provider: 'local',
        surface: 'chat',
        stream: random() < 0.5,
        status: failed ? 502 : 200,
        outcome: null,
        prompt_tokens: failed ? null : prompt,
        completion_tokens: failed ? null : completion,
        total_tokens: failed ? null : prompt + completion,
        cost_usd: failed ? null : Math.ceil(prompt * price[0]! + completion * price[1]!) / 1e6,
        latency_ms: Math.round((large ? 900 : 300) + random() ** 3 * 4000),
        cached: false,
        error: failed ? 'upstream_unreachable' : null,
      }
      await audit.append(AUDIT_LOG, time, JSON.stringify(record))
    }
  }
  await storage.close()
}
