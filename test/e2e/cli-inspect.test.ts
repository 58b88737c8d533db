// The inspection commands of the compiled binary (`crabllm usage`, `budget`, `logs`, `cache clear`)
// against a served binary with usage, budget, audit and cache on (SQLite storage): tables and --json
// from real traffic, `logs --follow` printing a request made after it started and exiting 0 on Ctrl-C
// (SIGINT), and the exit codes: 0, 1 (the gateway unreachable) and 2 (a usage mistake, nothing sent).
// Every wait awaits an event (a line, an exit, a response); nothing sleeps.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CrabllmProcess, crabllmBin, type RunResult, runCrabllm, spawnCrabllm } from '../support/binary'
import { closedPort, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const ADMIN = 'admin-token-cli-inspect-0123456789'
const TEAM = 'sk-cli-inspect-team-0123456789abcdef'
const STACK_FRAME = /^\s+at /m

let dir: string
let gateway: CrabllmProcess
let upstream: MockUpstream
let base: string

beforeAll(async () => {
  crabllmBin()
  dir = mkdtempSync(join(tmpdir(), 'crabllm-cli-inspect-'))
  upstream = await startMockUpstream()
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `listen = "127.0.0.1:0"
admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${TEAM}"
[providers.up]
kind = "openai"
api_key = "sk-upstream-cli-inspect"
base_url = "${upstream.url}/v1"
models = ["gpt-4o-mini"]
[models."gpt-4o-mini"]
prompt_cost_per_million = 1000.0
completion_cost_per_million = 2000.0
[storage]
kind = "sqlite"
path = "crabllm.db"
[extensions.usage]
[extensions.budget]
default_budget = 5
[extensions.audit]
[extensions.cache]
`,
  )
  gateway = spawnCrabllm(['serve'], { cwd: dir })
  base = await gateway.ready()
}, 60_000)

afterAll(async () => {
  await gateway?.[Symbol.asyncDispose]()
  await upstream?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The CLI with explicit --url and --token; CRABLLM_URL / CRABLLM_TOKEN cleared. */
function admin(...args: string[]): Promise<RunResult> {
  return runCrabllm([...args, '--url', base, '--token', ADMIN], {
    cwd: dir,
    env: { CRABLLM_URL: '', CRABLLM_TOKEN: '' },
  })
}

async function ok(result: Promise<RunResult>): Promise<string> {
  const r = await result
  if (r.code !== 0) throw new Error(`exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`)
  return r.stdout
}

/** One chat (the same body unless told, so that a repeat is a cache hit); returns x-crabllm-cache. */
async function chat(id: string, content = 'hello'): Promise<string | null> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEAM}`, 'x-request-id': id },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] }),
  })
  expect(res.status).toBe(200)
  await res.text()
  return res.headers.get('x-crabllm-cache')
}

describe('crabllm usage / budget / logs / cache clear', () => {
  test('traffic: an answer, then the same from the cache', async () => {
    expect(await chat('inspect-first')).toBe('miss')
    expect(await chat('inspect-cached')).toBe('hit')
  })

  test('usage: a table row per key and model; --json parses', async () => {
    const out = await ok(admin('usage'))
    expect(out).toBe(
      'KEY   MODEL        REQUESTS  CACHED  PROMPT  COMPLETION  TOTAL\nteam  gpt-4o-mini  2         1       9       4           13\n',
    )
    const rows = JSON.parse(await ok(admin('usage', '--key', 'team', '--json')))
    expect(rows).toEqual([expect.objectContaining({ key: 'team', requests: 2, cached_requests: 1 })])
  })

  test('budget KEY: the budget, what was spent and what remains', async () => {
    // 9 prompt and 4 completion tokens at $1000 and $2000 per million; the cache hit cost nothing.
    expect(await ok(admin('budget', 'team'))).toBe('KEY   BUDGET  SPENT   REMAINING\nteam  $5.00   $0.017  $4.983\n')
  })

  test('logs: the table oldest first; --json is one record per line', async () => {
    const out = await ok(admin('logs'))
    const lines = out.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TIME\s+KEY\s+MODEL\s+PROVIDER\s+STATUS\s+TOKENS\s+COST\s+LATENCY\s+ERROR$/)
    expect(lines[1]).toMatch(/\steam\s+gpt-4o-mini\s+up\s+200\s+13\s+\$0\.017\s/)
    expect(lines[2]).toMatch(/\steam\s+gpt-4o-mini\s+-\s+200 cached\s+-\s+\$0\.00\s/)
    const records = (await ok(admin('logs', '--json', '--since', '1h')))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(records.map((r) => r.request_id)).toEqual(['inspect-first', 'inspect-cached'])
  })

  test('cache clear: the same request reaches the upstream again', async () => {
    expect(await ok(admin('cache', 'clear'))).toBe('cache cleared\n')
    expect(await chat('inspect-after-clear')).toBe('miss')
  })

  test('logs --follow prints a request made after it started, and exits 0 on SIGINT', async () => {
    await using follow = spawnCrabllm(
      ['logs', '--follow', '--json', '--interval', '0.1', '--url', base, '--token', ADMIN],
      { cwd: dir, env: { CRABLLM_URL: '', CRABLLM_TOKEN: '' } },
    )
    await follow.waitForLine(/"request_id":"inspect-after-clear"/)
    expect(await chat('inspect-while-following', 'something else')).toBe('miss')
    await follow.waitForLine(/"request_id":"inspect-while-following"/)
    follow.kill('SIGINT')
    expect(await follow.exited).toBe(0)
    const ids = follow
      .stdout()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).request_id)
    expect(ids).toEqual(['inspect-first', 'inspect-cached', 'inspect-after-clear', 'inspect-while-following'])
    expect(follow.stderr()).toBe('')
  })

  test('exit 2 on a usage mistake, before anything is sent (the URL has no gateway: sending would exit 1)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    for (const args of [
      ['usage', '--since', '1h'],
      ['logs', '--limit', '0'],
      ['logs', '--status', 'teapot'],
      ['logs', '--interval', '5'],
      ['budget', 'a', 'b'],
      ['cache', 'empty'],
    ]) {
      const r = await runCrabllm([...args, '--url', url], { cwd: dir, env: { CRABLLM_URL: '', CRABLLM_TOKEN: '' } })
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr).toStartWith('error: ')
      expect(r.stderr).toContain(`usage: crabllm ${args[0]}`)
    }
  })

  test('exit 1 with one line when the gateway cannot be reached', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    for (const command of [['usage'], ['budget'], ['logs'], ['cache', 'clear']]) {
      const r = await runCrabllm([...command, '--url', url, '--token', ADMIN], {
        cwd: dir,
        env: { CRABLLM_URL: '', CRABLLM_TOKEN: '' },
      })
      expect(r.code).toBe(1)
      expect(r.stdout).toBe('')
      expect(r.stderr).toStartWith(`error: cannot reach crabllm at ${url}: connection refused`)
      expect(r.stderr).not.toMatch(STACK_FRAME)
    }
  })
})
