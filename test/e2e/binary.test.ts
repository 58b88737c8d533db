// End-to-end tests of the compiled binary (dist/crabllm, or $CRABLLM_BIN): the CLI's exit codes and
// messages, `init`, serving the echo provider with the generated key, relaying to a mock upstream,
// graceful shutdown on SIGTERM, config errors and -v. Every wait awaits an event (a line, an exit, a
// request); nothing sleeps.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pkg from '../../package.json' with { type: 'json' }
import { type CrabllmProcess, crabllmBin, runCrabllm, spawnCrabllm } from '../support/binary'
import { chatChunks, chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const SECRET = /sk-[0-9A-Za-z]{32,}/
const ADMIN_LINE = new RegExp(`^admin token: (${SECRET.source})$`, 'm')
const KEY_LINE = new RegExp(`^default key: (${SECRET.source})$`, 'm')
/** A JS stack frame as Bun prints it; a config mistake must never show one. */
const STACK_FRAME = /^\s+at /m

let root: string
let seq = 0
/** A fresh folder per test: the binary writes configs and SQLite files beside them. */
function scratch(): string {
  const dir = join(root, `t${++seq}`)
  mkdirSync(dir)
  return dir
}

beforeAll(() => {
  crabllmBin() // build once up front so the first test's time is not the build's
  root = mkdtempSync(join(tmpdir(), 'crabllm-e2e-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

function chat(base: string, body: unknown, key?: string): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

/** The `data:` payloads of an SSE body. */
/** `crabllm 0.1.0 (commit 1a2b3c4d5e6f, built 2026-12-03T16:37:02Z, linux-x64)`: version, commit, built, target. */
const VERSION_LINE =
  /^crabllm (\d+\.\d+\.\d+\S*) \(commit ([0-9a-f]{7,40}(?:-dirty)?|unknown), built (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ), ([a-z]+-(?:x64|arm64)(?:-musl|-baseline)?)\)\n$/

function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((f) => f.trim())
    .map((f) => f.replace(/^data: /, ''))
}

describe('command line', () => {
  test('version, --version and -V print the build identity (version, commit, build time, target) and exit 0', async () => {
    const outputs = new Set<string>()
    for (const args of [['version'], ['--version'], ['-V']]) {
      const r = await runCrabllm(args, { cwd: scratch() })
      expect(r.code).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(VERSION_LINE)
      outputs.add(r.stdout)
    }
    expect(outputs.size).toBe(1)
    const [, version, , , target] = [...outputs][0]!.match(VERSION_LINE)!
    expect(version).toBe(pkg.version)
    expect(target).toBe(`${process.platform}-${process.arch}`)
  })

  test('--help exits 0 and lists the commands', async () => {
    const r = await runCrabllm(['--help'], { cwd: scratch() })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('usage: crabllm [command] [flags]')
    expect(r.stdout).toMatch(/^\s+serve\s/m)
    expect(r.stdout).toMatch(/^\s+init\s/m)
    expect(r.stderr).toBe('')
  })

  test('an unknown command exits 2 with usage on stderr', async () => {
    const r = await runCrabllm(['frobnicate'], { cwd: scratch() })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toStartWith("error: unknown command 'frobnicate'\n")
    expect(r.stderr).toContain('usage: crabllm [command] [flags]')
  })

  test('an unknown flag exits 2 with the command usage on stderr and starts nothing', async () => {
    const dir = scratch()
    const r = await runCrabllm(['serve', '--no-such-flag'], { cwd: dir })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toStartWith("error: unknown flag --no-such-flag for 'serve'\n")
    expect(r.stderr).toContain('usage: crabllm serve [flags]')
    expect(r.stderr).toContain('--config PATH')
    expect(existsSync(join(dir, 'crabllm.toml'))).toBe(false)
  })
})

describe('crabllm init', () => {
  let dir: string
  let path: string
  let first: { admin: string; key: string; text: string }

  beforeAll(() => {
    dir = scratch()
    path = join(dir, 'nested', 'crabllm.toml') // the folder does not exist yet
  })

  test('writes a 0600 config and prints the admin token and default key', async () => {
    const r = await runCrabllm(['init', '--out', path], { cwd: dir })
    expect(r.code).toBe(0)
    const admin = r.stderr.match(ADMIN_LINE)?.[1]
    const key = r.stderr.match(KEY_LINE)?.[1]
    expect(admin).toMatch(SECRET)
    expect(key).toMatch(SECRET)
    expect(admin).not.toBe(key)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const text = readFileSync(path, 'utf8')
    expect(text).toContain(`admin_token = "${admin}"`)
    expect(text).toContain(`key = "${key}"`)
    first = { admin: admin!, key: key!, text }
  })

  test('refuses to overwrite without --force and leaves the file alone', async () => {
    const r = await runCrabllm(['init', '--out', path], { cwd: dir })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`${path} already exists`)
    expect(r.stderr).toContain('--force')
    expect(r.stderr).not.toMatch(KEY_LINE)
    expect(readFileSync(path, 'utf8')).toBe(first.text)
  })

  test('--force overwrites with fresh secrets', async () => {
    const r = await runCrabllm(['init', '--out', path, '--force'], { cwd: dir })
    expect(r.code).toBe(0)
    const key = r.stderr.match(KEY_LINE)?.[1]
    expect(key).toMatch(SECRET)
    expect(key).not.toBe(first.key)
    const text = readFileSync(path, 'utf8')
    expect(text).toContain(`key = "${key}"`)
    expect(text).not.toContain(first.key)
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })
})

describe('serve with a missing config: init, then the echo provider', () => {
  let dir: string
  let path: string
  let gw: CrabllmProcess
  let key: string

  beforeAll(async () => {
    dir = scratch()
    path = join(dir, 'etc', 'crabllm.toml')
    gw = spawnCrabllm(['serve', '--config', path, '--bind', '127.0.0.1:0'], { cwd: dir })
    await gw.ready()
    key = gw.stderr().match(KEY_LINE)![1]!
  })
  afterAll(async () => {
    await gw?.[Symbol.asyncDispose]()
  })

  test('writes the starter config first, then serves it', async () => {
    expect(gw.stderr()).toContain('config not found; generating a starter config')
    expect(gw.stderr()).toMatch(ADMIN_LINE)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, 'utf8')).toContain(`key = "${key}"`)
    const ready = gw.stdout().split('\n')[0]!
    expect(ready).toMatch(/^crabllm listening on http:\/\/127\.0\.0\.1:\d+ /)
    expect(ready).toContain(`config=${path}`)
    expect(ready).toContain('auth=on')
    // sqlite storage resolves beside the config, not the working directory
    expect(ready).toContain(`storage=sqlite:${join(dir, 'etc', 'crabllm.db')}`)
    expect(existsSync(join(dir, 'etc', 'crabllm.db'))).toBe(true)
    const health = (await (await gw.fetch('/health')).json()) as {
      status: string
      build: Record<string, string | undefined>
    }
    expect(health.status).toBe('ok')
    // The same identity as `crabllm version`, and as the crabllm_build_info metric.
    const line = (await runCrabllm(['version'], { cwd: scratch() })).stdout
    const [, version, commit, built, target] = line.match(VERSION_LINE)!
    expect(health.build).toEqual({ version, commit, built, target })
    const metrics = await (await gw.fetch('/metrics')).text()
    expect(metrics).toContain(
      `crabllm_build_info{version="${version}",commit="${commit}",target="${target}",built="${built}"} 1\n`,
    )
  })

  test('answers a chat with the generated key', async () => {
    const res = await chat(
      gw.url,
      { model: 'echo', messages: [{ role: 'user', content: 'hello from the e2e test' }] },
      key,
    )
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(body.object).toBe('chat.completion')
    expect(body.model).toBe('echo')
    expect(body.choices[0].message).toMatchObject({ role: 'assistant', content: 'hello from the e2e test' })
    expect(body.usage.total_tokens).toBeGreaterThan(0)
  })

  test('streams a chat that ends with [DONE]', async () => {
    const res = await chat(
      gw.url,
      { model: 'echo', stream: true, messages: [{ role: 'user', content: 'stream me please' }] },
      key,
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith('text/event-stream')
    const data = sseData(await res.text())
    expect(data.at(-1)).toBe('[DONE]')
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d))
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true)
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('stream me please')
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop')
  })

  test('answers embeddings with the generated key', async () => {
    const res = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ model: 'echo', input: ['one', 'two'] }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(body.object).toBe('list')
    expect(body.data.map((d: any) => d.index)).toEqual([0, 1])
    expect(body.data[0].embedding.length).toBeGreaterThan(0)
    expect(body.data[0].embedding.every((x: unknown) => typeof x === 'number')).toBe(true)
  })

  test('401 without a key or with a wrong one', async () => {
    const body = { model: 'echo', messages: [{ role: 'user', content: 'hi' }] }
    const missing = await chat(gw.url, body)
    expect(missing.status).toBe(401)
    expect(((await missing.json()) as any).error).toMatchObject({
      type: 'authentication_error',
      code: 'missing_api_key',
    })
    const wrong = await chat(gw.url, body, `sk-${'x'.repeat(48)}`)
    expect(wrong.status).toBe(401)
    const text = await wrong.text()
    expect(JSON.parse(text).error.type).toBe('authentication_error')
    expect(text).not.toContain('x'.repeat(48))
  })

  test('SIGINT on an idle server exits 0; without -v nothing is logged at info', async () => {
    gw.kill('SIGINT')
    expect(await gw.exited).toBe(0)
    expect(gw.stderr()).toContain('shutting down: draining in-flight requests signal=SIGINT')
    expect(gw.stderr()).toContain('stopped outcome=drained')
    expect(gw.stderr()).not.toMatch(/ INFO /)
  })
})

