// The container image (Dockerfile) and compose.yaml. Always, without Docker: the image runs as a
// non-root user with a health check, VOLUME /data, EXPOSE 5632 and STOPSIGNAL SIGTERM, builds without
// emulation (build stage on the build platform, no RUN in the runtime stage); its ENTRYPOINT + CMD,
// run here against the compiled binary in an empty folder standing for /data, write the starter config
// and print the default key, serve the echo model, and exit 0 with the "stopped" line on SIGTERM; its
// HEALTHCHECK command passes on a 200 from /health and fails on a 503 (draining) or a closed port;
// compose.yaml parses, runs the same health check, keeps Redis's AOF on and waits for Redis healthy.
// With a Docker engine (`docker info` answers) and buildx: the image is built and run on a fresh
// volume, becomes healthy, answers one chat request with the printed default key, runs as uid 10001,
// and `docker stop` (SIGTERM) ends it with exit code 0 and the "stopped" line. Without an engine that
// test is skipped, saying why.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { crabllmBin, spawnCrabllm } from '../support/binary'

const ROOT = resolve(import.meta.dir, '../..')
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
const COMPOSE = readFileSync(join(ROOT, 'compose.yaml'), 'utf8')
/** Guard for one awaited event (a line, a health status), so that a hang fails with a message. */
const EVENT_TIMEOUT_MS = 120_000

// ---- the Dockerfile, parsed as the builder reads it: comment lines dropped, `\` continuations joined.

interface Instruction {
  keyword: string
  args: string
}

function parseDockerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = []
  let pending = ''
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue
    if (pending === '' && raw.trim() === '') continue
    const line = raw.replace(/\s+$/, '')
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `
      continue
    }
    const whole = (pending + line).trim()
    pending = ''
    const m = whole.match(/^(\S+)\s*(.*)$/s)!
    const instruction = { keyword: m[1]!.toUpperCase(), args: m[2]! }
    if (instruction.keyword === 'FROM') stages.push([])
    stages.at(-1)?.push(instruction)
  }
  return stages
}

const stages = parseDockerfile(DOCKERFILE)
const buildStage = stages[0] ?? []
const runtime = stages.at(-1) ?? []
const all = (stage: Instruction[], keyword: string) => stage.filter((i) => i.keyword === keyword)
const one = (stage: Instruction[], keyword: string): string => {
  const found = all(stage, keyword)
  expect(found.map((i) => i.keyword)).toEqual([keyword])
  return found[0]!.args
}
const execForm = (args: string): string[] => {
  const parsed: unknown = JSON.parse(args)
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string'))
    throw new Error(`not an exec-form array: ${args}`)
  return parsed
}
/** HEALTHCHECK [--option=value …] CMD ["…"]: the options and the command's argv. */
function healthcheck(): { options: Record<string, string>; argv: string[] } {
  const m = one(runtime, 'HEALTHCHECK').match(/^((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[.*\])$/s)
  if (!m) throw new Error('HEALTHCHECK is not of the form [--option=value …] CMD ["exec", "form"]')
  const options = Object.fromEntries(
    m[1]!
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map((o) => o.slice(2).split('=') as [string, string]),
  )
  return { options, argv: execForm(m[2]!) }
}
/** The image's command line: ENTRYPOINT followed by CMD. */
const imageCommand = () => [...execForm(one(runtime, 'ENTRYPOINT')), ...execForm(one(runtime, 'CMD'))]

const HEALTH_TARGET = '/dev/tcp/127.0.0.1/5632'
/** The HEALTHCHECK command aimed at another port of this machine. */
function healthArgv(port: number): string[] {
  const { argv } = healthcheck()
  expect(argv.join(' ')).toContain(HEALTH_TARGET)
  return argv.map((a) => a.replaceAll(HEALTH_TARGET, `/dev/tcp/127.0.0.1/${port}`))
}
async function runHealthcheck(port: number): Promise<number> {
  const proc = Bun.spawn(healthArgv(port), { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  return proc.exited
}

describe('the Dockerfile, read statically', () => {
  test('the runtime stage runs as uid 10001 with /data as volume and working directory, port 5632, SIGTERM', () => {
    const user = one(runtime, 'USER')
    expect(user.split(':')[0]).toBe('10001')
    expect(['root', '0']).not.toContain(user.split(':')[0])
    const volume = one(runtime, 'VOLUME')
    expect(volume.startsWith('[') ? execForm(volume) : volume.split(/\s+/)).toEqual(['/data'])
    expect(one(runtime, 'WORKDIR')).toBe('/data')
    expect(one(runtime, 'EXPOSE').split(/\s+/)).toEqual(['5632'])
    expect(one(runtime, 'STOPSIGNAL')).toBe('SIGTERM')
  })

  test('the image serves /data/crabllm.toml on 0.0.0.0:5632 and has a health check without curl', () => {
    expect(imageCommand()).toEqual(['crabllm', 'serve', '--config', '/data/crabllm.toml', '--bind', '0.0.0.0:5632'])
    const { options, argv } = healthcheck()
    expect(Object.keys(options).sort()).toEqual(['interval', 'retries', 'start-period', 'timeout'])
    expect(argv[0]).toBe('bash')
    expect(argv.join(' ')).not.toMatch(/\b(curl|wget)\b/)
  })

  test('the runtime stage holds only the binary, and nothing is emulated for a foreign platform', () => {
    expect(stages.length).toBe(2)
    // The build stage runs on the build machine and cross-compiles (Bun aborts under QEMU emulation).
    expect(one(buildStage, 'FROM')).toMatch(/^--platform=\$BUILDPLATFORM node:22-bookworm-slim AS build$/)
    expect(all(buildStage, 'RUN').some((r) => r.args.includes('scripts/build.ts --target'))).toBe(true)
    expect(one(runtime, 'FROM')).toBe('debian:bookworm-slim')
    expect(all(runtime, 'RUN')).toEqual([])
    const copies = all(runtime, 'COPY').map((c) => c.args)
    expect(copies).toContain('--from=build /out/crabllm /usr/local/bin/crabllm')
    expect(copies.every((c) => c.startsWith('--from=build '))).toBe(true)
  })

  test('.dockerignore leaves out dependencies, outputs and local state, and keeps .git (the commit stamp)', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
    for (const entry of ['**/node_modules', 'dist', 'var', '**/*.db', 'crabllm.toml.local'])
      expect(ignored).toContain(entry)
    expect(ignored.some((l) => l.replace(/^\*\*\//, '').startsWith('.git'))).toBe(false)
  })
})

describe('compose.yaml, read statically', () => {
  const compose = Bun.YAML.parse(COMPOSE) as any

  test('it parses: the gateway built here on a named volume at /data and port 5632, after a healthy Redis', () => {
    const gw = compose.services.crabllm
    expect(gw.build).toBe('.')
    expect(gw.ports).toEqual(['5632:5632'])
    expect(gw.volumes).toEqual(['crabllm-data:/data'])
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['crabllm-data', 'redis-data']))
    expect(gw.depends_on).toEqual({ redis: { condition: 'service_healthy' } })
    expect(gw.stop_signal).toBe('SIGTERM')
    // Longer than the starter's shutdown_timeout (30 s), so that the drain ends before Docker's SIGKILL.
    expect(Number.parseInt(gw.stop_grace_period, 10)).toBeGreaterThan(30)
  })

  test("the gateway's health check is the image's (compose writes $ as $$)", () => {
    const test_ = compose.services.crabllm.healthcheck.test as string[]
    expect(test_[0]).toBe('CMD')
    expect(test_.slice(1).map((a) => a.replaceAll('$$', '$'))).toEqual(healthcheck().argv)
  })

  test('Redis keeps what it is told: AOF on, fsync every second, on a volume, with a health check', () => {
    const redis = compose.services.redis
    expect(redis.image).toBe('redis:7')
    const command: string[] = Array.isArray(redis.command) ? redis.command : String(redis.command).split(/\s+/)
    const flag = (name: string) => command[command.indexOf(name) + 1]
    expect(command).toContain('--appendonly')
    expect(flag('--appendonly')).toBe('yes')
    expect(flag('--appendfsync')).toBe('everysec')
    expect(redis.volumes).toEqual(['redis-data:/data'])
    expect(redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping'])
    expect(redis.ports).toBeUndefined()
  })

  test('the comment shows the [storage] lines that point the gateway at this Redis', () => {
    expect(COMPOSE).toContain('#   [storage]\n#   kind = "redis"\n#   path = "redis://redis:6379"\n')
  })
})

describe("the image's command and health check, run outside a container against the compiled binary", () => {
  let data: string
  beforeAll(() => {
    crabllmBin()
    data = mkdtempSync(join(tmpdir(), 'crabllm-container-'))
  })
  afterAll(() => rmSync(data, { recursive: true, force: true }))

  test('first start in an empty /data: starter config and key printed, healthy, a chat answered, SIGTERM exits 0', async () => {
    // ENTRYPOINT + CMD with /data → a temp folder and 0.0.0.0:5632 → a free port on 127.0.0.1.
    const args = imageCommand()
      .slice(1)
      .map((a) => a.replace(/^\/data\//, `${data}/`).replace('0.0.0.0:5632', '127.0.0.1:0'))
    await using gw = spawnCrabllm(args, { cwd: data, env: { HOME: data } })
    const url = await gw.ready()
    const key = (await gw.waitForLine(/^default key: (sk-\S+)$/, 'stderr'))[1]!
    expect(existsSync(join(data, 'crabllm.toml'))).toBe(true)
    expect(existsSync(join(data, 'crabllm.db'))).toBe(true)
    const port = Number(new URL(url).port)
    expect(await runHealthcheck(port)).toBe(0)

    const chat = await gw.fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello from the image' }] }),
    })
    expect(chat.status).toBe(200)
    expect(((await chat.json()) as any).choices[0].message.content).toContain('hello from the image')

    gw.kill('SIGTERM')
    expect(await gw.exited).toBe(0)
    expect(gw.stderr()).toMatch(/ WARN +stopped outcome=drained/)
    expect(await runHealthcheck(port)).not.toBe(0)
  })

  test('the health check fails on a 503 (what /health answers while draining)', async () => {
    using server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch: () => Response.json({ status: 'draining' }, { status: 503 }),
    })
    expect(await runHealthcheck(server.port!)).toBe(1)
  })
})

// ---- with a Docker engine

function sh(cmd: string[], timeout = 30_000): { code: number; out: string; err: string } {
  try {
    const r = Bun.spawnSync(cmd, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', timeout })
    return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() }
  } catch (e) {
    return { code: -1, out: '', err: String(e) }
  }
}

const engineProbe = Bun.which('docker') ? sh(['docker', 'info', '--format', '{{.ServerVersion}}']) : undefined
const engine = engineProbe?.code === 0
const buildx = engine && sh(['docker', 'buildx', 'version']).code === 0
const skipReason = !Bun.which('docker')
  ? 'no docker CLI on PATH'
  : !engine
    ? `no Docker engine answers \`docker info\` (${(engineProbe?.err.trim().split('\n').at(-1) ?? '').slice(0, 200)})`
    : !buildx
      ? 'the Dockerfile needs BuildKit and `docker buildx` is missing'
      : undefined
