// The compile entry: argv → command table → run. Usage mistakes print usage and exit 2; config errors
// print one line and exit 1; bugs print their stack and exit 1.
import pkg from '../package.json' with { type: 'json' }
import { type FlagSpec, parseArgs } from './cli/args'
import { initFlags, runInit } from './cli/commands/init'
import { runServe, serveFlags } from './cli/commands/serve'
import { CliError, UsageError } from './config/errors'
import { createLogger, levelFrom } from './log'

const COMMANDS: Record<string, readonly FlagSpec[]> = { serve: serveFlags, init: initFlags, help: [], version: [] }
const SUMMARIES: Record<string, string> = {
  serve: 'start the gateway (the default; writes a starter config first when none exists)',
  init: 'write a starter config with a fresh admin token and key',
  help: 'show this help',
  version: 'print the version',
}

export function usage(command?: string): string {
  const lines = [`crabllm ${pkg.version}: high-performance LLM API gateway`, '']
  if (command && COMMANDS[command]?.length) {
    lines.push(`usage: crabllm ${command} [flags]`, '', 'flags:')
    for (const f of COMMANDS[command]!)
      lines.push(`  ${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.placeholder ?? 'VALUE'}` : ''}`.padEnd(30) + f.description)
  } else {
    lines.push('usage: crabllm [command] [flags]', '', 'commands:')
    for (const [name, summary] of Object.entries(SUMMARIES)) lines.push(`  ${name.padEnd(10)}${summary}`)
  }
  lines.push('', 'global flags:', '  -v, -vv, -vvv              more logging (info, debug, trace); LOG_LEVEL=… overrides', '  -h, --help                  show help', '  -V, --version               print the version')
  return lines.join('\n')
}

export async function main(argv: readonly string[]): Promise<number> {
  let command: string | undefined
  try {
    const args = parseArgs(argv, COMMANDS)
    command = args.command
    if (args.version || command === 'version') {
      process.stdout.write(`crabllm ${pkg.version}\n`)
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
    process.stderr.write(`crabllm: unexpected error (a bug; please report it)\n${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    return 1
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)))
