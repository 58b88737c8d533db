// `crabllm logs` against an in-process gateway with [extensions.audit]: the table (oldest first), the
// route's filters, --limit and --since, NDJSON, usage errors before anything is sent, the extension off,
// and --follow: records that arrive after it started are printed once each, a slow request's record
// (written after newer ones were printed) included, until the signal ends it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { AdminClient, AdminError } from '../../../src/cli/admin-client'
import type { Flags } from '../../../src/cli/args'
import { type AuditRecord, GrowingTable, logsCommand, parseSince } from '../../../src/cli/commands/logs'
import type { LiveOutput } from '../../../src/cli/live-command'
import { UsageError } from '../../../src/config/errors'
import { capture } from '../../support/cli-output'
import { provider, startGateway, type TestGateway } from '../../support/gateway'
import { closedPort, type MockUpstream, openAiError, startMockUpstream } from '../../support/mock-upstream'

const ADMIN = 'admin-token-cli-logs-0123456789'
const TEAM = 'sk-cli-logs-team-0123456789abcdef'
const OTHER = 'sk-cli-logs-other-0123456789abcdef'

/** A LiveOutput whose flushed stdout a test can wait on, and whose interrupt the test sends. */
function liveCapture() {
  let pending = ''
  const stop = new AbortController()
  const waiters: { ready: () => boolean; resolve: () => void }[] = []
  const when = (ready: () => boolean): Promise<void> => {
    if (ready()) return Promise.resolve()
    const { promise, resolve } = Promise.withResolvers<void>()
    waiters.push({ ready, resolve })
    return promise
  }
  const o = {
    stdout: '',
    stderr: '',
    flushes: 0,
    out: (text: string) => void (pending += `${text}\n`),
    err: (text: string) => void (o.stderr += `${text}\n`),
    async flush() {
      o.stdout += pending
      pending = ''
      o.flushes++
      for (const w of [...waiters])
        if (w.ready()) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve()
        }
    },
    interruptible: () => stop.signal,
    interrupt: () => stop.abort(),
    /** Resolves once the printed output matches. */
    printed: (re: RegExp) => when(() => re.test(o.stdout)),
    /** Resolves after `n` more flushes (each poll flushes once). */
    polls: (n: number) => {
      const target = o.flushes + n
      return when(() => o.flushes >= target)
    },
  }
  return o satisfies LiveOutput
}

function client(url: string, token = ADMIN): AdminClient {
  return new AdminClient({ url, token })
}

async function run(url: string, flags: Flags) {
  const output = capture()
  await logsCommand.run(client(url), flags, output, 'logs')
  return output
}

const config = (upstream: string, extensions: string, admin = `admin_token = "${ADMIN}"`) => `${admin}
[[keys]]
name = "team"
key = "${TEAM}"
[[keys]]
name = "other"
key = "${OTHER}"
${provider('up', upstream, ['gpt-4o-mini', 'house-model'], 'max_retries = 0')}
[models."gpt-4o-mini"]
prompt_cost_per_million = 1000.0
completion_cost_per_million = 2000.0
${extensions}`

let mock: MockUpstream
let gw: TestGateway
let seq = 0
const rid = (name: string) => `cli-logs-${name}-${process.pid}-${++seq}`

/** A chat sent with a known request id; resolves once its record is written. */
async function chat(key: string, model: string, id: string): Promise<number> {
  const res = await gw.chat(
    { model, messages: [{ role: 'user', content: 'hi' }] },
    { key, headers: { 'x-request-id': id } },
  )
  await res.text()
  await gw.ctx.pipeline.flush()
  return res.status
}

const ids = { a: rid('a'), b: rid('b'), c: rid('c') }

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(config(mock.url, '[extensions.audit]\n'))
  expect(await chat(TEAM, 'gpt-4o-mini', ids.a)).toBe(200)
  expect(await chat(OTHER, 'house-model', ids.b)).toBe(200)
  mock.enqueue(openAiError(400, 'no such thing', 'invalid_request_error', 'bad_thing'))
  expect(await chat(TEAM, 'house-model', ids.c)).toBe(400)
})

afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
  expect(gw.errors()).toEqual([])
})

/** The request ids a listing printed, in order (table rows or NDJSON lines). */
function idsIn(text: string): string[] {
  return [...text.matchAll(/cli-logs-[a-z]+-\d+-\d+/g)].map((m) => m[0])
}