describe('relay to an upstream', () => {
  const CLIENT_KEY = 'sk-client-e2e-0123456789abcdefghij'
  let mock: MockUpstream
  let gw: CrabllmProcess

  beforeAll(async () => {
    mock = await startMockUpstream()
    const dir = scratch()
    // `listen` from the file (port 0 = any free port), no --bind; no [storage]: memory.
    writeFileSync(
      join(dir, 'crabllm.toml'),
      `listen = "127.0.0.1:0"
[[keys]]
name = "e2e"
key = "${CLIENT_KEY}"
[providers.up]
kind = "openai"
base_url = "${mock.url}/v1"
api_key = "\${UPSTREAM_KEY}"
models = ["gpt-4o-mini"]
`,
    )
    gw = spawnCrabllm(['serve'], { cwd: dir, env: { UPSTREAM_KEY: 'sk-upstream-from-env' } })
    await gw.ready()
  })
  afterAll(async () => {
    await gw?.[Symbol.asyncDispose]()
    await mock?.close()
  })

  test('a chat goes up and comes back byte for byte, with the upstream key instead of the client key', async () => {
    const raw =
      '{ "model":"gpt-4o-mini",\n  "messages":[{"role":"user","content":"caf\\u00e9 ☕"}], "temperature": 0.50, "x_vendor":{"a":[1,3e2]} }'
    const upstreamBody = JSON.stringify(chatCompletion('relayed ✓'))
    mock.enqueue({ body: upstreamBody, headers: { 'content-type': 'application/json' } })
    const before = mock.requests.length
    const res = await chat(gw.url, raw, CLIENT_KEY)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(upstreamBody)
    const seen = mock.requests[before]!
    expect(seen.method).toBe('POST')
    expect(seen.path).toBe('/v1/chat/completions')
    expect(seen.text()).toBe(raw)
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-from-env')
    expect(JSON.stringify(seen.headers)).not.toContain(CLIENT_KEY)
  })

  test('a streamed chat comes back frame for frame', async () => {
    const frames = chatChunks(['one ', 'two ', 'three'])
    mock.enqueue({ sse: frames })
    const res = await chat(
      gw.url,
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'count' }] },
      CLIENT_KEY,
    )
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith('text/event-stream')
    expect(await res.text()).toBe(frames.join(''))
  })
})

