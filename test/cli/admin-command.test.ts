// Where the admin CLI finds the gateway and its token: flags, then CRABLLM_URL / CRABLLM_TOKEN, then the
// local config file (only `listen` and `admin_token` are read from it).
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveConnection, urlFromListen } from '../../src/cli/admin-command'
import { ConfigError } from '../../src/config/errors'

const dir = mkdtempSync(join(tmpdir(), 'crabllm-admin-command-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function configFile(text: string): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.toml`)
  writeFileSync(path, text)
  return path
}

describe('resolveConnection', () => {
  test('flags win over the environment, which wins over the config file', async () => {
    const config = configFile('listen = "127.0.0.1:7000"\nadmin_token = "from-config-0123456789"\n')
    const env = { CRABLLM_URL: 'http://env:1', CRABLLM_TOKEN: 'from-env' }
    expect(await resolveConnection({ url: 'http://flag:2/', token: 'from-flag', config }, env)).toEqual({
      url: 'http://flag:2',
      token: 'from-flag',
    })
    expect(await resolveConnection({ config }, env)).toEqual({ url: 'http://env:1', token: 'from-env' })
    expect(await resolveConnection({ config }, {})).toEqual({
      url: 'http://127.0.0.1:7000',
      token: 'from-config-0123456789',
    })
    expect(await resolveConnection({ config, url: 'localhost:9' }, {})).toEqual({
      url: 'http://localhost:9',
      token: 'from-config-0123456789',
    })
  })

  test('reads only listen and admin_token: a provider secret missing from the environment does not matter', async () => {
    const config = configFile(
      'admin_token = "${CRABLLM_TEST_ADMIN:-fallback-token-0123456789}"\n[providers.openai]\nkind = "openai"\napi_key = "${CRABLLM_TEST_UNSET_KEY}"\n',
    )
    expect(await resolveConnection({ config }, {})).toEqual({
      url: 'http://127.0.0.1:5632',
      token: 'fallback-token-0123456789',
    })
    expect(await resolveConnection({ config }, { CRABLLM_TEST_ADMIN: 'exported' })).toMatchObject({ token: 'exported' })
  })

  test('without the default crabllm.toml: 127.0.0.1:5632 and no token', async () => {
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      expect(await resolveConnection({}, {})).toEqual({ url: 'http://127.0.0.1:5632', token: undefined })
    } finally {
      process.chdir(cwd)
    }
  })

  test.each<[string, string | undefined, string]>([
    ['a missing --config file', undefined, 'file not found'],
    ['invalid TOML', 'listen = ', 'invalid TOML'],
    [
      'an unset variable in admin_token',
      'admin_token = "${CRABLLM_TEST_UNSET_ADMIN}"',
      'admin_token: environment variable CRABLLM_TEST_UNSET_ADMIN is not set',
    ],
    ['a listen that is not host:port', 'listen = "nope"', 'listen: "nope" is not a host:port address'],
    ['port 0', 'listen = "127.0.0.1:0"', 'listen: port 0 is picked at start-up'],
  ])('%s is a ConfigError', async (_, text, message) => {
    const config = text === undefined ? join(dir, 'missing.toml') : configFile(text)
    const err = await resolveConnection({ config }, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).toContain(message)
  })
})

describe('urlFromListen', () => {
  test.each([
    ['127.0.0.1:5632', 'http://127.0.0.1:5632'],
    ['0.0.0.0:8080', 'http://127.0.0.1:8080'],
    [':8080', 'http://127.0.0.1:8080'],
    ['[::]:80', 'http://[::1]:80'],
    ['[::1]:80', 'http://[::1]:80'],
    ['gateway.internal:443', 'http://gateway.internal:443'],
  ])('%p → %p', (listen, url) => {
    expect(urlFromListen(listen, 'crabllm.toml')).toBe(url)
  })
})
