// What an admin command printed: an Output (src/cli/admin-command.ts) that keeps stdout and stderr as
// text, one line per call, for the CLI command tests.
import type { Output } from '../../src/cli/admin-command'

export function capture(): Output & { stdout: string; stderr: string } {
  const o = {
    stdout: '',
    stderr: '',
    out: (text: string) => void (o.stdout += `${text}\n`),
    err: (text: string) => void (o.stderr += `${text}\n`),
  }
  return o
}
