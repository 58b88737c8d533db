// The admin CLI's HTTP client against a stub that speaks the admin API contract: answers, each kind of
// failure as one clear message, and (through `bun src/main.ts`) the exit codes and output of the CLI.
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { AdminClient, AdminError } from '../../src/cli/admin-client'
import { CliError } from '../../src/config/errors'
import { CONFIG_KEY_SECRET, STUB_TOKEN, startAdminStub } from '../support/admin-stub'
import { closedPort } from '../support/mock-upstream'

async function failure(call: Promise<unknown>): Promise<AdminError> {
  try {
    await call
  } catch (err) {
    expect(err).toBeInstanceOf(AdminError)
    expect(err).toBeInstanceOf(CliError) // so main.ts prints it without a stack and exits 1
    return err as AdminError
  }
  throw new Error('expected the call to fail')
}

describe('AdminClient', () => {
  test('sends the admin token and returns the parsed answer with its text as it came', async () => {
    await using stub = startAdminStub()
    const client = new AdminClient({ url: `${stub.url}/`, token: STUB_TOKEN })
    const { value, text } = await client.listKeys()
    expect(value.data.map((k) => k.name)).toEqual(['default'])
    expect(JSON.parse(text)).toEqual(value)
    expect(stub.requests[0]).toMatchObject({
      method: 'GET',
      path: '/v1/admin/keys',
      authorization: `Bearer ${STUB_TOKEN}`,
    })
  })

  test('escapes names in paths', async () => {
    await using stub = startAdminStub()
    const client = new AdminClient({ url: stub.url, token: STUB_TOKEN })
    await failure(client.getKey('a/b c'))
    expect(stub.requests[0]!.path).toBe('/v1/admin/keys/a%2Fb%20c')
  })

  test('sends JSON bodies for create and update', async () => {
    await using stub = startAdminStub()
    const client = new AdminClient({ url: stub.url, token: STUB_TOKEN })
    const created = await client.createKey({ name: 'ci', models: ['echo'], rate_limit: { requests_per_minute: 5 } })
    expect(created.value.key).toStartWith('sk-stub')
    await client.updateKey('ci', { budget: null })
    expect(stub.requests.map((r) => [r.method, r.body])).toEqual([
      ['POST', { name: 'ci', models: ['echo'], rate_limit: { requests_per_minute: 5 } }],
      ['PATCH', { budget: null }],
    ])
  })

  test.each<[string, string | undefined, string]>([
    ['a wrong token', 'not-the-token', 'the admin token was refused; pass --token or set CRABLLM_TOKEN'],
    ['no token', undefined, 'the gateway wants an admin token; pass --token or set CRABLLM_TOKEN'],
  ])('401 with %s says how to pass one', async (_, token, message) => {
    await using stub = startAdminStub()
    const err = await failure(new AdminClient({ url: stub.url, token }).listProviders())
    expect(err.status).toBe(401)
    expect(err.message).toStartWith(message)
    expect(err.exitCode).toBe(1)
  })

  test("404, 409 and 400 carry the API's message and code (and the field when the message lacks it)", async () => {
    await using stub = startAdminStub()
    const client = new AdminClient({ url: stub.url, token: STUB_TOKEN })
    const missing = await failure(client.getKey('nope'))
    expect([missing.status, missing.code, missing.message]).toEqual([404, 'key_not_found', "No key named 'nope'."])
    const readOnly = await failure(client.deleteKey('default'))
    expect([readOnly.status, readOnly.code]).toEqual([409, 'read_only'])
    expect(readOnly.message).toContain('edit the file')
    const taken = await failure(client.createProvider({ name: 'echo', kind: 'echo' }))
    expect([taken.status, taken.code]).toEqual([409, 'already_exists'])
    const invalid = await failure(client.createKey({ name: 'x', rate_limit: { requests_per_minute: 0 } }))
    expect([invalid.status, invalid.message]).toEqual([400, 'rate_limit.requests_per_minute: must be at least 1'])
    const named = await failure(client.createKey({ name: 'bad name' }))
    expect(named.message).toBe('name must be 1-64 characters of A-Za-z0-9._-') // already names the field
    const upstream = await failure(client.createProvider({ name: 'up', kind: 'openai' }))
    expect([upstream.status, upstream.message]).toEqual([
      502,
      'The upstream refused to list its models: 401 Unauthorized.',
    ])
  })

  test('an unreachable gateway names the URL and suggests --url', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const err = await failure(new AdminClient({ url, token: STUB_TOKEN }).listKeys())
    expect(err.status).toBe(0)
    expect(err.message).toBe(
      `cannot reach crabllm at ${url}: connection refused; is it running? pass --url or set CRABLLM_URL`,
    )
  })

  test('something that is not a gateway: non-JSON success, non-JSON failure', async () => {
    await using stub = startAdminStub()
    const html = await failure(new AdminClient({ url: `${stub.url}/html`, token: STUB_TOKEN }).listKeys())
    expect(html.message).toBe(
      `GET ${stub.url}/html/v1/admin/keys: expected JSON, got "<html>hello</html>"; is ${stub.url}/html a crabllm gateway?`,
    )
    const plain = await failure(new AdminClient({ url: `${stub.url}/plain500`, token: STUB_TOKEN }).listKeys())
    expect([plain.status, plain.message]).toEqual([500, `crabllm at ${stub.url}/plain500 answered HTTP 500: "oops"`])
  })

  test('gives up after its timeout on a gateway that never answers', async () => {
    await using stub = startAdminStub()
    const err = await failure(new AdminClient({ url: `${stub.url}/hold`, token: STUB_TOKEN, timeoutMs: 50 }).listKeys())
    expect(err.message).toBe(`crabllm at ${stub.url}/hold did not answer within 50 ms`)
  })
})

