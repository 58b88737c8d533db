// `crabllm keys …` commands run in-process against the admin API stub: what they send, what they print
// (tables, masked keys, the secret once), and --expires parsing.
import { describe, expect, test } from 'bun:test'
import { AdminClient } from '../../../src/cli/admin-client'
import type { Flags } from '../../../src/cli/args'
import { formatKeyTable, keysCommands, parseExpiry } from '../../../src/cli/commands/keys'
import { UsageError } from '../../../src/config/errors'
import { CONFIG_KEY_SECRET, STUB_TOKEN, startAdminStub } from '../../support/admin-stub'
import { capture } from '../../support/cli-output'

async function run(stub: { url: string }, sub: string, flags: Flags) {
  const output = capture()
  await keysCommands[sub]!.run(new AdminClient({ url: stub.url, token: STUB_TOKEN }), flags, output, `keys ${sub}`)
  return output
}

describe('keys create', () => {
  test('prints the secret once with a warning, then the settings', async () => {
    await using stub = startAdminStub()
    const o = await run(stub, 'create', {
      name: 'ci',
      models: 'echo, gpt-4o',
      rpm: '60',
      tpm: '1000',
      budget: '5',
      expires: '2099-01-31',
    })
    const secret = /^key:\s+(sk-stub\S+)$/m.exec(o.stdout)?.[1]
    expect(secret).toBeDefined()
    expect(o.stdout.split(secret!).length).toBe(2) // exactly once
    expect(o.stdout).toStartWith('created key ci\n')
    expect(o.stdout).toMatch(/^models:\s+echo, gpt-4o$/m)
    expect(o.stdout).toMatch(/^rate limit:\s+60 requests\/min, 1000 tokens\/min$/m)
    expect(o.stdout).toMatch(/^budget:\s+\$5\.00$/m)
    expect(o.stdout).toMatch(/^expires:\s+2099-01-31T00:00:00\.000Z$/m)
    expect(o.stdout).toContain('shown only this once')
    expect(stub.requests[0]!.body).toEqual({
      name: 'ci',
      models: ['echo', 'gpt-4o'],
      rate_limit: { requests_per_minute: 60, tokens_per_minute: 1000 },
      budget: 5,
      expires_at: '2099-01-31T00:00:00.000Z',
    })
  })

  test('sends only what was given', async () => {
    await using stub = startAdminStub()
    await run(stub, 'create', { name: 'plain' })
    expect(stub.requests[0]!.body).toEqual({ name: 'plain' })
  })

  test('--json prints the answer as is on stdout and the warning on stderr', async () => {
    await using stub = startAdminStub()
    const o = await run(stub, 'create', { name: 'ci', json: true })
    const parsed = JSON.parse(o.stdout)
    expect(parsed).toMatchObject({ name: 'ci', source: 'api', models: ['*'] })
    expect(parsed.key).toStartWith('sk-stub')
    expect(o.stderr).toContain('shown only this once')
  })
})

describe('keys list / get', () => {
  test('list shows masked keys in a table, never a secret', async () => {
    await using stub = startAdminStub()
    const created = await run(stub, 'create', { name: 'ci', rpm: '10' })
    const secret = /^key:\s+(\S+)$/m.exec(created.stdout)![1]!
    const o = await run(stub, 'list', {})
    const lines = o.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+SOURCE\s+KEY\s+MODELS\s+LIMITS\s+BUDGET\s+EXPIRES$/)
    expect(lines[1]).toMatch(/^default\s+config\s+sk-conf…1234\s+\*\s+-\s+-\s+-$/)
    expect(lines[2]).toMatch(/^ci\s+api\s+sk-stub…STUV\s+\*\s+10 rpm\s+-\s+-$/)
    expect(o.stdout).not.toContain(secret)
    expect(o.stdout).not.toContain(CONFIG_KEY_SECRET)
  })

  test('get shows one key as fields; --json is the answer as is', async () => {
    await using stub = startAdminStub()
    const o = await run(stub, 'get', { name: 'default' })
    expect(o.stdout).toBe(
      'name:        default\nkey:         sk-conf…1234\nsource:      config\nmodels:      *\nrate limit:  -\nbudget:      -\nexpires:     -\n',
    )
    const j = await run(stub, 'get', { name: 'default', json: true })
    expect(JSON.parse(j.stdout)).toEqual({
      name: 'default',
      masked: 'sk-conf…1234',
      models: ['*'],
      expired: false,
      source: 'config',
    })
  })

  test('the table marks expired keys and lists long model lists briefly', () => {
    const table = formatKeyTable([
      {
        name: 'old',
        masked: 'sk-a…b',
        models: ['a', 'b', 'c', 'd'],
        expires_at: '2020-01-01T00:00:00.000Z',
        expired: true,
        source: 'api',
        budget: 0.125,
      },
    ])
    expect(table.split('\n')[1]).toMatch(
      /^old\s+api\s+sk-a…b\s+a, b, c \+1 more\s+-\s+\$0\.125\s+2020-01-01T00:00:00\.000Z \(expired\)$/,
    )
  })
})

