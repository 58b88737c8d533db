import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../src/config/errors'
import { loadConfigFile, parseConfig, resolveBeside } from '../../src/config/load'
import { starterConfig } from '../../src/config/starter'
import { PROVIDER_RULES } from '../../src/providers'

const ECHO = '[providers.e]\nkind = "echo"\n'
const KEY_A = '[[keys]]\nname = "a"\nkey = "sk-aaaaaaaa"\n'

/** Parses and returns the ConfigError it must throw. */
function configError(toml: string, env: Record<string, string> = {}): ConfigError {
  try {
    parseConfig(toml, 'crabllm.toml', PROVIDER_RULES, env)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected a ConfigError, but the config parsed')
}

describe('parseConfig: broken configs', () => {
  // name, toml, field, line (null: not checked), problem contains, fix contains
  test.each<[string, string, string, number | null, string, string]>([
    // --- TOML syntax ---
    ['bad TOML', 'listen = "127.0.0.1:1"\n\n[providers\nkind = "x"', '', 3, 'invalid TOML', 'TOML syntax'],
    ['unterminated string', 'listen = "127.0.0.1:1\n', '', 1, 'invalid TOML', 'TOML syntax'],
    // --- unknown fields ---
    ['unknown top-level field', 'lisen = "127.0.0.1:1"', 'lisen', 1, "unknown field 'lisen'", "did you mean 'listen'?"],
    [
      'unknown provider field',
      `${ECHO}modles = ["x"]`,
      'providers.e.modles',
      3,
      "unknown field 'modles'",
      "did you mean 'models'?",
    ],
    [
      'unknown field far from any',
      `${ECHO}zzzzzzzz = 1`,
      'providers.e.zzzzzzzz',
      3,
      "unknown field 'zzzzzzzz'",
      'valid fields here: kind, api_key',
    ],
    [
      'unknown field in the 2nd key',
      `${KEY_A}[[keys]]\nname = "b"\nkey = "sk-bbbbbbbb"\nmodel = ["x"]`,
      'keys[1].model',
      7,
      "unknown field 'model'",
      "did you mean 'models'?",
    ],
    [
      'unknown extension',
      '[extensions.nope]\n',
      'extensions.nope',
      1,
      "unknown field 'nope'",
      'valid fields here: cache, rate_limit',
    ],
    // --- wrong types ---
    [
      'string for a number',
      'shutdown_timeout = "ten"',
      'shutdown_timeout',
      1,
      'expected a number, got "ten"',
      'bare number',
    ],
    [
      'float for an integer',
      'max_body_size = 2048.5',
      'max_body_size',
      1,
      'expected an integer, got 2048.5',
      'bare number',
    ],
    ['string for a boolean', 'openapi = "yes"', 'openapi', 1, 'expected true or false, got "yes"', 'true or false'],
    [
      'string for a list',
      `${ECHO}models = "echo"`,
      'providers.e.models',
      3,
      'expected a list, got "echo"',
      '["a", "b"]',
    ],
    ['number for a table', 'providers = 3', 'providers', 1, 'expected a table, got 3', '[providers]'],
    ['number for a string', '[providers.e]\nkind = 3', 'providers.e.kind', 2, 'expected a string, got 3', 'quote it'],
    // crabllm's default kind is openai, whose API needs a key (test/config/crabllm-compat.test.ts).
    [
      'missing kind',
      '[providers.x]\nmodels = ["m"]',
      'providers.x.api_key',
      1,
      'is required for kind "openai"',
      'api_key =',
    ],
    ['key without a name', '[[keys]]\nkey = "sk-aaaaaaaa"', 'keys[0].name', 1, 'is required', 'add name ='],
    // --- ranges ---
    ['negative weight', `${ECHO}weight = -1`, 'providers.e.weight', 3, 'got -1', '0 or more'],
    ['too many retries', `${ECHO}max_retries = 11`, 'providers.e.max_retries', 3, 'less or equal to 10', '10 or less'],
    ['negative timeout', `${ECHO}timeout = -1`, 'providers.e.timeout', 3, 'got -1', '0 or more'],
    ['tiny max_body_size', 'max_body_size = 10', 'max_body_size', 1, 'got 10', '1024 or more'],
    [
      'short admin_token',
      'admin_token = "short"',
      'admin_token',
      1,
      'length greater or equal to 16',
      'at least 16 characters',
    ],
    [
      'short key secret',
      '[[keys]]\nname = "a"\nkey = "short"',
      'keys[0].key',
      3,
      'length greater or equal to 8',
      'at least 8 characters',
    ],
    // --- listen ---
    [
      'listen without a port',
      'listen = "localhost"',
      'listen',
      1,
      '"localhost" is not a host:port address',
      'listen = "127.0.0.1:5632"',
    ],
    ['listen port out of range', 'listen = "127.0.0.1:70000"', 'listen', 1, 'is not a host:port address', 'listen ='],
    // --- providers ---
    [
      'unknown kind without base_url',
      '[providers.x]\nkind = "nope"\nmodels = ["m"]',
      'providers.x.kind',
      2,
      'unknown provider kind "nope"',
      'set base_url',
    ],
    [
      'non-http base_url',
      '[providers.x]\nkind = "custom"\nbase_url = "ftp://h/v1"\nmodels = ["m"]',
      'providers.x.base_url',
      3,
      '"ftp://h/v1" is not an http(s) URL',
      'base_url = "https://',
    ],
    [
      'unparseable base_url',
      '[providers.x]\nkind = "custom"\nbase_url = "not a url"\nmodels = ["m"]',
      'providers.x.base_url',
      3,
      'is not an http(s) URL',
      'base_url =',
    ],
    [
      'no models',
      '[providers.x]\nkind = "ollama"\n',
      'providers.x.models',
      1,
      'lists no models',
      'models = ["model-name"]',
    ],
    [
      'empty models list',
      '[providers.x]\nkind = "ollama"\nmodels = []',
      'providers.x.models',
      3,
      'lists no models',
      'models = [',
    ],
    [
      'openai without api_key',
      '[providers.x]\nkind = "openai"\nmodels = ["m"]',
      'providers.x.api_key',
      1,
      'is required for kind "openai"',
      'api_key = "${OPENAI_API_KEY}"',
    ],
    // --- keys ---
    [
      'duplicate key names',
      `${ECHO}${KEY_A}[[keys]]\nname = "a"\nkey = "sk-bbbbbbbb"`,
      'keys[1].name',
      7,
      'duplicate key name "a"',
      'unique name',
    ],
    [
      'duplicate key secrets',
      `${ECHO}${KEY_A}[[keys]]\nname = "b"\nkey = "sk-aaaaaaaa"`,
      'keys[1].key',
      8,
      'same secret is used by two keys',
      'generate a new secret',
    ],
    [
      'key equal to admin_token',
      `admin_token = "0123456789abcdef"\n${ECHO}[[keys]]\nname = "a"\nkey = "0123456789abcdef"`,
      'keys[0].key',
      6,
      'same as admin_token',
      'different secret',
    ],
    [
      'a key named admin',
      '[[keys]]\nname = "admin"\nkey = "sk-admin-impostor-0123456789"',
      'keys[0].name',
      null,
      '"admin" is reserved',
      'choose another name',
    ],
    [
      'per-key rate limit without the extension',
      `${KEY_A}[keys.rate_limit]\nrequests_per_minute = 5`,
      'keys[0].rate_limit',
      null,
      'rate_limit extension, which is not enabled',
      '[extensions.rate_limit]',
    ],
    [
      'a budget for a key that does not exist',
      `${KEY_A}[extensions.budget]\ndefault_budget = 1\n[extensions.budget.keys.ghost]\nbudget = 5`,
      'extensions.budget.keys.ghost',
      null,
      'no [[keys]] entry is named "ghost"',
      'use one of:',
    ],
    // --- aliases ---
    [
      'alias to an unknown model',
      `${ECHO}[aliases]\nfast = "gpt"`,
      'aliases.fast',
      4,
      'points at "gpt", which no provider serves',
      "add the model to a provider's models",
    ],
    [
      'alias chain',
      `${ECHO}[aliases]\nfast = "echo"\nquick = "fast"`,
      'aliases.quick',
      5,
      'aliases are one hop',
      'point it at "echo"',
    ],
    [
      'alias shadowing a served model',
      `${ECHO}[aliases]\necho = "echo"`,
      'aliases.echo',
      4,
      'cannot also be an alias',
      'rename the alias',
    ],
    // --- storage ---
    [
      'unknown storage kind',
      '[storage]\nkind = "postgres"',
      'storage.kind',
      2,
      '"postgres" is not allowed',
      'memory, sqlite, redis',
    ],
    [
      'redis path that is not a URL',
      '[storage]\nkind = "redis"\npath = "127.0.0.1:6379"',
      'storage.path',
      3,
      'redis:// or rediss://',
      'path = "redis://',
    ],
    [
      'a key prefix for a store that is not redis',
      '[storage]\nkind = "sqlite"\nprefix = "gw1:"',
      'storage.prefix',
      3,
      'only applies to kind "redis"',
      'remove it',
    ],
    // --- extensions ---
    [
      'an unknown extension',
      '[extensions.cachee]\nttl_seconds = 10',
      'extensions.cachee',
      1,
      "unknown field 'cachee'",
      "did you mean 'cache'?",
    ],
    [
      'an unknown extension far from any name',
      '[extensions.metrics]\n',
      'extensions.metrics',
      1,
      "unknown field 'metrics'",
      'cache, rate_limit, usage, budget, logging, audit',
    ],
    [
      'a bad extension field',
      '[extensions.rate_limit]\nrequests_per_minute = "lots"',
      'extensions.rate_limit.requests_per_minute',
      2,
      'expected an integer',
      'bare number',
    ],
    [
      'rate_limit without requests_per_minute',
      '[extensions.rate_limit]\ntokens_per_minute = 100',
      'extensions.rate_limit.requests_per_minute',
      null,
      'is required',
      'requests_per_minute',
    ],
    [
      'budget with an unknown unpriced rule',
      '[extensions.budget]\nunpriced = "free"\n',
      'extensions.budget.unpriced',
      2,
      '"free" is not allowed',
      'refuse',
    ],
    // --- environment ---
    ['unset variable', `${ECHO}api_key = "\${NOPE}"`, 'providers.e.api_key', 3, 'NOPE is not set', 'export NOPE='],
  ])('%s', (_name, toml, field, line, problem, fix) => {
    const err = configError(toml)
    expect(err.file).toBe('crabllm.toml')
    expect(err.field).toBe(field)
    expect(err.problem).toContain(problem)
    expect(err.fix).toBeDefined()
    expect(err.fix!).toContain(fix)
    if (line !== null) expect(err.line).toBe(line)
    // The printed form: file:line: field: problem (fix: …)
    const where = err.line ? `crabllm.toml:${err.line}: ` : 'crabllm.toml: '
    expect(err.message).toBe(`${where}${field ? `${field}: ` : ''}${err.problem} (fix: ${err.fix})`)
    expect(err.exitCode).toBe(1)
  })

  test('names the file it was given, as given', () => {
    expect(() => parseConfig('lisen = 1', 'conf/my gateway.toml', PROVIDER_RULES, {})).toThrow(
      /^conf\/my gateway\.toml:1: lisen: /,
    )
  })

  test('reports a schema problem before a semantic one', () => {
    const err = configError('listen = "nope"\nopenapi = "yes"')
    expect(err.field).toBe('openapi')
  })
})

describe('parseConfig: valid configs', () => {
  test('applies the defaults to an empty file', () => {
    const config = parseConfig('', 'empty.toml', PROVIDER_RULES, {})
    expect(config.listen).toBe('127.0.0.1:5632')
    expect(config.shutdown_timeout).toBe(30)
    expect(config.openapi).toBe(true)
    expect(config.max_body_size).toBe(32 * 1024 * 1024)
    expect(config.providers).toEqual({})
    expect(config.keys).toEqual([])
    expect(config.aliases).toEqual({})
    expect(config.models).toEqual({})
    expect(config.storage).toBeUndefined()
    expect(config.admin_token).toBeUndefined()
  })

  test('applies per-provider defaults to every provider', () => {
    const config = parseConfig(
      '[providers.a]\nkind = "echo"\n[providers.b]\nkind = "custom"\nbase_url = "http://h/v1"\nmodels = ["m"]\nweight = 4',
      't.toml',
      PROVIDER_RULES,
      {},
    )
    for (const name of ['a', 'b'] as const) {
      expect(config.providers[name]!.max_retries).toBe(2)
      expect(config.providers[name]!.timeout).toBe(30)
    }
    expect(config.providers.a!.weight).toBe(1)
    expect(config.providers.b!.weight).toBe(4)
  })

  test.each([
    ['echo', '', undefined, ['echo']],
    ['openai', 'api_key = "sk-x"\nmodels = ["gpt-4o"]', 'https://api.openai.com/v1', ['gpt-4o']],
    ['ollama', 'models = ["llama3.2"]', 'http://localhost:11434/v1', ['llama3.2']],
    ['openai', 'api_key = "sk-x"\nbase_url = "http://proxy:8080/v1"\nmodels = ["m"]', 'http://proxy:8080/v1', ['m']],
  ])('applies kind %p defaults (base_url, models)', (kind, extra, baseUrl, models) => {
    const config = parseConfig(`[providers.p]\nkind = "${kind}"\n${extra}`, 't.toml', PROVIDER_RULES, {})
    expect(config.providers.p!.base_url).toBe(baseUrl)
    expect(config.providers.p!.models).toEqual(models)
  })

  test('applies key defaults', () => {
    const config = parseConfig(KEY_A, 't.toml', PROVIDER_RULES, {})
    expect(config.keys).toEqual([{ name: 'a', key: 'sk-aaaaaaaa', models: ['*'] }])
  })

  test('expands environment variables, with defaults', () => {
    const toml = [
      'listen = "${HOST:-127.0.0.1}:${PORT}"',
      '[providers.o]',
      'kind = "openai"',
      'api_key = "${OPENAI_API_KEY}"',
      'models = ["${MODEL:-gpt-4o-mini}"]',
      '[[keys]]',
      'name = "team"',
      'key = "$${LITERAL}-not-expanded"',
    ].join('\n')
    const config = parseConfig(toml, 't.toml', PROVIDER_RULES, { PORT: '9000', OPENAI_API_KEY: 'sk-from-env' })
    expect(config.listen).toBe('127.0.0.1:9000')
    expect(config.providers.o!.api_key).toBe('sk-from-env')
    expect(config.providers.o!.models).toEqual(['gpt-4o-mini'])
    expect(config.keys[0]!.key).toBe('${LITERAL}-not-expanded')
  })

  test('checks values after expansion', () => {
    const err = configError('listen = "${LISTEN}"', { LISTEN: 'nonsense' })
    expect(err.field).toBe('listen')
    expect(err.problem).toContain('"nonsense"')
  })

  test.each([['127.0.0.1:5632'], ['0.0.0.0:80'], [':8080'], ['[::1]:5632'], ['localhost:1']])(
    'accepts listen = %p',
    (listen) => {
      expect(parseConfig(`listen = "${listen}"`, 't.toml', PROVIDER_RULES, {}).listen).toBe(listen)
    },
  )

  test('accepts an unknown kind with a base_url as a custom provider', () => {
    const config = parseConfig(
      '[providers.t]\nkind = "together"\nbase_url = "https://api.together.xyz/v1"\nmodels = ["m"]',
      't.toml',
      PROVIDER_RULES,
      {},
    )
    expect(config.providers.t!.kind).toBe('together')
  })

  test('accepts a one-hop alias and redis/sqlite storage', () => {
    const config = parseConfig(
      `${ECHO}[aliases]\nfast = "echo"\n[storage]\nkind = "redis"\npath = "rediss://h:6380"`,
      't.toml',
      PROVIDER_RULES,
      {},
    )
    expect(config.aliases).toEqual({ fast: 'echo' })
    expect(config.storage).toEqual({ kind: 'redis', path: 'rediss://h:6380' })
  })

  test('the starter config parses cleanly and serves echo', () => {
    const text = starterConfig({ adminToken: 'sk-admin-0123456789abcdef', defaultKey: 'sk-default-0123456789' })
    const config = parseConfig(text, 'crabllm.toml', PROVIDER_RULES, {})
    expect(config.listen).toBe('127.0.0.1:5632')
    expect(config.admin_token).toBe('sk-admin-0123456789abcdef')
    expect(config.keys).toEqual([{ name: 'default', key: 'sk-default-0123456789', models: ['*'] }])
    expect(config.storage).toEqual({ kind: 'sqlite', path: 'crabllm.db' })
    expect(config.providers.echo!.models).toEqual(['echo'])
    expect(config.aliases).toEqual({})
  })

  test('the starter config needs no environment', () => {
    // Its ${VAR} examples are all commented out or escaped.
    expect(() =>
      parseConfig(
        starterConfig({ adminToken: 'a'.repeat(32), defaultKey: 'b'.repeat(32) }),
        'c.toml',
        PROVIDER_RULES,
        {},
      ),
    ).not.toThrow()
  })
})

describe('loadConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crabllm-load-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('reads a file and reports where it came from', async () => {
    const path = join(dir, 'ok.toml')
    writeFileSync(path, `${ECHO}api_key = "\${K}"`)
    const loaded = await loadConfigFile(path, PROVIDER_RULES, { K: 'v' })
    expect(loaded.file).toBe(path)
    expect(loaded.dir).toBe(dir)
    expect(loaded.config.providers.e!.api_key).toBe('v')
  })

  test('names a missing file and suggests init', async () => {
    const path = join(dir, 'missing.toml')
    const err = await loadConfigFile(path, PROVIDER_RULES, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).file).toBe(path)
    expect((err as ConfigError).problem).toBe('file not found')
    expect((err as ConfigError).fix).toContain('crabllm init')
  })

  test('names the file in errors from its content', async () => {
    const path = join(dir, 'bad.toml')
    writeFileSync(path, 'listen = "x"')
    const err = await loadConfigFile(path, PROVIDER_RULES, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message.startsWith(`${path}:1: listen: `)).toBe(true)
  })

  test.each([
    ['/abs/x.db', '/abs/x.db'],
    ['x.db', '/etc/crabllm/x.db'],
    ['../x.db', '/etc/x.db'],
  ])('resolveBeside(%p) → %p', (path, expected) => {
    expect(resolveBeside('/etc/crabllm', path)).toBe(expected)
  })
})

describe('parseConfig: secrets in errors', () => {
  test.each([
    ['admin_token = "shortsecret9"', 'admin_token', 'shortsecret9'],
    ['metrics_token = "tiny-metrics"', 'metrics_token', 'tiny-metrics'],
    ['[[keys]]\nname = "a"\nkey = "sk-abc"', 'keys[0].key', 'sk-abc'],
  ])('a too-short %s is described by its length, never quoted', (toml, field, secret) => {
    let message = ''
    try {
      parseConfig(toml, 'secret.toml', PROVIDER_RULES, {})
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toContain(field)
    expect(message).toContain(`a string of ${secret.length} characters`)
    expect(message).not.toContain(secret)
  })
})
