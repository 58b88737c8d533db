// `crabllm serve [--config PATH] [--bind ADDR]` (also a bare `crabllm`): runs init when the config does
// not exist, loads it, opens storage, serves (a taken port is an error), and drains on SIGTERM/SIGINT.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, UsageError } from '../../config/errors'
import { loadConfigFile } from '../../config/load'
import { parseListen } from '../../config/semantics'
import type { Logger } from '../../core/log'
import { PROVIDER_RULES } from '../../providers'
import { createContext } from '../../server/context'
import { type RunningServer, startServer } from '../../server/listen'
import { openStorage } from '../../storage'
import type { FlagSpec } from '../args'
import { writeStarter } from './init'

/** Beside the config file: the digests of revoked API keys (admin/live.ts keepRevocations). */
const REVOCATIONS_FILE = 'crabllm.revoked'

export const serveFlags: FlagSpec[] = [
  {
    name: 'config',
    short: 'c',
    value: true,
    placeholder: 'PATH',
    description: 'config file (default crabllm.toml; created when missing)',
  },
  {
    name: 'bind',
    short: 'b',
    value: true,
    placeholder: 'ADDR',
    description: 'listen address, overrides `listen` (e.g. 0.0.0.0:8080)',
  },
]

export async function runServe(flags: Record<string, string | true>, startLog: Logger): Promise<number> {
  let log = startLog
  const path = typeof flags.config === 'string' ? flags.config : 'crabllm.toml'
  const bind = typeof flags.bind === 'string' ? flags.bind : undefined
  const address = bind ? parseListen(bind) : undefined
  if (bind && !address) throw new UsageError(`--bind: "${bind}" is not a host:port address`)
  if (!existsSync(path)) {
    log.warn('config not found; generating a starter config', { path })
    writeStarter(path, false, (line) => process.stderr.write(`${line}\n`))
  }
  const { config, file, dir, notes } = await loadConfigFile(path, PROVIDER_RULES)
  // log_format from the config, unless LOG_FORMAT chose already.
  if (!process.env.LOG_FORMAT && config.log_format === 'json' && !log.json) log = log.withFormat(true)
  // What loading decided that the file left open (a base_url's pasted endpoint stripped, …).
  for (const note of notes) log.info(note.message, note.fields)
  const listen = address ?? parseListen(config.listen)!
  const storage = await openStorage(config.storage, dir, path, log)
  const ctx = createContext(config, { log, store: storage.store, configPath: path })
  // A Redis restored from a snapshot (or restarted without AOF) could bring a revoked key back; the
  // revocations are kept beside the config, out of its reach. SQLite and memory are this process's own.
  if (storage.kind === 'redis') ctx.live.keepRevocations(join(dir, REVOCATIONS_FILE))
  // Keys and providers made through the admin API, then other instances' changes as they happen.
  try {
    await ctx.live.refresh()
    if (storage.kind !== 'memory') await ctx.live.follow(storage.kind === 'redis' ? 500 : 2000)
  } catch (err) {
    await storage.close()
    throw new ConfigError(
      path,
      'storage',
      `cannot read the admin API's keys and providers: ${(err as Error).message}`,
      'check the storage backend',
    )
  }
  let server: RunningServer
  try {
    server = startServer(ctx, listen)
  } catch (err) {
    await storage.close()
    const code = (err as { code?: string }).code
    const where = `${listen.hostname.includes(':') ? `[${listen.hostname}]` : listen.hostname}:${listen.port}`
    if (code === 'EADDRINUSE')
      throw new ConfigError(
        path,
        bind ? '' : 'listen',
        `cannot listen on ${where}: the address is already in use (another crabllm, or another program)`,
        'stop the other process, pick another port with --bind HOST:PORT (or `listen`), or set reuse_port = true in every gateway sharing it',
      )
    throw new ConfigError(
      path,
      bind ? '' : 'listen',
      `cannot listen on ${where}: ${code ?? (err as Error).message}`,
      'pick a free port, or pass --bind',
    )
  }
  const auth = ctx.auth.enabled ? 'on' : 'off (no keys or admin_token configured: anyone can call)'
  process.stdout.write(
    `crabllm listening on ${server.url} models=${ctx.registry.models.length} providers=${ctx.registry.providers.size} extensions=${ctx.pipeline.names.length} auth=${auth} storage=${storage.kind}:${storage.location} config=${file}\n`,
  )
  return await new Promise<number>((resolve) => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) {
        log.warn('second signal: exiting now', { signal })
        resolve(1)
        return
      }
      stopping = true
      log.warn('shutting down: draining in-flight requests', {
        signal,
        inflight: ctx.inflight.count,
        timeout_s: ctx.config.shutdown_timeout,
      })
      await ctx.live.stop().catch(() => {})
      // ctx.config: a SIGHUP may have changed shutdown_timeout.
      const outcome = await server.shutdown(ctx.config.shutdown_timeout * 1000)
      // Usage, budgets and audit records written off the response path are flushed before storage closes.
      await ctx.pipeline.flush().catch((err) => log.error('flushing extension writes failed', { error: String(err) }))
      await storage.close().catch(() => {})
      log.warn('stopped', { outcome })
      resolve(0)
    }
    // SIGHUP: re-read the config file; a broken file is reported and the old config keeps serving.
    process.on('SIGHUP', () => void ctx.live.reload())
    process.on('SIGTERM', () => void stop('SIGTERM'))
    process.on('SIGINT', () => void stop('SIGINT'))
  })
}
