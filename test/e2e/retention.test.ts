// Storage stays bounded under abuse (issue [2/6], findings 9 and 14), through the compiled binary:
// 300,000 requests refused by a key's rate limit grow SQLite and a Redis prefix by less than 10 MB
// (refusals are aggregated; one record each grew them by 276 MB and 156 MB); audit records older than
// retention_days and beyond max_records are pruned at start, in batches; and unique large prompts keep
// the response cache within max_bytes (the stored bytes counted on SQLite, RSS on memory storage).
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { AUDIT_LOG } from '../../src/extensions/audit'
import { sqliteStore } from '../../src/storage/sqlite'
import { type CrabllmProcess, crabllmBin, spawnCrabllm } from '../support/binary'
import { REDIS_URL } from '../support/stores'

const ADMIN = 'admin-token-retention-0123456789'
const KEY = 'sk-retention-flood-0123456789abcdef'
const REFUSALS = 300_000
/** Concurrent clients; Bun's fetch keeps their connections alive. */
const WORKERS = 64
const MB = 1024 * 1024

let root: string
let seq = 0
beforeAll(() => {
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-retention-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

function config(storage: string, extensions: string): string {
  return `admin_token = "${ADMIN}"
shutdown_timeout = 20
[[keys]]
name = "flood"
key = "${KEY}"
[providers.local]
kind = "echo"
models = ["echo"]
${storage}
${extensions}
`
}

/** A fresh directory with the config file in it. */
function workdir(toml: string): string {
  const dir = join(root, `t${++seq}`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'crabllm.toml'), toml)
  return dir
}

/** Sends `n` chat requests from `workers` concurrent clients; resolves with the count of each status. */
async function send(url: string, n: number, body: (i: number) => string, workers = WORKERS) {
  const counts = new Map<number, number>()
  let next = 0
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < n) {
        const i = next++
        const res = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: body(i),
        })
        await res.arrayBuffer()
        counts.set(res.status, (counts.get(res.status) ?? 0) + 1)
      }
    }),
  )
  return counts
}

const HI = JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] })

/** Stops the gateway gracefully (the refusal groups still open are written) and checks it exited cleanly. */
async function stop(gw: CrabllmProcess): Promise<void> {
  gw.kill('SIGTERM')
  expect(await gw.exited).toBe(0)
  expect(gw.stderr()).not.toContain('extension write failed')
}

interface Totals {
  records: number
  requests: number
  refused: number
  statsRequests: number
}

/** What the logs API and the stats count for the flood key. */
async function totals(gw: CrabllmProcess): Promise<Totals> {
  const admin = { headers: { authorization: `Bearer ${ADMIN}` } }
  const page = (await (await gw.fetch('/v1/admin/logs?key=flood&limit=1000', admin)).json()) as {
    data: { status: number; count: number }[]
    requests: number
    has_more: boolean
  }
  expect(page.has_more).toBe(false)
  const stats = (await (await gw.fetch('/v1/admin/stats', admin)).json()) as { totals: { requests: number } }
  return {
    records: page.data.length,
    requests: page.requests,
    refused: page.data.filter((r) => r.status === 429).reduce((n, r) => n + r.count, 0),
    statsRequests: stats.totals.requests,
  }
}

