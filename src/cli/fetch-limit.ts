// Bun's fetch keeps at most BUN_CONFIG_MAX_HTTP_REQUESTS requests in flight per process (256 by
// default), and reads the variable once, at start-up: setting it later does nothing. Past the limit,
// upstream requests wait inside the runtime, so a gateway holding 1000 open streams would only really
// relay 256 of them. `serve` therefore re-executes itself (execve: same pid, same stdio) with a higher
// limit unless the variable is already set, which is also how an operator picks another value.

/** The in-flight upstream request limit `serve` runs with when BUN_CONFIG_MAX_HTTP_REQUESTS is unset. */
export const UPSTREAM_REQUEST_LIMIT = 16_384
export const FETCH_LIMIT_VAR = 'BUN_CONFIG_MAX_HTTP_REQUESTS'

/** Re-executes this process with the higher fetch limit; returns only when it does not (already set, or no execve). */
export function raiseFetchLimit(
  userArgs: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): void {
  if (env[FETCH_LIMIT_VAR] || typeof process.execve !== 'function') return
  try {
    process.execve(process.execPath, selfCommand(userArgs), {
      ...env,
      [FETCH_LIMIT_VAR]: String(UPSTREAM_REQUEST_LIMIT),
    })
  } catch (err) {
    // The kernel would not run this file again (an emulator such as qemu-user without binfmt_misc, a
    // seccomp filter, a deleted binary): serve on with Bun's own limit rather than not at all.
    warn(
      `crabllm: cannot re-execute itself to raise ${FETCH_LIMIT_VAR} (${(err as Error).message}); serving with Bun's default of 256 upstream requests in flight. Set ${FETCH_LIMIT_VAR}=${UPSTREAM_REQUEST_LIMIT} in the environment to avoid this.`,
    )
  }
}

/** The command line that runs this program again with `userArgs` (the binary, or bun and the script). */
export function selfCommand(userArgs: readonly string[]): string[] {
  // A compiled binary's argv[1] is its embedded entry (/$bunfs/… or B:/~BUN/…); `bun src/main.ts` has the script there.
  const entry = process.argv[1]
  const compiled = entry === undefined || entry.startsWith('/$bunfs/') || entry.startsWith('B:/~BUN/')
  return compiled ? [process.execPath, ...userArgs] : [process.execPath, entry, ...userArgs]
}
