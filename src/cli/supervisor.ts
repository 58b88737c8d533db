// `workers = N` (N > 1): this process serves no HTTP itself. It owns the storage that belongs to one
// process (memory, SQLite) and serves it to the workers on a Unix socket (storage/shared.ts), starts N
// worker processes of this same program that listen on one port together (SO_REUSEPORT: the kernel
// spreads new connections over them), prints one ready line when all serve, restarts a worker that dies,
// sends a SIGHUP on to every worker as a reload, and on SIGTERM/SIGINT drains every worker, then closes
// the storage and exits once. A worker whose supervisor disappears drains and exits by itself.
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'
import type { Config } from '../config/schema'
import type { Logger } from '../core/log'
import type { StorageHandle } from '../storage'
import { serveOwner } from '../storage/shared'
import { FETCH_LIMIT_VAR, selfCommand, UPSTREAM_REQUEST_LIMIT } from './fetch-limit'
import { listenError } from './listen-error'

/** Set in a worker's environment: its number (1…N) and the owner's socket. */
export const WORKER_VAR = 'CRABLLM_WORKER'
export const OWNER_VAR = 'CRABLLM_OWNER'

/** What a worker sends with `ready`: its part of the startup line. */
export interface ReadyDetail {
  line: string
}

export interface SupervisorOptions {
  config: Config
  /** The config file, as given (workers get it made absolute). */
  path: string
  listen: { hostname: string; port: number }
  /** --bind was given (for error messages: the field is then not `listen`). */
  bound: boolean
  workers: number
  /** The owner's storage (memory or SQLite); null for Redis, which every worker opens itself. */
  storage: StorageHandle | null
  log: Logger
}

/** A worker that lived at least this long before dying is restarted at once; quicker deaths back off. */
const STABLE_MS = 10_000
const MAX_BACKOFF_MS = 5000

/** How many workers `auto` means: one per core the process may run on. */
export function autoWorkers(): number {
  return Math.max(1, availableParallelism())
}

