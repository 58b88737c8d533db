// Opens the configured storage backend at start-up so that a bad path or an unreachable Redis is
// reported before the gateway serves, and hands out the one Store interface (store.ts) over it.
import { Database } from 'bun:sqlite'
import type Redis from 'ioredis'
import { ConfigError } from '../config/errors'
import { resolveBeside } from '../config/load'
import type { StorageConfig } from '../config/schema'
import type { Logger } from '../core/log'
import { workerEntry } from '../core/worker-entry'
import { memoryStore } from './memory'
import { redisStore } from './redis'
import { sqliteStore } from './sqlite'
import type { Store } from './store'

export type { Entry, Store } from './store'

export interface StorageHandle {
  readonly kind: StorageConfig['kind']
  /** Where the data lives, for the startup line (never a password). */
  readonly location: string
  readonly store: Store
  /**
   * SQLite: resolves after the checkpoint thread's next checkpoint that starts after this call (tests
   * await it instead of waiting for the interval). Absent on the other backends.
   */
  nextCheckpoint?(): Promise<void>
  close(): Promise<void>
}

export async function openStorage(
  config: StorageConfig | undefined,
  configDir: string,
  configFile: string,
  log?: Logger,
): Promise<StorageHandle> {
  const kind = config?.kind ?? 'memory'
  if (kind === 'sqlite') {
    const path = resolveBeside(configDir, config?.path ?? 'crabllm.db')
    let db: Database
    try {
      db = new Database(path, { create: true, strict: true })
      db.run('PRAGMA journal_mode = WAL')
      db.run('PRAGMA busy_timeout = 5000')
      // WAL + NORMAL: commits do not fsync; the database stays consistent, and only a power loss (not a
      // crash of the process) can drop the last commits. FULL would fsync every counter update.
      db.run('PRAGMA synchronous = NORMAL')
      // Checkpoints (WAL → database file, with fsync) run on a worker thread (checkpoint-worker.ts), never
      // inside a commit on the event loop: an auto-checkpoint there stalled a request every ~1000 pages.
      db.run('PRAGMA wal_autocheckpoint = 0')
      db.run('CREATE TABLE IF NOT EXISTS crabllm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
      db.run("INSERT OR IGNORE INTO crabllm_meta (key, value) VALUES ('schema_version', '1')")
    } catch (err) {
      throw new ConfigError(
        configFile,
        'storage.path',
        `cannot open SQLite database ${path}: ${(err as Error).message}`,
        'point it at a writable file',
      )
    }
    const store = sqliteStore(db, { waitForCommit: config?.wait_for_commit !== false })
    const checkpointer = startCheckpointer(path, log)
    return {
      kind,
      location: path,
      store,
      nextCheckpoint: () => checkpointer.next(),
      close: async () => {
        await checkpointer.stop()
        await store.close()
        // The last connection to close checkpoints what is left and removes the WAL.
        db.close()
      },
    }
  }
  if (kind === 'redis') {
    const url = config?.path ?? 'redis://127.0.0.1:6379'
    // The first connection must succeed (a bad URL stops start-up); after that ioredis reconnects with
    // backoff, and calls made while it is down fail fast instead of queueing without bound.
    let started = false
    // Loaded only for Redis storage: a gateway on SQLite or memory never holds the client (~10 MB).
    const { default: Redis } = await import('ioredis')
    const client = new Redis(url, {
      lazyConnect: true,
      // While disconnected a call rejects at once, and the extension's on_storage_error answers (200 or
      // 503). With the offline queue (ioredis' default) calls waited for the reconnection: measured
      // p50 4.4 s and up to 6 s per request during a 10 s outage (the queue is flushed only every second
      // failed reconnection), and requests piled up behind it.
      enableOfflineQueue: false,
      // A call already written when the connection dies is flushed after the next failed reconnection;
      // one written to a Redis that stopped answering (hung, or a partition without a reset) waits this
      // long at most.
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: 5000,
      // Reconnection attempts every 100 ms, 200 ms, … then every second: back within a second of Redis.
      retryStrategy: (times) => (started ? Math.min(times * 100, 1000) : null),
    })
    // Connection trouble after start-up is reported (at most every 10 s), not swallowed; the calls made
    // meanwhile reject, and each extension's on_storage_error decides (open: served; closed: 503).
    let lastReport = 0
    client.on('error', (err: Error) => {
      if (!started || Date.now() - lastReport < 10_000) return
      lastReport = Date.now()
      log?.error('redis connection error; reconnecting', { url: redactUrl(url), error: err.message })
    })
    client.on('ready', () => {
      if (started && lastReport) log?.warn('redis connection restored', { url: redactUrl(url) })
    })
    try {
      await client.connect()
      await client.ping()
      started = true
    } catch (err) {
      client.disconnect()
      throw new ConfigError(
        configFile,
        'storage.path',
        `cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`,
        'start redis-server or fix the URL',
      )
    }
    await warnWithoutAof(client, redactUrl(url), log)
    const store = redisStore(client, { keyPrefix: config?.prefix })
    return { kind, location: redactUrl(url), store, close: () => store.close() }
  }
  const store = memoryStore()
  return { kind: 'memory', location: 'memory', store, close: () => store.close() }
}

/** How long one Redis call may wait for its reply before it fails (the extension then fails open or closed). */
const REDIS_COMMAND_TIMEOUT_MS = 2000

/**
 * One warning at start when Redis keeps no append-only file: a restart then loses, or rolls back to its
 * last snapshot, every rate-limit window, budget and admin key (measured: a 300/min key served 600, a
 * budget of 100 answered about 205). Revoked keys stay refused either way (admin/live.ts).
 */
async function warnWithoutAof(client: Redis, url: string, log: Logger | undefined): Promise<void> {
  let info: string
  try {
    info = await client.info('persistence')
  } catch (err) {
    // A managed Redis may rename or refuse INFO: nothing to check, and no reason to stop.
    log?.debug('cannot read Redis persistence settings', { url, error: (err as Error).message })
    return
  }
  if (!/^aof_enabled:0\r?$/m.test(info)) return
  log?.warn(
    'redis has AOF off: a Redis restart loses or rolls back rate-limit windows, budgets, usage and admin keys',
    {
      url,
      fix: 'CONFIG SET appendonly yes, and in redis.conf: appendonly yes, appendfsync everysec (or always)',
    },
  )
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'redis'
  }
}