describe('crabllm logs', () => {
  test('--json: one record per line, oldest first', async () => {
    const o = await run(gw.url, { json: true })
    const lines = o.stdout.trimEnd().split('\n')
    const records = lines.map((l) => JSON.parse(l) as AuditRecord)
    expect(records.map((r) => r.request_id)).toEqual([ids.a, ids.b, ids.c])
    expect(records[0]).toMatchObject({ key: 'team', model: 'gpt-4o-mini', status: 200, total_tokens: 13 })
    expect(records[2]).toMatchObject({ key: 'team', model: 'house-model', status: 400, error: expect.any(String) })
    expect(o.stderr).toBe('')
  })

  test('the table: one row per record, oldest first, the newest last', async () => {
    const o = await run(gw.url, {})
    const lines = o.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TIME\s+KEY\s+MODEL\s+PROVIDER\s+STATUS\s+TOKENS\s+COST\s+LATENCY\s+ERROR$/)
    expect(lines).toHaveLength(4)
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z\s+team\s+gpt-4o-mini\s+up\s+200\s+13\s+\$0\.017\s+\d+ ms\s+-$/)
    expect(lines[2]).toMatch(/\sother\s+house-model\s+up\s+200\s+13\s+-\s+\d+ ms\s+-$/)
    expect(lines[3]).toMatch(/\steam\s+house-model\s+up\s+400\s+-\s+-\s+\d+ ms\s+[a-z_]+$/)
  })

  test('--key, --model and --status are the route filters', async () => {
    expect(idsIn((await run(gw.url, { json: true, key: 'team' })).stdout)).toEqual([ids.a, ids.c])
    expect(idsIn((await run(gw.url, { json: true, model: 'house-model' })).stdout)).toEqual([ids.b, ids.c])
    expect(idsIn((await run(gw.url, { json: true, status: '4xx' })).stdout)).toEqual([ids.c])
    expect(idsIn((await run(gw.url, { json: true, status: '200', key: 'other' })).stdout)).toEqual([ids.b])
    expect(idsIn((await run(gw.url, { json: true, status: 'error' })).stdout)).toEqual([ids.c])
  })

  test('--limit keeps the newest, with a note on stderr; --since bounds the time', async () => {
    const o = await run(gw.url, { limit: '2' })
    expect(o.stdout.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(/\sother\s+house-model\s+up\s+200\s/),
      expect.stringMatching(/\steam\s+house-model\s+up\s+400\s/),
    ])
    expect(o.stderr).toContain('older records remain')
    expect(idsIn((await run(gw.url, { limit: '2', json: true })).stdout)).toEqual([ids.b, ids.c])
    expect(idsIn((await run(gw.url, { json: true, since: '1h' })).stdout)).toEqual([ids.a, ids.b, ids.c])
    expect((await run(gw.url, { since: '2999-01-01T00:00:00Z' })).stdout).toBe('no records\n')
    expect((await run(gw.url, { json: true, since: '2999-01-01' })).stdout).toBe('')
  })

  test.each<[Flags, string]>([
    [{ status: '42' }, '--status: expected a status code'],
    [{ status: 'bad' }, '--status: expected a status code'],
    [{ limit: '0' }, '--limit: expected a whole number of at least 1'],
    [{ limit: '1001' }, '--limit: at most 1000'],
    [{ since: 'yesterday' }, '--since: "yesterday" is neither'],
    [{ since: '2025-13-45' }, '--since: "2025-13-45" is neither'],
    [{ interval: '1' }, '--interval needs --follow'],
    [{ follow: true, interval: '0' }, '--interval: expected a number of at least 0.1'],
  ])('%p is a usage error (exit 2) before anything is sent', async (flags, message) => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const err = await run(url, flags).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).exitCode).toBe(2)
    expect((err as UsageError).message).toStartWith(message)
  })

  test('audit off: one line naming the section to add; admin API off: its own message (exit 1)', async () => {
    await using off = await startGateway(config(mock.url, ''))
    const err = await run(off.url, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminError)
    expect((err as AdminError).message).toBe('the audit log is off: add [extensions.audit] to crabllm.toml')
    expect((err as AdminError).exitCode).toBe(1)
    await using noAdmin = await startGateway(config(mock.url, '[extensions.audit]\n', ''))
    const closed = await run(noAdmin.url, {}).catch((e: unknown) => e)
    expect(closed).toBeInstanceOf(AdminError)
    expect((closed as AdminError).message).toContain('The admin API is off: set admin_token')
  })

  test("a key's token is refused (exit 1)", async () => {
    const output = capture()
    const err = await logsCommand.run(client(gw.url, TEAM), {}, output, 'logs').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminError)
    expect((err as AdminError).status).toBe(401)
  })
})

