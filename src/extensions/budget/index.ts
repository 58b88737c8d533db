// [extensions.budget]: per-key spend limits. `default_budget` (USD) applies to every key, and
// `[extensions.budget.keys.<name>] budget` overrides it for one key.
//
// Spend is one integer counter per key, `spent:{key}` in the `budget:` namespace, in micro-dollars
// (pricing.ts: the cost of an answer from `[models.<model>]` prices, rounded up to a micro-dollar).
//
// Reserve, then settle. Before dispatch a request reserves what it may cost at most: its prompt
// estimated from the body and its max_tokens (else reserve_completion_tokens) priced. The reservation
// is a hold on the budget, taken atomically on every backend (store.reserve: one Lua script on Redis),
// so concurrent requests cannot together spend more than the budget: a key at or over its budget
// (spend plus holds) is refused with 429 insufficient_quota / budget_exceeded before any provider is
// called; below it, a request holds its estimate or what is left, whichever is less. The answer settles:
// its real cost is added to the counter and the hold released; an error releases the hold and costs
// nothing; a stream is charged for the usage it carried, or, when it ended without the provider's usage
// (client gone, upstream cut), for the request and the text delivered, counted by the gateway. A
// holder that dies frees its holds with the process (memory, SQLite) or after HOLD_MS (Redis).
// Overshoot is bounded by one request per moment the budget runs out (the one that held what was left).
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

/** How long a hold lasts when nothing settles it (a gateway that died on Redis): longer than any request. */
export const HOLD_MS = 30 * 60_000

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

  /** The cost of one answer, rounded up to a micro-dollar, at most a safe integer (finding: a cost past 2^53 was dropped). */
  const costOf = (ctx: RequestContext): number => {
    const pricing = pricingOf(config, ctx.model, ctx.requestedModel)
    if (!pricing) {
      if (!unpriced.has(ctx.model)) {
        unpriced.add(ctx.model)
        log.warn('budget: model has no pricing, its requests cost 0', {
          model: ctx.model,
          fix: `add [models."${ctx.model}"] prices`,
        })
      }
      return 0
    }
    return ctx.usage ? costMicros(pricing, ctx.usage) : 0
  }

  /** What a request may cost at most: its estimate priced (0 for an unpriced model). */
  const estimateOf = (ctx: RequestContext): number => {
    const pricing = pricingOf(config, ctx.model, ctx.requestedModel)
    const estimate = ctx.estimate
    if (!pricing || !estimate) return 0
    const completion = estimate.completion ?? options.reserve_completion_tokens ?? 4096
    return costMicros(pricing, { prompt_tokens: estimate.prompt, completion_tokens: completion })
  }

  /**
   * Requests in flight that will be charged, with whether they hold a reservation (a reservation that
   * failed on storage, when on_storage_error = "open" lets the request through, is charged all the same).
   */
  const pending = new WeakMap<RequestContext, { key: string; held: boolean }>()

  /** Charges an answer's cost to its key and gives back its hold. */
  const settle = (ctx: RequestContext) => {
    const hold = pending.get(ctx)
    if (hold === undefined) return
    pending.delete(ctx)
    const cost = costOf(ctx)
    const charged = cost > 0 ? store.increment(SPENT + hold.key, cost) : Promise.resolve(0)
    // The hold goes once the charge is in: meanwhile both count, never neither.
    if (hold.held) deps.defer(charged.finally(() => store.release(SPENT + hold.key, ctx.requestId)))
    else deps.defer(charged)
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
    reserves: true,
    async onRequest(ctx) {
      if (isAdmin(ctx.principal)) return
      const budget = budgetFor(ctx.principal)
      const hold = { key: ctx.key, held: false }
      pending.set(ctx, hold)
      const held = await store.reserve(SPENT + ctx.key, ctx.requestId, estimateOf(ctx), budget, HOLD_MS)
      if (!held.held) {
        pending.delete(ctx)
        throw budgetExceeded(ctx.key, held.used, budget)
      }
      hold.held = true
    },
    onResponse(ctx) {
      settle(ctx)
    },
    onStreamEnd(ctx) {
      settle(ctx)
    },
    onError(ctx) {
      settle(ctx)
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
