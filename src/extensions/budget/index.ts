// [extensions.budget]: per-key spend limits. `default_budget` (USD) applies to every key, and
// `[extensions.budget.keys.<name>] budget` overrides it for one key.
//
// Spend is one integer counter per key, `spent:{id}` in the `budget:` namespace, in micro-dollars,
// under the key's id (Principal.id, from its secret: a key deleted and made again under the same name
// starts from zero); `name:{id}` records the name it had when it was last charged. The cost of an answer
// is the pipeline's (ctx.cost: the catalog's price, with [models.<name>] overrides, rounded up to a
// micro-dollar). Spend the previous release kept under key names is moved to ids once, at start
// (migrateBudget, key-identity.ts).
//
// Reserve, then settle. Before dispatch a request reserves what it may cost at most: its prompt
// estimated from the body and its max_tokens (else reserve_completion_tokens) priced. The reservation
// is a hold on the budget, taken atomically on every backend (store.reserve: one Lua script on Redis),
// so concurrent requests cannot together spend more than the budget: a key at or over its budget
// (spend plus holds) is refused with 429 insufficient_quota / budget_exceeded before any provider is
// called; below it, a request holds its estimate or what is left, whichever is less. The answer settles:
// its real cost is added to the counter and the hold released, as one step (store.settle), so that no
// concurrent reservation counts both or neither; an error releases the hold and costs
// nothing; a stream is charged for the usage it carried, or, when it ended without the provider's usage
// (client gone, upstream cut), for the request and the text delivered, counted by the gateway. A
// holder that dies frees its holds with the process (memory, SQLite) or after HOLD_MS (Redis).
// Overshoot is bounded by one request per moment the budget runs out (the one that held what was left).
//
// A model with no price (neither the catalog nor [models] has one) cannot be charged: `unpriced`
// decides. "refuse" (the default) answers a budgeted key's request for it with 403 model_unpriced before
// any provider is called (a budget is a promise about spend); "allow" lets it through, free (the audit
// record shows cost_usd null, crabllm_unpriced_answers_total counts it). An answer that carries no usage
// (text to speech, whisper-1) costs nothing either way.
//
// The admin token is not budgeted (neither checked nor charged): it is the operator's own. With auth
// off every request is budgeted as the key 'anonymous'.
//
// GET /v1/budget: [{key, key_id, spent_usd, budget_usd, remaining_usd}] (remaining never below 0). A key
// sees its own row; the admin token sees every key there is (config file and admin API) plus those of
// the budget's own `keys` that no key has yet (key_id null) and any id that has spend recorded (at most
// MAX_RECORDED of those), sorted by name, then id.
import { isAdmin, type Principal } from '../../auth'
import { costMicros } from '../../catalog'
import type { ExtensionsConfig } from '../../config/schema'
import { GatewayError } from '../../core/errors'
import { holdId, type Store } from '../../storage/store'
import { createPricer, formatUsd, microsToUsd, usdToMicros } from '../pricing'
import type { Extension, ExtensionFactory, RequestContext } from '../types'

export type BudgetOptions = NonNullable<ExtensionsConfig['budget']>

/** How long a hold lasts when nothing settles it (a gateway that died on Redis): longer than any request. */
export const HOLD_MS = 30 * 60_000

/** The most keys with recorded spend GET /v1/budget reads for the admin token. */
export const MAX_RECORDED = 10_000

const SPENT = 'spent:'
const NAME = 'name:'

export interface BudgetRow {
  /** The key's name (as it is now, else as it was when it was last charged). */
  key: string
  /** The key's id, which the spend is kept under; null for a budget of the config that no key has. */
  key_id: string | null
  spent_usd: number
  /** null: the key has no limit. */
  budget_usd: number | null
  remaining_usd: number | null
}

