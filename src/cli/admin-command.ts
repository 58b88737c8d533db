// What `crabllm keys …` and `crabllm providers …` share: the connection flags, finding the gateway and
// its admin token (flags, then CRABLLM_URL / CRABLLM_TOKEN, then the local config file), and the shape
// of one admin command. The commands themselves live in commands/keys.ts and commands/providers.ts.
import { parse } from 'smol-toml'
import { ConfigError } from '../config/errors'
import { type Env, InterpolationError, interpolateString } from '../config/interpolate'
import { parseListen } from '../config/semantics'
import { AdminClient } from './admin-client'
import { type FlagSpec, type Flags, stringFlag } from './args'

export interface Output {
  /** Writes one line (or several joined by "\n") to stdout. */
  out(text: string): void
  /** Writes one line to stderr (notes and warnings that must not mix into piped output). */
  err(text: string): void
}

export interface AdminCommand {
  summary: string
  /** Positional arguments for the usage line, e.g. "NAME" or "[NAME]". */
  args?: string
  /** The command's own flags; CONNECTION_FLAGS are added to every command. */
  flags: readonly FlagSpec[]
  run(client: AdminClient, flags: Flags, output: Output, command: string): Promise<void>
}

export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  {
    name: 'url',
    value: true,
    placeholder: 'URL',
    description: 'gateway URL (default $CRABLLM_URL, else the listen address in --config)',
  },
  {
    name: 'token',
    value: true,
    placeholder: 'TOKEN',
    description: 'admin token (default $CRABLLM_TOKEN, else admin_token in --config)',
  },
  {
    name: 'config',
    short: 'c',
    value: true,
    placeholder: 'PATH',
    description: 'config file for the defaults (default crabllm.toml)',
  },
  { name: 'json', value: false, description: "print the API's JSON answer as is (for scripts)" },
]

/** A name given bare or as --name; `positional` makes `keys get NAME` parse. */
export const NAME_FLAG: FlagSpec = {
  name: 'name',
  value: true,
  positional: true,
  placeholder: 'NAME',
  description: 'the name (also accepted bare)',
}

/** The flags a command accepts: its own, then the connection flags. */
export function commandFlags(command: AdminCommand): FlagSpec[] {
  return [...command.flags, ...CONNECTION_FLAGS]
}

export interface Connection {
  url: string
  token: string | undefined
}

export const DEFAULT_CONFIG = 'crabllm.toml'
export const DEFAULT_LISTEN = '127.0.0.1:5632'

/**
 * URL: --url, $CRABLLM_URL, the config's `listen` (0.0.0.0 and :: become loopback), or 127.0.0.1:5632.
 * Token: --token, $CRABLLM_TOKEN, the config's `admin_token`. The config file is read only when one of
 * the two is still missing; a missing default crabllm.toml is fine, a missing --config file is not.
 */
export async function resolveConnection(flags: Flags, env: Env = process.env): Promise<Connection> {
  let url = stringFlag(flags, 'url') ?? (env.CRABLLM_URL || undefined)
  let token = stringFlag(flags, 'token') ?? (env.CRABLLM_TOKEN || undefined)
  if (url === undefined || token === undefined) {
    const given = stringFlag(flags, 'config')
    const local = await readLocalDefaults(given ?? DEFAULT_CONFIG, given !== undefined, env)
    url ??= urlFromListen(local.listen ?? DEFAULT_LISTEN, given ?? DEFAULT_CONFIG)
    token ??= local.admin_token
  }
  return { url: normalizeUrl(url), token }
}

/**
 * Connects and runs one admin command, printing to the process's stdout and stderr. Stdout is written
 * in one awaited write: `process.stdout.write` to a slow pipe keeps only ~64 KiB when main.ts calls
 * `process.exit` right after (measured on Bun 1.4.5 with `keys list --json | slow-reader`).
 */
export async function runAdminCommand(command: AdminCommand, name: string, flags: Flags): Promise<void> {
  let stdout = ''
  const output: Output = {
    out: (text) => void (stdout += `${text}\n`),
    err: (text) => void process.stderr.write(`${text}\n`),
  }
  try {
    const { url, token } = await resolveConnection(flags)
    await command.run(new AdminClient({ url, token }), flags, output, name)
  } finally {
    if (stdout) await writeStdout(stdout)
  }
}

/** `0.0.0.0:5632` → `http://127.0.0.1:5632`; `[::]:80` → `http://[::1]:80`. */
export function urlFromListen(listen: string, file: string): string {
  const address = parseListen(listen)
  if (!address) throw new ConfigError(file, 'listen', `"${listen}" is not a host:port address`, 'pass --url')
  if (address.port === 0)
    throw new ConfigError(file, 'listen', 'port 0 is picked at start-up, so the CLI cannot know it', 'pass --url')
  let host = address.hostname
  if (host === '0.0.0.0') host = '127.0.0.1'
  else if (host === '::') host = '::1'
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}

// --- internal ---

async function writeStdout(text: string): Promise<void> {
  try {
    await Bun.write(Bun.stdout, text)
  } catch (err) {
    // The reader went away (`crabllm keys list | head -1`): nothing is left to tell.
    if ((err as { code?: string }).code !== 'EPIPE') throw err
  }
}

/** A URL without a scheme gets http://; trailing slashes go. */
function normalizeUrl(url: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`
  return withScheme.replace(/\/+$/, '')
}

/**
 * Only `listen` and `admin_token`, each with ${VAR} expanded. The CLI does not validate the whole file:
 * an operator's shell need not have the providers' secrets (`api_key = "${OPENAI_API_KEY}"`) exported.
 */
async function readLocalDefaults(
  path: string,
  required: boolean,
  env: Env,
): Promise<{ listen?: string; admin_token?: string }> {
  const file = Bun.file(path)
  if (!(await file.exists())) {
    if (required)
      throw new ConfigError(path, '', 'file not found', 'pass the gateway config with --config, or --url and --token')
    return {}
  }
  let text: string
  try {
    text = await file.text()
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err)
    throw new ConfigError(
      path,
      '',
      `cannot read the file (${code})`,
      'check its permissions, or pass --url and --token',
    )
  }
  let raw: Record<string, unknown>
  try {
    raw = parse(text) as Record<string, unknown>
  } catch (err) {
    throw new ConfigError(
      path,
      '',
      `invalid TOML: ${String((err as Error).message ?? err).split('\n')[0]}`,
      'pass --url and --token instead',
    )
  }
  const read = (field: 'listen' | 'admin_token'): string | undefined => {
    const value = raw[field]
    if (value === undefined) return undefined
    if (typeof value !== 'string')
      throw new ConfigError(path, field, `expected a string, got ${JSON.stringify(value)}`, 'quote it')
    try {
      return interpolateString(value, env, field)
    } catch (err) {
      if (err instanceof InterpolationError)
        throw new ConfigError(path, field, err.message, `export ${err.variable}=…, or pass --url / --token`)
      throw err
    }
  }
  return { listen: read('listen'), admin_token: read('admin_token') }
}
