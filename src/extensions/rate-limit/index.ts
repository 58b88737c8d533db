// rate_limit: requests and tokens per key per minute, in fixed one-minute windows
// (window = floor(now / 60 s)) kept in the shared store as counters `req:{id}:{window}` and
// `tok:{id}:{window}` that expire after two minutes, under the key's id (Principal.id: a key deleted and
// made again under the same name starts a fresh window). Windows the previous release kept under key
// names are moved to ids once, at start (migrateRateLimit, key-identity.ts).
//
// - Requests: onKey, as soon as the key is known and before the body is read, increments the window's
//   counter (one atomic step on every backend) and admits the request when the new value is within the
//   limit, so N concurrent requests against a limit L admit exactly L, and a key over its rate costs the
//   gateway no body read. A refused request still counts, as at OpenAI ("unsuccessful requests
//   contribute to your per-minute limit"): hammering does not get through sooner.
// - Tokens (when a token limit applies): once the body is read, a request reserves its estimated
//   tokens (prompt from the body, plus max_tokens or reserve_completion_tokens) in the window, with
//   store.reserve: atomic on every backend, so concurrent requests cannot together pass the limit. A
//   window already at its limit (counted tokens plus holds) refuses the request; below it, the request
//   holds its estimate or what is left (a request larger than the whole limit can still run, alone).
//   The answer settles: its actual tokens (JSON and streams, or what the gateway counted for a stream
//   that ended without usage) are added to the window in which it ended and the hold is released, as
//   one step (store.settle); a failed request releases its hold and adds nothing.
// - Every answer for the key (success, refusal, upstream error) carries the x-ratelimit-* headers as
//   they stood when the request was admitted; a refusal adds Retry-After.
import { holdId, type Store } from '../../storage/store'
import type { Extension, ExtensionDeps, ExtensionFactory, RequestContext } from '../types'
import { formatDuration, rateLimitExceeded } from './headers'
import { limitTable, type RateLimitOptions } from './limits'

export type { RateLimitOptions } from './limits'

export const WINDOW_MS = 60_000
/** Counters outlive their window a little so that a late token write still lands in a live counter. */
const COUNTER_TTL_MS = 2 * WINDOW_MS

export const rateLimitExtension: ExtensionFactory<RateLimitOptions> = (deps) => createRateLimit(deps)

/** How long a token hold lasts when nothing settles it (a gateway that died on Redis): past its window. */
const HOLD_MS = COUNTER_TTL_MS

/** The extension with an injectable clock (tests move time across windows). */
export function createRateLimit(deps: ExtensionDeps<RateLimitOptions>, now: () => number = Date.now): Extension {
  const { store, defer } = deps
  const limits = limitTable(deps.options)
  const reserveCompletion = deps.options.reserve_completion_tokens ?? 4096
  /** When each request was admitted (onKey): its token headers use the same instant, so both resets agree. */
  const admitted = new WeakMap<RequestContext, number>()
  /** Requests in flight whose tokens are counted when they settle, with their hold (if one was taken). */
  const pending = new WeakMap<RequestContext, { key: string; id: string }>()

  /**
   * Adds the answer's actual tokens to the window it ended in and gives back its hold, as one step (no
   * reservation sees both, or neither); off the response path.
   */
  const settle = (ctx: RequestContext): void => {
    const hold = pending.get(ctx)
    if (hold === undefined) return
    pending.delete(ctx)
    const total = ctx.usage?.total_tokens
    const tokens = total && Number.isSafeInteger(total) && total > 0 ? total : 0
    const counter = `tok:${ctx.principal.id}:${windowOf(now())}`
    defer(store.settle(hold.key, hold.id, tokens, counter, COUNTER_TTL_MS))
  }

  return {
    name: 'rate_limit',
    // Keys made through the admin API may bring a token limit later: always read usage.
    needsUsage: true,
    reserves: true,
    failClosed: deps.options.on_storage_error === 'closed',
    async onKey(ctx) {
      const { key } = ctx
      const { id } = ctx.principal
      const limit = limits.of(ctx.principal)
      const t = now()
      admitted.set(ctx, t)
      const window = windowOf(t)
      const resetMs = (window + 1) * WINDOW_MS - t
      const requests = await store.increment(`req:${id}:${window}`, 1, COUNTER_TTL_MS)
      const headers = ctx.headers
      headers['x-ratelimit-limit-requests'] = String(limit.requests)
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, limit.requests - requests))
      headers['x-ratelimit-reset-requests'] = formatDuration(resetMs)
      // "Used" is the share of the limit already spent: refused requests count, but never past the limit.
      if (requests > limit.requests)
        throw rateLimitExceeded({
          kind: 'requests',
          limit: limit.requests,
          used: Math.min(requests - 1, limit.requests),
          key,
          resetMs,
          headers: { ...headers },
        })
    },
    async onRequest(ctx) {
      const limit = limits.of(ctx.principal).tokens
      if (limit === undefined) return
      const t = admitted.get(ctx) ?? now()
      const window = windowOf(t)
      const resetMs = (window + 1) * WINDOW_MS - t
      const estimate = ctx.estimate
      const wanted = estimate ? estimate.prompt + (estimate.completion ?? reserveCompletion) : 0
      const windowKey = `tok:${ctx.principal.id}:${window}`
      // The gateway's own id, never the client's x-request-id (two requests under one id would share a
      // hold). Counted and given back when it settles even if the reservation failed on storage
      // (on_storage_error = "open").
      const hold = { key: windowKey, id: holdId() }
      pending.set(ctx, hold)
      const held = await store.reserve(windowKey, hold.id, wanted, limit, HOLD_MS)
      const headers = ctx.headers
      headers['x-ratelimit-limit-tokens'] = String(limit)
      // As it stood when the request was admitted: counted tokens and other requests' holds, not its own.
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, limit - held.used))
      headers['x-ratelimit-reset-tokens'] = formatDuration(resetMs)
      if (!held.held) {
        pending.delete(ctx)
        throw rateLimitExceeded({
          kind: 'tokens',
          limit,
          used: held.used,
          key: ctx.key,
          resetMs,
          headers: { ...headers },
        })
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
  }
}

/**
 * Moves the windows the previous release kept under key names (`req:{name}:{window}`,
 * `tok:{name}:{window}`) to the ids of the keys that have those names now (`ids`: name → id), each
 * atomically with its expiry (Store.move). Names may hold ':'; the window is what follows the last one.
 * Resolves with the counters moved.
 */
export async function migrateRateLimit(store: Store, ids: ReadonlyMap<string, string>): Promise<number> {
  let moved = 0
  for (const kind of ['req:', 'tok:'])
    for (const { key } of await store.list(kind, MAX_MIGRATED)) {
      const cut = key.lastIndexOf(':')
      const window = key.slice(cut + 1)
      const id = ids.get(key.slice(kind.length, cut))
      if (id === undefined || !/^\d+$/.test(window)) continue
      if ((await store.move(key, `${kind}${id}:${window}`)) > 0) moved++
    }
  return moved
}

/** The most windows the migration reads (they expire two minutes after they start: few are live). */
const MAX_MIGRATED = 1_000_000

function windowOf(ms: number): number {
  return Math.floor(ms / WINDOW_MS)
}
