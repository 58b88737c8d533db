// A deployment's circuit breaker. After `threshold` consecutive failed attempts (connection errors,
// timeouts, 5xx, 429) the deployment is skipped for `cooldownMs`; then one request probes it: a success
// closes the breaker, a failure opens it for another cooldown. Answers that show the upstream is up
// (2xx, and 4xx other than 429: the request's own fault) reset the count. One per provider, per
// process: a reload keeps the state of the providers it keeps.

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerSnapshot {
  state: BreakerState
  consecutive_failures: number
  /** ISO time until which the provider is skipped (open), or null. */
  cooldown_until: string | null
  /** Times the breaker opened since the process started. */
  cooldowns: number
}

export class Breaker {
  /** Consecutive failed attempts. */
  failures = 0
  /** Times the breaker opened. */
  trips = 0
  /** ms since epoch until which the deployment is skipped; 0 while closed. */
  private openUntil = 0
  /** A half-open probe is in flight: other requests keep skipping the deployment until it settles. */
  private probing = false

  constructor(
    private threshold: number,
    private cooldownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** New settings from a reload; the state is kept. */
  configure(threshold: number, cooldownMs: number): void {
    this.threshold = threshold
    this.cooldownMs = cooldownMs
    if (threshold === 0) this.reset()
  }

  get state(): BreakerState {
    if (this.openUntil === 0) return 'closed'
    return this.now() < this.openUntil ? 'open' : 'half_open'
  }

  /**
   * Whether a request may call the deployment now; claims the probe when the cooldown is over (the
   * caller must then report the attempt's outcome with success() or failure()).
   */
  acquire(): boolean {
    if (this.openUntil === 0) return true
    if (this.now() < this.openUntil || this.probing) return false
    this.probing = true
    return true
  }

  /** ms until the deployment may be tried again (0 when it may be now). */
  retryInMs(): number {
    return this.openUntil === 0 ? 0 : Math.max(0, this.openUntil - this.now())
  }

  success(): void {
    this.reset()
  }

  failure(): void {
    if (this.threshold === 0) return
    this.failures++
    if (this.probing || (this.openUntil === 0 && this.failures >= this.threshold)) {
      this.probing = false
      this.openUntil = this.now() + this.cooldownMs
      this.trips++
    }
  }

  /** An attempt that says nothing about the upstream (the client left): releases a claimed probe. */
  release(): void {
    this.probing = false
  }

  snapshot(): BreakerSnapshot {
    const state = this.state
    return {
      state,
      consecutive_failures: this.failures,
      cooldown_until: state === 'open' ? new Date(this.openUntil).toISOString() : null,
      cooldowns: this.trips,
    }
  }

  private reset(): void {
    this.failures = 0
    this.openUntil = 0
    this.probing = false
  }
}
