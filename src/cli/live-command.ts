// Running an admin command whose output streams (`crabllm logs --follow`): runAdminCommand gathers
// stdout and writes it once at the end, which a command that runs until Ctrl-C cannot use. Here the
// command flushes what it printed whenever it likes, and may ask that Ctrl-C (SIGINT) end it cleanly
// (exit 0) instead of killing the process; a reader of stdout that goes away (`| head -3`) ends it too.
import { AdminClient } from './admin-client'
import { type AdminCommand, type Output, resolveConnection } from './admin-command'
import type { Flags } from './args'

export interface LiveOutput extends Output {
  /** Writes what out() gathered so far; resolves once it is written. */
  flush(): Promise<void>
  /**
   * From now on, SIGINT aborts the returned signal instead of ending the process (a second SIGINT
   * ends it as usual). The signal is also aborted when the reader of stdout goes away.
   */
  interruptible(): AbortSignal
}

export function isLive(output: Output): output is LiveOutput {
  return typeof (output as Partial<LiveOutput>).flush === 'function'
}

/** Connects and runs `command` with a LiveOutput on the process's stdout and stderr. */
export async function runLiveCommand(command: AdminCommand, name: string, flags: Flags): Promise<void> {
  const stop = new AbortController()
  const onInterrupt = () => stop.abort()
  let pending = ''
  let gone = false
  const output: LiveOutput = {
    out: (text) => void (pending += `${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
    async flush() {
      const text = pending
      pending = ''
      if (!text || gone) return
      try {
        // One awaited write at a time (see runAdminCommand: an unawaited write is lost at process.exit).
        await Bun.write(Bun.stdout, text)
      } catch (err) {
        if ((err as { code?: string }).code !== 'EPIPE') throw err
        gone = true
        stop.abort()
      }
    },
    interruptible() {
      process.once('SIGINT', onInterrupt)
      return stop.signal
    },
  }
  try {
    const { url, token } = await resolveConnection(flags)
    await command.run(new AdminClient({ url, token }), flags, output, name)
  } finally {
    process.off('SIGINT', onInterrupt)
    await output.flush()
  }
}
