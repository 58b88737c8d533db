// The response cache: successful non-stream chat completions, keyed by the canonical request (key.ts),
// kept for `ttl_seconds`. A hit answers without calling a provider, with `x-crabllm-cache: hit`; a
// stream request that hits gets the cached answer replayed as SSE (replay.ts). Clients opt out with
// Cache-Control (cache-control.ts). DELETE /v1/cache (admin) clears it.
//
// Clearing is a generation counter, not a scan: each entry is stored as `<generation>\n<body>` and
// counts only while its generation is the current one, so a clear is one atomic increment on every
// backend, whatever the cache's size; entries of older generations are never served again and
// expire by their TTL. A lookup reads the generation and the entry at once (two reads in parallel,
// one round trip on Redis). An answer whose request started before a clear is stored under the old
// generation, so a clear cannot be undone by a request that was in flight.
//
// Size: at most `max_bytes` of entries, oldest evicted first, on every backend and across gateways
// sharing a store (bound.ts). The stores and evictions are deferred writes, never on the response path.
//
// A hit spends no tokens: ctx.usage stays undefined, so budgets and token rate limits do not count it;
// usage counts it as a request and a cached request, with 0 tokens (usage/index.ts). The cache is
// shared by every key: identical requests get the same answer, as in the original (the key allowlist
// is checked before the lookup).
import type { ExtensionsConfig } from '../../config/schema'
import type { ExtensionFactory, RequestContext } from '../types'
import { sizeBound } from './bound'
import { cacheDirectives } from './cache-control'
import { cacheKey } from './key'
import { parseCompletion, replayAsSse } from './replay'

export const CACHE_HEADER = 'x-crabllm-cache'
/** Storage keys, inside the extension's namespace. */
const GENERATION = 'generation'
const entryKey = (hash: string) => `entry:${hash}`

/** What a lookup leaves for onResponse: where to store the answer, and under which generation. */
interface Pending {
  key: string
  generation: string
}

const decoder = new TextDecoder()

export type CacheOptions = NonNullable<ExtensionsConfig['cache']>

export const cacheExtension: ExtensionFactory<CacheOptions> = ({ options, store, defer }) => {
  const ttlMs = options.ttl_seconds * 1000
  const bound = sizeBound(store, options.max_bytes, defer)
  const pending = new WeakMap<RequestContext, Pending>()
  const generation = async () => (await store.get(GENERATION)) ?? '0'
  return {
    name: 'cache',
    async onCacheLookup(ctx) {
      if (ctx.surface !== 'chat') return undefined
      const wants = cacheDirectives(ctx.request)
      if (!wants.store && !wants.lookup) {
        ctx.headers[CACHE_HEADER] = 'bypass'
        return undefined
      }
      const key = entryKey(cacheKey(ctx.model, ctx.json))
      if (!wants.lookup) {
        ctx.headers[CACHE_HEADER] = 'bypass'
        if (!ctx.stream) pending.set(ctx, { key, generation: await generation() })
        return undefined
      }
      const [current, stored] = await Promise.all([generation(), store.get(key)])
      const body = stored !== undefined ? bodyOf(stored, current) : undefined
      if (body !== undefined) {
        const hit = ctx.stream ? replay(body, ctx.clientWantsUsage) : jsonHit(body)
        if (hit) return hit
      }
      ctx.headers[CACHE_HEADER] = 'miss'
      if (!ctx.stream) pending.set(ctx, { key, generation: current })
      return undefined
    },
    onResponse(ctx, body) {
      const target = pending.get(ctx)
      pending.delete(ctx)
      if (!target || ctx.status !== 200 || ctx.stream) return
      // An answer larger than the whole cache is not even decoded.
      const bytes = target.generation.length + 1 + body.byteLength
      if (bound.costOf(bytes) > options.max_bytes) return
      const text = decoder.decode(body)
      // Only a chat.completion is kept: whatever is stored can be replayed.
      if (!parseCompletion(text)) return
      defer(bound.put(target.key, `${target.generation}\n${text}`, bytes, ttlMs))
    },
    routes: [
      {
        method: 'DELETE',
        path: '/v1/cache',
        admin: true,
        async handle() {
          const next = await store.increment(GENERATION)
          return Response.json({ cleared: true, generation: next })
        },
      },
    ],
  }
}

/** The stored body when the entry belongs to the current generation. */
function bodyOf(stored: string, generation: string): string | undefined {
  const nl = stored.indexOf('\n')
  return nl !== -1 && stored.slice(0, nl) === generation ? stored.slice(nl + 1) : undefined
}

function jsonHit(body: string): Response {
  return new Response(body, { status: 200, headers: { 'content-type': 'application/json', [CACHE_HEADER]: 'hit' } })
}

/** The cached answer as an SSE stream; undefined (a miss) if it cannot be read as a chat.completion. */
function replay(body: string, withUsage: boolean): Response | undefined {
  const completion = parseCompletion(body)
  if (!completion) return undefined
  return new Response(replayAsSse(completion, withUsage), {
    status: 200,
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      [CACHE_HEADER]: 'hit',
    },
  })
}