describe('crabllm logs --follow', () => {
  test('prints what is there, then each new record once, until interrupted', async () => {
    const live = liveCapture()
    const following = logsCommand.run(client(gw.url), { follow: true, json: true, interval: '0.1' }, live, 'logs')
    await live.printed(new RegExp(ids.c))
    const late = rid('late')
    expect(await chat(OTHER, 'gpt-4o-mini', late)).toBe(200)
    await live.printed(new RegExp(late))
    await live.polls(3) // that find nothing new to print
    live.interrupt()
    await following
    expect(idsIn(live.stdout)).toEqual([ids.a, ids.b, ids.c, late])
    expect(live.stderr).toBe('')
  })

  test("a slow request's record, written after newer ones were printed, is printed too", async () => {
    const live = liveCapture()
    const following = logsCommand.run(client(gw.url), { follow: true, json: true, interval: '0.1' }, live, 'logs')
    await live.printed(new RegExp(ids.c))
    const release = Promise.withResolvers<void>()
    const slow = rid('slow')
    const fast = rid('fast')
    const arrived = mock.waitForRequest(mock.requests.length + 1)
    mock.enqueue({ hold: release.promise })
    const slowDone = chat(TEAM, 'gpt-4o-mini', slow)
    await arrived
    expect(await chat(TEAM, 'gpt-4o-mini', fast)).toBe(200)
    await live.printed(new RegExp(fast))
    release.resolve()
    expect(await slowDone).toBe(200)
    await live.printed(new RegExp(slow))
    live.interrupt()
    await following
    const printed = idsIn(live.stdout)
    expect(printed.slice(-2)).toEqual([fast, slow])
    expect(new Set(printed).size).toBe(printed.length)
  })

  test('the table: the header at once, then rows as they come', async () => {
    await using fresh = await startGateway(config(mock.url, '[extensions.audit]\n'))
    const live = liveCapture()
    const following = logsCommand.run(client(fresh.url), { follow: true, interval: '0.1' }, live, 'logs')
    await live.printed(/^TIME\s+KEY/)
    expect(live.stdout).toMatch(/^TIME\s+KEY\s+MODEL\s+PROVIDER\s+STATUS\s+TOKENS\s+COST\s+LATENCY\s+ERROR\n$/)
    const res = await fresh.chat({ model: 'house-model', messages: [{ role: 'user', content: 'hi' }] }, { key: OTHER })
    await res.text()
    await live.printed(/\sother\s+house-model\s/)
    live.interrupt()
    await following
    expect(live.stdout.trimEnd().split('\n')).toHaveLength(2)
  })
})

describe('parseSince', () => {
  const NOW = Date.parse('2025-06-01T12:00:00.000Z')
  test.each<[string, string]>([
    ['90s', '2025-06-01T11:58:30.000Z'],
    ['30m', '2025-06-01T11:30:00.000Z'],
    ['1h', '2025-06-01T11:00:00.000Z'],
    ['7d', '2025-05-25T12:00:00.000Z'],
    ['2w', '2025-05-18T12:00:00.000Z'],
    ['1H', '2025-06-01T11:00:00.000Z'],
    ['2025-05-01', '2025-05-01T00:00:00.000Z'],
    ['2025-05-01T10:00:00Z', '2025-05-01T10:00:00.000Z'],
    ['2025-05-01T10:00:00.250+02:00', '2025-05-01T08:00:00.250Z'],
    ['2025-05-01t10:00:00z', '2025-05-01T10:00:00.000Z'],
    ['2025-05-01 10:00:00Z', '2025-05-01T10:00:00.000Z'],
  ])('%p → %p', (value, expected) => {
    expect(new Date(parseSince(value, NOW)).toISOString()).toBe(expected)
  })

  test.each(['soon', '1', '1y', 'h1', '1 Jan 2025', '2025-13-01', '', '-1h'])('%p is a usage error', (value) => {
    expect(() => parseSince(value, NOW, 'logs')).toThrow(UsageError)
  })
})

describe('GrowingTable', () => {
  test('the header with the first part; later rows keep the widths, or widen them', () => {
    const table = new GrowingTable(['A', 'BB', 'C'])
    expect(table.render([['x', 'y', 'z']])).toBe('A  BB  C\nx  y   z')
    expect(table.render([])).toBe('')
    expect(table.render([['xxx', 'y', 'z\nz']])).toBe('xxx  y   z z')
    expect(table.render([['x', 'y', 'z']])).toBe('x    y   z')
  })
})
