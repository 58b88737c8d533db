// Configs written for the Rust crabllm (issue [4/6] item 4): its shapes load unchanged with crabllm's
// meaning (an omitted kind, azure's default api_version, weight 0, a base_url pasted with its endpoint,
// [pricing], `standard`, "openai_compat"), or fail with one line naming the difference and the fix.
// The fixtures under test/fixtures/crabllm are written in the shapes crabllm's docs and repository use.
import { describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError } from '../../src/config/errors'
import { loadConfigFile, parseConfig, validateProvider } from '../../src/config/load'
import type { ConfigNote } from '../../src/config/semantics'
import { defaultKind, normalizeProvider, PROVIDER_RULES } from '../../src/providers'

const FIXTURES = join(import.meta.dir, '../fixtures/crabllm')

/** Every ${VAR} the fixtures use. */
const FIXTURE_ENV: Record<string, string> = {
  OPENAI_API_KEY: 'sk-openai-fixture',
  ANTHROPIC_API_KEY: 'sk-ant-fixture',
  GOOGLE_API_KEY: 'google-fixture',
  GROQ_API_KEY: 'gsk-fixture',
  TOGETHER_API_KEY: 'together-fixture',
  AZURE_OPENAI_KEY: 'azure-fixture',
  AZURE_KEY: 'azure-fixture',
  AWS_ACCESS_KEY_ID: 'AKIAFIXTURE',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-fixture',
  DEEPSEEK_API_KEY: 'sk-deepseek-fixture',
  KIMI_API_KEY: 'sk-kimi-fixture',
  OPENAI_KEY_1: 'sk-openai-1',
  OPENAI_KEY_2: 'sk-openai-2',
  OPENAI_KEY_3: 'sk-openai-3',
  CRABTALK_API_KEY: 'sk-crabtalk-fixture-key',
  ADMIN_API_KEY: 'sk-admin-fixture-key',
  MOCK_BASE_URL: 'http://127.0.0.1:9999',
  LOCAL_LLM_URL: 'http://127.0.0.1:9998',
  BACKUP_LLM_URL: 'http://127.0.0.1:9997',
  REDIS_URL: 'redis://127.0.0.1:6379',
}

function load(toml: string, env: Record<string, string> = FIXTURE_ENV, notes?: ConfigNote[]) {
  return parseConfig(toml, 'crabllm.toml', PROVIDER_RULES, env, notes)
}

