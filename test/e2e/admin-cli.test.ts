// The admin CLI of the compiled binary (`crabllm keys …`, `crabllm providers …`) against a running
// gateway binary with SQLite storage: what it creates works for a chat, what it deletes is refused,
// listings never show a secret, --json parses, the defaults come from the config file, and failures
// exit 1 with one line. Every wait awaits an event (a line, an exit, a response); nothing sleeps.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CrabllmProcess, crabllmBin, type RunResult, runCrabllm, spawnCrabllm } from '../support/binary'
import { closedPort, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const ADMIN = 'admin-token-cli-e2e-0123456789'
const CONFIG_KEY = 'sk-config-key-cli-e2e-0123456789abcdef'
const UPSTREAM_KEY = 'sk-upstream-cli-e2e-secret-0123456789'
const SECRET = /sk-[0-9A-Za-z]{32,}/
const STACK_FRAME = /^\s+at /m

let dir: string
let gateway: CrabllmProcess
let upstream: MockUpstream
let base: string

beforeAll(async () => {
  crabllmBin()
  dir = mkdtempSync(join(tmpdir(), 'crabllm-admin-cli-'))
  upstream = await startMockUpstream()
  // A fixed port in the config itself, so that the CLI's defaults (listen, admin_token) are tested as users meet them.
  const port = await closedPort()
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `listen = "127.0.0.1:${port}"
admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${CONFIG_KEY}"
[providers.echo]
kind = "echo"
[storage]
kind = "sqlite"
path = "crabllm.db"
`,
  )
  gateway = spawnCrabllm(['serve'], { cwd: dir })
  base = await gateway.ready()
}, 60_000)

afterAll(async () => {
  await gateway?.[Symbol.asyncDispose]()
  await upstream?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Runs the CLI in the gateway's folder; CRABLLM_URL / CRABLLM_TOKEN are cleared unless given. */
function cli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runCrabllm(args, { cwd: dir, env: { CRABLLM_URL: '', CRABLLM_TOKEN: '', ...env } })
}

/** With explicit --url and --token (the defaults have their own test). */
function admin(...args: string[]): Promise<RunResult> {
  return cli([...args, '--url', base, '--token', ADMIN])
}

async function ok(result: Promise<RunResult>): Promise<string> {
  const r = await result
  if (r.code !== 0) throw new Error(`exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`)
  return r.stdout
}

function chat(key: string, model = 'echo'): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello from the cli test' }] }),
  })
}

describe('crabllm keys', () => {
  let secret: string

  test('create prints the secret once, with a warning, and the secret works for a chat', async () => {
    const out = await ok(admin('keys', 'create', 'ci-bot', '--models', 'echo', '--rpm', '100', '--expires', '30d'))
    expect(out).toStartWith('created key ci-bot\n')
    expect(out).toMatch(/not be shown again|shown only this once/)
    secret = out.match(SECRET)![0]
    expect(out.split(secret).length).toBe(2)
    const res = await chat(secret)
    expect(res.status).toBe(200)
    expect(((await res.json()) as any).choices[0].message.content).toContain('hello from the cli test')
  })

  test('list shows it masked and never a secret', async () => {
    const out = await ok(admin('keys', 'list'))
    expect(out).toMatch(/^NAME\s+SOURCE\s+KEY\s+MODELS/)
    expect(out).toMatch(/^ci-bot\s+api\s+sk-\S*…\S+\s+echo\s+100 rpm/m)
    expect(out).toMatch(/^team\s+config\s/m)
    expect(out).not.toContain(secret)
    expect(out).not.toContain(CONFIG_KEY)
    expect(out).not.toContain(ADMIN)
  })

  test('--json output parses and carries no secret', async () => {
    const list = JSON.parse(await ok(admin('keys', 'list', '--json')))
    expect(list.object).toBe('list')
    expect(list.data.map((k: { name: string }) => k.name).sort()).toEqual(['ci-bot', 'team'])
    const one = JSON.parse(await ok(admin('keys', 'get', 'ci-bot', '--json')))
    expect(one).toMatchObject({
      name: 'ci-bot',
      source: 'api',
      models: ['echo'],
      rate_limit: { requests_per_minute: 100 },
    })
    expect(JSON.stringify([list, one])).not.toContain(secret)
  })

  test('update takes effect on the next request', async () => {
    const out = await ok(admin('keys', 'update', 'ci-bot', '--models', 'something-else', '--no-expiry'))
    expect(out).toStartWith('updated key ci-bot\n')
    expect(out).toMatch(/^models:\s+something-else$/m)
    expect(out).not.toContain(secret)
    expect((await chat(secret)).status).toBe(403)
    await ok(admin('keys', 'update', 'ci-bot', '--models', 'echo'))
    expect((await chat(secret)).status).toBe(200)
  })

  test('a config-file key is read-only: exit 1 with the API message', async () => {
    const r = await admin('keys', 'delete', 'team')
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toStartWith('error: ')
    expect(r.stderr.toLowerCase()).toContain('config')
    expect(r.stderr).not.toMatch(STACK_FRAME)
  })

  test('a taken name and a missing key exit 1', async () => {
    const taken = await admin('keys', 'create', 'ci-bot')
    expect(taken.code).toBe(1)
    expect(taken.stderr).toStartWith('error: ')
    const missing = await admin('keys', 'get', 'no-such-key')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no-such-key')
  })

  test('delete revokes: the next chat is refused', async () => {
    expect(await ok(admin('keys', 'delete', 'ci-bot'))).toBe('deleted key ci-bot\n')
    expect((await chat(secret)).status).toBe(401)
    expect(await ok(admin('keys', 'list'))).not.toMatch(/^ci-bot\s/m)
  })
})

