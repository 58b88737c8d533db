// [extensions.usage]: prompt, completion and reasoning tokens (and requests) per key and model, kept in
// atomic counters so that concurrent answers never lose a count, on every storage backend.
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
// Storage layout, in the `usage:` namespace: one counter per field, `{id}/{model}/{field}`, under the
// key's id (Principal.id, from its secret: a key deleted and made again under the same name starts
// from zero), where id and model are URI-encoded, so neither can contain the `/` separator, and `{id}/`
// lists one key's rows by prefix. `{id}/name` holds the name the key had when it last counted (written
// once per key per process), so rows of a deleted key still show its name. Counters the previous
// release kept under key names are moved to ids once, at start (migrateUsage, key-identity.ts).
//
// GET /v1/usage: a key sees its own rows, the admin token sees every row; a JSON array of {key, key_id,
// model, prompt_tokens, completion_tokens, total_tokens, cache_read_tokens, reasoning_tokens, requests,
// cached_requests}, sorted by key name, id, then model. At most MAX_ROWS rows are returned (which ones,
// when there are more, follows storage order); the response then carries `x-crabllm-truncated: true`.
import { isAdmin, type Principal } from '../../auth'
import type { ExtensionsConfig } from '../../config/schema'
import type { Store } from '../../storage/store'
import type { Extension, ExtensionFactory, RequestContext, Usage } from '../types'

export type UsageOptions = NonNullable<ExtensionsConfig['usage']>

/** The most rows GET /v1/usage returns. */
export const MAX_ROWS = 10_000

const FIELDS = [
  'prompt_tokens',
  'completion_tokens',
  'cache_read_tokens',
  'reasoning_tokens',
  'requests',
  'cached_requests',
] as const
type Field = (typeof FIELDS)[number]
/** The record of a key's name, beside its rows: `{id}/name`. */
const NAME = 'name'

export interface UsageRow {
  /** The key's name (as it is now, else as it was when it last counted). */
  key: string
  /** The key's id, which the counters are kept under. */
  key_id: string
  model: string
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
  cache_read_tokens: number
  /** Of the completion tokens, those the model spent reasoning (when the provider reports them). */
  reasoning_tokens: number
  /** Every answered request, cache hits included. */
  requests: number
  /** Of those, the answers served from the gateway's cache (no tokens counted). */
  cached_requests: number
}

export const usageExtension: ExtensionFactory<UsageOptions> = (deps) => {
  const { store } = deps
  /** Ids whose name record this process wrote (once each: a name changes only with a config edit). */
  const named = new Set<string>()
  /** Adds one answer to its key's and model's counters (only the fields that change). */
  const account = (ctx: RequestContext, usage: Usage | undefined, cached: boolean) => {
    const { id, name } = ctx.principal
    if (!named.has(id)) {
      if (named.size >= MAX_ROWS) named.clear()
      named.add(id)
      deps.defer(store.set(`${encode(id)}/${NAME}`, name))
    }
    const row = rowKey(id, ctx.model)
    deps.defer(store.increment(`${row}requests`, 1))
    if (cached) deps.defer(store.increment(`${row}cached_requests`, 1))
    if (!usage) return
    const prompt = tokens(usage.prompt_tokens)
    const completion = tokens(usage.completion_tokens)
    const cacheRead = tokens(usage.cache_read_tokens)
    const reasoning = tokens(usage.reasoning_tokens)
    if (prompt) deps.defer(store.increment(`${row}prompt_tokens`, prompt))
    if (completion) deps.defer(store.increment(`${row}completion_tokens`, completion))
    if (cacheRead) deps.defer(store.increment(`${row}cache_read_tokens`, cacheRead))
    if (reasoning) deps.defer(store.increment(`${row}reasoning_tokens`, reasoning))
  }
  const extension: Extension = {
    name: 'usage',
    needsUsage: true,
    onResponse(ctx) {
      if (ctx.cached) account(ctx, undefined, true)
      else account(ctx, ctx.usage, false)
    },
    onStreamEnd(ctx, outcome) {
      if (outcome === 'done' || ctx.usage) account(ctx, ctx.usage, false)
    },
    routes: [
      {
        method: 'GET',
        path: '/v1/usage',
        admin: false,
        async handle(_request: Request, principal: Principal) {
          const current = new Map(deps.principals().map((p) => [p.id, p.name]))
          current.set(principal.id, principal.name)
          const { rows, truncated } = await listUsage(
            store,
            isAdmin(principal) ? undefined : principal.id,
            MAX_ROWS,
            (id) => current.get(id),
          )
          const headers: Record<string, string> = { 'content-type': 'application/json' }
          if (truncated) headers['x-crabllm-truncated'] = 'true'
          return new Response(JSON.stringify(rows), { headers })
        },
      },
    ],
  }
  return extension
}