describe('refusals are aggregated: storage grows by kilobytes, not hundreds of megabytes (compiled binary)', () => {
  const extensions = '[extensions.rate_limit]\nrequests_per_minute = 1\n[extensions.audit]\n'

  test(`${REFUSALS.toLocaleString('en')} refusals from one key grow the SQLite file by less than 10 MB`, async () => {
    const dir = workdir(config('[storage]\nkind = "sqlite"\npath = "state.db"', extensions))
    const size = () => ['state.db', 'state.db-wal'].reduce((n, f) => n + fileSize(join(dir, f)), 0)
    {
      await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
      await gw.ready()
      expect((await gw.fetch('/health')).status).toBe(200)
      await stop(gw)
    }
    const before = size()
    let peak = 0
    let counts: Map<number, number>
    {
      await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
      const url = await gw.ready()
      const started = performance.now()
      const sampler = setInterval(() => {
        peak = Math.max(peak, size())
      }, 100)
      counts = await send(url, REFUSALS + 1, () => HI)
      clearInterval(sampler)
      const seconds = (performance.now() - started) / 1000
      peak = Math.max(peak, size())
      await stop(gw)
      console.log(
        `sqlite: ${REFUSALS} refusals in ${seconds.toFixed(1)} s; file ${before} → ${size()} bytes (peak with WAL ${peak})`,
      )
    }
    // One answer a minute: two when the run straddles a minute.
    const refused = counts.get(429) ?? 0
    expect(refused + (counts.get(200) ?? 0)).toBe(REFUSALS + 1)
    expect(refused).toBeGreaterThanOrEqual(REFUSALS - 1)
    expect(size() - before).toBeLessThan(10 * MB)
    // The refusals are all counted: by the logs API (the counts of a few records) and by the stats.
    await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
    await gw.ready()
    const t = await totals(gw)
    expect(t.refused).toBe(refused)
    expect(t.requests).toBe(REFUSALS + 1)
    expect(t.statsRequests).toBe(REFUSALS + 1)
    expect(t.records).toBeLessThan(20)
  }, 180_000)

  test(`${REFUSALS.toLocaleString('en')} refusals from one key grow a Redis prefix by less than 10 MB`, async () => {
    const prefix = `crabllm-retention:${process.pid}:${Date.now()}:`
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await redis.connect()
    try {
      const storage = `[storage]\nkind = "redis"\npath = "${REDIS_URL}"\nprefix = "${prefix}"`
      const dir = workdir(config(storage, extensions))
      const memory = () => prefixMemory(redis, prefix)
      let counts: Map<number, number>
      let before: { bytes: number; keys: number }
      {
        await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
        const url = await gw.ready()
        expect((await send(url, 1, () => HI)).get(200)).toBe(1)
        before = await memory()
        const started = performance.now()
        counts = await send(url, REFUSALS, () => HI)
        const seconds = (performance.now() - started) / 1000
        await stop(gw)
        const after = await memory()
        console.log(
          `redis: ${REFUSALS} refusals in ${seconds.toFixed(1)} s; prefix ${before.bytes} → ${after.bytes} bytes (MEMORY USAGE), ${before.keys} → ${after.keys} keys`,
        )
        expect(after.bytes - before.bytes).toBeLessThan(10 * MB)
      }
      const refused = counts.get(429) ?? 0
      expect(refused).toBeGreaterThanOrEqual(REFUSALS - 1)
      await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
      await gw.ready()
      const t = await totals(gw)
      expect(t.refused).toBe(refused)
      expect(t.statsRequests).toBe(REFUSALS + 1)
    } finally {
      await deletePrefix(redis, prefix)
      await redis.quit()
    }
  }, 180_000)
})

