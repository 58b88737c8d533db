// What an answer cost, from the per-model pricing in `[models.<name>]`, in integer micro-dollars so that
// spend can be kept in an atomic integer counter on every storage backend.
//
// Prices are USD per million tokens, and 1 USD per million tokens is exactly 1 micro-dollar per token:
// cost(µUSD) = prompt_tokens × prompt_cost_per_million + completion_tokens × completion_cost_per_million.
// The sum is rounded UP to the next whole micro-dollar, once per answer: a priced answer never costs 0
// (many tiny requests cannot slip under a budget), and the overcharge is under $0.000001 per answer.
// Prompt tokens read from or written to a provider's cache are priced as prompt tokens (the config has
// no separate cache prices).
import type { Config, PricingConfig } from '../config/schema'
import type { Usage } from './types'

/** Micro-dollars in one US dollar. */
export const MICROS_PER_USD = 1_000_000

/** Float noise tolerated before rounding up (0.1 × 3 is 0.30000000000000004, not 0.3). */
const EPSILON = 1e-6

/** The pricing of `model` (the canonical name), else of the name the client sent (an alias). */
export function pricingOf(config: Config, model: string, requestedModel?: string): PricingConfig | undefined {
  return config.models[model] ?? (requestedModel !== undefined ? config.models[requestedModel] : undefined)
}

/**
 * The cost of one answer in whole micro-dollars (rounded up); 0 for an answer with no tokens. At most
 * Number.MAX_SAFE_INTEGER: a cost beyond it (absurd usage from an upstream) is charged as that, not
 * dropped by the counter that cannot hold it.
 */
export function costMicros(
  pricing: Pick<PricingConfig, 'prompt_cost_per_million' | 'completion_cost_per_million'>,
  usage: Pick<Usage, 'prompt_tokens' | 'completion_tokens'>,
): number {
  const exact =
    usage.prompt_tokens * pricing.prompt_cost_per_million +
    usage.completion_tokens * pricing.completion_cost_per_million
  if (!(exact > EPSILON)) return 0
  return Math.min(Math.ceil(exact - EPSILON), Number.MAX_SAFE_INTEGER)
}

/** Whole USD (as configured for budgets) to micro-dollars, at most a safe integer (~$9.007 billion). */
export function usdToMicros(usd: number): number {
  return Math.min(Math.round(usd * MICROS_PER_USD), Number.MAX_SAFE_INTEGER)
}

/** Micro-dollars to USD as a number (for JSON). */
export function microsToUsd(micros: number): number {
  return micros / MICROS_PER_USD
}

/** "$10.00", "$10.0012", "$0.000013": at least two decimals, at most six, trailing zeros dropped. */
export function formatUsd(micros: number): string {
  const sign = micros < 0 ? '-' : ''
  const abs = Math.abs(micros)
  const whole = Math.floor(abs / MICROS_PER_USD)
  let fraction = String(abs % MICROS_PER_USD).padStart(6, '0')
  while (fraction.length > 2 && fraction.endsWith('0')) fraction = fraction.slice(0, -1)
  return `${sign}$${whole}.${fraction}`
}
