// What one request's storage costs through a multi-worker gateway's shared store (storage/shared.ts),
// without HTTP: an owner process serving a memory or SQLite store, and worker processes that each run
// C request loops doing what the realistic extension set does per request (rate_limit: one increment;
// budget: reserve, then settle (the charge and the release in one call); usage: four increments; audit: one append; then
// wait for the commit). Prints requests/s and the CPU µs per request of the owner and of the workers,
// read from /proc (which holds on a loaded machine better than wall time).
//
//   bun scripts/shared-store-bench.ts [--store memory|sqlite] [--workers N] [--concurrency C] [--seconds S]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1]! : fallback
}
const role = arg('role', 'main')
const path = arg('socket', '')

if (role === 'owner') {
  const { serveOwner } = await import('../src/storage/shared')
  const kind = arg('store', 'memory')
  let store: import('../src/storage/store').Store
  if (kind === 'sqlite') {
    const { Database } = await import('bun:sqlite')
    const { sqliteStore } = await import('../src/storage/sqlite')
    const db = new Database(join(arg('dir', tmpdir()), 'bench.db'), { create: true, strict: true })
    db.run('PRAGMA journal_mode = WAL')
    db.run('PRAGMA synchronous = NORMAL')
    store = sqliteStore(db)
  } else store = (await import('../src/storage/memory')).memoryStore()
  serveOwner(store, kind, path)
  process.stdout.write('ready\n')
  await new Promise(() => {})
} else if (role === 'worker') {
  const { connectOwner } = await import('../src/storage/shared')
  const link = await connectOwner(path, Number(arg('worker', '1')))
  const s = link.store
  const seconds = Number(arg('seconds', '4'))
  const concurrency = Number(arg('concurrency', '16'))
  let done = 0
  const end = performance.now() + seconds * 1000
  const cpu0 = process.cpuUsage()
  await Promise.all(
    Array.from({ length: concurrency }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const id = `${process.pid}-${c}-${i}`
        await s.increment('rate_limit:req:key_1:w', 1, 120_000)
        const hold = await s.reserve('budget:spent:key_1', id, 100, 1e15, 600_000)
        await Promise.all([
          s.increment('usage:key_1/m/requests', 1),
          s.increment('usage:key_1/m/prompt_tokens', 8),
          s.increment('usage:key_1/m/completion_tokens', 10),
          hold.held ? s.settle('budget:spent:key_1', id, 18) : s.increment('budget:spent:key_1', 18),
          s.append('audit:log', Date.now(), `{"request_id":"${id}","status":200,"model":"m","cost":18}`),
        ])
        await s.durable?.()
        done++
      }
    }),
  )
  const cpu = process.cpuUsage(cpu0)
  process.stdout.write(`${JSON.stringify({ done, cpuUs: cpu.user + cpu.system })}\n`)
  process.exit(0)
} else {
  const workers = Number(arg('workers', '2'))
  const seconds = arg('seconds', '4')
  const store = arg('store', 'memory')
  const dir = mkdtempSync(join(tmpdir(), 'crabllm-shared-bench-'))
  const socket = join(dir, 'owner.sock')
  const self = import.meta.path
  const owner = Bun.spawn(
    [process.execPath, self, '--role', 'owner', '--socket', socket, '--store', store, '--dir', dir],
    {
      stdout: 'pipe',
    },
  )
  const reader = owner.stdout.getReader()
  await reader.read()
  const ticks = () => {
    const f = readFileSync(`/proc/${owner.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) * 10_000 // µs at 100 Hz
  }
  const before = ticks()
  const results = await Promise.all(
    Array.from({ length: workers }, async (_, i) => {
      const p = Bun.spawn(
        [
          process.execPath,
          self,
          '--role',
          'worker',
          '--socket',
          socket,
          '--worker',
          String(i + 1),
          '--seconds',
          seconds,
          '--concurrency',
          arg('concurrency', '16'),
        ],
        { stdout: 'pipe' },
      )
      return JSON.parse(await new Response(p.stdout).text()) as { done: number; cpuUs: number }
    }),
  )
  const ownerUs = ticks() - before
  owner.kill()
  rmSync(dir, { recursive: true, force: true })
  const done = results.reduce((n, r) => n + r.done, 0)
  const workerUs = results.reduce((n, r) => n + r.cpuUs, 0)
  console.log(
    JSON.stringify({
      store,
      workers,
      requestsPerSecond: Math.round(done / Number(seconds)),
      ownerCpuUsPerRequest: +(ownerUs / done).toFixed(1),
      workerCpuUsPerRequest: +(workerUs / done).toFixed(1),
    }),
  )
}