describe('audit retention (compiled binary)', () => {
  test('at start, records older than retention_days and beyond max_records are pruned, in batches', async () => {
    const OLD = 300_000
    const RECENT = 2_000
    const KEEP = 500
    const dir = workdir(
      config(
        '[storage]\nkind = "sqlite"\npath = "state.db"',
        `[extensions.audit]\nretention_days = 1\nmax_records = ${KEEP}\n`,
      ),
    )
    // A backlog written before the start: what a gateway without retention left behind.
    const now = Date.now()
    {
      const db = new Database(join(dir, 'state.db'), { create: true, strict: true })
      db.run('PRAGMA journal_mode = WAL')
      const store = sqliteStore(db).namespace('audit')
      const record = (time: number, i: number) =>
        JSON.stringify({ request_id: `seed-${i}`, time, key: 'flood', model: 'echo', status: 200, error: null })
      for (let i = 0; i < OLD; i++)
        store.append(AUDIT_LOG, now - 3 * 86_400_000 + i, record(now - 3 * 86_400_000 + i, i))
      for (let i = 0; i < RECENT; i++) store.append(AUDIT_LOG, now - RECENT + i, record(now - RECENT + i, OLD + i))
      await store.close()
      db.close()
    }
    await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir, env: { LOG_LEVEL: 'info' } })
    await gw.ready()
    // While the prune runs, the gateway answers: it deletes in batches, one per event-loop turn.
    const health: number[] = []
    const pruned = gw.waitForLine(/audit records pruned removed=(\d+) ms=(\d+)/, 'stderr')
    let done = false
    void pruned.then(() => {
      done = true
    })
    while (!done) {
      const t = performance.now()
      await gw.fetch('/health')
      health.push(performance.now() - t)
    }
    const m = await pruned
    console.log(
      `retention: ${m[1]} records pruned in ${m[2]} ms; /health answered ${health.length} times meanwhile, slowest ${Math.max(...health).toFixed(1)} ms`,
    )
    expect(Number(m[1])).toBe(OLD + RECENT - KEEP)
    const page = (await (
      await gw.fetch('/v1/admin/logs?limit=1000', { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as { data: { request_id: string }[]; has_more: boolean }
    expect(page.has_more).toBe(false)
    expect(page.data.map((r) => r.request_id)).toEqual(
      Array.from({ length: KEEP }, (_, i) => `seed-${OLD + RECENT - 1 - i}`),
    )
  }, 120_000)
})

describe('the response cache stays within max_bytes (compiled binary)', () => {
  const PROMPTS = 4_000
  const PROMPT_BYTES = 64 * 1024
  const MAX_BYTES = 8 * MB
  const cache = `[extensions.cache]\nttl_seconds = 3600\nmax_bytes = ${MAX_BYTES}\n`
  /** A unique prompt of 64 KiB (the echo provider answers with it: 64 KiB answers to cache). */
  const prompt = (i: number) =>
    JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: `${i} ${'x'.repeat(PROMPT_BYTES)}` }] })

  test('on SQLite, the stored entries of unique 64 KiB prompts stay under max_bytes', async () => {
    const dir = workdir(config('[storage]\nkind = "sqlite"\npath = "state.db"', cache))
    {
      await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
      const url = await gw.ready()
      const counts = await send(url, PROMPTS, prompt, 16)
      expect(counts.get(200)).toBe(PROMPTS)
      await stop(gw)
    }
    const db = new Database(join(dir, 'state.db'), { readonly: true })
    const stored = db
      .query<{ entries: number; bytes: number }, []>(
        "SELECT count(*) AS entries, coalesce(sum(length(value)), 0) AS bytes FROM crabllm_kv WHERE key LIKE 'cache:entry:%'",
      )
      .get()!
    db.close()
    console.log(
      `cache on sqlite: ${PROMPTS} answers of ~${PROMPT_BYTES} bytes; ${stored.entries} entries, ${stored.bytes} bytes stored (max_bytes ${MAX_BYTES})`,
    )
    expect(stored.bytes).toBeLessThanOrEqual(MAX_BYTES)
    expect(stored.entries).toBeGreaterThan(100)
  }, 120_000)

  test('on memory storage, RSS stays bounded', async () => {
    const dir = workdir(config('', cache))
    await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
    const url = await gw.ready()
    expect((await send(url, 200, prompt, 16)).get(200)).toBe(200)
    const warm = rssOf(gw.proc.pid)
    const counts = await send(url, PROMPTS, (i) => prompt(i + 200), 16)
    expect(counts.get(200)).toBe(PROMPTS)
    const rss = rssOf(gw.proc.pid)
    console.log(
      `cache on memory: ${PROMPTS} more answers of ~${PROMPT_BYTES} bytes (${((PROMPTS * PROMPT_BYTES) / MB).toFixed(0)} MB); RSS ${(warm / MB).toFixed(0)} → ${(rss / MB).toFixed(0)} MB`,
    )
    // Unbounded, the answers alone are 250 MB of strings.
    expect(rss - warm).toBeLessThan(100 * MB)
    await stop(gw)
  }, 120_000)
})

// --- internal ---

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/** Resident set size of a process, from /proc (Linux). */
function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m![1]) * 1024
}

/** MEMORY USAGE summed over the keys under `prefix`, and how many there are. */
async function prefixMemory(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let bytes = 0
  let keys = 0
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    for (const key of batch) {
      bytes += (await redis.memory('USAGE', key)) ?? 0
      keys++
    }
  } while (cursor !== '0')
  return { bytes, keys }
}

async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    if (keys.length) await redis.del(...keys)
  } while (cursor !== '0')
}