// --- the CLI process: exit codes, stdout / stderr, no stack traces ---

const MAIN = resolve(import.meta.dir, '../../src/main.ts')
/** A folder without a crabllm.toml, so that only flags and the environment given here count. */
const EMPTY_DIR = mkdtempSync(join(tmpdir(), 'crabllm-cli-'))
afterAll(() => rmSync(EMPTY_DIR, { recursive: true, force: true }))
const STACK_FRAME = /^\s+at /m

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env }
  delete base.CRABLLM_URL
  delete base.CRABLLM_TOKEN
  const proc = Bun.spawn([process.execPath, MAIN, ...args], {
    cwd: EMPTY_DIR,
    env: { ...base, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { code, stdout, stderr }
}

describe('crabllm keys / providers (exit codes)', () => {
  test('success exits 0 with the table on stdout; the secret of a config key is not in it', async () => {
    await using stub = startAdminStub()
    const r = await cli(['keys', 'list', '--url', stub.url, '--token', STUB_TOKEN])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toMatch(/^NAME\s+SOURCE\s+KEY\s+MODELS\s+LIMITS\s+BUDGET\s+EXPIRES\n/)
    expect(r.stdout).toMatch(/^default\s+config\s+sk-conf…1234\s+\*/m)
    expect(r.stdout).not.toContain(CONFIG_KEY_SECRET)
  })

  test('CRABLLM_URL and CRABLLM_TOKEN stand in for the flags', async () => {
    await using stub = startAdminStub()
    const r = await cli(['providers', 'get', 'echo', '--json'], { CRABLLM_URL: stub.url, CRABLLM_TOKEN: STUB_TOKEN })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'echo', kind: 'echo', source: 'config' })
  })

  test.each<[string, (url: string) => string[], RegExp]>([
    [
      'a refused token',
      (url) => ['keys', 'list', '--url', url, '--token', 'wrong-token'],
      /^error: the admin token was refused; pass --token or set CRABLLM_TOKEN\n$/,
    ],
    [
      'a missing key',
      (url) => ['keys', 'get', 'nope', '--url', url, '--token', STUB_TOKEN],
      /^error: No key named 'nope'\.\n$/,
    ],
    [
      'a read-only key',
      (url) => ['keys', 'delete', 'default', '--url', url, '--token', STUB_TOKEN],
      /^error: The key 'default' comes from the config file; edit the file/,
    ],
    [
      'a taken name',
      (url) => ['providers', 'create', 'echo', '--kind', 'echo', '--url', url, '--token', STUB_TOKEN],
      /^error: A provider named 'echo' already exists\.\n$/,
    ],
  ])('%s exits 1 with one line on stderr', async (_, args, stderr) => {
    await using stub = startAdminStub()
    const r = await cli(args(stub.url))
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(stderr)
    expect(r.stderr).not.toMatch(STACK_FRAME)
  })

  test('an unreachable gateway exits 1 naming the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const r = await cli(['providers', 'list', '--url', url, '--token', STUB_TOKEN])
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: cannot reach crabllm at ${url}: connection refused; is it running? pass --url or set CRABLLM_URL\n`,
    })
  })

  test.each<[string[], string, string]>([
    [
      ['keys', 'create', '--url', 'http://127.0.0.1:1'],
      'keys create needs a NAME',
      'usage: crabllm keys create NAME [flags]',
    ],
    [
      ['keys', 'update', 'ci', '--url', 'http://127.0.0.1:1'],
      'nothing to change',
      'usage: crabllm keys update NAME [flags]',
    ],
    [
      ['keys', 'create', 'ci', '--expires', 'soon'],
      '--expires: "soon" is neither an ISO-8601 time',
      'usage: crabllm keys create',
    ],
    [
      ['keys', 'create', 'ci', '--rpm', '0'],
      '--rpm: expected a whole number of at least 1, got "0"',
      'usage: crabllm keys create',
    ],
    [
      ['keys', 'update', 'ci', '--no-budget', '--budget', '5'],
      '--no-budget and --budget contradict each other',
      'usage: crabllm keys update',
    ],
    [
      ['providers', 'create', 'p', '--url', 'http://127.0.0.1:1'],
      'providers create needs --kind',
      'usage: crabllm providers create',
    ],
    [
      ['providers', 'create', 'p', '--kind', 'openai', '--api-key', 'x', '--api-key-env', 'Y'],
      'pass --api-key or --api-key-env, not both',
      'usage: crabllm providers create',
    ],
    [
      ['providers'],
      "'providers' needs a command: list, get, create, update, delete",
      'usage: crabllm providers <command> [flags]',
    ],
    [['keys', 'list', '--bogus'], "unknown flag --bogus for 'keys list'", 'usage: crabllm keys list [flags]'],
  ])('%p is a usage error: exit 2, nothing sent', async (args, message, usage) => {
    const r = await cli(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toStartWith(`error: ${message}`)
    expect(r.stderr).toContain(usage)
  })

  test('--api-key-env naming an unset variable exits 2 without usage', async () => {
    const r = await cli([
      'providers',
      'create',
      'p',
      '--kind',
      'openai',
      '--api-key-env',
      'CRABLLM_TEST_UNSET_VAR',
      '--url',
      'http://127.0.0.1:1',
    ])
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: --api-key-env: the environment variable CRABLLM_TEST_UNSET_VAR is not set\n',
    })
  })

  test('a missing --config file exits 1 naming it', async () => {
    const r = await cli(['keys', 'list', '--config', 'nope.toml'])
    expect(r.code).toBe(1)
    expect(r.stderr).toStartWith('error: nope.toml: file not found')
    expect(r.stderr).not.toMatch(STACK_FRAME)
  })

  test('`keys --help` lists the commands and exits 0', async () => {
    const r = await cli(['keys', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('usage: crabllm keys <command> [flags]')
    for (const sub of ['list', 'get NAME', 'create NAME', 'update NAME', 'delete NAME'])
      expect(r.stdout).toMatch(new RegExp(`^  ${sub}\\s`, 'm'))
    expect(r.stdout).toContain('--token TOKEN')
  })
})
