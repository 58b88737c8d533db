// A small argv parser: a command, its declared flags, and the global -v/--help/--version.
// Unknown commands and flags are UsageErrors (exit 2), as in citty.
import { UsageError } from '../config/errors'

export interface FlagSpec {
  /** Long name without dashes, e.g. "config". */
  name: string
  short?: string
  /** true: takes a value (`--config PATH` or `--config=PATH`); false: a switch. */
  value: boolean
  description: string
  placeholder?: string
}

export interface ParsedArgs {
  command: string | undefined
  flags: Record<string, string | true>
  verbosity: number
  help: boolean
  version: boolean
}

export function parseArgs(argv: readonly string[], commands: Record<string, readonly FlagSpec[]>): ParsedArgs {
  const out: ParsedArgs = { command: undefined, flags: {}, verbosity: 0, help: false, version: false }
  let specs: readonly FlagSpec[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') out.help = true
    else if (arg === '--version' || arg === '-V') out.version = true
    else if (/^-v+$/.test(arg)) out.verbosity += arg.length - 1
    else if (arg === '--verbose') out.verbosity++
    else if (arg.startsWith('-')) {
      const [rawName, inline] = splitInline(arg)
      const spec = rawName.startsWith('--') ? specs.find((s) => `--${s.name}` === rawName) : specs.find((s) => s.short && `-${s.short}` === rawName)
      if (!spec) throw new UsageError(`unknown flag ${rawName}${out.command ? ` for '${out.command}'` : ''}`, out.command)
      if (!spec.value) {
        if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`, out.command)
        out.flags[spec.name] = true
      } else {
        const value = inline ?? argv[++i]
        if (value === undefined || value === '') throw new UsageError(`--${spec.name} needs a value (${spec.placeholder ?? 'VALUE'})`, out.command)
        out.flags[spec.name] = value
      }
    } else if (out.command === undefined) {
      if (!Object.hasOwn(commands, arg)) throw new UsageError(`unknown command '${arg}'`)
      out.command = arg
      specs = commands[arg]!
    } else {
      throw new UsageError(`unexpected argument '${arg}'`, out.command)
    }
  }
  return out
}

function splitInline(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=')
  return eq > 0 && arg.startsWith('--') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined]
}
