// Rate-limit windows are fixed minutes of the gateway's real clock (floor(now / 60 s)). A compiled
// binary is another process with no clock to inject, so a test that counts a burst against a
// per-minute limit starts it in a minute with room left: near the end of one it waits for the next.
// That lines the test up with the clock of the code under test; it does not wait for the gateway.

/**
 * The timeout of a test that calls inOneMinute(): its own work plus the wait, up to MARGIN_MS + 0.1 s,
 * which bun test's 5 s default does not cover.
 */
export const IN_ONE_MINUTE_TIMEOUT_MS = 30_000

const MARGIN_MS = 5000

/** Resolves at once when more than `marginMs` of the current minute is left, else once the next begins. */
export async function inOneMinute(marginMs = MARGIN_MS): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000)
  if (left < marginMs) await Bun.sleep(left + 100)
}