describe('graceful shutdown', () => {
  const KEY = 'sk-client-shutdown-0123456789abcdef'

  test('SIGTERM lets an in-flight stream finish with [DONE], /health stops answering ok, exit 0', async () => {
    await using mock = await startMockUpstream()
    const dir = scratch()
    writeFileSync(
      join(dir, 'crabllm.toml'),
      `shutdown_timeout = 20
[[keys]]
name = "e2e"
key = "${KEY}"
[providers.up]
kind = "openai"
base_url = "${mock.url}/v1"
api_key = "sk-upstream"
models = ["gpt-4o-mini"]
`,
    )
    await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
    await gw.ready()

    // The upstream sends the role frame and one piece, then holds the rest until the test has probed
    // /health (the gate) and a slow model's pause has passed (SLOW_MS after SIGTERM): a gateway that
    // stops without draining cuts the stream within that pause instead of waiting.
    const SLOW_MS = 300
    const gate = Promise.withResolvers<void>()
    const slowModel = Promise.withResolvers<void>()
    const frames = chatChunks(['slow ', 'but ', 'complete'])
    mock.enqueue({ sse: frames, holdFrames: Promise.all([gate.promise, slowModel.promise]), holdFramesAfter: 2 })
    const res = await chat(
      gw.url,
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] },
      KEY,
    )
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let received = ''
    while (received !== frames.slice(0, 2).join('')) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`stream ended early: ${received}`)
      received += decoder.decode(value, { stream: true })
    }

    gw.kill('SIGTERM')
    setTimeout(slowModel.resolve, SLOW_MS)
    await gw.waitForLine(/WARN\s+shutting down: draining in-flight requests signal=SIGTERM inflight=1\b/, 'stderr')

    // Draining: a new request must not get a healthy answer. The drain flag (503) is set just before the
    // listener closes, so depending on where the request lands it sees 503, a reset (accepted into the
    // backlog as the listener closed) or a refused connection. Bun's stop() also closes idle keep-alive
    // connections, so in practice the binary refuses rather than answering 503.
    const health = await gw.fetch('/health').then(
      (r) => r.status,
      (e: Error & { code?: string }) => e.code ?? e.message,
    )
    expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(health)
    expect(gw.proc.exitCode).toBeNull()

    gate.resolve()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      received += decoder.decode(value, { stream: true })
    }
    expect(received).toBe(frames.join(''))
    expect(sseData(received).at(-1)).toBe('[DONE]')
    expect(await gw.exited).toBe(0)
    expect(gw.proc.signalCode).toBeNull()
    expect(gw.stderr()).toContain('stopped outcome=drained')
  })
})

