// [extensions.budget]: per-key spend limits. `default_budget` (USD) applies to every key, and
// `[extensions.budget.keys.<name>] budget` overrides it for one key.
//
// Spend is one integer counter per key, `spent:{key}` in the `budget:` namespace, in micro-dollars
// (pricing.ts: the cost of an answer from `[models.<model>]` prices, rounded up to a micro-dollar).
// After each answer the counter is incremented by that answer's cost (deferred, atomic); a stream is
// charged for the usage it carried, even when it failed after it started. Errors cost nothing.
//
// Before dispatch the counter is read: at or over budget → 429 insufficient_quota / budget_exceeded.
// Because the charge lands after the answer, requests already in flight when the budget runs out
// still complete: the overshoot is bounded by the cost of the requests in flight, never by a race on
// the counter (an increment is never lost).
//
// The admin token is not budgeted (neither checked nor charged): it is the operator's own. With auth
// off every request is budgeted as the key 'anonymous'.
//
// A model without pricing costs 0; that is logged once per model, at its first answer, as a warning.
//
// GET /v1/budget: [{key, spent_usd, budget_usd, remaining_usd}] (remaining never below 0). A key sees
// its own row; the admin token sees every configured key ([[keys]] and the budget's own `keys`) plus
// any key that has spend recorded (at most MAX_RECORDED of those), sorted by key.
import { isAdmin, type Principal } from '../../auth'
import type { ExtensionsConfig } from '../../config/schema'
import { GatewayError } from '../../core/errors'
import { costMicros, formatUsd, microsToUsd, pricingOf, usdToMicros } from '../pricing'
import type { Extension, ExtensionFactory, RequestContext } from '../types'

export type BudgetOptions = NonNullable<ExtensionsConfig['budget']>

/** The most keys with recorded spend GET /v1/budget reads for the admin token. */
export const MAX_RECORDED = 10_000

const SPENT = 'spent:'

export interface BudgetRow {
  key: string
  spent_usd: number
  budget_usd: number
  remaining_usd: number
}

export const budgetExtension: ExtensionFactory<BudgetOptions> = (deps) => {
  const { store, options, config, log } = deps
  const fallback = usdToMicros(options.default_budget)
  const overrides = new Map(Object.entries(options.keys ?? {}).map(([name, o]) => [name, usdToMicros(o.budget)]))
  const budgetOf = (key: string) => overrides.get(key) ?? fallback
  /** A key's own budget (admin API) wins over the config's per-key and default budgets. */
  const budgetFor = (principal: Principal) =>
    principal.budgetUsd !== undefined ? usdToMicros(principal.budgetUsd) : budgetOf(principal.name)
  const unpriced = new Set<string>()

  const spentOf = async (key: string) => counter(await store.get(SPENT + key))

  /** Charges one answer's cost to its key. */
  const charge = (ctx: RequestContext) => {
    if (isAdmin(ctx.principal) || !ctx.usage) return
    const pricing = pricingOf(config, ctx.model, ctx.requestedModel)
    if (!pricing) {
      if (!unpriced.has(ctx.model)) {
        unpriced.add(ctx.model)
        log.warn('budget: model has no pricing, its requests cost 0', {
          model: ctx.model,
          fix: `add [models."${ctx.model}"] prices`,
        })
      }
      return
    }
    const cost = costMicros(pricing, ctx.usage)
    if (cost > 0) deps.defer(store.increment(SPENT + ctx.key, cost))
  }

  const row = (key: string, spent: number, principal?: Principal): BudgetRow => {
    const budget = principal ? budgetFor(principal) : budgetOf(key)
    return {
      key,
      spent_usd: microsToUsd(spent),
      budget_usd: microsToUsd(budget),
      remaining_usd: microsToUsd(Math.max(0, budget - spent)),
    }
  }

  const extension: Extension = {
    name: 'budget',
    needsUsage: true,
    // Default closed: without storage the spend cannot be checked (schema default; absent in old tests).
    failClosed: options.on_storage_error !== 'open',
    async onRequest(ctx) {
      if (isAdmin(ctx.principal)) return
      const spent = await spentOf(ctx.key)
      const budget = budgetFor(ctx.principal)
      if (spent >= budget) throw budgetExceeded(ctx.key, spent, budget)
    },
    onResponse(ctx) {
      charge(ctx)
    },
    onStreamEnd(ctx) {
      charge(ctx)
    },
    routes: [
      {
        method: 'GET',
        path: '/v1/budget',
        admin: false,
        async handle(_request: Request, principal: Principal) {
          let rows: BudgetRow[]
          if (!isAdmin(principal)) {
            rows = [row(principal.name, await spentOf(principal.name), principal)]
          } else {
            const spent = new Map<string, number>()
            for (const e of await store.list(SPENT, MAX_RECORDED))
              spent.set(e.key.slice(SPENT.length), counter(e.value))
            const byName = new Map(deps.principals().map((p) => [p.name, p]))
            const names = new Set([
              ...config.keys.map((k) => k.name),
              ...byName.keys(),
              ...overrides.keys(),
              ...spent.keys(),
            ])
            rows = [...names]
              .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
              .map((name) => row(name, spent.get(name) ?? 0, byName.get(name)))
          }
          return new Response(JSON.stringify(rows), { headers: { 'content-type': 'application/json' } })
        },
      },
    ],
  }
  return extension
}

/** 429 for a key at or over its budget. */
export function budgetExceeded(key: string, spentMicros: number, budgetMicros: number): GatewayError {
  return new GatewayError(
    429,
    'insufficient_quota',
    'budget_exceeded',
    `Key '${key}' has spent ${formatUsd(spentMicros)} of its ${formatUsd(budgetMicros)} budget.`,
  )
}

// --- internal ---

function counter(value: string | undefined): number {
  const n = value === undefined ? 0 : Number(value)
  return Number.isSafeInteger(n) ? n : 0
}