/** The one line `crabllm serve` prints (without its `error: `) for `toml`. */
function refusal(toml: string, env: Record<string, string> = FIXTURE_ENV): string {
  try {
    load(toml, env)
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  throw new Error('expected a ConfigError, but the config loaded')
}

const fixture = (name: string) => Bun.file(join(FIXTURES, name)).text()

describe('test/fixtures/crabllm', () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.toml'))

  test.each(names.filter((n) => !n.startsWith('differ-')))('%s loads', async (name) => {
    const { config } = await loadConfigFile(join(FIXTURES, name), PROVIDER_RULES, FIXTURE_ENV)
    expect(config.listen).toMatch(/:\d+$/)
  })

  test.each(names.filter((n) => n.startsWith('differ-')))('%s is refused in one line', async (name) => {
    const err = await loadConfigFile(join(FIXTURES, name), PROVIDER_RULES, FIXTURE_ENV).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).not.toContain('\n')
    expect((err as ConfigError).fix).toBeDefined()
  })

  test('init.toml: no provider, the default key for every model', async () => {
    const config = load(await fixture('init.toml'))
    expect(config.providers).toEqual({})
    expect(config.keys).toEqual([{ name: 'default', key: 'sk-defaultkey0fixture000000000000000', models: ['*'] }])
  })

  test('configuration.toml: [pricing.<model>] becomes [models.<model>.pricing]', async () => {
    const config = load(await fixture('configuration.toml'))
    expect(config.models['gpt-4o']).toEqual({
      pricing: { prompt_cost_per_million: 2.5, completion_cost_per_million: 10 },
    })
    expect(Object.keys(config.models).sort()).toEqual(['claude-sonnet-4-20250514', 'gpt-4o'])
    expect(config.providers.openai!.weight).toBe(2)
    expect(config.providers.ollama!.base_url).toBe('http://localhost:11434/v1')
  })

  test("providers.toml: each kind with crabllm's defaults", async () => {
    const { providers } = load(await fixture('providers.toml'))
    const view = (name: string) => [providers[name]!.kind, providers[name]!.base_url, providers[name]!.api_version]
    expect(view('openai')).toEqual(['openai', 'https://api.openai.com/v1', undefined])
    expect(view('groq')).toEqual(['openai', 'https://api.groq.com/openai/v1', undefined])
    expect(view('azure')).toEqual(['azure', 'https://my-resource.openai.azure.com', '2024-02-01'])
    expect(view('azure_eu')).toEqual(['azure', 'https://my-eu-resource.openai.azure.com', '2024-02-15-preview'])
    expect(view('bedrock')).toEqual(['bedrock', 'https://bedrock-runtime.us-east-1.amazonaws.com', undefined])
    expect(view('deepseek')).toEqual(['deepseek', 'https://api.deepseek.com/v1', undefined])
    expect(view('moonshot')).toEqual(['kimi', 'https://api.moonshot.ai/v1', undefined])
  })

  test('routing.toml: "openai_compat" is openai; weight 0 loads', async () => {
    const { providers } = load(await fixture('routing.toml'))
    expect(providers.primary!.kind).toBe('openai')
    expect(providers.primary!.base_url).toBe('https://api.openai.com/v1')
    expect(providers.last_resort!.weight).toBe(0)
  })

  test('kindless.toml: kinds from the section name or the URL; the pasted endpoint stripped, with a note', async () => {
    const notes: ConfigNote[] = []
    const { providers } = load(await fixture('kindless.toml'), FIXTURE_ENV, notes)
    expect(providers.openai!.kind).toBe('openai')
    expect(providers.local!.kind).toBe('custom')
    expect(providers.local!.base_url).toBe('http://127.0.0.1:9998/v1')
    expect(notes).toEqual([
      { message: 'provider has no kind; using the default', fields: { provider: 'openai', kind: 'openai' } },
      { message: 'provider has no kind; using the default', fields: { provider: 'local', kind: 'custom' } },
      {
        message: 'base_url ended with an endpoint path; it was stripped (the endpoint is added per request)',
        fields: {
          provider: 'local',
          from: 'http://127.0.0.1:9998/v1/chat/completions',
          to: 'http://127.0.0.1:9998/v1',
        },
      },
    ])
  })

  test('legacy.toml: `standard` is kind; an empty key for a server elsewhere than OpenAI', async () => {
    const config = load(await fixture('legacy.toml'))
    expect(config.providers.vllm).toMatchObject({ kind: 'openai', api_key: '', base_url: 'http://127.0.0.1:8000/v1' })
    expect(config.providers.openai!.kind).toBe('openai')
    expect(config.models['gpt-4o-mini']!.pricing).toEqual({
      prompt_cost_per_million: 0.15,
      completion_cost_per_million: 0.6,
    })
  })
})

