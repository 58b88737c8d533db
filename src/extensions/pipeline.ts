// Runs the configured extensions in config order at each hook. Decision hooks (onKey, onRequest,
// onCacheLookup) are awaited; the others run without holding the response: their storage writes go
// through `defer`, and `flush` waits for them on shutdown. A failing hook is logged, never the
// client's problem, except a GatewayError thrown by onKey or onRequest, which refuses the request.
//
// Before the last hooks of a request (onResponse, onStreamEnd, onError) the answer is priced once
// (ctx.cost, from the catalog of the config the extensions were built from); an answer that cannot be
// priced is logged once per model per process, as a warning.
//
// Reload (livePipeline): a new config's extensions are built beside the running ones (refused as a
// whole when they cannot be), then swapped in for the requests that start from then on; a request
// runs every hook on the extensions it started with, and retired extensions are flushed once their
// last request has ended.
import type { Config } from '../config/schema'
import { GatewayError, storageUnavailable } from '../core/errors'
import type { Logger } from '../core/log'
import { noPrice, type Pricer } from './pricing'
import type { Extension, ExtensionRoute, RelayOutcome, RequestContext } from './types'

export interface Pipeline {
  /** False when no extension is configured: the relay then skips every hook (hot path). */
  readonly active: boolean
  /** Whether any extension reads token usage (the relay then asks streams for it). */
  readonly needsUsage: boolean
  /** Whether any extension reserves against a limit (the relay then estimates each request's tokens). */
  readonly reserves: boolean
  readonly names: readonly string[]
  readonly routes: readonly ExtensionRoute[]
  onKey(ctx: RequestContext): Promise<void>
  onRequest(ctx: RequestContext): Promise<void>
  onCacheLookup(ctx: RequestContext): Promise<Response | undefined>
  onResponse(ctx: RequestContext, body: Uint8Array): void
  onChunk(ctx: RequestContext, chunk: Uint8Array): void
  onStreamClose(ctx: RequestContext): void
  onStreamEnd(ctx: RequestContext, outcome: RelayOutcome): void
  onError(ctx: RequestContext, error: GatewayError): void
  /** Tracks work the relay finishes after the answer (a stream's usage being counted) until it settles. */
  defer(work: Promise<unknown>, what: string): void
  /** Waits for every deferred write (graceful shutdown). */
  flush(): Promise<void>
  /**
   * Builds the extensions of a new config (SIGHUP) beside the running ones, and returns the function
   * that swaps them in for the requests that start from then on; throws, changing nothing, when they
   * cannot be built. Absent on a pipeline of fixed extensions (tests).
   */
  prepare?(config: Config): () => void
}

/** One set of extensions, as createPipeline runs them. */
export interface Generation extends Pipeline {
  /** Flushes the extensions' own state (audit refusals, timers), not the shared deferred writes. */
  flushExtensions(): Promise<void>
}

/** How createPipeline prices answers; without it, ctx.cost stays unset. */
export interface PipelinePricing {
  readonly pricer: Pricer
  /** Models already warned about (once per model per process: shared by every generation). */
  readonly warned: Set<string>
}

/** How often one failure (an extension's hook or writes) is logged while it goes on: storage outages
 * fail every request, and a line per request would flood the log. */
const REPEAT_LOG_MS = 10_000

/** Logs the first failure of each kind at once, then at most one line per REPEAT_LOG_MS with the count left out. */
export function throttledErrors(log: Logger, everyMs = REPEAT_LOG_MS, now: () => number = Date.now) {
  const seen = new Map<string, { last: number; suppressed: number }>()
  return (kind: string, msg: string, fields: Record<string, string | number | boolean | null | undefined>) => {
    const t = now()
    const entry = seen.get(kind)
    if (entry && t - entry.last < everyMs) {
      entry.suppressed++
      return
    }
    log.error(msg, entry?.suppressed ? { ...fields, suppressed: entry.suppressed } : fields)
    seen.set(kind, { last: t, suppressed: 0 })
  }
}

/** Tracks writes made off the response path so that shutdown can wait for them. */
export class PendingWrites {
  /** Writes not settled yet; a count, not a set: tracking costs one callback per write (hot path). */
  private count = 0
  private idle: PromiseWithResolvers<void> | undefined
  private readonly report: ReturnType<typeof throttledErrors>
  constructor(log: Logger) {
    this.report = throttledErrors(log)
  }

  defer(work: Promise<unknown>, what: string): void {
    this.count++
    work.then(this.settled, (err: unknown) => {
      this.report(`write:${what}`, 'extension write failed', {
        extension: what,
        error: err instanceof Error ? err.message : String(err),
      })
      this.settled()
    })
  }

