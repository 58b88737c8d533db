// Admission: the caps a model request holds while it is in flight (until its stream ends): the global
// max_inflight, taken before anything else (a request over it is refused at once: 503 with Retry-After,
// never queued), and a key's own max_inflight once the key is known (429). It also lifts the
// connection's idle timeout for the upstream wait and puts it back when the request is done.
import type { Server } from 'bun'
import type { Principal } from '../auth'
import type { Config } from '../config/schema'
import { concurrencyLimitExceeded, overloaded } from '../core/errors'

/** Model requests in flight (streams until they end): for graceful shutdown and the max_inflight caps. */
export interface Inflight {
  count: number
  /** Per key name, only for keys with their own max_inflight. */
  readonly byKey: Map<string, number>
}

export interface Admission {
  /** Takes one of the key's own slots; 429 when its max_inflight are all taken. */
  holdKey(principal: Principal): void
  /** Lifts the connection's idle timeout: a model may be silent longer than it (slow first token). */
  liftIdleTimeout(): void
  /** Gives back what was taken and puts the idle timeout back; idempotent. */
  release(): void
}

/** The part of Bun's server the relay uses: per-request idle timeouts. */
export type ServerLike = Pick<Server<unknown>, 'timeout'>

/** Takes a global slot, or throws 503 server_overloaded when max_inflight are in flight. */
export function admit(
  ctx: { readonly config: Config; readonly inflight: Inflight },
  request: Request,
  server: ServerLike | null | undefined,
): Admission {
  const { inflight } = ctx
  const limit = ctx.config.max_inflight
  if (inflight.count >= limit) throw overloaded(limit)
  inflight.count++
  let key: string | undefined
  let lifted = false
  let released = false
  return {
    holdKey(principal) {
      if (principal.maxInflight === undefined) return
      const held = inflight.byKey.get(principal.name) ?? 0
      if (held >= principal.maxInflight) throw concurrencyLimitExceeded(principal.name, principal.maxInflight)
      inflight.byKey.set(principal.name, held + 1)
      key = principal.name
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
      inflight.count--
      if (key === undefined) return
      const held = (inflight.byKey.get(key) ?? 1) - 1
      if (held > 0) inflight.byKey.set(key, held)
      else inflight.byKey.delete(key)
    },
  }
}