describe('an omitted kind', () => {
  test.each<[string, string | undefined, string]>([
    // section name, base_url → kind
    ['openai', undefined, 'openai'],
    ['anthropic', undefined, 'anthropic'],
    ['google', undefined, 'google'],
    ['gemini', undefined, 'gemini'],
    ['azure', 'https://r.openai.azure.com', 'azure'],
    ['bedrock', undefined, 'bedrock'],
    ['ollama', undefined, 'ollama'],
    ['echo', undefined, 'echo'],
    ['deepseek', undefined, 'deepseek'],
    ['zai', undefined, 'zai'],
    ['qwen', undefined, 'qwen'],
    ['minimax', undefined, 'minimax'],
    ['kimi', undefined, 'kimi'],
    // any other name: crabllm's default kind, openai…
    ['main', undefined, 'openai'],
    ['main', 'https://api.openai.com/v1', 'openai'],
    ['main', 'https://api.openai.com/v1/', 'openai'],
    // …a custom OpenAI-compatible provider elsewhere…
    ['groq', 'https://api.groq.com/openai/v1', 'custom'],
    ['local', 'http://127.0.0.1:8000/v1', 'custom'],
    ['bad', 'not a url', 'custom'],
    // …and anthropic on an Anthropic URL (crabllm's effective_kind).
    ['claude', 'https://api.anthropic.com/v1', 'anthropic'],
    ['minimax_claude', 'https://api.minimax.io/anthropic/v1', 'anthropic'],
  ])('[providers.%s] with base_url %p is kind %p', (name, baseUrl, kind) => {
    expect(defaultKind(name, baseUrl)).toBe(kind)
  })

  test('loads with the kind decided and its defaults applied', () => {
    const config = load('[providers.main]\napi_key = "sk-x"\nmodels = ["gpt-4o"]\n')
    expect(config.providers.main).toMatchObject({ kind: 'openai', base_url: 'https://api.openai.com/v1' })
  })

  test('a custom provider that serves /responses through chat (it is not OpenAI)', () => {
    const config = load('[providers.vllm]\nbase_url = "http://127.0.0.1:8000/v1"\nmodels = ["m"]\n')
    expect(config.providers.vllm!.kind).toBe('custom')
  })

  test('the admin API still asks for a kind (it has no section name)', () => {
    const result = validateProvider({ models: ['m'] }, PROVIDER_RULES)
    expect(result).toEqual({ ok: false, issue: { field: 'kind', problem: 'is required', fix: 'add kind = …' } })
  })
})