/** How often the checkpointer copies the WAL into the database file. */
const CHECKPOINT_MS = 1000

/**
 * The checkpoint thread for an SQLite file; next() resolves after its next checkpoint, stop() waits until
 * its connection is closed.
 */
function startCheckpointer(path: string, log: Logger | undefined): { next(): Promise<void>; stop(): Promise<void> } {
  const worker = new Worker(workerEntry(import.meta, 'storage/checkpoint-worker.ts'))
  const stopped = Promise.withResolvers<void>()
  /** next() callers by request number: each is answered by a checkpoint that started after its call. */
  const waiting = new Map<number, () => void>()
  let asked = 0
  worker.onmessage = (event: MessageEvent) => {
    if (event.data === 'stopped') stopped.resolve()
    else if (event.data && typeof event.data === 'object' && 'checkpointed' in event.data) {
      for (const [n, resolve] of waiting)
        if (n <= event.data.checkpointed) {
          waiting.delete(n)
          resolve()
        }
    } else if (event.data && typeof event.data === 'object' && 'error' in event.data)
      log?.warn('sqlite checkpoint failed; retrying', { error: String(event.data.error) })
  }
  worker.onerror = (event) => {
    log?.error('sqlite checkpoint thread failed', { error: event.message })
    stopped.resolve()
  }
  worker.postMessage({ path, intervalMs: CHECKPOINT_MS })
  // A checkpoint thread alone must not keep the process alive.
  worker.unref()
  return {
    next() {
      const { promise, resolve } = Promise.withResolvers<void>()
      waiting.set(++asked, resolve)
      worker.postMessage({ notify: asked })
      return promise
    },
    async stop() {
      worker.postMessage('stop')
      await Promise.race([stopped.promise, Bun.sleep(2000)])
      worker.terminate()
    },
  }
}
