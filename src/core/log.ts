// The logger: leveled, one line per event (`time LEVEL message key=value …`) on stderr, or JSON lines
// with `log_format = "json"` in the config or LOG_FORMAT=json (which wins). Level from -v/-vv/-vvv or
// LOG_LEVEL (which wins). Secrets are never passed in.

export const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const
export type Level = (typeof LEVELS)[number]

export type Fields = Record<string, string | number | boolean | null | undefined>

export interface Logger {
  readonly level: Level
  enabled(level: Level): boolean
  error(message: string, fields?: Fields): void
  warn(message: string, fields?: Fields): void
  info(message: string, fields?: Fields): void
  debug(message: string, fields?: Fields): void
  trace(message: string, fields?: Fields): void
  /**
   * A logger writing to the same place in the same format, with its own threshold. The logging
   * extension uses it so that `[extensions.logging] level = "info"` shows its lines even when the
   * gateway's own level is the default warn (and hides them below its level when the gateway's is lower).
   */
  withLevel(level: Level): Logger
  /** The same logger writing text lines or JSON lines. */
  withFormat(json: boolean): Logger
  readonly json: boolean
}

export interface LoggerOptions {
  level: Level
  json?: boolean
  write?: (line: string) => void
}

/** -v info, -vv debug, -vvv trace; default warn. LOG_LEVEL overrides when it names a level. */
export function levelFrom(verbosity: number, env: Record<string, string | undefined> = process.env): Level {
  const named = env.LOG_LEVEL?.toLowerCase()
  if (named && (LEVELS as readonly string[]).includes(named)) return named as Level
  return (['warn', 'info', 'debug', 'trace'] as const)[Math.min(verbosity, 3)]!
}

export function createLogger(options: LoggerOptions): Logger {
  const rank = LEVELS.indexOf(options.level)
  const write = options.write ?? ((line: string) => process.stderr.write(line))
  const emit = (level: Level, message: string, fields?: Fields) => {
    if (LEVELS.indexOf(level) > rank) return
    const time = new Date().toISOString()
    if (options.json) {
      write(`${JSON.stringify({ time, level, msg: message, ...fields })}\n`)
      return
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${message}`
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${formatValue(v)}`
    write(`${line}\n`)
  }
  return {
    level: options.level,
    withLevel: (level) => createLogger({ ...options, level }),
    withFormat: (json) => createLogger({ ...options, json }),
    json: options.json === true,
    enabled: (level) => LEVELS.indexOf(level) <= rank,
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
    trace: (m, f) => emit('trace', m, f),
  }
}

/** A logger that adds `fields` to every line (a worker process tags its lines with its number). */
export function taggedLogger(log: Logger, fields: Fields): Logger {
  return {
    level: log.level,
    json: log.json,
    enabled: (level) => log.enabled(level),
    withLevel: (level) => taggedLogger(log.withLevel(level), fields),
    withFormat: (json) => taggedLogger(log.withFormat(json), fields),
    error: (m, f) => log.error(m, { ...fields, ...f }),
    warn: (m, f) => log.warn(m, { ...fields, ...f }),
    info: (m, f) => log.info(m, { ...fields, ...f }),
    debug: (m, f) => log.debug(m, { ...fields, ...f }),
    trace: (m, f) => log.trace(m, { ...fields, ...f }),
  }
}

/** A logger that keeps lines in memory (tests). */
export function memoryLogger(level: Level = 'trace'): Logger & { lines: string[] } {
  const lines: string[] = []
  return Object.assign(createLogger({ level, json: true, write: (l) => lines.push(l) }), { lines })
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value)
  return /^[\w.:/@+-]*$/.test(value) && value.length > 0 ? value : JSON.stringify(value)
}
