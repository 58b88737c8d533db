// Awaiting a condition instead of sleeping: `read` is asked again (each turn awaits its answer, then a
// short pause) until `done` holds; past `guardMs` it fails with what it last read, so a regression is
// a message rather than the test runner's timeout.

/** Guard for an awaited event: against a hung test on a loaded machine, not a timing assumption. */
export const EVENT_TIMEOUT_MS = 20_000

export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  guardMs = EVENT_TIMEOUT_MS,
): Promise<T> {
  const deadline = performance.now() + guardMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (performance.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`)
    await Bun.sleep(20)
  }
}
