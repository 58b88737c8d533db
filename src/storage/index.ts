// Opens the configured storage backend at start-up so that a bad path or an unreachable Redis is
// reported before the gateway serves. The key-value interface the extensions use comes with them.
import { Database } from 'bun:sqlite'
import Redis from 'ioredis'
import { ConfigError } from '../config/errors'
import { resolveBeside } from '../config/load'
import type { StorageConfig } from '../config/schema'

export interface StorageHandle {
  readonly kind: StorageConfig['kind']
  /** Where the data lives, for the startup line (never a password). */
  readonly location: string
  close(): Promise<void>
}

export async function openStorage(config: StorageConfig | undefined, configDir: string, configFile: string): Promise<StorageHandle> {
  const kind = config?.kind ?? 'memory'
  if (kind === 'sqlite') {
    const path = resolveBeside(configDir, config?.path ?? 'crabllm.db')
    let db: Database
    try {
      db = new Database(path, { create: true, strict: true })
      db.run('PRAGMA journal_mode = WAL')
      db.run('PRAGMA busy_timeout = 5000')
      db.run('CREATE TABLE IF NOT EXISTS crabllm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)')
      db.run("INSERT OR IGNORE INTO crabllm_meta (key, value) VALUES ('schema_version', '1')")
    } catch (err) {
      throw new ConfigError(configFile, 'storage.path', `cannot open SQLite database ${path}: ${(err as Error).message}`, 'point it at a writable file')
    }
    return { kind, location: path, close: async () => db.close() }
  }
  if (kind === 'redis') {
    const url = config?.path ?? 'redis://127.0.0.1:6379'
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
    } catch (err) {
      client.disconnect()
      throw new ConfigError(configFile, 'storage.path', `cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`, 'start redis-server or fix the URL')
    }
    return { kind, location: redactUrl(url), close: async () => void (await client.quit().catch(() => client.disconnect())) }
  }
  return { kind: 'memory', location: 'memory', close: async () => {} }
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
