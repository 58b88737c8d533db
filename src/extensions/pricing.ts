// What an answer cost, from the model catalog (src/catalog: the prices embedded in the binary, with the
// config's `[models.<name>]` overrides), in integer micro-dollars so that spend can be kept in an
// atomic integer counter on every storage backend. The catalog does the arithmetic (costMicros: USD per
// million tokens is micro-dollars per token, rounded up once per answer); here an answer gets its Cost,
// which is never a silent 0: an answer without usage, or for a model without a price, costs null with
// the reason (the audit record shows it, crabllm_unpriced_answers_total counts it).
import { type Catalog, costMicros, MICROS_PER_USD, type ModelPrice } from '../catalog'
import type { Cost, RequestContext } from './types'

export interface Pricer {
  /** The price of `model` (the canonical name), else of the name the client sent (an alias). */
  priceOf(model: string, requestedModel?: string): ModelPrice | undefined
  /**
   * What an answer cost: 0 for a cache hit; null, with the reason, when the request failed, when the
   * answer carried no usage (text to speech, whisper-1), or when its model has no price.
   */
  costOf(ctx: RequestContext, failed?: boolean): Cost
}

/** Prices from one catalog (one per config). */
export function createPricer(catalog: Catalog): Pricer {
  // Not remembered per model: a price can depend on the time (a dated price change, DeepSeek's off-peak
  // hours), and the catalog's own lookup of the name is what it remembers.
  const priceOf = (model: string, requestedModel?: string): ModelPrice | undefined =>
    catalog.facts(model, requestedModel)?.price
  return {
    priceOf,
    costOf(ctx, failed = false) {
      if (ctx.cached) return FREE
      const usage = ctx.usage
      if (!usage) return failed ? FAILED : NO_USAGE
      const price = priceOf(ctx.model, ctx.requestedModel)
      if (!price) return { micros: null, reason: noPrice(ctx.model) }
      return { micros: costMicros(price, usage) }
    },
  }
}

/** Why a model has no cost: the fix is a price in the config. */
export function noPrice(model: string): string {
  return `no price for model ${model} in the catalog or [models]`
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

// --- internal ---

const FREE: Cost = { micros: 0 }
const NO_USAGE: Cost = { micros: null, reason: 'the answer carried no usage' }
const FAILED: Cost = { micros: null, reason: 'the request failed' }
