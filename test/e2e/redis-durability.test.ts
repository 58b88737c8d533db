// Redis durability through the compiled binary (finding 8), on a private redis-server (a free port, a temp
// dir, never the shared 127.0.0.1:6379): a gateway on a Redis without AOF warns at start with the fix (and
// not with AOF on); a key revoked after a snapshot stays refused when Redis is restored from that snapshot,
// on both running gateways, on one started afterwards, and on one restarted beside its revocations file
// after every gateway stopped. Each wait awaits a line of the binary's output, an exit or an answer.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { digest } from '../../src/auth'
import { type CrabllmProcess, crabllmBin, spawnCrabllm } from '../support/binary'
import { freePort, hasRedisServer, killAllRedis, startRedis } from '../support/redis-server'

const ADMIN = 'admin-token-durability-0123456789'
const PREFIX = 'crabllm-durability:'
const WENT_BACK = /ERROR +admin storage went back to an older state/
const DELETED_AGAIN =
  /ERROR +a revoked API key came back in storage; it stays refused and was deleted again key=revoked/
const AOF_OFF = /WARN +redis has AOF off: (.*)$/

if (!hasRedisServer) console.warn('skipping test/e2e/redis-durability.test.ts: no redis-server on PATH')
let root: string
beforeAll(() => {
  if (!hasRedisServer) return
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-redis-durability-'))
})
afterAll(() => {
  if (!hasRedisServer) return
  killAllRedis()
  rmSync(root, { recursive: true, force: true })
})

describe.skipIf(!hasRedisServer)('Redis durability (compiled binary, private redis-server)', () => {
  test('AOF off: one warning at start naming the fix; AOF on: none', async () => {
    for (const appendonly of [false, true]) {
      const dir = join(root, `aof-${appendonly}`)
      mkdirSync(join(dir, 'redis'), { recursive: true })
      const port = freePort()
      const redis = await startRedis(port, join(dir, 'redis'), appendonly)
      try {
        const gw = await startGateway(dir, port)
        expect((await gw.fetch('/health')).status).toBe(200)
        gw.kill('SIGTERM')
        expect(await gw.exited).toBe(0)
        const warnings = gw
          .stderr()
          .split('\n')
          .filter((l) => AOF_OFF.test(l))
        if (appendonly) expect(warnings).toEqual([])
        else {
          expect(warnings).toHaveLength(1)
          expect(warnings[0]).toContain('appendonly yes, appendfsync everysec')
        }
      } finally {
        await redis.stop()
      }
    }
  }, 30_000)

  test('a key revoked after a snapshot stays refused when Redis is restored from it', async () => {
    const dir = join(root, 'restore')
    mkdirSync(join(dir, 'redis'), { recursive: true })
    const port = freePort()
    let redis = await startRedis(port, join(dir, 'redis'), false)
    const gateways: CrabllmProcess[] = []
    const start = async (name: string) => {
      const gw = await startGateway(join(dir, name), port)
      gateways.push(gw)
      return gw
    }
    try {
      const [a, b] = await Promise.all([start('a'), start('b')])
      const revoked = await createKey(a, 'revoked')
      const kept = await createKey(a, 'kept')
      await until('both keys on B', async () => (await chatStatus(b, kept)) === 200)
      expect(await chatStatus(b, revoked)).toBe(200)

      // The snapshot, then a revocation and a key made after it.
      const client = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1 })
      await client.save()
      await client.quit()
      expect((await a.fetch('/v1/admin/keys/revoked', { method: 'DELETE', headers: admin })).status).toBe(200)
      const later = await createKey(a, 'later')
      expect(await chatStatus(a, revoked)).toBe(401)
      await until('the revocation on B', async () => (await chatStatus(b, revoked)) === 401)
      const file = readFileSync(join(dir, 'a', 'crabllm.revoked'), 'utf8')
      expect(file).toContain(digest(revoked))
      expect(file).not.toContain(digest(later))

      // Redis restarted from the snapshot: the revoked key's record and the older counter are back.
      await redis.stop()
      redis = await startRedis(port, join(dir, 'redis'), false)
      await Promise.all([a.waitForLine(WENT_BACK, 'stderr'), b.waitForLine(WENT_BACK, 'stderr')])
      for (const gw of [a, b]) {
        expect(await chatStatus(gw, revoked)).toBe(401)
        expect(await chatStatus(gw, kept)).toBe(200)
        // Made after the snapshot: lost with it (what Redis without AOF does).
        expect(await chatStatus(gw, later)).toBe(401)
      }
      // One of them deleted the record again, so that a gateway started now refuses it too.
      await Promise.any([a.waitForLine(DELETED_AGAIN, 'stderr'), b.waitForLine(DELETED_AGAIN, 'stderr')])
      const check = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: 1 })
      expect(await check.exists(`${PREFIX}admin:key/revoked`)).toBe(0)
      expect(await check.exists(`${PREFIX}admin:key/kept`)).toBe(1)
      await check.quit()
      const c = await start('c')
      expect(await chatStatus(c, revoked)).toBe(401)
      expect(await chatStatus(c, kept)).toBe(200)

      // The hard case: every gateway stopped, Redis restored from the snapshot again, one gateway started
      // again beside its revocations file: it refuses the key and deletes the record again.
      for (const gw of gateways.splice(0)) {
        gw.kill('SIGTERM')
        expect(await gw.exited).toBe(0)
      }
      await redis.stop()
      redis = await startRedis(port, join(dir, 'redis'), false)
      const again = await start('a')
      await again.waitForLine(DELETED_AGAIN, 'stderr')
      expect(await chatStatus(again, revoked)).toBe(401)
      expect(await chatStatus(again, kept)).toBe(200)
    } finally {
      for (const gw of gateways) gw.kill('SIGKILL')
      await Promise.all(gateways.map((gw) => gw.exited))
      await redis.stop()
    }
  }, 60_000)
})

// --- internal ---

const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }

/** A gateway on the private Redis, in `dir` (its config and revocations file live there). */
async function startGateway(dir: string, port: number): Promise<CrabllmProcess> {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `admin_token = "${ADMIN}"
shutdown_timeout = 5
[providers.echo]
kind = "echo"
models = ["echo"]
[storage]
kind = "redis"
path = "redis://127.0.0.1:${port}"
prefix = "${PREFIX}"
`,
  )
  const gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
  await gw.ready()
  return gw
}

async function createKey(gw: CrabllmProcess, name: string): Promise<string> {
  const res = await gw.fetch('/v1/admin/keys', { method: 'POST', headers: admin, body: JSON.stringify({ name }) })
  expect(res.status).toBe(201)
  return ((await res.json()) as { key: string }).key
}

async function chatStatus(gw: CrabllmProcess, key: string): Promise<number> {
  const res = await gw.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
  })
  await res.arrayBuffer()
  return res.status
}

/**
 * Polls until `check` holds. The other gateway is another process, so its rebuild shows only in its
 * answers: each turn awaits one (no fixed pause); the bound guards against a hung test.
 */
async function until(what: string, check: () => Promise<boolean>, boundMs = 3000): Promise<void> {
  const started = performance.now()
  while (!(await check()))
    if (performance.now() - started > boundMs) throw new Error(`${what}: not within ${boundMs} ms`)
}
