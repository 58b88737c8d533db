// `crabllm providers …` commands run in-process against the admin API stub: what they send (secrets from
// the environment included) and what they print (tables, masked secrets).
import { describe, expect, test } from 'bun:test'
import { AdminClient } from '../../../src/cli/admin-client'
import type { Output } from '../../../src/cli/admin-command'
import type { Flags } from '../../../src/cli/args'
import { formatProvider, providersCommands, readSecret } from '../../../src/cli/commands/providers'
import { CliError, UsageError } from '../../../src/config/errors'
import { STUB_TOKEN, startAdminStub } from '../../support/admin-stub'

const SECRET = 'sk-upstream-secret-0123456789abcdef'

async function run(stub: { url: string }, sub: string, flags: Flags) {
  const o = { stdout: '', stderr: '' }
  const output: Output = {
    out: (text) => void (o.stdout += `${text}\n`),
    err: (text) => void (o.stderr += `${text}\n`),
  }
  await providersCommands[sub]!.run(
    new AdminClient({ url: stub.url, token: STUB_TOKEN }),
    flags,
    output,
    `providers ${sub}`,
  )
  return o
}

describe('providers create', () => {
  test('sends the given fields with their API names; the secret comes from --api-key-env and is not printed', async () => {
    await using stub = startAdminStub()
    process.env.CRABLLM_TEST_PROVIDER_KEY = SECRET
    try {
      const o = await run(stub, 'create', {
        name: 'up',
        kind: 'openai',
        'api-key-env': 'CRABLLM_TEST_PROVIDER_KEY',
        'base-url': 'http://127.0.0.1:9/v1',
        models: 'm1,m2',
        weight: '2.5',
        'max-retries': '0',
        timeout: '5',
      })
      expect(stub.requests[0]!.body).toEqual({
        name: 'up',
        kind: 'openai',
        api_key: SECRET,
        base_url: 'http://127.0.0.1:9/v1',
        models: ['m1', 'm2'],
        weight: 2.5,
        max_retries: 0,
        timeout: 5,
      })
      expect(o.stdout).toStartWith('created provider up\n')
      expect(o.stdout).toMatch(/^api_key:\s+sk-upst…cdef$/m)
      expect(o.stdout).toMatch(/^models:\s+m1, m2$/m)
      expect(o.stdout).not.toContain(SECRET)
    } finally {
      delete process.env.CRABLLM_TEST_PROVIDER_KEY
    }
  })

  test("without --models the gateway's upstream error is the message", async () => {
    await using stub = startAdminStub()
    const err = await run(stub, 'create', { name: 'up', kind: 'openai', 'base-url': 'http://127.0.0.1:9/v1' }).catch(
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).message).toBe('The upstream refused to list its models: 401 Unauthorized.')
  })

  test.each<[Flags, string]>([
    [{ name: 'p' }, 'providers create needs --kind'],
    [{ kind: 'echo' }, 'providers create needs a NAME'],
    [{ name: 'p', kind: 'openai', weight: 'heavy' }, '--weight: expected a number of at least 0, got "heavy"'],
    [{ name: 'p', kind: 'openai', 'max-retries': '1.5' }, '--max-retries: expected a whole number'],
    [
      { name: 'p', kind: 'bedrock', 'secret-key': 'a', 'secret-key-env': 'B' },
      'pass --secret-key or --secret-key-env, not both',
    ],
  ])('%p is a usage error before anything is sent', async (flags, message) => {
    await using stub = startAdminStub()
    const err = await run(stub, 'create', flags).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).message).toStartWith(message)
    expect(stub.requests).toEqual([])
  })
})

describe('providers list / get / update / delete', () => {
  test('list is a table of both sources', async () => {
    await using stub = startAdminStub()
    await run(stub, 'create', {
      name: 'up',
      kind: 'openai',
      'base-url': 'http://127.0.0.1:9/v1',
      models: 'a,b,c,d',
      'api-key': SECRET,
    })
    const o = await run(stub, 'list', {})
    expect(o.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+SOURCE\s+KIND\s+MODELS\s+BASE_URL\s+WEIGHT$/),
      expect.stringMatching(/^echo\s+config\s+echo\s+echo\s+-\s+1$/),
      expect.stringMatching(/^up\s+api\s+openai\s+a, b, c \+1 more\s+http:\/\/127\.0\.0\.1:9\/v1\s+1$/),
    ])
    expect(o.stdout).not.toContain(SECRET)
  })

  test('get, update and delete', async () => {
    await using stub = startAdminStub()
    await run(stub, 'create', { name: 'up', kind: 'echo', models: 'x' })
    expect((await run(stub, 'get', { name: 'up' })).stdout).toMatch(/^kind:\s+echo$/m)
    const updated = await run(stub, 'update', { name: 'up', weight: '3' })
    expect(stub.requests.at(-1)).toMatchObject({ method: 'PATCH', path: '/v1/admin/providers/up', body: { weight: 3 } })
    expect(updated.stdout).toMatch(/^weight:\s+3$/m)
    expect((await run(stub, 'delete', { name: 'up' })).stdout).toBe('deleted provider up\n')
    const err = await run(stub, 'update', { name: 'up' }).catch((e: unknown) => e)
    expect((err as UsageError).message).toStartWith('nothing to change')
  })

  test('formatProvider puts known fields first and keeps fields it does not know', () => {
    const text = formatProvider({
      name: 'p',
      kind: 'azure',
      source: 'api',
      api_version: '2024-06-01',
      deployment: 'x',
    } as never)
    expect(text.split('\n').map((l) => l.split(':')[0])).toEqual([
      'name',
      'source',
      'kind',
      'api_version',
      'deployment',
    ])
  })
})

describe('readSecret', () => {
  test.each<[Flags, Record<string, string>, string | undefined]>([
    [{}, {}, undefined],
    [{ 'api-key': 'direct' }, {}, 'direct'],
    [{ 'api-key-env': 'K' }, { K: 'from-env' }, 'from-env'],
  ])('%p with %p → %p', (flags, env, expected) => {
    expect(readSecret(flags, 'api-key', 'providers create', env)).toBe(expected as string)
  })

  test('an unset or empty variable is an error (exit 2) naming it', () => {
    for (const env of [{}, { K: '' }]) {
      let err: unknown
      try {
        readSecret({ 'api-key-env': 'K' }, 'api-key', 'providers create', env)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(CliError)
      expect((err as CliError).exitCode).toBe(2)
      expect((err as CliError).message).toBe('--api-key-env: the environment variable K is not set')
    }
  })
})
