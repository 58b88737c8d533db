// `crabllm models [--json] [--all] [--config PATH]`: offline, from a config file and the embedded
// catalog: each served model and alias with what the gateway knows of it, as JSON or a table.
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { modelsOutput } from '../../../src/cli/commands/models'
import { usage } from '../../../src/cli/main'
import { ConfigError } from '../../../src/config/errors'

const dir = mkdtempSync(join(tmpdir(), 'crabllm-models-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const CONFIG = join(dir, 'crabllm.toml')
writeFileSync(
  CONFIG,
  `[providers.openai]
kind = "openai"
api_key = "sk-test"
models = ["gpt-4o", "claude-sonnet-4-5-20250929", "llama3:8b", "my-finetune"]

[providers.backup]
kind = "echo"
models = ["gpt-4o"]

[aliases]
fast = "gpt-4o"

[models."gpt-4o"]
prompt_cost_per_million = 2
completion_cost_per_million = 8

[models."llama3:8b"]
context_length = 8192
`,
)

describe('crabllm models', () => {
  test('--json: every served model, then the aliases, with its facts and where they came from', async () => {
    const rows = JSON.parse(await modelsOutput({ config: CONFIG, json: true }))
    expect(rows).toEqual([
      {
        model: 'claude-sonnet-4-5-20250929',
        served_by: ['openai'],
        catalog_id: 'claude-sonnet-4-5',
        provider: 'anthropic',
        context_length: 200_000,
        price: {
          input: 3,
          output: 15,
          cache_read: 0.3,
          cache_write: 3.75,
          tiers: [{ above: 200_000, input: 6, output: 22.5, cache_read: 0.6, cache_write: 7.5 }],
        },
        source: 'catalog',
      },
      {
        model: 'gpt-4o',
        served_by: ['openai', 'backup'],
        provider: 'openai',
        context_length: 128_000,
        max_output: 16_384,
        vision: true,
        tools: true,
        reasoning: false,
        price: { input: 2, output: 8 },
        source: 'both',
      },
      { model: 'llama3:8b', served_by: ['openai'], context_length: 8192, source: 'config' },
      { model: 'my-finetune', served_by: ['openai'], source: null },
      {
        model: 'fast',
        alias_of: 'gpt-4o',
        served_by: ['openai', 'backup'],
        catalog_id: 'gpt-4o',
        provider: 'openai',
        context_length: 128_000,
        max_output: 16_384,
        vision: true,
        tools: true,
        reasoning: false,
        price: { input: 2, output: 8 },
        source: 'both',
      },
    ])
  })

  test('a table by default: prices per million, tiers, capabilities, source', async () => {
    const lines = (await modelsOutput({ config: CONFIG })).trimEnd().split('\n')
    expect(lines[0]!.split(/ {2,}/)).toEqual([
      'MODEL',
      'PROVIDER',
      'CONTEXT',
      'MAX OUTPUT',
      'INPUT',
      'OUTPUT',
      'CACHE READ',
      'CACHE WRITE',
      'CAPABILITIES',
      'SOURCE',
    ])
    const cells = (model: string) => lines.find((l) => l.startsWith(`${model} `))!.split(/ {2,}/)
    expect(cells('claude-sonnet-4-5-20250929')).toEqual([
      'claude-sonnet-4-5-20250929',
      'anthropic',
      '200K',
      '-',
      '$3.00, $6.00 >200K',
      '$15.00, $22.50 >200K',
      '$0.30, $0.60 >200K',
      '$3.75, $7.50 >200K',
      '?',
      'catalog',
    ])
    expect(cells('gpt-4o')).toEqual([
      'gpt-4o',
      'openai',
      '128K',
      '16K',
      '$2.00',
      '$8.00',
      '= input',
      '= input',
      'vision, tools',
      'both',
    ])
    expect(cells('my-finetune')).toEqual(['my-finetune', '-', '-', '-', '-', '-', '-', '-', '-', 'unknown'])
    expect(lines.at(-1)!.startsWith('fast → gpt-4o ')).toBe(true)
  })

  test('--all: the whole catalog, the config entries first', async () => {
    const rows = JSON.parse(await modelsOutput({ config: CONFIG, json: true, all: true })) as { model: string }[]
    expect(rows.slice(0, 2).map((r) => r.model)).toEqual(['gpt-4o', 'llama3:8b'])
    expect(rows.length).toBeGreaterThan(500)
    expect(rows.find((r) => r.model === 'gemini-2.5-flash')).toMatchObject({ provider: 'google', source: 'catalog' })
  })

  test('a missing config file is a ConfigError; the command is in the help', async () => {
    await expect(modelsOutput({ config: join(dir, 'nope.toml') })).rejects.toThrow(ConfigError)
    expect(usage()).toContain('models')
    expect(usage('models')).toContain('--all')
  })
})