  /** Resolves once no deferred write is pending (writes deferred meanwhile are waited for too). */
  flush(): Promise<void> {
    if (this.count === 0) return Promise.resolve()
    this.idle ??= Promise.withResolvers<void>()
    return this.idle.promise
  }

  private readonly settled = () => {
    if (--this.count > 0 || !this.idle) return
    const idle = this.idle
    this.idle = undefined
    idle.resolve()
  }
}

const NO_HIT: Promise<undefined> = Promise.resolve(undefined)
const DONE: Promise<void> = Promise.resolve()

export function createPipeline(
  extensions: readonly Extension[],
  log: Logger,
  pending: PendingWrites,
  pricing?: PipelinePricing,
): Generation {
  const keyHooks = extensions.filter((e) => e.onKey)
  const requestHooks = extensions.filter((e) => e.onRequest)
  const cacheHooks = extensions.filter((e) => e.onCacheLookup)
  const responseHooks = extensions.filter((e) => e.onResponse)
  const chunkHooks = extensions.filter((e) => e.onChunk)
  const closeHooks = extensions.filter((e) => e.onStreamClose)
  const endHooks = extensions.filter((e) => e.onStreamEnd)
  const errorHooks = extensions.filter((e) => e.onError)
  const report = throttledErrors(log)
  /** Runs a non-decision hook: errors and rejections are logged, and async work is tracked. */
  const run = (ext: Extension, ctx: RequestContext, hook: string, call: () => unknown) => {
    try {
      const result = call()
      if (result instanceof Promise) pending.defer(result, `${ext.name}.${hook}`)
    } catch (err) {
      log.error('extension hook failed', {
        extension: ext.name,
        hook,
        request_id: ctx.requestId,
        error: err instanceof Error ? err.message : String(err),
      })
    }
  }
  const cacheLookup = async (ctx: RequestContext): Promise<Response | undefined> => {
    for (const ext of cacheHooks) {
      try {
        const hit = await ext.onCacheLookup!(ctx)
        if (hit) return hit
      } catch (err) {
        log.error('extension hook failed', {
          extension: ext.name,
          hook: 'onCacheLookup',
          request_id: ctx.requestId,
          error: String(err),
        })
      }
    }
    return undefined
  }
  /** Runs a decision hook of every extension that has it, in order; a GatewayError refuses the request. */
  const decide = async (hooks: readonly Extension[], hook: 'onKey' | 'onRequest', ctx: RequestContext) => {
    for (const ext of hooks) {
      try {
        await ext[hook]!(ctx)
      } catch (err) {
        if (err instanceof GatewayError) throw err
        // A storage outage must not take the gateway down with it: logged, then the extension's
        // on_storage_error decides: let the request through (open) or refuse it with 503 (closed).
        report(`${ext.name}.${hook}`, 'extension hook failed', {
          extension: ext.name,
          hook,
          request_id: ctx.requestId,
          error: String(err),
        })
        if (ext.failClosed) throw storageUnavailable(ext.name)
      }
    }
  }
  /** Prices the answer once, before the last hooks; an answer that cannot be priced is warned about once per model. */
  const price = pricing
    ? (ctx: RequestContext, failed: boolean) => {
        const cost = pricing.pricer.costOf(ctx, failed)
        ctx.cost = cost
        if (cost.micros !== null || failed || pricing.warned.has(ctx.model)) return
        if (pricing.warned.size >= MAX_WARNED) return
        pricing.warned.add(ctx.model)
        log.warn('an answer has no cost: its spend is not counted', {
          model: ctx.model,
          reason: cost.reason,
          ...(cost.reason === noPrice(ctx.model) ? { fix: `add [models."${ctx.model}"] prices` } : {}),
        })
      }
    : () => {}
  return {
    active: extensions.length > 0,
    needsUsage: extensions.some((e) => e.needsUsage),
    reserves: extensions.some((e) => e.reserves),
    names: extensions.map((e) => e.name),
    routes: extensions.flatMap((e) => e.routes ?? []),
    // No hook of a kind (the usual case for onKey): one shared settled promise, no async call per request.
    onKey: keyHooks.length ? (ctx) => decide(keyHooks, 'onKey', ctx) : () => DONE,
    onRequest: requestHooks.length ? (ctx) => decide(requestHooks, 'onRequest', ctx) : () => DONE,
    onCacheLookup(ctx) {
      // No cache configured (the usual case): one shared settled promise, no async call per request.
      return cacheHooks.length ? cacheLookup(ctx) : NO_HIT
    },
    onResponse(ctx, body) {
      price(ctx, false)
      for (const ext of responseHooks) run(ext, ctx, 'onResponse', () => ext.onResponse!(ctx, body))
    },
    onChunk(ctx, chunk) {
      for (const ext of chunkHooks) run(ext, ctx, 'onChunk', () => ext.onChunk!(ctx, chunk))
    },
    onStreamClose(ctx) {
      for (const ext of closeHooks) run(ext, ctx, 'onStreamClose', () => ext.onStreamClose!(ctx))
    },
    onStreamEnd(ctx, outcome) {
      price(ctx, false)
      for (const ext of endHooks) run(ext, ctx, 'onStreamEnd', () => ext.onStreamEnd!(ctx, outcome))
    },
    onError(ctx, error) {
      price(ctx, true)
      for (const ext of errorHooks) run(ext, ctx, 'onError', () => ext.onError!(ctx, error))
    },
    defer: (work, what) => pending.defer(work, what),
    async flush() {
      await pending.flush()
      await flushExtensions()
    },
    flushExtensions,
  }
  async function flushExtensions() {
    for (const ext of extensions) await ext.flush?.()
  }
}