/**
 * The usage rows of one key id (or of every key), sorted by key name, id, then model, at most MAX_ROWS.
 * A row's name is `nameOf(id)` (the keys as they are now), else the name recorded beside its counters,
 * else the id itself (counters of a name no key had when they were moved to ids).
 */
export async function listUsage(
  store: Store,
  id: string | undefined,
  maxRows = MAX_ROWS,
  nameOf: (id: string) => string | undefined = () => undefined,
): Promise<{ rows: UsageRow[]; truncated: boolean }> {
  // Each key has its name record and each row at most FIELDS.length counters, and entries come in key
  // order, so reading one row's worth more than the bound makes the first `maxRows` rows complete.
  const limit = (maxRows + 1) * (FIELDS.length + 1)
  const entries = await store.list(id === undefined ? '' : `${encode(id)}/`, limit)
  const rows = new Map<string, UsageRow>()
  const recorded = new Map<string, string>()
  for (const { key: storageKey, value } of entries) {
    const parts = storageKey.split('/')
    if (parts.length === 2 && parts[1] === NAME) {
      const keyId = decode(parts[0]!)
      if (keyId !== undefined) recorded.set(keyId, value)
      continue
    }
    if (parts.length !== 3) continue
    const [k, m, field] = parts as [string, string, string]
    if (!(FIELDS as readonly string[]).includes(field)) continue
    const rowId = `${k}/${m}`
    let row = rows.get(rowId)
    if (!row) {
      const keyId = decode(k)
      const model = decode(m)
      if (keyId === undefined || model === undefined) continue
      row = {
        key: keyId,
        key_id: keyId,
        model,
        prompt_tokens: 0,
        completion_tokens: 0,
        total_tokens: 0,
        cache_read_tokens: 0,
        reasoning_tokens: 0,
        requests: 0,
        cached_requests: 0,
      }
      rows.set(rowId, row)
    }
    const n = Number(value)
    if (Number.isSafeInteger(n)) row[field as Field] = n
  }
  const all = [...rows.values()]
  const truncated = all.length > maxRows
  const kept = truncated ? all.slice(0, maxRows) : all
  for (const row of kept) {
    row.total_tokens = row.prompt_tokens + row.completion_tokens
    row.key = nameOf(row.key_id) ?? recorded.get(row.key_id) ?? row.key_id
  }
  kept.sort((a, b) => compare(a.key, b.key) || compare(a.key_id, b.key_id) || compare(a.model, b.model))
  return { rows: kept, truncated }
}

/**
 * Moves the counters the previous release kept under key names (`{name}/{model}/{field}`) to the ids of
 * the keys that have those names now (`ids`: name → id), each counter atomically (Store.move), and
 * records each name beside its counters. One listing of the namespace. Resolves with the counters moved.
 */
export async function migrateUsage(store: Store, ids: ReadonlyMap<string, string>): Promise<number> {
  let moved = 0
  const names = new Set<string>()
  for (const { key } of await store.list('', MAX_MIGRATED)) {
    const parts = key.split('/')
    if (parts.length !== 3 || !(FIELDS as readonly string[]).includes(parts[2]!)) continue
    const name = decode(parts[0]!)
    const id = name === undefined ? undefined : ids.get(name)
    if (id === undefined) continue
    if ((await store.move(key, `${encode(id)}/${parts[1]}/${parts[2]}`)) > 0) moved++
    names.add(name!)
  }
  for (const name of names) await store.set(`${encode(ids.get(name)!)}/${NAME}`, name)
  return moved
}

// --- internal ---

/** The most counters the migration reads (keys × models × fields). */
const MAX_MIGRATED = 10_000_000

/** `{id}/{model}/`, the prefix of a row's counters (the field name follows). Cached: the pairs are few. */
function rowKey(id: string, model: string): string {
  const pair = `${id}\u0000${model}`
  let row = rowKeys.get(pair)
  if (row === undefined) {
    if (rowKeys.size >= 10_000) rowKeys.clear()
    row = `${encode(id)}/${encode(model)}/`
    rowKeys.set(pair, row)
  }
  return row
}
const rowKeys = new Map<string, string>()

function encode(name: string): string {
  return encodeURIComponent(name)
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part)
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
