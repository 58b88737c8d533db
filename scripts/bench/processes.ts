// The bench's child processes: the mock upstream, crabllm (the compiled binary, or `bun src/main.ts`
// with --source), the baseline (another crabllm binary, --baseline) and the bare relay, each started
// with a ready line on stdout. crabllm and the baseline get a temp config: one key, two providers pointing
// at the mock (an openai-kind one for every model but one, an anthropic-kind one for BENCH_ANTHROPIC_MODEL),
// and by default the realistic extension set (rate_limit, usage, budget, audit) over SQLite. With
// --workers N, crabllm is started with `serve --workers N`. The peer gateway lives in peer-portkey.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { BENCH_ANTHROPIC_MODEL, BENCH_MODELS } from './mock-upstream'
import { processTree } from './rss'

export const ROOT = resolve(import.meta.dir, '../..')
export const BINARY = join(ROOT, 'dist/crabllm')
/** The key the bench's gateway config accepts. */
export const GATEWAY_KEY = 'sk-bench-0123456789abcdef'
/** The key the gateway sends upstream (the mock accepts anything). */
export const UPSTREAM_KEY = 'x'

export interface ChildService extends AsyncDisposable {
  /** The URL from the ready line. */
  readonly url: string
  readonly command: readonly string[]
  readonly pid: number
  /** What the process wrote to stderr so far (the last 64 KiB). */
  stderr(): string
  stop(): Promise<void>
}

export interface SpawnOptions {
  /** The process is ready when a stdout line (ANSI colours removed) contains this. */
  ready: string
  /** The service's URL; when absent, the ready line must hold an http:// URL. */
  url?: string
  timeoutMs?: number
  env?: Record<string, string | undefined>
  cwd?: string
  /** Runs after the process exits (temp dirs). */
  cleanup?: () => void
}

/** Spawns a process and resolves once it printed its ready line; rejects with its stderr if it exits or times out. */
export async function spawnService(command: readonly string[], options: SpawnOptions): Promise<ChildService> {
  const proc = Bun.spawn([...command], {
    cwd: options.cwd ?? ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
    env: options.env ?? process.env,
  })
  let errText = ''
  void drain(proc.stderr, (text) => {
    errText = (errText + text).slice(-65536)
  })
  const ready = Promise.withResolvers<string>()
  let outText = ''
  let seen = false
  // Keeps reading stdout after the ready line so that the child never blocks on a full pipe.
  void drain(proc.stdout, (text) => {
    if (seen) return
    outText += text
    const lines = outText.split('\n')
    lines.pop() // not a whole line yet
    for (const raw of lines) {
      const line = raw.replace(ANSI, '')
      if (!line.includes(options.ready)) continue
      seen = true
      const url = options.url ?? /https?:\/\/\S+/.exec(line)?.[0]
      if (url) ready.resolve(url)
      else ready.reject(new Error(`ready line without a URL: ${line}`))
      return
    }
  })
  void proc.exited.then((code) =>
    ready.reject(new Error(`${command.join(' ')} exited with code ${code} before it was ready\n${errText}`)),
  )
  const timeoutMs = options.timeoutMs ?? 15_000
  const timer = setTimeout(
    () =>
      ready.reject(new Error(`${command.join(' ')} printed no "${options.ready}" line in ${timeoutMs} ms\n${errText}`)),
    timeoutMs,
  )
  let url: string
  try {
    url = await ready.promise
  } catch (err) {
    proc.kill('SIGKILL')
    await proc.exited
    options.cleanup?.()
    throw err
  } finally {
    clearTimeout(timer)
  }
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      // The processes it started (a supervisor's workers, --workers), to end after it should it leave any behind.
      const descendants = processTree(proc.pid)
        .slice(1)
        .map((pid) => ({ pid, cmdline: cmdlineOf(pid) }))
      proc.kill('SIGTERM')
      const killer = setTimeout(() => proc.kill('SIGKILL'), 3000)
      await proc.exited
      clearTimeout(killer)
      // Only a process still running the same command line: never another process that got a freed pid.
      for (const d of descendants)
        if (d.cmdline !== undefined && cmdlineOf(d.pid) === d.cmdline)
          try {
            process.kill(d.pid, 'SIGKILL')
          } catch {
            // Gone in between.
          }
    }
    options.cleanup?.()
  }
  return { url, command, pid: proc.pid, stderr: () => errText, stop, [Symbol.asyncDispose]: stop }
}

/** The mock upstream as its own process, so that its work does not share a thread with the load generator. */
export function spawnMockUpstream(): Promise<ChildService> {
  return spawnService([process.execPath, join(ROOT, 'scripts/bench/mock-upstream.ts')], { ready: 'mock listening on' })
}

/** The bare relay (the runtime's floor) in front of `upstreamUrl`. */
export function spawnBareRelay(
  upstreamUrl: string,
  env: Record<string, string | undefined> = process.env,
): Promise<ChildService> {
  return spawnService([process.execPath, join(ROOT, 'scripts/bench/bare-relay.ts'), '--upstream', upstreamUrl], {
    ready: 'bare relay listening on',
    env,
  })
}

/** What runs inside crabllm: nothing, or rate_limit + usage + budget + audit over memory or SQLite storage. */
export type ExtensionsKind = 'none' | 'memory' | 'sqlite'

