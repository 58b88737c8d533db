// A small argv parser: a command (or a `group sub` pair such as `keys create`), its declared flags and
// positional arguments, and the global -v/--help/--version. Unknown commands and flags are UsageErrors
// (exit 2), as in citty. Also the typed readers of flag values (lists, numbers) the commands share.
import { UsageError } from '../config/errors'

export interface FlagSpec {
  /** Long name without dashes, e.g. "config". */
  name: string
  short?: string
  /** true: takes a value (`--config PATH` or `--config=PATH`); false: a switch. */
  value: boolean
  description: string
  placeholder?: string
  /** Also accepted bare, in declaration order (`keys get NAME` as well as `--name NAME`); needs `value`. */
  positional?: boolean
}

export type Flags = Record<string, string | true>

export interface ParsedArgs {
  command: string | undefined
  flags: Record<string, string | true>
  verbosity: number
  help: boolean
  version: boolean
}

/**
 * `commands` maps a command name to its flags. A name with a space (`"keys create"`) is a sub-command:
 * its first word alone is then a group, which takes no flags and must be followed by a sub-command
 * (unless --help or --version is given, so that `crabllm keys --help` can list them).
 */
export function parseArgs(argv: readonly string[], commands: Record<string, readonly FlagSpec[]>): ParsedArgs {
  const out: ParsedArgs = { command: undefined, flags: {}, verbosity: 0, help: false, version: false }
  let specs: readonly FlagSpec[] = []
  let group: string | undefined
  let positionals: FlagSpec[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--help' || arg === '-h') out.help = true
    else if (arg === '--version' || arg === '-V') out.version = true
    else if (/^-v+$/.test(arg)) out.verbosity += arg.length - 1
    else if (arg === '--verbose') out.verbosity++
    else if (arg.startsWith('-')) {
      const [rawName, inline] = splitInline(arg)
      const spec = rawName.startsWith('--')
        ? specs.find((s) => `--${s.name}` === rawName)
        : specs.find((s) => s.short && `-${s.short}` === rawName)
      if (!spec)
        throw new UsageError(`unknown flag ${rawName}${out.command ? ` for '${out.command}'` : ''}`, out.command)
      if (!spec.value) {
        if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value`, out.command)
        out.flags[spec.name] = true
      } else {
        const value = inline ?? argv[++i]
        if (value === undefined || value === '')
          throw new UsageError(`--${spec.name} needs a value (${spec.placeholder ?? 'VALUE'})`, out.command)
        out.flags[spec.name] = value
      }
    } else if (out.command === undefined || group !== undefined) {
      const name = group === undefined ? arg : `${group} ${arg}`
      if (Object.hasOwn(commands, name)) {
        out.command = name
        specs = commands[name]!
        positionals = specs.filter((s) => s.positional && s.value)
        group = undefined
      } else if (group === undefined && subCommands(commands, arg).length) {
        out.command = group = arg
      } else if (group !== undefined) {
        throw new UsageError(
          `unknown command '${name}' (${group} commands: ${subCommands(commands, group).join(', ')})`,
          group,
        )
      } else {
        throw new UsageError(`unknown command '${arg}'`)
      }
    } else {
      const spec = positionals.shift()
      if (!spec || out.flags[spec.name] !== undefined) throw new UsageError(`unexpected argument '${arg}'`, out.command)
      out.flags[spec.name] = arg
    }
  }
  if (group !== undefined && !out.help && !out.version)
    throw new UsageError(`'${group}' needs a command: ${subCommands(commands, group).join(', ')}`, group)
  return out
}

/** The sub-command names of `group` (`list`, `create`, … for `keys`), in table order. */
export function subCommands(commands: Record<string, unknown>, group: string): string[] {
  return Object.keys(commands)
    .filter((name) => name.startsWith(`${group} `))
    .map((name) => name.slice(group.length + 1))
}

/** A flag's string value, or undefined; a switch given where a value is expected cannot happen (parseArgs). */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name]
  return typeof value === 'string' ? value : undefined
}

/** `--models a,b` → ["a", "b"] (spaces trimmed, empties dropped); a list with nothing in it is a UsageError. */
export function listFlag(flags: Flags, name: string, command?: string): string[] | undefined {
  const value = stringFlag(flags, name)
  if (value === undefined) return undefined
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (!items.length) throw new UsageError(`--${name} needs at least one name (e.g. --${name} a,b)`, command)
  return items
}

/** A finite number (`integer`: a whole one), at least `min`; anything else is a UsageError naming the flag. */
export function numberFlag(
  flags: Flags,
  name: string,
  command?: string,
  { integer = false, min = 0 } = {},
): number | undefined {
  const value = stringFlag(flags, name)
  if (value === undefined) return undefined
  const n = value.trim() === '' ? Number.NaN : Number(value)
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min)
    throw new UsageError(
      `--${name}: expected ${integer ? 'a whole number' : 'a number'} of at least ${min}, got "${value}"`,
      command,
    )
  return n
}

function splitInline(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=')
  return eq > 0 && arg.startsWith('--') ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined]
}