/** Models warned about at most (a bound on memory: the names come from the registry). */
const MAX_WARNED = 10_000

/**
 * A pipeline that a reload can rebuild: `build` makes the extensions of a config. Each request is bound
 * to the generation it started on (its first hook) and runs every later hook there, so that holds and
 * reservations settle where they were taken; a retired generation is flushed when its last counted
 * request ends (counted from onRequest: a request refused before it holds nothing).
 */
export function livePipeline(
  first: Generation,
  build: (config: Config) => Generation,
  pending: PendingWrites,
  log: Logger,
): Pipeline {
  let current = first
  const bound = new WeakMap<RequestContext, Generation>()
  /** Requests counted on their generation (from onRequest to their last hook). */
  const counted = new WeakSet<RequestContext>()
  const open = new Map<Generation, number>()
  const retired = new Set<Generation>()
  const of = (ctx: RequestContext): Generation => {
    let generation = bound.get(ctx)
    if (generation === undefined) bound.set(ctx, (generation = current))
    return generation
  }
  const retire = (generation: Generation) =>
    generation.flushExtensions().then(
      () => {
        if (!open.get(generation)) retired.delete(generation)
      },
      (err: unknown) =>
        log.error('flushing retired extensions failed', { error: err instanceof Error ? err.message : String(err) }),
    )
  /** A request's last hook ran: one fewer open on its generation; a retired one is flushed when none is. */
  const ended = (ctx: RequestContext, generation: Generation) => {
    if (!counted.delete(ctx)) return
    const left = (open.get(generation) ?? 1) - 1
    if (left > 0) return void open.set(generation, left)
    open.delete(generation)
    if (generation === current) return
    retired.add(generation)
    pending.defer(retire(generation), 'retired extensions')
  }
  return {
    get active() {
      return current.active
    },
    get needsUsage() {
      return current.needsUsage
    },
    get reserves() {
      return current.reserves
    },
    get names() {
      return current.names
    },
    get routes() {
      return current.routes
    },
    onKey: (ctx) => of(ctx).onKey(ctx),
    onRequest(ctx) {
      const generation = of(ctx)
      if (!counted.has(ctx)) {
        counted.add(ctx)
        open.set(generation, (open.get(generation) ?? 0) + 1)
      }
      return generation.onRequest(ctx)
    },
    onCacheLookup: (ctx) => of(ctx).onCacheLookup(ctx),
    onResponse(ctx, body) {
      const generation = of(ctx)
      generation.onResponse(ctx, body)
      ended(ctx, generation)
    },
    onChunk: (ctx, chunk) => of(ctx).onChunk(ctx, chunk),
    onStreamClose: (ctx) => of(ctx).onStreamClose(ctx),
    onStreamEnd(ctx, outcome) {
      const generation = of(ctx)
      generation.onStreamEnd(ctx, outcome)
      ended(ctx, generation)
    },
    onError(ctx, error) {
      const generation = of(ctx)
      generation.onError(ctx, error)
      ended(ctx, generation)
    },
    defer: (work, what) => pending.defer(work, what),
    async flush() {
      await pending.flush()
      for (const generation of [...retired, current]) await generation.flushExtensions()
      retired.clear()
    },
    prepare(config) {
      const next = build(config)
      return () => {
        const previous = current
        current = next
        retired.add(previous)
        if (!open.get(previous)) pending.defer(retire(previous), 'retired extensions')
      }
    },
  }
}
