// Runs the compiled binary for end-to-end tests: `crabllmBin()` finds (or builds, once per process)
// dist/crabllm; `spawnCrabllm()` starts it with piped output and lets a test await a line on stdout or
// stderr (the ready line, a shutdown log) instead of sleeping; `runCrabllm()` runs a one-shot command.
import { resolve } from 'node:path'
import type { Subprocess } from 'bun'

const ROOT = resolve(import.meta.dir, '../..')
/** `crabllm listening on http://127.0.0.1:5632 models=…`: group 1 is the base URL. */
export const READY_LINE = /^crabllm listening on (http:\/\/\S+)(?: |$)/
/** Upper bound for one awaited line; a guard against a hung test, not a timing assumption. */
const LINE_TIMEOUT_MS = 15_000

let built: string | undefined

/** $CRABLLM_BIN when set (CI builds once), else `bun scripts/build.ts` once per test process. */
export function crabllmBin(): string {
  const given = process.env.CRABLLM_BIN
  if (given) return given
  if (built) return built
  const result = Bun.spawnSync([process.execPath, resolve(ROOT, 'scripts/build.ts')], {
    cwd: ROOT,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  if (result.exitCode !== 0)
    throw new Error(
      `building the binary failed (exit ${result.exitCode}):\n${result.stdout.toString()}${result.stderr.toString()}`,
    )
  built = resolve(ROOT, 'dist/crabllm')
  return built
}

export interface SpawnOptions {
  cwd: string
  /** The command that runs crabllm (default: `crabllmBin()`); e.g. a release binary, or qemu and one. */
  command?: readonly string[]
  /** Added to the environment (LOG_LEVEL and LOG_FORMAT are removed first so -v decides the level). */
  env?: Record<string, string>
}

type Stream = 'stdout' | 'stderr'

export interface CrabllmProcess extends AsyncDisposable {
  readonly proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Base URL from the ready line; throws before `ready()` resolved. */
  readonly url: string
  /** Exit code (signal deaths are reported as 128 + signal number). */
  readonly exited: Promise<number>
  stdout(): string
  stderr(): string
  /** Resolves with the match of the first line (complete, newline-terminated) on `stream` matching `re`. */
  waitForLine(re: RegExp, stream?: Stream): Promise<RegExpMatchArray>
  /** Awaits the ready line and returns the base URL. */
  ready(): Promise<string>
  kill(signal?: NodeJS.Signals | number): void
  fetch(path: string, init?: RequestInit): Promise<Response>
}

export function spawnCrabllm(args: readonly string[], options: SpawnOptions): CrabllmProcess {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env }
  if (!options.env?.LOG_LEVEL) delete env.LOG_LEVEL
  if (!options.env?.LOG_FORMAT) delete env.LOG_FORMAT
  const proc = Bun.spawn([...(options.command ?? [crabllmBin()]), ...args], {
    cwd: options.cwd,
    env,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const text: Record<Stream, string> = { stdout: '', stderr: '' }
  const waiters = new Set<{
    stream: Stream
    re: RegExp
    resolve: (m: RegExpMatchArray) => void
    reject: (e: Error) => void
  }>()
  let closed = false

  const find = (stream: Stream, re: RegExp): RegExpMatchArray | undefined => {
    const complete = text[stream].slice(0, text[stream].lastIndexOf('\n') + 1)
    for (const line of complete.split('\n')) {
      const m = line.match(re)
      if (m) return m
    }
    return undefined
  }
  const check = () => {
    for (const w of waiters) {
      const m = find(w.stream, w.re)
      if (m) {
        waiters.delete(w)
        w.resolve(m)
      } else if (closed) {
        waiters.delete(w)
        w.reject(
          new Error(
            `crabllm exited (code ${proc.exitCode ?? proc.signalCode}) before printing ${w.re} on ${w.stream}\n--- stdout\n${text.stdout}--- stderr\n${text.stderr}`,
          ),
        )
      }
    }
  }
  const pump = async (stream: Stream, body: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of body) {
      text[stream] += decoder.decode(chunk, { stream: true })
      check()
    }
    text[stream] += decoder.decode()
  }
  const drained = Promise.all([pump('stdout', proc.stdout), pump('stderr', proc.stderr)])
  const exited = (async () => {
    const code = await proc.exited
    await drained
    closed = true
    check()
    return code
  })()

  let url: string | undefined
  const child: CrabllmProcess = {
    proc,
    get url() {
      if (!url) throw new Error('crabllm is not ready yet: await ready() first')
      return url
    },
    exited,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitForLine(re, stream = 'stdout') {
      const { promise, resolve, reject } = Promise.withResolvers<RegExpMatchArray>()
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no line matching ${re} on ${stream} within ${LINE_TIMEOUT_MS} ms\n--- stdout\n${text.stdout}--- stderr\n${text.stderr}`,
            ),
          ),
        LINE_TIMEOUT_MS,
      )
      waiters.add({
        stream,
        re,
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      check()
      return promise
    },
    async ready() {
      const m = await child.waitForLine(READY_LINE)
      url = m[1]!
      return url
    },
    kill(signal = 'SIGTERM') {
      proc.kill(signal)
    },
    fetch: (path, init) => fetch(child.url + path, init),
    async [Symbol.asyncDispose]() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited
    },
  }
  return child
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command that exits by itself (init, --version, a bad config) and collects its output. */
export async function runCrabllm(args: readonly string[], options: SpawnOptions): Promise<RunResult> {
  await using child = spawnCrabllm(args, options)
  const timer = setTimeout(() => child.kill('SIGKILL'), LINE_TIMEOUT_MS)
  const code = await child.exited
  clearTimeout(timer)
  return { code, stdout: child.stdout(), stderr: child.stderr() }
}
