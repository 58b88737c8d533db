// stream_idle_timeout: ends a relayed stream whose upstream has gone silent while the relay waits for it
// (the SSE and raw relays share it).

/** The stream_idle_timeout watch of one relay (see idleTimer). */
export interface IdleTimer {
  /** A read of the upstream starts: from now the upstream has the idle time to deliver. */
  waiting(): void
  /** The read returned (bytes, the end, or an error): no longer the upstream's turn. */
  received(): void
  stop(): void
  readonly fired: boolean
  readonly detail: string
}

/**
 * The stream_idle_timeout watch: one timer per stream, pushed back (refresh) when a read of the upstream
 * starts; when it fires during a read it aborts the upstream request, so the pending read fails and the
 * relay reports why. Time when no read is pending is not the upstream's: the relay is not asking for
 * bytes because the client reads slowly (backpressure), so the timer just goes round again.
 */
export function idleTimer(options: { idleMs?: number; abort: (reason?: unknown) => void }): IdleTimer | undefined {
  const ms = options.idleMs
  if (!ms || ms <= 0) return undefined
  let fired = false
  let reading = false
  const timer: Timer = setTimeout(() => {
    if (!reading) return void timer.refresh()
    fired = true
    options.abort('idle')
  }, ms)
  return {
    waiting() {
      reading = true
      timer.refresh()
    },
    received() {
      reading = false
    },
    stop: () => clearTimeout(timer),
    get fired() {
      return fired
    },
    detail: `the upstream sent nothing for ${ms / 1000} s (stream_idle_timeout)`,
  }
}