export async function runSupervisor(options: SupervisorOptions): Promise<number> {
  const { config, log, workers } = options
  const port = await claimPort(options)
  const bind = `${options.listen.hostname.includes(':') ? `[${options.listen.hostname}]` : options.listen.hostname}:${port}`
  const dir = mkdtempSync(join(tmpdir(), 'crabllm-'))
  const socketPath = join(dir, 'owner.sock')
  const slots: Slot[] = Array.from({ length: workers }, (_, i) => ({
    worker: i + 1,
    process: null,
    started: 0,
    restarts: 0,
    ready: false,
  }))
  let stopping = false
  let allReady = false
  const firstReady = Promise.withResolvers<ReadyDetail | null>()
  let firstDetail: ReadyDetail | null = null
  const owner = serveOwner(options.storage?.store ?? null, options.storage?.location ?? '', socketPath, {
    ready(worker, pid, detail) {
      const slot = slots[worker - 1]
      if (!slot) return
      slot.ready = true
      if (allReady) log.warn('worker restarted and serving', { worker, pid })
      firstDetail ??= detail as ReadyDetail
      if (!allReady && slots.every((s) => s.ready)) {
        allReady = true
        firstReady.resolve(firstDetail)
      }
    },
  })
  const env = {
    ...process.env,
    [OWNER_VAR]: socketPath,
    LOG_LEVEL: log.level,
    [FETCH_LIMIT_VAR]: process.env[FETCH_LIMIT_VAR] || String(UPSTREAM_REQUEST_LIMIT),
  }
  const command = selfCommand(['serve', '--config', resolve(options.path), '--bind', bind])
  const exited = new Set<Slot>()
  const allExited = Promise.withResolvers<void>()

  const spawn = (slot: Slot) => {
    slot.started = Date.now()
    slot.ready = false
    slot.process = Bun.spawn(command, {
      env: { ...env, [WORKER_VAR]: String(slot.worker) },
      stdio: ['ignore', 'inherit', 'inherit'],
      onExit: (_proc, code, signal) => onExit(slot, code, signal),
    })
  }
  const onExit = (slot: Slot, code: number | null, signal: number | string | null) => {
    slot.process = null
    if (stopping) {
      exited.add(slot)
      if (exited.size === slots.length) allExited.resolve()
      return
    }
    if (!allReady) {
      // A worker that cannot start (it said why on stderr) stops the whole gateway.
      firstReady.resolve(null)
      return
    }
    const lived = Date.now() - slot.started
    slot.restarts = lived >= STABLE_MS ? 0 : slot.restarts + 1
    const delay = slot.restarts === 0 ? 0 : Math.min(100 * 2 ** (slot.restarts - 1), MAX_BACKOFF_MS)
    log.error('worker exited unexpectedly; restarting it', {
      worker: slot.worker,
      code: code ?? undefined,
      signal: signal ?? undefined,
      delay_ms: delay,
    })
    setTimeout(() => {
      if (!stopping) spawn(slot)
      else {
        exited.add(slot)
        if (exited.size === slots.length) allExited.resolve()
      }
    }, delay)
  }

  for (const slot of slots) spawn(slot)
  const ready = await firstReady.promise
  if (!ready) {
    stopping = true
    for (const slot of slots) slot.process?.kill('SIGKILL')
    await Promise.all(slots.map((s) => s.process?.exited))
    owner.stop()
    await options.storage?.close().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
    log.error('a worker could not start; the gateway stops', { workers })
    return 1
  }
  process.stdout.write(`${ready.line} workers=${workers}\n`)

  return await new Promise<number>((done) => {
    const stop = async (signal: string) => {
      if (stopping) {
        log.warn('second signal: stopping every worker now', { signal })
        for (const slot of slots) slot.process?.kill('SIGKILL')
        done(1)
        return
      }
      stopping = true
      log.warn('shutting down: draining every worker', { signal, workers, timeout_s: config.shutdown_timeout })
      // Slots with no process (between a death and its restart) are already out.
      for (const slot of slots) {
        if (slot.process) slot.process.kill('SIGTERM')
        else exited.add(slot)
      }
      if (exited.size === slots.length) allExited.resolve()
      // A worker drains for up to shutdown_timeout; one that hangs past it (and a grace) is killed.
      const grace = setTimeout(
        () => {
          for (const slot of slots) slot.process?.kill('SIGKILL')
        },
        config.shutdown_timeout * 1000 + 5000,
      )
      await allExited.promise
      clearTimeout(grace)
      owner.stop()
      await options.storage?.close().catch((err) => log.error('closing storage failed', { error: String(err) }))
      rmSync(dir, { recursive: true, force: true })
      log.warn('stopped', { workers })
      done(0)
    }
    // A reload reaches every worker; each re-reads the file and keeps its config when the file is broken.
    process.on('SIGHUP', () => {
      log.info('config reload: signalling every worker', { workers })
      for (const slot of slots) slot.process?.kill('SIGHUP')
    })
    process.on('SIGTERM', () => void stop('SIGTERM'))
    process.on('SIGINT', () => void stop('SIGINT'))
  })
}

interface Slot {
  worker: number
  process: Subprocess | null
  started: number
  /** Quick deaths in a row (reset by a worker that lived STABLE_MS). */
  restarts: number
  ready: boolean
}

/**
 * The port the workers share: checks that it is free (a taken port is the same error as for one
 * process, unless reuse_port) and picks one when the config asks for port 0.
 */
async function claimPort(options: SupervisorOptions): Promise<number> {
  const { hostname, port } = options.listen
  try {
    const probe = Bun.serve({
      hostname,
      port,
      reusePort: options.config.reuse_port === true,
      fetch: () => new Response(null, { status: 503 }),
    })
    const claimed = probe.port ?? port
    await probe.stop(true)
    return claimed
  } catch (err) {
    await options.storage?.close().catch(() => {})
    throw listenError(options.path, options.bound, options.listen, err)
  }
}
