// Config and CLI errors: not HTTP errors. main.ts prints their message (no stack) and exits 1 (usage errors: 2).

/** A mistake the user can fix; printed without a stack. */
export class CliError extends Error {
  override readonly name = 'CliError'
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

/** `file:line: field.path: problem (fix: …)`, so the field can be pasted straight back into the file. */
export class ConfigError extends CliError {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
    readonly fix?: string,
    readonly line?: number,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${problem}${fix ? ` (fix: ${fix})` : ''}`)
  }
}

/** Wrong command, flag or argument: print usage (of `command` when known), exit 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message, 2)
  }
}
