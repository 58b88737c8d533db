// One `[models.<name>]` entry: what the operator knows of a model, over the embedded catalog
// (src/catalog). Two shapes load: crabllm's (a nested `pricing` table with input/output/cache names, its
// legacy prompt/completion/cache_hit aliases, `context_length`, `vision`) and this gateway's flat
// `prompt_cost_per_million` / `completion_cost_per_million` of earlier versions. `modelEntryIssue`
// checks what the schema cannot (a field given under two names, a price without its pair);
// `entryPrice` reads the price either way.
import { type Static, Type as T } from '@sinclair/typebox'

const strict = { additionalProperties: false } as const
const usd = (description: string) => T.Optional(T.Number({ minimum: 0, description }))

/** crabllm's PricingConfig: USD per million tokens; a rate left out falls back as its description says. */
export const ModelPricingSchema = T.Object(
  {
    input_cost_per_million: usd('USD per million uncached input tokens (alias prompt_cost_per_million).'),
    prompt_cost_per_million: usd("crabllm's older name of input_cost_per_million."),
    output_cost_per_million: usd('USD per million output tokens (alias completion_cost_per_million).'),
    completion_cost_per_million: usd("crabllm's older name of output_cost_per_million."),
    cache_read_cost_per_million: usd(
      'USD per million input tokens read from the provider cache; absent: priced as input (alias cache_hit_cost_per_million).',
    ),
    cache_hit_cost_per_million: usd("crabllm's older name of cache_read_cost_per_million."),
    cache_write_cost_per_million: usd(
      'USD per million input tokens written to the provider cache (Anthropic: 1.25× input); absent: priced as input.',
    ),
    reasoning_cost_per_million: usd(
      'Read for crabllm compatibility, not applied: reasoning tokens are charged as output tokens (usage does not count them apart).',
    ),
    audio_input_cost_per_million: usd(
      'Read for crabllm compatibility, not applied: audio tokens are charged as input.',
    ),
    audio_output_cost_per_million: usd(
      'Read for crabllm compatibility, not applied: audio tokens are charged as output.',
    ),
    server_tool_cost_per_call: T.Optional(
      T.Record(T.String({ minLength: 1 }), T.Number({ minimum: 0 }), {
        description: 'Read for crabllm compatibility, not applied: USD per server tool call, by tool.',
      }),
    ),
  },
  {
    ...strict,
    description:
      "crabllm's per-model pricing. A price here replaces the catalog's whole price (its cache rates and long-context tiers too).",
  },
)
export type ModelPricing = Static<typeof ModelPricingSchema>

export const ModelEntrySchema = T.Object(
  {
    pricing: T.Optional(ModelPricingSchema),
    prompt_cost_per_million: usd('USD per million prompt tokens (the flat form; or use [models.<name>.pricing]).'),
    completion_cost_per_million: usd(
      'USD per million completion tokens (the flat form, with prompt_cost_per_million).',
    ),
    context_length: T.Optional(T.Integer({ minimum: 1, description: 'Context window in tokens.' })),
    max_output: T.Optional(T.Integer({ minimum: 1, description: 'Most tokens the model writes in one answer.' })),
    vision: T.Optional(T.Boolean({ description: 'Whether the model accepts images.' })),
    tools: T.Optional(T.Boolean({ description: 'Whether the model calls tools (functions).' })),
    reasoning: T.Optional(T.Boolean({ description: 'Whether the model reasons (thinks) before answering.' })),
  },
  {
    ...strict,
    description:
      'What the gateway knows of a model, over its built-in catalog: each field given here wins. The name is the model a provider serves, or an alias.',
  },
)
export type ModelEntry = Static<typeof ModelEntrySchema>

/** A price as configured, USD per million tokens; the catalog's ModelPrice without tiers. */
export interface EntryPrice {
  input: number
  output: number
  cache_read?: number
  cache_write?: number
}

export interface EntryIssue {
  /** Relative to the entry (`pricing.input_cost_per_million`). */
  field: string
  problem: string
  fix?: string
}

/** What is wrong with an entry that the schema cannot say, if anything. */
export function modelEntryIssue(entry: ModelEntry): EntryIssue | undefined {
  const flat = entry.prompt_cost_per_million !== undefined || entry.completion_cost_per_million !== undefined
  if (flat && entry.pricing)
    return {
      field: 'pricing',
      problem: 'the price is given twice: flat prompt/completion_cost_per_million and a pricing table',
      fix: 'keep one of them',
    }
  if (flat) {
    const missing = entry.prompt_cost_per_million === undefined ? 'prompt' : 'completion'
    if (entry.prompt_cost_per_million === undefined || entry.completion_cost_per_million === undefined)
      return {
        field: `${missing}_cost_per_million`,
        problem: `is required with ${missing === 'prompt' ? 'completion' : 'prompt'}_cost_per_million`,
        fix: `add ${missing}_cost_per_million = …`,
      }
  }
  const pricing = entry.pricing
  if (!pricing) return undefined
  for (const [name, alias] of ALIASES)
    if (pricing[name] !== undefined && pricing[alias] !== undefined)
      return {
        field: `pricing.${alias}`,
        problem: `is another name of ${name}, which is given too`,
        fix: `keep ${name}`,
      }
  for (const [name, alias] of ALIASES.slice(0, 2))
    if (pricing[name] === undefined && pricing[alias] === undefined)
      return { field: `pricing.${name}`, problem: 'is required in a pricing table', fix: `add ${name} = …` }
  return undefined
}

/** The entry's price, in either shape; undefined when it gives none. Assumes no modelEntryIssue. */
export function entryPrice(entry: ModelEntry): EntryPrice | undefined {
  if (entry.prompt_cost_per_million !== undefined && entry.completion_cost_per_million !== undefined)
    return { input: entry.prompt_cost_per_million, output: entry.completion_cost_per_million }
  const p = entry.pricing
  if (!p) return undefined
  const cacheRead = p.cache_read_cost_per_million ?? p.cache_hit_cost_per_million
  return {
    input: p.input_cost_per_million ?? p.prompt_cost_per_million ?? 0,
    output: p.output_cost_per_million ?? p.completion_cost_per_million ?? 0,
    ...(cacheRead !== undefined && { cache_read: cacheRead }),
    ...(p.cache_write_cost_per_million !== undefined && { cache_write: p.cache_write_cost_per_million }),
  }
}

/** The first issue among `[models.<name>]` entries, its field from the config's root. */
export function modelsIssue(models: Readonly<Record<string, ModelEntry>>, root = 'models'): EntryIssue | undefined {
  for (const [name, entry] of Object.entries(models)) {
    const issue = modelEntryIssue(entry)
    if (issue) return { ...issue, field: `${root ? `${root}.` : ''}${name}.${issue.field}` }
  }
  return undefined
}

// --- internal ---

/** crabllm's field names and its older names for them (serde aliases). */
const ALIASES = [
  ['input_cost_per_million', 'prompt_cost_per_million'],
  ['output_cost_per_million', 'completion_cost_per_million'],
  ['cache_read_cost_per_million', 'cache_hit_cost_per_million'],
] as const