describe('crabllm providers', () => {
  test('create (openai kind at a mock upstream, secret from the environment): its model answers', async () => {
    const r = await cli(
      [
        'providers',
        'create',
        'mock',
        '--kind',
        'openai',
        '--base-url',
        `${upstream.url}/v1`,
        '--models',
        'mock-model',
        '--api-key-env',
        'CLI_E2E_UPSTREAM_KEY',
        '--max-retries',
        '0',
      ],
      { CRABLLM_URL: base, CRABLLM_TOKEN: ADMIN, CLI_E2E_UPSTREAM_KEY: UPSTREAM_KEY },
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toStartWith('created provider mock\n')
    expect(r.stdout).toMatch(/^models:\s+mock-model$/m)
    expect(r.stdout).not.toContain(UPSTREAM_KEY)
    const before = upstream.requests.length
    const res = await chat(CONFIG_KEY, 'mock-model')
    expect(res.status).toBe(200)
    expect(((await res.json()) as any).choices[0].message.content).toBe('Hello from upstream')
    const seen = upstream.requests[before]!
    expect(seen.path).toBe('/v1/chat/completions')
    expect(seen.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`)
  })

  test('create without --models takes the list from the upstream', async () => {
    upstream.enqueue({ json: { object: 'list', data: [{ id: 'listed-model', object: 'model', owned_by: 'mock' }] } })
    const out = await ok(
      admin(
        'providers',
        'create',
        'listed',
        '--kind',
        'openai',
        '--base-url',
        `${upstream.url}/v1`,
        '--api-key',
        UPSTREAM_KEY,
      ),
    )
    expect(out).toMatch(/^models:\s+listed-model$/m)
    expect(out).not.toContain(UPSTREAM_KEY)
    expect((await chat(CONFIG_KEY, 'listed-model')).status).toBe(200)
  })

  test('list and get show both sources with secrets masked; --json parses', async () => {
    const out = await ok(admin('providers', 'list'))
    expect(out).toMatch(/^NAME\s+SOURCE\s+KIND\s+MODELS\s+BASE_URL\s+WEIGHT$/m)
    expect(out).toMatch(/^echo\s+config\s+echo\s/m)
    expect(out).toMatch(/^mock\s+api\s+openai\s+mock-model\s+http:\/\/127\.0\.0\.1:\d+\/v1\s+1$/m)
    const got = await ok(admin('providers', 'get', 'mock'))
    expect(got).toMatch(/^api_key:\s+\S+$/m)
    const list = JSON.parse(await ok(admin('providers', 'list', '--json')))
    expect(list.data.map((p: { name: string }) => p.name).sort()).toEqual(['echo', 'listed', 'mock'])
    const one = JSON.parse(await ok(admin('providers', 'get', 'mock', '--json')))
    expect(one).toMatchObject({ name: 'mock', kind: 'openai', source: 'api', models: ['mock-model'] })
    expect(out + got + JSON.stringify([list, one])).not.toContain(UPSTREAM_KEY)
  })

  test('update changes what the gateway serves', async () => {
    await ok(admin('providers', 'update', 'mock', '--models', 'mock-model,mock-model-2'))
    expect((await chat(CONFIG_KEY, 'mock-model-2')).status).toBe(200)
  })

  test('delete removes its models; a config-file provider is read-only', async () => {
    expect(await ok(admin('providers', 'delete', 'mock'))).toBe('deleted provider mock\n')
    expect(await ok(admin('providers', 'delete', 'listed', '--json'))).toBe('{"name":"listed","deleted":true}\n')
    expect((await chat(CONFIG_KEY, 'mock-model')).status).toBe(404)
    const r = await admin('providers', 'delete', 'echo')
    expect(r.code).toBe(1)
    expect(r.stderr).toStartWith('error: ')
    expect((await chat(CONFIG_KEY)).status).toBe(200)
  })
})

describe('connection', () => {
  test('with no flags, the URL and admin token come from ./crabllm.toml', async () => {
    const out = await ok(cli(['keys', 'list']))
    expect(out).toMatch(/^team\s+config\s/m)
    const other = join(dir, 'elsewhere')
    await Bun.write(join(other, '.keep'), '')
    const r = await runCrabllm(['providers', 'list', '--config', join(dir, 'crabllm.toml')], {
      cwd: other,
      env: { CRABLLM_URL: '', CRABLLM_TOKEN: '' },
    })
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^echo\s+config\s/m)
  })

  test('a wrong token exits 1 with the message', async () => {
    const r = await cli(['keys', 'list', '--token', 'not-the-admin-token'])
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: the admin token was refused; pass --token or set CRABLLM_TOKEN\n',
    })
    const env = await cli(['keys', 'list'], { CRABLLM_TOKEN: 'also-wrong' })
    expect(env.code).toBe(1)
    expect(env.stderr).toContain('the admin token was refused')
  })

  test('an unreachable URL exits 1 with the message', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const r = await cli(['keys', 'list', '--url', url, '--token', ADMIN])
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: cannot reach crabllm at ${url}: connection refused; is it running? pass --url or set CRABLLM_URL\n`,
    })
  })
})