export interface GatewayLaunch {
  /** Run `bun src/main.ts` instead of the compiled binary. */
  source: boolean
  /** Run this crabllm binary instead (the baseline): used as it is, never built; `source` is then ignored. */
  binary?: string
  /** Called with progress lines (the build, when one is needed). */
  log?: (line: string) => void
  extensions: ExtensionsKind
  /** Extra environment (e.g. BUN_CONFIG_MAX_HTTP_REQUESTS). */
  env?: Record<string, string>
  /** `serve --workers N`; absent: no --workers flag at all (the gateway's own default). */
  workers?: number
}

export interface GatewayService extends ChildService {
  readonly mode: 'binary' | 'source'
  readonly configPath: string
}

/**
 * Starts the gateway in front of `upstreamUrl` with a temp config; builds dist/crabllm first when it is
 * missing or stale. Each call gets its own temp dir, so two gateways (crabllm and the baseline) get the
 * same config text but never share a SQLite file.
 */
export async function spawnGateway(upstreamUrl: string, launch: GatewayLaunch): Promise<GatewayService> {
  const source = launch.source && launch.binary === undefined
  if (!source && launch.binary === undefined) await ensureBinary(launch.log ?? (() => {}))
  const dir = mkdtempSync(join(tmpdir(), 'crabllm-bench-'))
  const configPath = join(dir, 'crabllm.toml')
  writeFileSync(configPath, benchConfig(upstreamUrl, launch.extensions))
  const serve = serveArgs(configPath, launch.workers)
  const command = source ? [process.execPath, join(ROOT, 'src/main.ts'), ...serve] : [launch.binary ?? BINARY, ...serve]
  // Default log level (warn): no per-request access lines, as in production without -v.
  const env = { ...process.env, LOG_LEVEL: undefined, LOG_FORMAT: undefined, ...launch.env }
  const service = await spawnService(command, {
    ready: 'crabllm listening on',
    env,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  })
  return Object.assign(service, { mode: source ? ('source' as const) : ('binary' as const), configPath })
}

/**
 * crabllm's `serve` arguments: the config, a loopback address, and `--workers N` only when a count is
 * given. With workers the port is chosen here (a free one): every worker must listen on the same port,
 * whatever the gateway makes of port 0 with several processes. Without, port 0 (the gateway picks one and
 * prints it on its ready line).
 */
export function serveArgs(configPath: string, workers?: number): string[] {
  const bind = workers === undefined ? '127.0.0.1:0' : `127.0.0.1:${freePort()}`
  const args = ['serve', '--config', configPath, '--bind', bind]
  if (workers !== undefined) args.push('--workers', String(workers))
  return args
}

export function benchConfig(upstreamUrl: string, extensions: ExtensionsKind = 'sqlite'): string {
  const models = Object.values(BENCH_MODELS)
  const priced = [...models, BENCH_ANTHROPIC_MODEL]
  // Limits far above what a bench run reaches: the extensions do all their work but never refuse.
  const pipeline =
    extensions !== 'none'
      ? `
[storage]
kind = "${extensions}"
path = "bench.db"
${priced.map((m) => `\n[models."${m}"]\nprompt_cost_per_million = 1\ncompletion_cost_per_million = 2\n`).join('')}
[extensions.rate_limit]
requests_per_minute = 100000000
tokens_per_minute = 1000000000
[extensions.usage]
[extensions.budget]
default_budget = 1000000
[extensions.audit]
`
      : `
[storage]
kind = "memory"
`
  return `# Written by scripts/bench.ts for one run; deleted afterwards.
listen = "127.0.0.1:0"
admin_token = "bench-admin-token-0123456789"

[[keys]]
name = "bench"
key = "${GATEWAY_KEY}"
${pipeline}
[providers.mock]
kind = "openai"
base_url = "${upstreamUrl}/v1"
api_key = "${UPSTREAM_KEY}"
models = ${JSON.stringify(models)}

[providers.mock_anthropic]
kind = "anthropic"
base_url = "${upstreamUrl}/v1"
api_key = "${UPSTREAM_KEY}"
models = ${JSON.stringify([BENCH_ANTHROPIC_MODEL])}
`
}

/** A port nothing listens on right now (for a service that cannot be told to pick one and report it). */
export function freePort(): number {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = server.port!
  server.stop(true)
  return port
}

// --- internal ---

/** SGR colour codes, which some services (the peer) put around their ready line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts every SGR sequence
const ANSI = /\x1b\[[0-9;]*m/g

async function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder()
  try {
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }))
  } catch {
    // The process went away; nothing left to read.
  }
}

async function ensureBinary(log: (line: string) => void): Promise<void> {
  const built = statOrUndefined(BINARY)?.mtimeMs
  const newest = Math.max(newestMtime(join(ROOT, 'src')), statOrUndefined(join(ROOT, 'package.json'))?.mtimeMs ?? 0)
  if (built !== undefined && built >= newest) return
  log(
    built === undefined
      ? 'dist/crabllm not found: building it (bun run build)'
      : 'dist/crabllm is older than src/: rebuilding it (bun run build)',
  )
  const proc = Bun.spawn([process.execPath, join(ROOT, 'scripts/build.ts')], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  if (code !== 0) throw new Error(`bun run build failed (exit ${code})\n${out}${err}`)
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const mtime = statOrUndefined(join(entry.parentPath, entry.name))?.mtimeMs ?? 0
    if (mtime > newest) newest = mtime
  }
  return newest
}

/** /proc/<pid>/cmdline, or undefined when the process is gone (or there is no /proc). */
function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return undefined
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}
