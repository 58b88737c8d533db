// The command line: argv → command table → run. Usage mistakes print usage and exit 2; config errors
// print one line and exit 1; bugs print their stack and exit 1. The compile entry (src/main.ts) loads
// this module once it knows the process will not re-execute itself.
import pkg from '../../package.json' with { type: 'json' }
import { CliError, UsageError } from '../config/errors'
import { versionLine } from '../core/build-info'
import { createLogger, levelFrom } from '../core/log'
import { type AdminCommand, CONNECTION_FLAGS, commandFlags, runAdminCommand } from './admin-command'
import { type FlagSpec, parseArgs } from './args'
import { budgetCommand } from './commands/budget'
import { cacheCommands } from './commands/cache'
import { initFlags, runInit } from './commands/init'
import { keysCommands } from './commands/keys'
import { logsCommand } from './commands/logs'
import { modelsFlags, runModels } from './commands/models'
import { openapiFlags, runOpenapi } from './commands/openapi'
import { providersCommands } from './commands/providers'
import { runServe, serveFlags } from './commands/serve'
import { usageCommand } from './commands/usage'
import { runLiveCommand } from './live-command'

/** Admin command groups: `crabllm keys create …` talks to a running gateway over HTTP. */
const GROUPS: Record<string, Record<string, AdminCommand>> = {
  keys: keysCommands,
  providers: providersCommands,
  cache: cacheCommands,
}

/** Single admin commands: `crabllm usage …` reads from a running gateway. */
const SINGLES: Record<string, AdminCommand> = { usage: usageCommand, budget: budgetCommand, logs: logsCommand }

/** Commands whose output streams (`logs --follow`): run with a LiveOutput, not gathered until the end. */
const LIVE: ReadonlySet<AdminCommand> = new Set([logsCommand])

const COMMANDS: Record<string, readonly FlagSpec[]> = {
  serve: serveFlags,
  init: initFlags,
  openapi: openapiFlags,
  models: modelsFlags,
  help: [],
  version: [],
}
for (const [group, commands] of Object.entries(GROUPS))
  for (const [name, command] of Object.entries(commands)) COMMANDS[`${group} ${name}`] = commandFlags(command)
for (const [name, command] of Object.entries(SINGLES)) COMMANDS[name] = commandFlags(command)

const SUMMARIES: Record<string, string> = {
  serve: 'start the gateway (the default; writes a starter config first when none exists)',
  init: 'write a starter config with a fresh admin token and key',
  keys: 'list, create, update and delete virtual keys on a running gateway',
  providers: 'list, create, update and delete providers on a running gateway',
  usage: 'tokens and requests per key and model ([extensions.usage])',
  budget: "each key's budget, spend and what remains ([extensions.budget])",
  logs: 'the audit log, filtered, or followed as it grows ([extensions.audit])',
  cache: 'clear the answer cache ([extensions.cache])',
  models: 'what the gateway knows of its models: context, max output, prices, capabilities (offline)',
  openapi: 'print the OpenAPI document (--format json) or a self-contained reference page (--format html)',
  help: 'show this help',
  version: 'print the version',
}

export function usage(command?: string): string {
  const lines = [`crabllm ${pkg.version}: high-performance LLM API gateway`, '']
  const group = command && GROUPS[command]
  if (group) {
    lines.push(`usage: crabllm ${command} <command> [flags]`, '', 'commands:')
    for (const [name, sub] of Object.entries(group))
      lines.push(`  ${`${name}${sub.args ? ` ${sub.args}` : ''}`.padEnd(14)}${sub.summary}`)
    lines.push('', `run \`crabllm ${command} <command> --help\` for its flags; every command takes:`)
    pushFlags(lines, CONNECTION_FLAGS)
  } else if (command && COMMANDS[command]?.length) {
    const [groupName, subName] = command.split(' ')
    const sub = subName ? GROUPS[groupName!]?.[subName] : SINGLES[command]
    lines.push(`usage: crabllm ${command}${sub?.args ? ` ${sub.args}` : ''} [flags]`)
    if (sub) lines.push('', sub.summary)
    lines.push('', 'flags:')
    pushFlags(lines, COMMANDS[command]!)
  } else {
    lines.push('usage: crabllm [command] [flags]', '', 'commands:')
    for (const [name, summary] of Object.entries(SUMMARIES)) lines.push(`  ${name.padEnd(11)}${summary}`)
  }
  lines.push(
    '',
    'global flags:',
    '  -v, -vv, -vvv              more logging (info, debug, trace); LOG_LEVEL=… overrides',
    '  -h, --help                  show help',
    '  -V, --version               print the version',
  )
  return lines.join('\n')
}

function pushFlags(lines: string[], flags: readonly FlagSpec[]): void {
  const heads = flags.map(
    (f) => `  ${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.placeholder ?? 'VALUE'}` : ''}`,
  )
  const width = Math.max(30, ...heads.map((h) => h.length + 2))
  flags.forEach((f, i) => {
    lines.push(heads[i]!.padEnd(width) + f.description)
  })
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: string | undefined
  try {
    const args = parseArgs(argv, COMMANDS)
    command = args.command
    if (args.version || command === 'version') {
      process.stdout.write(`${versionLine()}\n`)
      return 0
    }
    if (args.help || command === 'help') {
      process.stdout.write(`${usage(command === 'help' ? undefined : command)}\n`)
      return 0
    }
    const log = createLogger({ level: levelFrom(args.verbosity), json: process.env.LOG_FORMAT === 'json' })
    if (command === 'init') {
      runInit(args.flags, (line) => process.stderr.write(`${line}\n`))
      return 0
    }
    if (command === 'models') {
      await runModels(args.flags)
      return 0
    }
    if (command === 'openapi') {
      await runOpenapi(args.flags)
      return 0
    }
    const [groupName, subName] = (command ?? '').split(' ')
    const admin = subName ? GROUPS[groupName!]?.[subName] : command && SINGLES[command]
    if (admin) {
      await (LIVE.has(admin) ? runLiveCommand : runAdminCommand)(admin, command!, args.flags)
      return 0
    }
    return await runServe(args.flags, log)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${usage(err.command ?? command)}\n`)
      return 2
    }
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`)
      return err.exitCode
    }
    process.stderr.write(
      `crabllm: unexpected error (a bug; please report it)\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    )
    return 1
  }
}
