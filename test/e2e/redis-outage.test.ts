// Redis going away under load (issue "[7/8] Reliability and security"): the compiled binary on its own
// redis-server (a private one on a free port, never the shared 127.0.0.1:6379), load running, Redis
// stopped mid-load and started again on the same port. The gateway must not crash, /health stays 200,
// each extension's on_storage_error decides what clients get while Redis is down (rate_limit "open": 200;
// budget's default "closed", or rate_limit "closed": 503 storage_unavailable, answered at once rather
// than queued), and once Redis is back requests succeed and are counted again.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crabllmBin, spawnCrabllm } from '../support/binary'
import { type LoadResult, type LoadUpstream, startLoad, startLoadUpstream } from '../support/load'
import { freePort, hasRedisServer, killAllRedis, startRedis, within } from '../support/redis-server'

const ADMIN = 'admin-token-outage-0123456789ab'
const KEY = 'sk-outage-team-0123456789abcdef0'
const MODEL = 'gpt-outage'
const WORKERS = 8
/** Answers awaited while Redis is down: long enough to span several failed reconnection attempts. */
const ANSWERS_WHILE_DOWN = 500
/** Upper bound for a request made while Redis is down: proves it was answered, not queued until Redis returns. */
const ANSWERED_WITHIN_MS = 5000

let root: string
let upstream: LoadUpstream
let seq = 0
beforeAll(() => {
  if (!hasRedisServer) return
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-redis-outage-'))
  upstream = startLoadUpstream({ minDelayMs: 2, maxDelayMs: 10 })
})
afterAll(async () => {
  if (!hasRedisServer) return
  killAllRedis()
  await upstream.stop()
  rmSync(root, { recursive: true, force: true })
})

interface Case {
  name: string
  /** The [extensions.*] tables. */
  extensions: string
  /** What a request gets while Redis is down. */
  whileDown: { status: 200 } | { status: 503; code: 'storage_unavailable' }
  /** How Redis goes away. */
  stop: 'kill' | 'shutdown'
}

const CASES: Case[] = [
  {
    name: 'rate_limit with on_storage_error at its default ("open")',
    extensions: '[extensions.rate_limit]\nrequests_per_minute = 1000000\n[extensions.usage]\n',
    whileDown: { status: 200 },
    stop: 'kill',
  },
  {
    name: 'budget with on_storage_error at its default ("closed"), rate_limit open',
    extensions:
      '[extensions.rate_limit]\nrequests_per_minute = 1000000\n[extensions.budget]\ndefault_budget = 1000000\n[extensions.usage]\n',
    whileDown: { status: 503, code: 'storage_unavailable' },
    stop: 'shutdown',
  },
  {
    name: 'rate_limit with on_storage_error = "closed"',
    extensions:
      '[extensions.rate_limit]\nrequests_per_minute = 1000000\non_storage_error = "closed"\n[extensions.usage]\n',
    whileDown: { status: 503, code: 'storage_unavailable' },
    stop: 'kill',
  },
]