describe('config errors', () => {
  async function failsWith(toml: string, args: string[] = []) {
    const dir = scratch()
    writeFileSync(join(dir, 'broken.toml'), toml)
    const r = await runCrabllm(['serve', '--config', 'broken.toml', ...args], { cwd: dir })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('') // no ready line
    expect(r.stderr).not.toMatch(STACK_FRAME)
    expect(r.stderr).not.toContain('unexpected error')
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    return r.stderr.trimEnd()
  }

  test('an unknown field names the file, the line, the field and a fix', async () => {
    const line = await failsWith(
      `listen = "127.0.0.1:0"\n\n[providers.up]\nkind = "openai"\nbase_url = "http://127.0.0.1:9/v1"\nmodles = ["gpt-4o-mini"]\n`,
    )
    expect(line).toBe("error: broken.toml:6: providers.up.modles: unknown field 'modles' (fix: did you mean 'models'?)")
  })

  test('bad TOML names the file and the line', async () => {
    const line = await failsWith('listen = "127.0.0.1:0"\nshutdown_timeout = = 3\n')
    expect(line).toStartWith('error: broken.toml:2: invalid TOML')
  })

  test('a value of the wrong type names the field', async () => {
    const line = await failsWith('listen = "127.0.0.1:0"\nshutdown_timeout = "thirty"\n')
    expect(line).toStartWith('error: broken.toml:2: shutdown_timeout: expected a number')
  })

  test('a port already in use is a config error on `listen`, not a crash', async () => {
    await using taken = await startMockUpstream()
    const line = await failsWith(`listen = "127.0.0.1:${taken.port}"\n`)
    expect(line).toStartWith(`error: broken.toml: listen: cannot listen on 127.0.0.1:${taken.port}`)
  })
})

describe('logging', () => {
  test('-v logs each request at info on stderr', async () => {
    const dir = scratch()
    writeFileSync(join(dir, 'crabllm.toml'), '[providers.echo]\nkind = "echo"\n') // no keys: auth off
    await using gw = spawnCrabllm(['-v', 'serve', '--bind', '127.0.0.1:0'], { cwd: dir })
    await gw.ready()
    expect(gw.stdout()).toContain('auth=off')
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'e2e-verbose-1' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'log me' }] }),
    })
    expect(res.status).toBe(200)
    const m = await gw.waitForLine(/^\S+ INFO\s+request request_id=e2e-verbose-1 .*\bstatus=200\b/, 'stderr')
    expect(m[0]).toContain('model=echo')
    expect(m[0]).toContain('key=anonymous')
  })
})
