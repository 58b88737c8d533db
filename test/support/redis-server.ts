// Private redis-server processes for the tests that stop, restart or restore Redis (never the shared
// 127.0.0.1:6379): one on a free port and a temp folder, ready when it says so, stopped by SIGKILL
// (sockets reset by the kernel) or SHUTDOWN NOSAVE (Redis closes them; the dump stays what the last SAVE
// wrote). `killAllRedis()` in an afterAll kills whatever a test file left running.
import type { Subprocess } from 'bun'

export const hasRedisServer = Bun.which('redis-server') !== null

/** Guard for one awaited event, so that a regression fails with a message instead of the test timeout. */
const EVENT_TIMEOUT_MS = 15_000

const running = new Set<Subprocess>()

export interface RedisServer {
  readonly port: number
  /** 'kill': SIGKILL; 'shutdown' (default): SHUTDOWN NOSAVE. */
  stop(how?: 'kill' | 'shutdown'): Promise<void>
}

/** A redis-server on `port` with its files in `dir`, snapshotting only on SAVE; AOF when `appendonly`. */
export async function startRedis(port: number, dir: string, appendonly = false): Promise<RedisServer> {
  const proc: Subprocess<'ignore', 'pipe', 'inherit'> = Bun.spawn(
    [
      'redis-server',
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', appendonly ? 'yes' : 'no'],
      ...['--dir', dir, '--logfile', ''],
    ],
    { stdin: 'ignore', stdout: 'pipe', stderr: 'inherit' },
  )
  running.add(proc)
  void proc.exited.then(() => running.delete(proc))
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
    port,
    async stop(how = 'shutdown') {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      if (how === 'kill') proc.kill('SIGKILL')
      else await shutdownNosave(port)
      await proc.exited
    },
  }
}

/** Kills every redis-server this process started and that still runs. */
export function killAllRedis(): void {
  for (const proc of running) proc.kill('SIGKILL')
}

/** A port nobody listens on right now (taken from the kernel, then released). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = listener.port
  listener.stop(true)
  return port
}

/** `promise`, or an error naming `what` after EVENT_TIMEOUT_MS. */
export async function within<T>(promise: Promise<T>, what: string): Promise<T> {
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