describe('crabllm fields mapped or refused', () => {
  test.each<[string, string, string]>([
    // --- providers ---
    [
      'retry_deadline',
      '[providers.openai]\nkind = "openai"\napi_key = "k"\nmodels = ["m"]\nretry_deadline = 15\n',
      "crabllm.toml:5: providers.openai.retry_deadline: crabllm's time limit on one provider's retries is not supported (fix: remove it: retries stop after max_retries, and each attempt after timeout seconds)",
    ],
    [
      'llama.cpp model_path',
      '[providers.local]\nkind = "llamacpp"\nmodel_path = "/m.gguf"\nmodels = ["m"]\n',
      'crabllm.toml:3: providers.local.model_path: is crabllm\'s llama.cpp setting; this gateway starts no local model server (fix: run llama-server yourself and serve it as kind = "openai" with base_url = "http://127.0.0.1:8080/v1")',
    ],
    [
      'llama.cpp n_ctx',
      '[providers.local]\nkind = "llamacpp"\nn_ctx = 4096\nmodels = ["m"]\n',
      'crabllm.toml:3: providers.local.n_ctx: is crabllm\'s llama.cpp setting; this gateway starts no local model server (fix: run llama-server yourself and serve it as kind = "openai" with base_url = "http://127.0.0.1:8080/v1")',
    ],
    [
      'kind llama_cpp without a base_url',
      '[providers.local]\nkind = "llama_cpp"\nmodels = ["m"]\n',
      'crabllm.toml:2: providers.local.kind: crabllm\'s "llamacpp" kind starts a local llama.cpp server; this gateway starts none (fix: run llama-server yourself and serve it as kind = "openai" with base_url = "http://127.0.0.1:8080/v1")',
    ],
    [
      'standard and kind both',
      '[providers.x]\nstandard = "openai"\nkind = "openai"\nmodels = ["m"]\n',
      "crabllm.toml:2: providers.x.standard: is crabllm's old name for kind, and kind is set too (fix: remove standard)",
    ],
    [
      'an error on a `standard` kind names standard',
      '[providers.x]\nstandard = "nope"\nmodels = ["m"]\n',
      'crabllm.toml:2: providers.x.standard: unknown provider kind "nope" (fix: use a known kind, or set base_url to serve it as an OpenAI-compatible custom provider)',
    ],
    [
      'a negative weight',
      '[providers.x]\nkind = "echo"\nweight = -1\n',
      'crabllm.toml:3: providers.x.weight: expected number to be greater or equal to 0, got -1 (fix: use 0 or more)',
    ],
    [
      'an omitted kind on OpenAI without a key',
      '[providers.x]\nmodels = ["gpt-4o"]\n',
      'crabllm.toml:1: providers.x.api_key: is required for kind "openai" (fix: api_key = "${OPENAI_API_KEY}")',
    ],
    // --- extensions: the names crabllm's configuration page shows, which crabllm never read ---
    [
      'cache ttl',
      '[extensions.cache]\nttl = 3600\n',
      "crabllm.toml:2: extensions.cache.ttl: crabllm's docs write ttl, but crabllm reads ttl_seconds (it ignored ttl and kept answers 300 s) (fix: rename it: ttl_seconds = 3600)",
    ],
    [
      'rate_limit rpm',
      '[extensions.rate_limit]\nrpm = 60\n',
      "crabllm.toml:2: extensions.rate_limit.rpm: crabllm's docs write rpm, but crabllm reads requests_per_minute (it refused a table without it) (fix: rename it: requests_per_minute = 60)",
    ],
    [
      'budget default_limit',
      '[extensions.budget]\ndefault_limit = 10000000\n',
      "crabllm.toml:2: extensions.budget.default_limit: crabllm's docs write default_limit, but crabllm reads default_budget, in USD (it refused a table without it) (fix: default_budget = 10.0 (USD per key))",
    ],
    // --- [pricing] ---
    [
      'a model priced twice',
      '[pricing.m]\nprompt_cost_per_million = 1\ncompletion_cost_per_million = 2\n[models.m]\nprompt_cost_per_million = 1\ncompletion_cost_per_million = 2\n',
      'crabllm.toml:1: pricing.m: is also priced in [models."m"] (fix: keep one: crabllm\'s [pricing."<model>"] is [models."<model>".pricing] here)',
    ],
    [
      'an error inside [pricing] names pricing',
      '[pricing.m]\nprompt_cost_per_million = "cheap"\ncompletion_cost_per_million = 2\n',
      'crabllm.toml:2: pricing.m.prompt_cost_per_million: expected a number, got "cheap" (fix: write a bare number)',
    ],
    // --- keys ---
    [
      "a key named admin (crabllm's auth page)",
      '[[keys]]\nname = "admin"\nkey = "sk-admin-secret"\nmodels = ["*"]\n',
      'crabllm.toml:2: keys[0].name: "admin" is reserved (it names the admin token, or callers when auth is off) (fix: choose another name)',
    ],
    // --- environment: crabllm expands an unset variable to "", this gateway refuses it ---
    [
      'an unset variable',
      '[providers.x]\nkind = "anthropic"\napi_key = "${NOT_SET}"\nmodels = ["m"]\n',
      'crabllm.toml:3: providers.x.api_key: environment variable NOT_SET is not set (fix: export NOT_SET=…; if it is optional, write ${NOT_SET:-} (empty when unset, as crabllm expands it) or ${NOT_SET:-default})',
    ],
  ])('%s', (_name, toml, message) => {
    expect(refusal(toml)).toBe(message)
  })

  test.each<[string, string]>([
    ['weight = 0', '[providers.x]\nkind = "echo"\nweight = 0\n'],
    [
      'azure without api_version',
      '[providers.x]\nkind = "azure"\nbase_url = "https://r.openai.azure.com"\napi_key = "k"\nmodels = ["m"]\n',
    ],
    [
      'kind openai at a keyless server',
      '[providers.x]\nkind = "openai"\nbase_url = "http://127.0.0.1:8000/v1"\nmodels = ["m"]\n',
    ],
    [
      'an optional variable written ${VAR:-}',
      '[providers.x]\nkind = "ollama"\napi_key = "${NOT_SET:-}"\nmodels = ["m"]\n',
    ],
    ['storage memory with a path', '[storage]\nkind = "memory"\npath = "ignored"\n'],
  ])('%s loads', (_name, toml) => {
    expect(() => load(toml)).not.toThrow()
  })

  test('the admin API refuses the same crabllm-only provider fields', () => {
    const result = validateProvider({ kind: 'openai', api_key: 'k', models: ['m'], retry_deadline: 15 }, PROVIDER_RULES)
    expect(result).toEqual({
      ok: false,
      issue: {
        field: 'retry_deadline',
        problem: "crabllm's time limit on one provider's retries is not supported",
        fix: 'remove it: retries stop after max_retries, and each attempt after timeout seconds',
      },
    })
  })
})

