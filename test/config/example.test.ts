// The example config at the repo root must stay loadable and keep documenting every config field.
import { describe, expect, test } from 'bun:test'
import { exampleConfig } from '../../scripts/example-config'
import { ConfigError } from '../../src/config/errors'
import { parseConfig } from '../../src/config/load'
import { ConfigSchema } from '../../src/config/schema'
import { PROVIDER_RULES } from '../../src/providers'

const path = new URL('../../crabllm.toml', import.meta.url).pathname
const text = await Bun.file(path).text()
const env = {
  CRABLLM_ADMIN_TOKEN: 'admin-token-from-env-0123',
  CRABLLM_DEFAULT_KEY: 'sk-default-from-env-0123456789abcdef',
}

describe('crabllm.toml (the example)', () => {
  test('is what `crabllm init` writes, secrets aside (bun scripts/example-config.ts regenerates it)', () => {
    expect(text).toBe(exampleConfig())
  })

  test('loads, with its secrets from the environment', () => {
    const config = parseConfig(text, 'crabllm.toml', PROVIDER_RULES, env)
    expect(config.listen).toBe('127.0.0.1:5632')
    expect(config.admin_token).toBe(env.CRABLLM_ADMIN_TOKEN)
    expect(config.keys).toEqual([{ name: 'default', key: env.CRABLLM_DEFAULT_KEY, models: ['*'] }])
    expect(config.storage?.kind).toBe('sqlite')
    expect(Object.keys(config.providers)).toEqual(['echo'])
  })

  test('without the variables it fails naming them', () => {
    expect(() => parseConfig(text, 'crabllm.toml', PROVIDER_RULES, {})).toThrow(ConfigError)
    expect(() => parseConfig(text, 'crabllm.toml', PROVIDER_RULES, {})).toThrow(/CRABLLM_ADMIN_TOKEN/)
  })

  test('mentions every top-level and provider field', () => {
    const fields = [
      ...Object.keys(ConfigSchema.properties),
      ...Object.keys((ConfigSchema.properties.providers.patternProperties['^(.*)$'] ?? { properties: {} }).properties),
    ]
    // Documented with the feature that uses it: /openapi.json (issue [5/8]).
    const later = new Set(['openapi'])
    const missing = fields.filter((f) => !later.has(f) && !new RegExp(`\\b${f}\\b`).test(text))
    expect(missing).toEqual([])
  })

  test('its commented extension examples are valid once uncommented', () => {
    const [head, tail] = text.split('# ── Extensions ──\n')
    const lines = tail!.split('\n')
    const enabled = lines.map((l) => (/^# (\[|[a-z_]+ = )/.test(l) ? l.slice(2) : l)).join('\n')
    const pricing = '\n[models."echo"]\nprompt_cost_per_million = 1\ncompletion_cost_per_million = 2\n'
    const config = parseConfig(head + pricing + enabled, 'crabllm.toml', PROVIDER_RULES, env)
    expect(Object.keys(config.extensions ?? {})).toEqual(['cache', 'rate_limit', 'usage', 'budget', 'logging', 'audit'])
    expect(config.extensions?.budget?.keys?.default?.budget).toBe(50)
  })
})