if (skipReason) console.warn(`test/e2e/container.test.ts: skipping the image build-and-run test: ${skipReason}`)

/** `docker logs --follow`, with a wait for a line on either stream. */
function followLogs(name: string) {
  const proc = Bun.spawn(['docker', 'logs', '--follow', name], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let text = ''
  const waiters = new Set<() => void>()
  const pump = async (body: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    for await (const chunk of body) {
      text += decoder.decode(chunk, { stream: true })
      for (const w of waiters) w()
    }
  }
  const ended = Promise.all([pump(proc.stdout), pump(proc.stderr)]).then(() => {
    for (const w of waiters) w()
  })
  let done = false
  void ended.then(() => {
    done = true
  })
  return {
    text: () => text,
    ended,
    waitFor(re: RegExp): Promise<RegExpMatchArray> {
      const { promise, resolve, reject } = Promise.withResolvers<RegExpMatchArray>()
      const timer = setTimeout(() => reject(new Error(`no log line matching ${re}:\n${text}`)), EVENT_TIMEOUT_MS)
      const check = () => {
        const m = text
          .split('\n')
          .map((l) => l.match(re))
          .find(Boolean)
        if (m || done) {
          waiters.delete(check)
          clearTimeout(timer)
          m ? resolve(m) : reject(new Error(`the logs ended without a line matching ${re}:\n${text}`))
        }
      }
      waiters.add(check)
      check()
      return promise
    },
    stop: () => proc.kill(),
  }
}

describe.skipIf(skipReason !== undefined)('the image in a Docker engine', () => {
  const tag = `crabllm-test:${process.pid}-${Date.now()}`
  const name = `crabllm-test-${process.pid}-${Date.now()}`
  const volume = `${name}-data`

  test('build, run on a fresh volume, healthy, one chat with the printed key, docker stop → exit 0 and "stopped"', async () => {
    try {
      const build = sh(['docker', 'build', '--tag', tag, ROOT], 900_000)
      expect(build.code, `docker build failed:\n${build.out}${build.err}`).toBe(0)
      expect(sh(['docker', 'volume', 'create', volume]).code).toBe(0)
      const run = sh([
        'docker',
        'run',
        '--detach',
        '--name',
        name,
        '--publish',
        '127.0.0.1::5632',
        '--volume',
        `${volume}:/data`,
        '--stop-timeout',
        '40',
        tag,
      ])
      expect(run.code, run.err).toBe(0)
      await runningContainer()
    } finally {
      sh(['docker', 'rm', '--force', name])
      sh(['docker', 'volume', 'rm', '--force', volume])
      sh(['docker', 'image', 'rm', '--force', tag])
    }
  }, 1_200_000)

  async function runningContainer() {
    const logs = followLogs(name)
    try {
      await logs.waitFor(/crabllm listening on /)
      const key = (await logs.waitFor(/^default key: (sk-\S+)$/))[1]!
      const hostPort = sh(['docker', 'port', name, '5632/tcp']).out.trim().split('\n')[0]!
      const base = `http://${hostPort}`
      expect((await fetch(`${base}/health`)).status).toBe(200)

      // Docker runs the HEALTHCHECK every interval; poll its verdict until it is in (guarded, no fixed wait).
      const deadline = Date.now() + EVENT_TIMEOUT_MS
      let health = ''
      while (health !== 'healthy') {
        health = sh(['docker', 'inspect', '--format', '{{.State.Health.Status}}', name]).out.trim()
        if (health === 'unhealthy' || Date.now() > deadline)
          throw new Error(`container health: ${health}\n${sh(['docker', 'inspect', name]).out}`)
        if (health !== 'healthy') await Bun.sleep(500)
      }

      const chat = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hello, container' }] }),
      })
      expect(chat.status).toBe(200)
      expect(((await chat.json()) as any).choices[0].message.content).toContain('hello, container')

      expect(sh(['docker', 'exec', name, 'id', '-u']).out.trim()).toBe('10001')
      const files = sh(['docker', 'exec', name, 'ls', '/data']).out.split('\n')
      expect(files).toEqual(expect.arrayContaining(['crabllm.toml', 'crabllm.db']))

      // SIGTERM (the image's STOPSIGNAL); 40 s before Docker's SIGKILL, more than the 30 s drain.
      expect(sh(['docker', 'stop', '--time', '40', name], 60_000).code).toBe(0)
      await logs.ended
      expect(sh(['docker', 'inspect', '--format', '{{.State.ExitCode}}', name]).out.trim()).toBe('0')
      expect(logs.text()).toMatch(/ WARN +stopped outcome=drained/)
    } finally {
      logs.stop()
    }
  }
})
