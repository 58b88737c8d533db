// Runs the configured extensions in config order at each hook. Decision hooks (onKey, onRequest,
// onCacheLookup) are awaited; the others run without holding the response: their storage writes go
// through `defer`, and `flush` waits for them on shutdown. A failing hook is logged, never the
// client's problem, except a GatewayError thrown by onKey or onRequest, which refuses the request.
import { GatewayError, storageUnavailable } from '../core/errors'
import type { Logger } from '../core/log'
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

export function createPipeline(extensions: readonly Extension[], log: Logger, pending: PendingWrites): Pipeline {
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
      for (const ext of responseHooks) run(ext, ctx, 'onResponse', () => ext.onResponse!(ctx, body))
    },
    onChunk(ctx, chunk) {
      for (const ext of chunkHooks) run(ext, ctx, 'onChunk', () => ext.onChunk!(ctx, chunk))
    },
    onStreamClose(ctx) {
      for (const ext of closeHooks) run(ext, ctx, 'onStreamClose', () => ext.onStreamClose!(ctx))
    },
    onStreamEnd(ctx, outcome) {
      for (const ext of endHooks) run(ext, ctx, 'onStreamEnd', () => ext.onStreamEnd!(ctx, outcome))
    },
    onError(ctx, error) {
      for (const ext of errorHooks) run(ext, ctx, 'onError', () => ext.onError!(ctx, error))
    },
    defer: (work, what) => pending.defer(work, what),
    async flush() {
      await pending.flush()
      for (const ext of extensions) await ext.flush?.()
    },
  }
}
