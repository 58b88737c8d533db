// Redis durability through the compiled binary (finding 8), on a private redis-server (a free port, a temp
// dir, never the shared 127.0.0.1:6379): a gateway on a Redis without AOF warns at start with the fix (and
// not with AOF on); a key revoked after a snapshot stays refused when Redis is restored from that snapshot,
// on both running gateways, on one started afterwards, and on one restarted beside its revocations file
// after every gateway stopped. Each wait awaits a line of the binary's output, an exit or an answer.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import Redis from 'ioredis'
import { digest } from '../../src/auth'
import { type CrabllmProcess, crabllmBin, spawnCrabllm } from '../support/binary'

const ADMIN = 'admin-token-durability-0123456789'
const PREFIX = 'crabllm-durability:'
/** Guard for an awaited event, so that a regression fails with a message instead of the test timeout. */
const EVENT_TIMEOUT_MS = 15_000
const WENT_BACK = /ERROR +admin storage went back to an older state/
const DELETED_AGAIN =
  /ERROR +a revoked API key came back in storage; it stays refused and was deleted again key=revoked/
const AOF_OFF = /WARN +redis has AOF off: (.*)$/

const hasRedisServer = Bun.which('redis-server') !== null
if (!hasRedisServer) console.warn('skipping test/e2e/redis-durability.test.ts: no redis-server on PATH')
/** Every redis-server this file started, killed in afterAll whatever happened. */
const redisProcesses = new Set<Subprocess>()
let root: string
beforeAll(() => {
  if (!hasRedisServer) return
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-redis-durability-'))
})
afterAll(() => {
  if (!hasRedisServer) return
  for (const proc of redisProcesses) proc.kill('SIGKILL')
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

interface RedisServer {
  /** SHUTDOWN NOSAVE: the dump on disk stays what the last SAVE wrote. */
  stop(): Promise<void>
}

/**
 * A private redis-server on `port` that snapshots only on SAVE (and keeps an append-only file when
 * `appendonly`); resolves once it accepts connections, its dump loaded.
 */
async function startRedis(port: number, dir: string, appendonly: boolean): Promise<RedisServer> {
  const proc: Subprocess<'ignore', 'pipe', 'inherit'> = Bun.spawn(
    [
      'redis-server',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      appendonly ? 'yes' : 'no',
      '--dir',
      dir,
      '--logfile',
      '',
    ],
    { stdin: 'ignore', stdout: 'pipe', stderr: 'inherit' },
  )
  redisProcesses.add(proc)
  void proc.exited.then(() => redisProcesses.delete(proc))
  const decoder = new TextDecoder()
  let log = ''
  const reader = proc.stdout.getReader()
  for (;;) {
    const { done, value } = await within(reader.read(), `redis-server on port ${port} to start`)
    if (done) throw new Error(`redis-server exited before it was ready:\n${log}`)
    log += decoder.decode(value, { stream: true })
    if (log.includes('Ready to accept connections')) break
  }
  // Keep draining its output so that it never blocks on a full pipe.
  void (async () => {
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) return
  })()
  return {
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      await shutdownNosave(port)
      await proc.exited
    },
  }
}

/** SHUTDOWN NOSAVE over a raw connection (Redis closes it without a reply). */
function shutdownNosave(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open: (socket) => void socket.write('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n'),
        data: () => {},
        close: () => resolve(),
        error: (_socket, err) => reject(err),
      },
    }).catch(reject)
  })
}

/** A port nobody listens on right now (taken from the kernel, then released). */
function freePort(): number {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = listener.port
  listener.stop(true)
  return port
}

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: Timer | undefined
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), EVENT_TIMEOUT_MS)
  })
  try {
    return await Promise.race([promise, guard])
  } finally {
    clearTimeout(timer)
  }
}