describe.skipIf(!hasRedisServer)('Redis outage under load (compiled binary, private redis-server)', () => {
  test.each(CASES)(
    '$name',
    async (c) => {
      const dir = join(root, `t${++seq}`)
      mkdirSync(join(dir, 'redis'), { recursive: true })
      const port = freePort()
      let redis = await startRedis(port, join(dir, 'redis'))
      try {
        writeFileSync(join(dir, 'crabllm.toml'), config(port, c.extensions))
        await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
        const url = await gw.ready()
        const load = startLoad({ url, key: KEY, workers: WORKERS, idPrefix: `outage-${seq}`, request: (n) => chat(n) })
        try {
          await within(
            load.waitFor((r) => r.status === 200, 200),
            'answers before the outage',
          )

          // --- Redis goes away
          const downAt = performance.now()
          await redis.stop(c.stop)
          const sentWhileDown = (r: LoadResult) => r.sent > downAt
          const expected = c.whileDown
          // Requests sent once Redis is gone get the configured answer, many times over, and /health is fine.
          const isExpected = (r: LoadResult) =>
            r.status === expected.status && (expected.status === 200 || r.code === expected.code)
          await within(
            load.waitFor((r) => sentWhileDown(r) && isExpected(r), ANSWERS_WHILE_DOWN),
            'answers while down',
          )
          expect((await gw.fetch('/health')).status).toBe(200)
          const upAt = performance.now()
          const down = load.results.filter((r) => sentWhileDown(r) && r.sent + r.ms < upAt)
          expect(down.length).toBeGreaterThanOrEqual(ANSWERS_WHILE_DOWN)
          // Every request sent while Redis was down got it, and none waited long; none could be counted.
          expect(down.filter((r) => !isExpected(r)).slice(0, 3)).toEqual([])
          expect(down.filter((r) => r.remaining !== null).slice(0, 3)).toEqual([])
          if (expected.status === 503) {
            const res = await gw.fetch('/v1/chat/completions', {
              method: 'POST',
              headers: headers('probe'),
              body: JSON.stringify(chat(0).body),
            })
            expect(res.status).toBe(503)
            expect(res.headers.get('retry-after')).toBe('1')
            expect(((await res.json()) as { error: { code: string } }).error.code).toBe('storage_unavailable')
          }
          const slowest = Math.max(...down.map((r) => r.ms))
          expect(slowest).toBeLessThan(ANSWERED_WITHIN_MS)

          // --- Redis comes back on the same port (empty: it keeps nothing on disk)
          redis = await startRedis(port, join(dir, 'redis'))
          const restartedAt = performance.now()
          // Recovered: requests succeed again and the rate limiter counts them again (its headers are back) ...
          const firstOk = await within(
            load.waitFor((r) => r.sent > restartedAt && r.status === 200 && r.remaining !== null),
            'first counted 200 after Redis is back',
          )
          const res = await gw.fetch('/v1/chat/completions', {
            method: 'POST',
            headers: headers('after'),
            body: JSON.stringify(chat(1).body),
          })
          expect(res.status).toBe(200)
          expect(res.headers.get('x-ratelimit-limit-requests')).toBe('1000000')
          await res.text()
          // ... and usage counts again: the restarted Redis was empty, and every answer sent since the
          // recovery was counted in it (its increment went out before GET /v1/usage, on the same connection).
          const recoveredAt = firstOk.sent + firstOk.ms
          await within(
            load.waitFor((r) => r.sent > recoveredAt && r.status === 200, 50),
            'answers after Redis is back',
          )
          const usage = (await (
            await gw.fetch('/v1/usage', { headers: { authorization: `Bearer ${ADMIN}` } })
          ).json()) as { requests: number }[]
          expect(usage.reduce((n, r) => n + r.requests, 0)).toBeGreaterThanOrEqual(50)

          console.log(
            `redis outage (${c.name}): ${JSON.stringify({
              stop: c.stop,
              first_down_answer_ms: round(down[0]!.sent + down[0]!.ms - downAt),
              answers_while_down: down.length,
              while_down_ms: {
                p50: round(percentile(down, 0.5)),
                p99: round(percentile(down, 0.99)),
                max: round(slowest),
              },
              first_counted_200_after_restart_ms: round(firstOk.sent + firstOk.ms - restartedAt),
            })}`,
          )
        } finally {
          await load.stop()
        }
        // Never crashed: it stops cleanly.
        gw.kill('SIGTERM')
        expect(await gw.exited).toBe(0)
        // The outage was logged (rate_limit is in every case), not silent.
        expect(gw.stderr()).toMatch(/ERROR +extension hook failed extension=rate_limit hook=onKey/)
      } finally {
        await redis.stop('kill')
      }
    },
    45_000,
  )
})

// --- internal ---

function config(port: number, extensions: string): string {
  return `admin_token = "${ADMIN}"
shutdown_timeout = 5
[[keys]]
name = "team"
key = "${KEY}"
[providers.mock]
kind = "openai"
api_key = "sk-upstream"
base_url = "${upstream.url}/v1"
models = ["${MODEL}"]
[models."${MODEL}"]
prompt_cost_per_million = 1000
completion_cost_per_million = 2000
[storage]
kind = "redis"
path = "redis://127.0.0.1:${port}"
prefix = "crabllm-outage:"
${extensions}`
}

function chat(n: number) {
  return {
    path: '/v1/chat/completions' as const,
    body: { model: MODEL, messages: [{ role: 'user', content: `question ${n}` }] },
  }
}

function headers(id: string): Record<string, string> {
  return { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-request-id': `outage-${id}` }
}

function percentile(results: LoadResult[], p: number): number {
  const sorted = results.map((r) => r.ms).sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}