export const budgetExtension: ExtensionFactory<BudgetOptions> = (deps) => {
  const { store, options } = deps
  const pricer = createPricer(deps.catalog)
  const refuseUnpriced = options.unpriced !== 'allow'
  /** Without default_budget a key has no limit: its spend is counted, nothing is refused. */
  const fallback = options.default_budget === undefined ? undefined : usdToMicros(options.default_budget)
  const overrides = new Map(Object.entries(options.keys ?? {}).map(([name, o]) => [name, usdToMicros(o.budget)]))
  const budgetOf = (name: string): number | undefined => overrides.get(name) ?? fallback
  /** A key's own budget (admin API) wins over the config's per-key and default budgets; undefined: no limit. */
  const budgetFor = (principal: Principal): number | undefined =>
    principal.budgetUsd !== undefined ? usdToMicros(principal.budgetUsd) : budgetOf(principal.name)
  /** Ids whose name record this process wrote. */
  const named = new Set<string>()

  const spentOf = async (id: string) => counter(await store.get(SPENT + id))

  /** What a request may cost at most: its estimate priced (0 for an unpriced model, when allowed). */
  const estimateOf = (ctx: RequestContext): number => {
    const price = pricer.priceOf(ctx.model, ctx.requestedModel)
    const estimate = ctx.estimate
    if (!price || !estimate) return 0
    const completion = estimate.completion ?? options.reserve_completion_tokens ?? 4096
    return costMicros(price, { prompt_tokens: estimate.prompt, completion_tokens: completion })
  }

  /**
   * Requests in flight that will be charged, with the id of their reservation when they asked for one (a
   * reservation that failed on storage, when on_storage_error = "open" lets the request through, is
   * charged all the same).
   */
  const pending = new WeakMap<RequestContext, { id: string; hold: string | undefined }>()

  /** Charges an answer's cost (the pipeline's; 0 when it has none) to its key and gives back its hold. */
  const settle = (ctx: RequestContext) => {
    const pend = pending.get(ctx)
    if (pend === undefined) return
    pending.delete(ctx)
    const cost = ctx.cost?.micros ?? 0
    if (cost > 0 && !named.has(pend.id)) {
      if (named.size >= MAX_RECORDED) named.clear()
      named.add(pend.id)
      deps.defer(store.set(NAME + pend.id, ctx.principal.name))
    }
    // The charge and the hold's release are one step: no reservation sees both, or neither.
    if (pend.hold !== undefined) deps.defer(store.settle(SPENT + pend.id, pend.hold, cost))
    else if (cost > 0) deps.defer(store.increment(SPENT + pend.id, cost))
  }

  const row = (name: string, id: string | null, spent: number, principal?: Principal): BudgetRow => {
    const budget = principal ? budgetFor(principal) : budgetOf(name)
    return {
      key: name,
      key_id: id,
      spent_usd: microsToUsd(spent),
      budget_usd: budget === undefined ? null : microsToUsd(budget),
      remaining_usd: budget === undefined ? null : microsToUsd(Math.max(0, budget - spent)),
    }
  }

  /** Every key there is, budgets of the config no key has, and every id with spend: the admin's listing. */
  const allRows = async (): Promise<BudgetRow[]> => {
    const spent = new Map<string, number>()
    for (const e of await store.list(SPENT, MAX_RECORDED)) spent.set(e.key.slice(SPENT.length), counter(e.value))
    const recorded = new Map<string, string>()
    for (const e of await store.list(NAME, MAX_RECORDED)) recorded.set(e.key.slice(NAME.length), e.value)
    const keys = deps.principals()
    const rows = keys.map((p) => row(p.name, p.id, spent.get(p.id) ?? 0, p))
    const ids = new Set(keys.map((p) => p.id))
    const names = new Set(keys.map((p) => p.name))
    for (const [id, micros] of spent) {
      if (ids.has(id)) continue
      const name = recorded.get(id) ?? id
      rows.push(row(name, id, micros))
      names.add(name)
    }
    for (const name of overrides.keys()) if (!names.has(name)) rows.push(row(name, null, 0))
    return rows.sort((a, b) => compare(a.key, b.key) || compare(a.key_id ?? '', b.key_id ?? ''))
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
      const { id } = ctx.principal
      const pend: { id: string; hold: string | undefined } = { id, hold: undefined }
      pending.set(ctx, pend)
      // No limit: nothing to hold, the answer's cost is counted.
      if (budget === undefined) return
      if (refuseUnpriced && !pricer.priceOf(ctx.model, ctx.requestedModel)) {
        pending.delete(ctx)
        throw modelUnpriced(ctx.key, ctx.model)
      }
      // The hold's id is the gateway's own, never the client's x-request-id: two requests under one id
      // would share one hold and together spend past the budget.
      // Set before the call: a reservation that failed on storage may still have been taken, and
      // settling gives it back all the same.
      pend.hold = holdId()
      const held = await store.reserve(SPENT + id, pend.hold, estimateOf(ctx), budget, HOLD_MS)
      if (!held.held) {
        pending.delete(ctx)
        throw budgetExceeded(ctx.key, held.used, budget)
      }
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
          const rows = isAdmin(principal)
            ? await allRows()
            : [row(principal.name, principal.id, await spentOf(principal.id), principal)]
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

/** 403 for a budgeted key's request for a model without a price (unpriced = "refuse"). */
export function modelUnpriced(key: string, model: string): GatewayError {
  return new GatewayError(
    403,
    'permission_error',
    'model_unpriced',
    `Model '${model}' has no price (neither the catalog nor [models] has one), so key '${key}' cannot be charged against its budget. Ask the operator to add [models."${model}"] prices, or to set [extensions.budget] unpriced = "allow".`,
    'model',
  )
}

/**
 * Moves the spend the previous release kept under key names (`spent:{name}`) to the ids of the keys that
 * have those names now (`ids`: name → id), atomically (Store.move). Resolves with the counters moved.
 */
export async function migrateBudget(store: Store, ids: ReadonlyMap<string, string>): Promise<number> {
  let moved = 0
  for (const { key } of await store.list(SPENT, MAX_RECORDED * 100)) {
    const name = key.slice(SPENT.length)
    const id = ids.get(name)
    if (id === undefined || (await store.move(key, SPENT + id)) === 0) continue
    moved++
    await store.set(NAME + id, name)
  }
  return moved
}

// --- internal ---

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function counter(value: string | undefined): number {
  const n = value === undefined ? 0 : Number(value)
  return Number.isSafeInteger(n) ? n : 0
}