describe('a base_url pasted with its endpoint path', () => {
  test.each<[string, string, string]>([
    // kind, base_url → base_url used (crabllm strips the OpenAI paths: providers lib.rs normalize_base_url)
    ['openai', 'https://api.openai.com/v1/chat/completions', 'https://api.openai.com/v1'],
    ['openai', 'https://api.openai.com/v1/chat/completions/', 'https://api.openai.com/v1'],
    ['openai', 'https://api.openai.com/v1/embeddings', 'https://api.openai.com/v1'],
    ['openai', 'https://api.openai.com/v1/audio/transcriptions', 'https://api.openai.com/v1'],
    ['openai', 'https://api.openai.com/v1/audio/speech', 'https://api.openai.com/v1'],
    ['openai', 'https://api.openai.com/v1/images/generations', 'https://api.openai.com/v1'],
    ['openai', 'https://api.openai.com/v1/responses', 'https://api.openai.com/v1'],
    ['openai', 'https://api.openai.com/v1/models', 'https://api.openai.com/v1'],
    ['custom', 'http://127.0.0.1:8000/v1/chat/completions', 'http://127.0.0.1:8000/v1'],
    ['ollama', 'http://localhost:11434/v1/chat/completions', 'http://localhost:11434/v1'],
    ['deepseek', 'https://api.deepseek.com/chat/completions', 'https://api.deepseek.com'],
    ['anthropic', 'https://api.anthropic.com/v1/messages', 'https://api.anthropic.com/v1'],
    ['anthropic', 'https://api.anthropic.com/v1/messages/count_tokens', 'https://api.anthropic.com/v1'],
    [
      'google',
      'https://generativelanguage.googleapis.com/v1beta/models',
      'https://generativelanguage.googleapis.com/v1beta',
    ],
    [
      'google',
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent',
      'https://generativelanguage.googleapis.com/v1beta',
    ],
    [
      'azure',
      'https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-02-01',
      'https://r.openai.azure.com',
    ],
    ['azure', 'https://openai.example.com/openai', 'https://openai.example.com'],
  ])('%s: %s → %s', (kind, base_url, expected) => {
    const { config } = normalizeProvider({ ...BASE, kind, base_url })
    expect(config.base_url).toBe(expected)
  })

  test.each<[string, string]>([
    ['openai', 'https://api.openai.com/v1'],
    ['custom', 'http://127.0.0.1:8000/v1/'],
    ['custom', 'https://host/v1/chat/completions?key=1'], // a query: left as given
    ['anthropic', 'https://api.anthropic.com/v1'],
    ['bedrock', 'https://bedrock-runtime.us-east-1.amazonaws.com'],
    ['azure', 'https://r.openai.azure.com'],
  ])('%s: %s is left as it is', (kind, base_url) => {
    const { config } = normalizeProvider({ ...BASE, kind, base_url, region: 'us-east-1' })
    expect(config.base_url?.replace(/\/+$/, '')).toBe(base_url.replace(/\/+$/, ''))
  })
})

const BASE = {
  kind: 'openai',
  api_key: 'k',
  models: ['m'],
  weight: 1,
  max_retries: 2,
  timeout: 30,
  stream_idle_timeout: 60,
  cooldown_failures: 5,
  cooldown_seconds: 30,
}
