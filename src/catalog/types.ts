// The catalog's public types: what the gateway knows of a model (price, context, limits, capabilities)
// and where it learnt it. src/catalog/index.ts re-exports them.

/**
 * USD per million tokens. A tier applies when the prompt's tokens (cached ones included) exceed its
 * `above`; the last such tier wins. Absent cache rates are priced as input.
 */
export interface ModelPrice {
  input: number
  output: number
  cache_read?: number
  cache_write?: number
  tiers?: { above: number; input: number; output: number; cache_read?: number; cache_write?: number }[]
}

/** What the gateway knows of one model; a field it does not know is absent (never guessed). */
export interface ModelFacts {
  /**
   * The [models] name when a config entry applies, else the catalog's id of the model (claude-sonnet-4-5
   * for claude-sonnet-4-5-20250929).
   */
  id: string
  /** The catalog's provider (openai, anthropic, google, amazon-bedrock, …); absent for a config-only model. */
  provider?: string
  /** Context window in tokens. */
  context_length?: number
  /** Most tokens the model writes in one answer. */
  max_output?: number
  /** Accepts images. */
  vision?: boolean
  /** Calls tools. */
  tools?: boolean
  /** Reasons before answering. */
  reasoning?: boolean
  /** Absent: the model is not priced per token (it costs 0 to budgets and has no cost in records). */
  price?: ModelPrice
  /** The built-in catalog, the config's [models] (or its cloud_models file), or the config over the catalog. */
  source: 'catalog' | 'config' | 'both'
}

export interface Catalog {
  /**
   * The facts of `model` (the canonical name a deployment serves), else of `requestedModel` (the alias
   * the client sent): a config entry for either name wins field by field over the catalog's entry;
   * undefined when neither knows it.
   */
  facts(model: string, requestedModel?: string): ModelFacts | undefined
  /** Every model: the config's entries, then the catalog's, by provider and id. */
  list(): ModelFacts[]
}
