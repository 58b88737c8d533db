// Admission: the in-flight caps a model request holds while it is answered (a stream: until it ends).
// A key's own share is taken as soon as the key is known, before its body is read: a key's max_inflight,
// else the default share key_max_inflight (a quarter of max_inflight), so that one key's stalled or slow
// bodies hold its own share and never every slot. The global max_inflight slot is taken once the body is
// read: a body that never arrives holds no global slot. Over either cap the request is refused at once
// (429 for the key, 503 for the gateway, both with Retry-After), never queued. The Admission also lifts
// the connection's idle timeout for the upstream wait and puts it back when the request is done.
import type { Server } from 'bun'
import { ANONYMOUS, isAdmin, type Principal } from '../auth'
import type { Config } from '../config/schema'
import { concurrencyLimitExceeded, overloaded } from '../core/errors'

/** Model requests in flight (streams until they end): for graceful shutdown and the max_inflight caps. */
export interface Inflight {
  /** Requests holding a global slot (their body read). */
  count: number
  /** Per key name: requests holding one of the key's own slots (from authentication on). */
  readonly byKey: Map<string, number>
}

export interface Admission {
  /** Takes one of the key's own slots; 429 when its share is taken. */
  holdKey(principal: Principal): void
  /** Takes a global slot; 503 when max_inflight are in flight. */
  holdGlobal(): void
  /** Lifts the connection's idle timeout: a model may be silent longer than it (slow first token). */
  liftIdleTimeout(): void
  /** Gives back what was taken and puts the idle timeout back; idempotent. */
  release(): void
}

/** The part of Bun's server the relay uses: per-request idle timeouts. */
export type ServerLike = Pick<Server<unknown>, 'timeout'>

/** A key's share of max_inflight when it sets no max_inflight of its own (key_max_inflight). */
export function keyShare(config: Pick<Config, 'max_inflight' | 'key_max_inflight'>): number {
  return config.key_max_inflight ?? Math.max(1, Math.ceil(config.max_inflight / 4))
}

/** An admission holding nothing yet. */
export function admit(
  ctx: { readonly config: Config; readonly inflight: Inflight },
  request: Request,
  server: ServerLike | null | undefined,
): Admission {
  const { inflight } = ctx
  let key: string | undefined
  let global = false
  let lifted = false
  let released = false
  return {
    holdKey(principal) {
      // The operator's admin token and the one principal of a gateway without auth have no share:
      // they stand for everyone (only a key's own max_inflight caps them, and they have none).
      const shared = !isAdmin(principal) && principal !== ANONYMOUS
      const limit = principal.maxInflight ?? (shared ? keyShare(ctx.config) : undefined)
      if (limit === undefined) return
      const held = inflight.byKey.get(principal.name) ?? 0
      if (held >= limit) throw concurrencyLimitExceeded(principal.name, limit)
      inflight.byKey.set(principal.name, held + 1)
      key = principal.name
    },
    holdGlobal() {
      const limit = ctx.config.max_inflight
      if (inflight.count >= limit) throw overloaded(limit)
      inflight.count++
      global = true
    },
    liftIdleTimeout() {
      server?.timeout(request, 0)
      lifted = true
    },
    release() {
      if (released) return
      released = true
      // Put client_idle_timeout back once the answer is complete (for a stream: when it ended), so that
      // the keep-alive connection is closed when it idles. Not earlier: Bun applies it to a response
      // being streamed too (measured on Bun 1.4.5: a stream with a gap longer than it is cut). Without
      // this, a connection that served one model request stayed open forever.
      if (lifted) server?.timeout(request, ctx.config.client_idle_timeout ?? 60)
      if (global) inflight.count--
      if (key === undefined) return
      const held = (inflight.byKey.get(key) ?? 1) - 1
      if (held > 0) inflight.byKey.set(key, held)
      else inflight.byKey.delete(key)
    },
  }
}
