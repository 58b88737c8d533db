// The model catalog: its own numbers for well-known models, the cost of a usage with cached and
// reasoning tokens computed by hand from those numbers, long-context tiers and dated schedules, lookup by
// the names clients really send, the config's [models] in crabllm's shape and ours, cloud_models files.
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { calcPrice } from '@pydantic/genai-prices'
import { buildCatalog, type CatalogConfig, catalogOf, costMicros, type ModelPrice } from '../../src/catalog'
import { ConfigError } from '../../src/config/errors'
import { parseConfig } from '../../src/config/load'
import { PROVIDER_RULES } from '../../src/providers'

const NO_CONFIG: CatalogConfig = { models: {} }
/** 2026-12-03 12:00 UTC: after every dated price change the catalog knows of up to 2027. */
const NOON = Date.parse('2026-12-03T12:00:00Z')
const catalog = buildCatalog(NO_CONFIG, { now: () => NOON })

const dir = mkdtempSync(join(tmpdir(), 'crabllm-catalog-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** 10,000 prompt tokens of which 4,000 read from the cache; 2,000 completion tokens of which 1,500 reasoning. */
const CACHED = {
  prompt_tokens: 10_000,
  completion_tokens: 2_000,
  total_tokens: 12_000,
  cache_read_tokens: 4_000,
  reasoning_tokens: 1_500,
}

describe("the catalog's own numbers", () => {
  test('gpt-4o: OpenAI prices with a cache read rate, 128K context, 16K output, vision and tools', () => {
    expect(catalog.facts('gpt-4o')).toEqual({
      id: 'gpt-4o',
      provider: 'openai',
      context_length: 128_000,
      max_output: 16_384,
      vision: true,
      tools: true,
      reasoning: false,
      price: { input: 2.5, output: 10, cache_read: 1.25 },
      source: 'catalog',
    })
    // 6,000 uncached × $2.50 + 4,000 cached × $1.25 + 2,000 output (reasoning included) × $10, per million.
    expect(costMicros(catalog.facts('gpt-4o')!.price!, CACHED)).toBe(15_000 + 5_000 + 20_000)
  })

  test('claude-sonnet-4-6: cache read and write rates; capabilities unknown to the older models.dev data', () => {
    expect(catalog.facts('claude-sonnet-4-6')).toEqual({
      id: 'claude-sonnet-4-6',
      provider: 'anthropic',
      context_length: 1_000_000,
      price: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
      source: 'catalog',
    })
    // 5,000 uncached × $3 + 4,000 read × $0.30 + 1,000 written × $3.75 + 2,000 output × $15.
    const usage = { ...CACHED, cache_write_tokens: 1_000 }
    expect(costMicros(catalog.facts('claude-sonnet-4-6')!.price!, usage)).toBe(15_000 + 1_200 + 3_750 + 30_000)
  })

  test('gemini-2.5-flash: 1M context, 64K output, vision, tools and reasoning', () => {
    expect(catalog.facts('gemini-2.5-flash')).toEqual({
      id: 'gemini-2.5-flash',
      provider: 'google',
      context_length: 1_048_576,
      max_output: 65_536,
      vision: true,
      tools: true,
      reasoning: true,
      price: { input: 0.3, output: 2.5, cache_read: 0.03 },
      source: 'catalog',
    })
    // 6,000 × $0.30 + 4,000 × $0.03 + 2,000 thinking and answer tokens × $2.50.
    expect(costMicros(catalog.facts('gemini-2.5-flash')!.price!, CACHED)).toBe(1_800 + 120 + 5_000)
  })
})

describe('costMicros', () => {
  const price: ModelPrice = { input: 4, output: 16 }
  const use = (prompt: number, completion: number, extra: object = {}) => ({
    prompt_tokens: prompt,
    completion_tokens: completion,
    ...extra,
  })

  test.each([
    ['USD per million tokens is micro-dollars per token', price, use(9, 4), 100],
    ['a fraction of a micro-dollar rounds up, once', { input: 0.02, output: 0.02 }, use(2, 1), 1],
    ['float noise does not round up a whole amount', { input: 0.1, output: 0 }, use(30, 0), 3],
    ['no tokens cost nothing', price, use(0, 0), 0],
    ['absent cache rates are the input rate', price, use(10, 0, { cache_read_tokens: 5, cache_write_tokens: 5 }), 40],
    [
      'cached counts beyond the prompt are capped by it',
      { ...price, cache_read: 1 },
      use(10, 0, { cache_read_tokens: 50 }),
      10,
    ],
    ['an absurd usage is charged at most a safe integer', price, use(1e300, 0), Number.MAX_SAFE_INTEGER],
  ])('%s', (_name, p, usage, micros) => {
    expect(costMicros(p, usage)).toBe(micros)
  })
})

describe('long-context tiers and price schedules', () => {
  test('gemini-2.5-pro: every rate doubles (output ×1.5) once the prompt exceeds 200,000 tokens', () => {
    const price = catalog.facts('gemini-2.5-pro')!.price!
    expect(price.tiers).toEqual([{ above: 200_000, input: 2.5, output: 15, cache_read: 0.25 }])
    // At 200,000 the base rates: 200,000 × $1.25 + 1,000 × $10.
    expect(costMicros(price, { prompt_tokens: 200_000, completion_tokens: 1_000 })).toBe(250_000 + 10_000)
    // Above, the tier's: 200,000 uncached × $2.50 + 50,000 cached × $0.25 + 1,000 × $15.
    const long = { prompt_tokens: 250_000, completion_tokens: 1_000, cache_read_tokens: 50_000 }
    expect(costMicros(price, long)).toBe(500_000 + 12_500 + 15_000)
  })

  test('claude-sonnet-4-6: tiered until 2026-03-13, one flat price from that day (genai-prices schedule)', () => {
    const at = (day: string) => buildCatalog(NO_CONFIG, { now: () => Date.parse(day) }).facts('claude-sonnet-4-6')!
    const usage = { prompt_tokens: 300_000, completion_tokens: 1_000 }
    expect(costMicros(at('2026-03-12T23:59:59Z').price!, usage)).toBe(300_000 * 6 + 1_000 * 22.5)
    expect(costMicros(at('2026-03-13T00:00:00Z').price!, usage)).toBe(300_000 * 3 + 1_000 * 15)
  })

  test('deepseek-chat: peak price 00:30–16:30 UTC, off-peak otherwise, chosen at each call', () => {
    let now = Date.parse('2026-12-03T10:00:00Z')
    const deepseek = buildCatalog(NO_CONFIG, { now: () => now })
    expect(deepseek.facts('deepseek-chat')!.price).toEqual({ input: 0.27, output: 1.1, cache_read: 0.07 })
    now = Date.parse('2026-12-03T20:00:00Z')
    expect(deepseek.facts('deepseek-chat')!.price).toEqual({ input: 0.135, output: 0.55, cache_read: 0.035 })
  })
})

describe('lookup by the names clients send', () => {
  test.each([
    ['gpt-4o', 'openai', 'gpt-4o'],
    ['GPT-4o', 'openai', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'openai', 'gpt-4o'],
    ['openai/gpt-4o', 'openai', 'gpt-4o'],
    ['azure/gpt-4o', 'azure', 'gpt-4o'],
    ['gpt-5-mini-2026-01-01', 'openai', 'gpt-5-mini'],
    ['claude-sonnet-4-5-20250929', 'anthropic', 'claude-sonnet-4-5'],
    ['anthropic/claude-sonnet-4.5', 'anthropic', 'claude-sonnet-4-5'],
    ['vertex_ai/claude-sonnet-4-5@20250929', 'google', 'claude-sonnet-4-5'],
    [
      'anthropic.claude-3-5-sonnet-20240620-v1:0',
      'amazon-bedrock',
      'regional.anthropic.claude-3-5-sonnet-20240620-v1:0',
    ],
    [
      'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'amazon-bedrock',
      'regional.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ],
    [
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'amazon-bedrock',
      'regional.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ],
    [
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'amazon-bedrock',
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
    ],
    ['models/gemini-2.5-flash', 'google', 'gemini-2.5-flash'],
    ['projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro', 'google', 'gemini-2.5-pro'],
    ['gemini-2.5-pro-preview-06-05', 'google', 'gemini-2.5-pro'],
    ['llama-3.3-70b-versatile', 'groq', 'llama-3.3-70b-versatile'],
    ['openai/gpt-oss-120b', 'groq', 'openai/gpt-oss-120b'],
    ['grok-4', 'xai', 'grok-4-0709'],
    ['mistral-small-latest', 'mistral', 'mistral-small-latest'],
    ['text-embedding-3-small', 'openai', 'text-embedding-3-small'],
  ])('%s → %s %s', (name, provider, id) => {
    expect(catalog.facts(name)).toMatchObject({ provider, id })
  })

  test('finds the model genai-prices itself finds for a name, wherever it finds one', () => {
    const names = ['gpt-4o-mini', 'o3', 'claude-opus-4-1-20250805', 'claude-3-5-haiku-latest', 'gemini-2.0-flash-001']
    for (const name of [...names, 'mistral-large-latest', 'command-r-plus', 'deepseek-reasoner', 'gpt-4.1-nano']) {
      const theirs = calcPrice({ input_tokens: 1, output_tokens: 1 }, name)
      expect(theirs).not.toBeNull()
      expect({ name, id: catalog.facts(name)?.id }).toEqual({ name, id: theirs!.model.id })
    }
  })

  test('an unknown model is undefined, by either name', () => {
    for (const name of ['llama3:8b', 'echo', 'qwen2.5:7b', 'my-fine-tune', 'tts-1'])
      expect(catalog.facts(name)).toBeUndefined()
    expect(catalog.facts('my-deployment', 'also-mine')).toBeUndefined()
  })

  test('the served model first, else the alias the client sent (an Azure deployment named by the operator)', () => {
    expect(catalog.facts('prod-4o-deployment', 'gpt-4o')).toMatchObject({ id: 'gpt-4o', provider: 'openai' })
    expect(catalog.facts('gpt-4o-mini', 'gpt-4o')).toMatchObject({ id: 'gpt-4o-mini' })
  })

  test('a model priced in other units only (audio hours) has no price', () => {
    expect(catalog.facts('whisper-1')).toMatchObject({ id: 'whisper-1', provider: 'openai' })
    expect(catalog.facts('whisper-1')!.price).toBeUndefined()
  })
})

describe('[models.<name>] in the config', () => {
  const load = (toml: string) =>
    parseConfig(`[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n${toml}`, 'test.toml', PROVIDER_RULES, {})

  test('our flat shape prices a model: the price replaces the catalog price, the rest stays', () => {
    const config = load('[models."gpt-4o"]\nprompt_cost_per_million = 1\ncompletion_cost_per_million = 2\n')
    expect(buildCatalog(config).facts('gpt-4o')).toMatchObject({
      id: 'gpt-4o',
      provider: 'openai',
      context_length: 128_000,
      price: { input: 1, output: 2 },
      source: 'both',
    })
  })

  test("crabllm's shape: a pricing table with cache rates, context_length and vision override field by field", () => {
    const config = load(`[models."gpt-4o"]
context_length = 64000
vision = false
[models."gpt-4o".pricing]
input_cost_per_million = 2
output_cost_per_million = 8
cache_read_cost_per_million = 0.5
cache_write_cost_per_million = 2.5
`)
    const facts = buildCatalog(config).facts('gpt-4o')!
    expect(facts).toMatchObject({
      context_length: 64_000,
      max_output: 16_384,
      vision: false,
      tools: true,
      source: 'both',
    })
    expect(facts.price).toEqual({ input: 2, output: 8, cache_read: 0.5, cache_write: 2.5 })
  })

  test("crabllm's older names in the pricing table (prompt, completion, cache_hit)", () => {
    const config = load(`[models.local.pricing]
prompt_cost_per_million = 0.1
completion_cost_per_million = 0.2
cache_hit_cost_per_million = 0.01
`)
    expect(buildCatalog(config).facts('local')).toEqual({
      id: 'local',
      price: { input: 0.1, output: 0.2, cache_read: 0.01 },
      source: 'config',
    })
  })

  test('adds a model the catalog does not know; an entry for the alias prices the canonical model', () => {
    const config = load(`[models."llama3:8b"]
context_length = 8192
tools = true
[models.fast]
prompt_cost_per_million = 0.5
completion_cost_per_million = 1
`)
    const built = buildCatalog(config)
    expect(built.facts('llama3:8b')).toEqual({ id: 'llama3:8b', context_length: 8192, tools: true, source: 'config' })
    expect(built.facts('gpt-4o-mini', 'fast')).toMatchObject({
      id: 'fast',
      provider: 'openai',
      price: { input: 0.5, output: 1 },
      source: 'both',
    })
  })

  test('list(): the config entries first, then every catalog model once', () => {
    const list = buildCatalog(load('[models.zzz]\ncontext_length = 1\n[models."gpt-4o"]\nvision = true\n')).list()
    expect(list.slice(0, 2).map((f) => [f.id, f.source])).toEqual([
      ['gpt-4o', 'both'],
      ['zzz', 'config'],
    ])
    expect(list.filter((f) => f.id === 'gpt-4o' && f.provider === 'openai')).toHaveLength(1)
    expect(list.length).toBeGreaterThan(500)
  })

  test.each([
    ['[models.x]\nprompt_cost = 1\n', /models\.x\.prompt_cost: unknown field 'prompt_cost'.*prompt_cost_per_million/],
    [
      '[models.x.pricing]\ninput_cost_per_million = 1\noutput_cost_per_million = 1\nreasoning_cost = 1\n',
      /models\.x\.pricing\.reasoning_cost: unknown field/,
    ],
    ['[models.x]\ncontext_length = "big"\n', /models\.x\.context_length: expected an integer/],
  ])('an unknown or mistyped field is refused by name at load: %j', (toml, message) => {
    expect(() => load(toml)).toThrow(message)
  })

  test.each([
    [
      '[models.x]\nprompt_cost_per_million = 1\ncompletion_cost_per_million = 1\n[models.x.pricing]\ninput_cost_per_million = 1\noutput_cost_per_million = 1\n',
      /models\.x\.pricing: the price is given twice/,
    ],
    ['[models.x]\nprompt_cost_per_million = 1\n', /models\.x\.completion_cost_per_million: is required/],
    [
      '[models.x.pricing]\ninput_cost_per_million = 1\nprompt_cost_per_million = 2\noutput_cost_per_million = 1\n',
      /models\.x\.pricing\.prompt_cost_per_million: is another name of input_cost_per_million/,
    ],
    ['[models.x.pricing]\ninput_cost_per_million = 1\n', /models\.x\.pricing\.output_cost_per_million: is required/],
  ])('what the schema cannot say is refused when the catalog is built: %j', (toml, message) => {
    expect(() => buildCatalog(load(toml), { configFile: 'test.toml' })).toThrow(message)
  })

  test('catalogOf builds one catalog per config object', () => {
    const config = load('')
    expect(catalogOf(config)).toBe(catalogOf(config))
    expect(catalogOf(load(''))).not.toBe(catalogOf(config))
  })
})

describe('cloud_models (crabllm): a TOML file of model tables under [models]', () => {
  const write = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  test('its entries go over the catalog, the config over them; relative to the config file', () => {
    write(
      'cloud.toml',
      `["gpt-4o"]
context_length = 1
["gpt-4o".pricing]
prompt_cost_per_million = 3.0
completion_cost_per_million = 9.0

["local-model"]
context_length = 32_000
`,
    )
    const config: CatalogConfig = {
      cloud_models: 'cloud.toml',
      models: { 'gpt-4o': { context_length: 2 } },
    }
    const built = buildCatalog(config, { configFile: join(dir, 'crabllm.toml') })
    expect(built.facts('gpt-4o')).toMatchObject({ context_length: 2, price: { input: 3, output: 9 }, source: 'both' })
    expect(built.facts('local-model')).toEqual({ id: 'local-model', context_length: 32_000, source: 'config' })
  })

  test('a price in [models] replaces the file’s price as a whole', () => {
    write(
      'priced.toml',
      '["m"]\n[m.pricing]\ninput_cost_per_million = 1\noutput_cost_per_million = 1\ncache_read_cost_per_million = 0.1\n',
    )
    const config: CatalogConfig = {
      cloud_models: join(dir, 'priced.toml'),
      models: { m: { prompt_cost_per_million: 5, completion_cost_per_million: 6 } },
    }
    expect(buildCatalog(config).facts('m')!.price).toEqual({ input: 5, output: 6 })
  })

  test.each([
    ['missing.toml', undefined, /missing\.toml: cloud_models file not found/],
    ['bad-field.toml', '["m"]\ncontext = 1\n', /bad-field\.toml:2: m\.context: unknown field 'context'/],
    ['bad-toml.toml', '["m"\n', /bad-toml\.toml:1: invalid TOML/],
    [
      'bad-price.toml',
      '["m".pricing]\ninput_cost_per_million = 1\n',
      /m\.pricing\.output_cost_per_million: is required/,
    ],
  ])('%s: a ConfigError naming the file, line and field', (name, text, message) => {
    if (text !== undefined) write(name, text)
    const config: CatalogConfig = { cloud_models: join(dir, name), models: {} }
    expect(() => buildCatalog(config)).toThrow(ConfigError)
    expect(() => buildCatalog(config)).toThrow(message)
  })
})