describe('keys update / delete', () => {
  test('--rpm alone keeps the tokens-per-minute limit', async () => {
    await using stub = startAdminStub()
    await run(stub, 'create', { name: 'ci', rpm: '10', tpm: '500' })
    const o = await run(stub, 'update', { name: 'ci', rpm: '20' })
    expect(stub.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      body: { rate_limit: { requests_per_minute: 20, tokens_per_minute: 500 } },
    })
    expect(o.stdout).toStartWith('updated key ci\n')
    expect(o.stdout).toMatch(/^rate limit:\s+20 requests\/min, 500 tokens\/min$/m)
  })

  test('the --no-… switches send null', async () => {
    await using stub = startAdminStub()
    await run(stub, 'create', { name: 'ci', rpm: '10', budget: '1', expires: '30d' })
    await run(stub, 'update', {
      name: 'ci',
      'no-expiry': true,
      'no-budget': true,
      'no-rate-limit': true,
      models: 'echo',
    })
    expect(stub.requests.at(-1)!.body).toEqual({ models: ['echo'], expires_at: null, budget: null, rate_limit: null })
  })

  test.each<[Flags, string]>([
    [{ name: 'ci' }, 'nothing to change'],
    [{ name: 'ci', 'no-expiry': true, expires: '1d' }, '--no-expiry and --expires contradict each other'],
    [{ name: 'ci', 'no-rate-limit': true, tpm: '5' }, '--no-rate-limit and --tpm contradict each other'],
    [{}, 'keys update needs a NAME'],
  ])('%p is a usage error before anything is sent', async (flags, message) => {
    await using stub = startAdminStub()
    const err = await run(stub, 'update', flags).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).message).toStartWith(message)
    expect(stub.requests).toEqual([])
  })

  test('delete confirms; --json is the answer as is', async () => {
    await using stub = startAdminStub()
    await run(stub, 'create', { name: 'a' })
    await run(stub, 'create', { name: 'b' })
    expect((await run(stub, 'delete', { name: 'a' })).stdout).toBe('deleted key a\n')
    expect((await run(stub, 'delete', { name: 'b', json: true })).stdout).toBe('{"name":"b","deleted":true}\n')
  })
})

describe('parseExpiry', () => {
  const NOW = Date.parse('2025-06-01T12:00:00.000Z')
  test.each<[string, string]>([
    // --- durations from now ---
    ['30d', '2025-07-01T12:00:00.000Z'],
    ['12h', '2025-06-02T00:00:00.000Z'],
    ['45m', '2025-06-01T12:45:00.000Z'],
    ['90s', '2025-06-01T12:01:30.000Z'],
    ['2w', '2025-06-15T12:00:00.000Z'],
    ['1D', '2025-06-02T12:00:00.000Z'],
    // --- ISO-8601 ---
    ['2030-01-31', '2030-01-31T00:00:00.000Z'],
    ['2030-01-31T10:00:00Z', '2030-01-31T10:00:00.000Z'],
    ['2030-01-31T10:00:00+02:00', '2030-01-31T08:00:00.000Z'],
  ])('%p → %p', (value, expected) => {
    expect(parseExpiry(value, NOW)).toBe(expected)
  })

  test.each(['soon', '30', '30y', 'd30', '2030-13-45', 'tomorrow', '1 Jan 2030', ''])(
    '%p is a usage error',
    (value) => {
      expect(() => parseExpiry(value, NOW, 'keys create')).toThrow(UsageError)
    },
  )
})
