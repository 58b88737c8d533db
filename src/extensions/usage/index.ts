// [extensions.usage]: prompt and completion tokens (and requests) per key and model, kept in atomic
// counters so that concurrent answers never lose a count, on every storage backend.
//
// What is counted, after the answer (writes deferred, never on the response path):
// - a non-stream answer: its usage (OpenAI's prompt/completion tokens, or Anthropic's input/output);
// - a stream that ended normally: the usage it carried (the relay asks OpenAI-format upstreams for the
//   usage chunk). A stream without any upstream usage still counts as a request, with 0 tokens;
// - a stream that failed or was cut after it started: the usage that arrived before, if any (the
//   provider bills it); without usage it is not counted;
// - an answer served from the gateway's cache: a request (the key made it and got its answer) and a
//   cached request, with 0 tokens: no provider was called, so none were spent (LiteLLM's proxy, too,
//   logs a cache hit as a request that cost 0). `requests - cached_requests` reached a provider;
// - errors (refused requests, upstream errors) count nothing.
//
// Storage layout, in the `usage:` namespace: one counter per field, `{key}/{model}/{field}`, where key
// and model are URI-encoded, so neither can contain the `/` separator (names with ':' or '/' are safe)
// and `{key}/` lists one key's rows by prefix.
//
// GET /v1/usage: a key sees its own rows, the admin token sees every row; a JSON array of {key, model,
// prompt_tokens, completion_tokens, total_tokens, cache_read_tokens, requests, cached_requests}, sorted
// by key then model. At most MAX_ROWS rows are returned (which ones, when there are more, follows
// storage order); the response then carries `x-crabllm-truncated: true`.
import { isAdmin, type Principal } from '../../auth'
import type { ExtensionsConfig } from '../../config/schema'
import type { Store } from '../../storage/store'
import type { Extension, ExtensionFactory, RequestContext, Usage } from '../types'

export type UsageOptions = NonNullable<ExtensionsConfig['usage']>

/** The most rows GET /v1/usage returns. */
export const MAX_ROWS = 10_000

const FIELDS = ['prompt_tokens', 'completion_tokens', 'cache_read_tokens', 'requests', 'cached_requests'] as const
type Field = (typeof FIELDS)[number]

export interface UsageRow {
  key: string
  model: string
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  cache_read_tokens: number
  /** Every answered request, cache hits included. */
  requests: number
  /** Of those, the answers served from the gateway's cache (no tokens counted). */
  cached_requests: number
}

export const usageExtension: ExtensionFactory<UsageOptions> = (deps) => {
  const { store } = deps
  /** Adds one answer to its key's and model's counters (only the fields that change). */
  const account = (ctx: RequestContext, usage: Usage | undefined) => {
    const row = rowKey(ctx.key, ctx.model)
    deps.defer(store.increment(`${row}requests`, 1))
    if (!usage) return
    const prompt = tokens(usage.prompt_tokens)
    const completion = tokens(usage.completion_tokens)
    const cacheRead = tokens(usage.cache_read_tokens)
    if (prompt) deps.defer(store.increment(`${row}prompt_tokens`, prompt))
    if (completion) deps.defer(store.increment(`${row}completion_tokens`, completion))
    if (cacheRead) deps.defer(store.increment(`${row}cache_read_tokens`, cacheRead))
  }
  const extension: Extension = {
    name: 'usage',
    needsUsage: true,
    onResponse(ctx) {
      if (!ctx.cached) return account(ctx, ctx.usage)
      const row = rowKey(ctx.key, ctx.model)
      deps.defer(store.increment(`${row}requests`, 1))
      deps.defer(store.increment(`${row}cached_requests`, 1))
    },
    onStreamEnd(ctx, outcome) {
      if (outcome === 'done' || ctx.usage) account(ctx, ctx.usage)
    },
    routes: [
      {
        method: 'GET',
        path: '/v1/usage',
        admin: false,
        async handle(_request: Request, principal: Principal) {
          const { rows, truncated } = await listUsage(store, isAdmin(principal) ? undefined : principal.name)
          const headers: Record<string, string> = { 'content-type': 'application/json' }
          if (truncated) headers['x-crabllm-truncated'] = 'true'
          return new Response(JSON.stringify(rows), { headers })
        },
      },
    ],
  }
  return extension
}

/** The usage rows of one key (or of every key), sorted by key then model, at most MAX_ROWS. */
export async function listUsage(
  store: Store,
  key: string | undefined,
  maxRows = MAX_ROWS,
): Promise<{ rows: UsageRow[]; truncated: boolean }> {
  // Each row has at most FIELDS.length counters and entries come in key order, so reading one row's
  // worth more than the bound makes the first `maxRows` rows complete.
  const limit = (maxRows + 1) * FIELDS.length
  const entries = await store.list(key === undefined ? '' : `${encode(key)}/`, limit)
  const rows = new Map<string, UsageRow>()
  for (const { key: storageKey, value } of entries) {
    const parts = storageKey.split('/')
    if (parts.length !== 3) continue
    const [k, m, field] = parts as [string, string, string]
    if (!(FIELDS as readonly string[]).includes(field)) continue
    const id = `${k}/${m}`
    let row = rows.get(id)
    if (!row) {
      const names = decode(k, m)
      if (!names) continue
      row = {
        key: names[0],
        model: names[1],
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        cache_read_tokens: 0,
        requests: 0,
        cached_requests: 0,
      }
      rows.set(id, row)
    }
    const n = Number(value)
    if (Number.isSafeInteger(n)) row[field as Field] = n
  }
  const all = [...rows.values()]
  const truncated = all.length > maxRows
  const kept = truncated ? all.slice(0, maxRows) : all
  for (const row of kept) row.total_tokens = row.prompt_tokens + row.completion_tokens
  kept.sort((a, b) => compare(a.key, b.key) || compare(a.model, b.model))
  return { rows: kept, truncated }
}

// --- internal ---

/** `{key}/{model}/`, the prefix of a row's counters (the field name follows). Cached: the pairs are few. */
function rowKey(key: string, model: string): string {
  const id = `${key}\u0000${model}`
  let row = rowKeys.get(id)
  if (row === undefined) {
    if (rowKeys.size >= 10_000) rowKeys.clear()
    row = `${encode(key)}/${encode(model)}/`
    rowKeys.set(id, row)
  }
  return row
}
const rowKeys = new Map<string, string>()

function encode(name: string): string {
  return encodeURIComponent(name)
}

function decode(key: string, model: string): [string, string] | undefined {
  try {
    return [decodeURIComponent(key), decodeURIComponent(model)]
  } catch {
    return undefined
  }
}

/** A reported token count as a non-negative integer (a provider may send anything). */
function tokens(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
