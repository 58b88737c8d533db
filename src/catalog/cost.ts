// What one answer cost, from a model's price, in integer micro-dollars (so that spend fits an atomic
// integer counter on every storage backend). 1 USD per million tokens is exactly 1 micro-dollar per token.
//
// The prompt is split as the providers bill it: tokens read from the cache at cache_read (else input),
// tokens written to it at cache_write (else input), the rest at input; completion tokens (reasoning
// included: providers count them as output) at output. A long-context tier replaces every rate once the
// prompt (cached tokens included) exceeds its `above`. The sum is rounded UP to the next whole
// micro-dollar once per answer: a priced answer never costs 0 (many tiny requests cannot slip under a
// budget), and the overcharge is under $0.000001 per answer.
import type { ModelPrice } from './types'

/** Micro-dollars in one US dollar. */
export const MICROS_PER_USD = 1_000_000

/**
 * The token counts a price applies to: the fields of extensions' Usage (which this folder, below
 * extensions/, cannot name), so a Usage is one.
 */
export interface PricedUsage {
  /** Every prompt token, cached reads and writes included. */
  prompt_tokens: number
  /** Output tokens, reasoning included. */
  completion_tokens: number
  cache_read_tokens?: number
  cache_write_tokens?: number
  /** Not used: the sum of the two counts. */
  total_tokens?: number
  /** Not used: part of completion_tokens, priced as output (ModelPrice has no rate of its own for it). */
  reasoning_tokens?: number
}

/**
 * The cost of one answer in whole micro-dollars (rounded up); 0 for an answer with no tokens. At most
 * Number.MAX_SAFE_INTEGER: a cost beyond it (absurd usage from an upstream) is charged as that, not
 * dropped by the counter that cannot hold it.
 */
export function costMicros(price: ModelPrice, usage: PricedUsage): number {
  const prompt = count(usage.prompt_tokens)
  const rates = rateFor(price, prompt)
  const read = Math.min(count(usage.cache_read_tokens), prompt)
  const write = Math.min(count(usage.cache_write_tokens), prompt - read)
  const exact =
    (prompt - read - write) * rates.input +
    read * (rates.cache_read ?? rates.input) +
    write * (rates.cache_write ?? rates.input) +
    count(usage.completion_tokens) * rates.output
  if (!(exact > EPSILON)) return 0
  return Math.min(Math.ceil(exact - EPSILON), Number.MAX_SAFE_INTEGER)
}

/** The rates for a prompt of `promptTokens`: the last tier it exceeds, else the base price. */
export function rateFor(price: ModelPrice, promptTokens: number): Omit<ModelPrice, 'tiers'> {
  let rates: Omit<ModelPrice, 'tiers'> = price
  for (const tier of price.tiers ?? []) if (promptTokens > tier.above) rates = tier
  return rates
}

// --- internal ---

/** Float noise tolerated before rounding up (0.1 × 3 is 0.30000000000000004, not 0.3). */
const EPSILON = 1e-6

/** A token count to price: absent, negative or NaN counts as 0. */
function count(n: number | undefined): number {
  return n !== undefined && n > 0 ? n : 0
}
