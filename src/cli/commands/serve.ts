// `crabllm serve [--config PATH] [--bind ADDR] [--workers N|auto]` (also a bare `crabllm`): runs init
// when the config does not exist, loads it, opens storage, serves (a taken port is an error), and drains
// on SIGTERM/SIGINT. With more than one worker this process becomes the supervisor (../supervisor.ts)
// and each worker runs this same function with CRABLLM_WORKER set: it serves on the shared port with
// the supervisor's shared store, and leaves signals that concern the whole gateway to the supervisor.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, UsageError } from '../../config/errors'
import { loadConfigFile } from '../../config/load'
import { parseListen } from '../../config/semantics'
import { type Logger, taggedLogger } from '../../core/log'
import { PROVIDER_RULES } from '../../providers'
import { type Cluster, createContext } from '../../server/context'
import { type RunningServer, startServer } from '../../server/listen'
import { openStorage, type StorageHandle } from '../../storage'
import { connectOwner, type OwnerLink } from '../../storage/shared'
import type { FlagSpec } from '../args'
import { listenError } from '../listen-error'
import { autoWorkers, OWNER_VAR, type ReadyDetail, runSupervisor, WORKER_VAR } from '../supervisor'
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
  {
    name: 'workers',
    short: 'w',
    value: true,
    placeholder: 'N|auto',
    description: 'worker processes sharing the port (overrides `workers`; auto = one per core; default 1)',
  },
]

export async function runServe(flags: Record<string, string | true>, startLog: Logger): Promise<number> {
  const worker = Number(process.env[WORKER_VAR]) || 0
  const ownerPath = process.env[OWNER_VAR]
  let log = worker ? taggedLogger(startLog, { worker }) : startLog
  const path = typeof flags.config === 'string' ? flags.config : 'crabllm.toml'
  const bind = typeof flags.bind === 'string' ? flags.bind : undefined
  const address = bind ? parseListen(bind) : undefined
  if (bind && !address) throw new UsageError(`--bind: "${bind}" is not a host:port address`)
  const workersFlag = flags.workers === undefined ? undefined : parseWorkers(String(flags.workers))
  if (!existsSync(path)) {
    log.warn('config not found; generating a starter config', { path })
    writeStarter(path, false, (line) => process.stderr.write(`${line}\n`))
  }
  const { config, file, dir, notes } = await loadConfigFile(path, PROVIDER_RULES)
  // log_format from the config, unless LOG_FORMAT chose already.
  if (!process.env.LOG_FORMAT && config.log_format === 'json' && !log.json) log = log.withFormat(true)
  // What loading decided that the file left open (a base_url's pasted endpoint stripped, …): said once.
  if (!worker) for (const note of notes) log.info(note.message, note.fields)
  const listen = address ?? parseListen(config.listen)!
  const workers = worker ? 1 : (workersFlag ?? workersOf(config.workers))
  if (workers > 1) {
    // Memory and SQLite belong to one process: the supervisor owns them and serves them to the workers.
    const owned = config.storage?.kind === 'redis' ? null : await openStorage(config.storage, dir, path, log)
    return await runSupervisor({ config, path, listen, bound: bind !== undefined, workers, storage: owned, log })
  }
  let link: OwnerLink | undefined
  let storage: StorageHandle
  if (worker && ownerPath) {
    link = await connectOwner(ownerPath, worker)
    storage =
      link.info.kind === null
        ? await openStorage(config.storage, dir, path, log)
        : { kind: link.info.kind, location: link.info.location, store: link.store, close: async () => {} }
  } else storage = await openStorage(config.storage, dir, path, log)
  const cluster: Cluster | undefined = link && { worker, gather: link.gather }
  const ctx = createContext(config, { log, store: storage.store, configPath: path, cluster })
  // A Redis restored from a snapshot (or restarted without AOF) could bring a revoked key back; the
  // revocations are kept beside the config, out of its reach. SQLite and memory are this process's own.
  if (storage.kind === 'redis') ctx.live.keepRevocations(join(dir, REVOCATIONS_FILE))
  // Keys and providers made through the admin API, then other instances' changes as they happen (a
  // worker hears its siblings' changes through the supervisor at once, and checks every 500 ms).
  try {
    await ctx.live.refresh()
    if (link) await ctx.live.follow(500)
    else if (storage.kind !== 'memory') await ctx.live.follow(storage.kind === 'redis' ? 500 : 2000)
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
    server = startServer(ctx, listen, worker ? { reusePort: true } : {})
  } catch (err) {
    await storage.close()
    throw listenError(path, bind !== undefined, listen, err)
  }
  const auth = ctx.auth.enabled ? 'on' : 'off (no keys or admin_token configured: anyone can call)'
  const line = `crabllm listening on ${server.url} models=${ctx.registry.models.length} providers=${ctx.registry.providers.size} extensions=${ctx.pipeline.names.length} auth=${auth} storage=${storage.kind}:${storage.location} config=${file}`
  if (link) {
    link.onGather(async () => ({
      worker,
      pid: process.pid,
      metrics: ctx.metrics ? await ctx.metrics.render() : '',
      inflight: ctx.inflight.count,
      openStreams: ctx.metrics ? ctx.metrics.openStreams() : 0,
    }))
    await link.ready({ line } satisfies ReadyDetail)
  } else process.stdout.write(`${line}\n`)
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
      link?.close()
      log.warn('stopped', { outcome })
      resolve(0)
    }
    // SIGHUP: re-read the config file; a broken file is reported and the old config keeps serving.
    process.on('SIGHUP', () => void ctx.live.reload())
    if (link) {
      // A worker drains once, whoever asks: the supervisor's SIGTERM, a SIGTERM sent to the whole group
      // (systemd's KillMode=control-group), a terminal's SIGINT to the group (the supervisor sends the
      // SIGTERM), or the supervisor gone.
      const drain = (signal: string) => {
        if (!stopping) void stop(signal)
      }
      process.on('SIGTERM', () => drain('SIGTERM'))
      process.on('SIGINT', () => {})
      link.onClose(() => drain('supervisor gone'))
    } else {
      process.on('SIGTERM', () => void stop('SIGTERM'))
      process.on('SIGINT', () => void stop('SIGINT'))
    }
  })
}

/** `--workers`: a count from 1 to 256, or auto. */
function parseWorkers(value: string): number {
  if (value === 'auto') return autoWorkers()
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new UsageError(`--workers: "${value}" is not a number of workers (1 to 256) or auto`)
  return n
}

/** The config's `workers`: absent is 1. */
function workersOf(value: number | 'auto' | undefined): number {
  return value === 'auto' ? autoWorkers() : (value ?? 1)
}
