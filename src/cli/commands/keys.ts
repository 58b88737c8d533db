// `crabllm keys list|get|create|update|delete`: virtual keys on a running gateway, through
// /v1/admin/keys. The secret is printed once, by `create`; every other output shows the masked form.
import { UsageError } from '../../config/errors'
import type { CreatedKey, KeyInput, KeyView, RateLimit } from '../admin-client'
import { type AdminCommand, NAME_FLAG, type Output } from '../admin-command'
import { type FlagSpec, type Flags, listFlag, numberFlag, stringFlag } from '../args'
import { formatFields, formatList, formatTable, NONE } from '../table'

const SETTING_FLAGS: FlagSpec[] = [
  {
    name: 'models',
    value: true,
    placeholder: 'A,B',
    description: 'models the key may use, comma-separated ("*" for all; default *)',
  },
  { name: 'rpm', value: true, placeholder: 'N', description: 'rate limit: requests per minute' },
  { name: 'tpm', value: true, placeholder: 'N', description: 'rate limit: tokens per minute' },
  { name: 'budget', value: true, placeholder: 'USD', description: 'spending limit in USD' },
  {
    name: 'max-inflight',
    value: true,
    placeholder: 'N',
    description: 'requests this key may have in flight at once (429 beyond)',
  },
  {
    name: 'expires',
    value: true,
    placeholder: 'WHEN',
    description: 'expiry: an ISO-8601 time, or a duration from now (30d, 12h, 45m, 2w)',
  },
]

const CLEAR_FLAGS: FlagSpec[] = [
  { name: 'no-expiry', value: false, description: 'remove the expiry' },
  { name: 'no-budget', value: false, description: 'remove the budget' },
  { name: 'no-rate-limit', value: false, description: 'remove the rate limit' },
  { name: 'no-max-inflight', value: false, description: 'remove the in-flight cap' },
]

export const keysCommands: Record<string, AdminCommand> = {
  list: {
    summary: 'list keys (from the config file and the API; secrets masked)',
    flags: [],
    async run(client, flags, output) {
      const { value, text } = await client.listKeys()
      if (flags.json) return output.out(text)
      if (!value.data.length) return output.out('no keys')
      output.out(formatKeyTable(value.data))
    },
  },
  get: {
    summary: 'show one key (secret masked)',
    args: 'NAME',
    flags: [NAME_FLAG],
    async run(client, flags, output, command) {
      const { value, text } = await client.getKey(requireName(flags, command))
      output.out(flags.json ? text : formatKey(value))
    },
  },
  create: {
    summary: 'create a key and print its secret (shown only this once)',
    args: 'NAME',
    flags: [NAME_FLAG, ...SETTING_FLAGS],
    async run(client, flags, output, command) {
      const name = requireName(flags, command)
      const { value, text } = await client.createKey({ name, ...readSettings(flags, command) })
      printCreated(value, text, flags, output)
    },
  },
  update: {
    summary: 'change a key made through the API (models, limits, budget, expiry)',
    args: 'NAME',
    flags: [NAME_FLAG, ...SETTING_FLAGS, ...CLEAR_FLAGS],
    async run(client, flags, output, command) {
      const name = requireName(flags, command)
      const patch = readUpdate(flags, command)
      // --rpm alone keeps the tokens-per-minute limit (and --tpm alone the requests-per-minute one).
      if (
        patch.rate_limit &&
        (patch.rate_limit.requests_per_minute === undefined || patch.rate_limit.tokens_per_minute === undefined)
      ) {
        const current = (await client.getKey(name)).value
        patch.rate_limit = { ...current.rate_limit, ...patch.rate_limit }
      }
      const { value, text } = await client.updateKey(name, patch)
      output.out(flags.json ? text : `updated key ${value.name}\n${formatKey(value)}`)
    },
  },
  delete: {
    summary: 'delete (revoke) a key made through the API',
    args: 'NAME',
    flags: [NAME_FLAG],
    async run(client, flags, output, command) {
      const { value, text } = await client.deleteKey(requireName(flags, command))
      output.out(flags.json ? text : `deleted key ${value.name}`)
    },
  },
}

/** NAME, SOURCE, KEY (masked), MODELS, LIMITS, BUDGET, EXPIRES. */
export function formatKeyTable(keys: readonly KeyView[]): string {
  return formatTable(
    ['NAME', 'SOURCE', 'KEY', 'MODELS', 'LIMITS', 'BUDGET', 'EXPIRES'],
    keys.map((k) => [
      k.name,
      k.source,
      k.masked,
      formatList(k.models),
      formatLimits(k.rate_limit),
      formatUsd(k.budget),
      formatExpiry(k),
    ]),
  )
}

/** One key as `label: value` lines; never the secret, even if an answer carried one. */
export function formatKey(key: KeyView): string {
  return formatFields(keyFields(key))
}

/**
 * `--expires`: an ISO-8601 time, or a duration from `now` (`30d`, `12h`, `45m`, `90s`, `2w`), as an
 * ISO-8601 UTC string. Anything else is a UsageError. Whether it lies in the future is the API's check.
 */
export function parseExpiry(value: string, now = Date.now(), command?: string): string {
  const duration = /^(\d+)\s*([smhdw])$/i.exec(value.trim())
  if (duration) return new Date(now + Number(duration[1]) * UNIT_MS[duration[2]!.toLowerCase()]!).toISOString()
  const at = /^\d{4}-\d{2}-\d{2}/.test(value.trim()) ? Date.parse(value.trim()) : Number.NaN
  if (Number.isNaN(at))
    throw new UsageError(
      `--expires: "${value}" is neither an ISO-8601 time (2030-01-31T00:00:00Z) nor a duration (30d, 12h)`,
      command,
    )
  return new Date(at).toISOString()
}

// --- internal ---

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

function requireName(flags: Flags, command: string): string {
  const name = stringFlag(flags, 'name')
  if (name === undefined) throw new UsageError(`${command} needs a NAME`, command)
  return name
}

/** The settings flags common to create and update, as API fields (only those given). */
function readSettings(flags: Flags, command: string, now = Date.now()): KeyInput {
  const input: KeyInput = {}
  const models = listFlag(flags, 'models', command)
  if (models) input.models = models
  const rpm = numberFlag(flags, 'rpm', command, { integer: true, min: 1 })
  const tpm = numberFlag(flags, 'tpm', command, { integer: true, min: 1 })
  if (rpm !== undefined || tpm !== undefined) {
    const limit: RateLimit = {}
    if (rpm !== undefined) limit.requests_per_minute = rpm
    if (tpm !== undefined) limit.tokens_per_minute = tpm
    input.rate_limit = limit
  }
  const budget = numberFlag(flags, 'budget', command)
  if (budget !== undefined) input.budget = budget
  const maxInflight = numberFlag(flags, 'max-inflight', command, { integer: true, min: 1 })
  if (maxInflight !== undefined) input.max_inflight = maxInflight
  const expires = stringFlag(flags, 'expires')
  if (expires !== undefined) input.expires_at = parseExpiry(expires, now, command)
  return input
}

/** Settings plus the --no-* switches (null clears a field); nothing to change is a UsageError. */
function readUpdate(flags: Flags, command: string): KeyInput {
  const patch = readSettings(flags, command)
  const clears: [string, string[], 'expires_at' | 'budget' | 'rate_limit' | 'max_inflight'][] = [
    ['no-expiry', ['expires'], 'expires_at'],
    ['no-budget', ['budget'], 'budget'],
    ['no-rate-limit', ['rpm', 'tpm'], 'rate_limit'],
    ['no-max-inflight', ['max-inflight'], 'max_inflight'],
  ]
  for (const [flag, setters, field] of clears) {
    if (!flags[flag]) continue
    const conflict = setters.find((s) => flags[s] !== undefined)
    if (conflict) throw new UsageError(`--${flag} and --${conflict} contradict each other`, command)
    patch[field] = null
  }
  if (!Object.keys(patch).length)
    throw new UsageError(
      'nothing to change: pass --models, --rpm, --tpm, --budget, --max-inflight, --expires or a --no-… flag',
      command,
    )
  return patch
}

function keyFields(key: KeyView): [string, string | undefined][] {
  return [
    ['name', key.name],
    ['key', key.masked],
    ['source', key.source],
    ['models', key.models?.join(', ') || NONE],
    ['rate limit', formatLimits(key.rate_limit, true)],
    ['budget', formatUsd(key.budget)],
    ['max in flight', key.max_inflight === undefined ? undefined : String(key.max_inflight)],
    ['expires', formatExpiry(key)],
    ['created', key.created_at],
    ['updated', key.updated_at],
  ]
}

function printCreated(key: CreatedKey, text: string, flags: Flags, output: Output): void {
  const warning =
    'store the key now: it is shown only this once and cannot be recovered (create a new key if it is lost).'
  if (flags.json) {
    output.out(text)
    output.err(warning)
    return
  }
  const details = keyFields(key).filter(([label]) => label !== 'name' && label !== 'key')
  output.out(`created key ${key.name}`)
  output.out(formatFields([['key', key.key], ...details]))
  output.out(warning)
}

function formatLimits(limit: RateLimit | undefined, long = false): string {
  if (!limit) return NONE
  const parts: string[] = []
  if (limit.requests_per_minute !== undefined)
    parts.push(`${limit.requests_per_minute} ${long ? 'requests/min' : 'rpm'}`)
  if (limit.tokens_per_minute !== undefined) parts.push(`${limit.tokens_per_minute} ${long ? 'tokens/min' : 'tpm'}`)
  return parts.join(', ') || NONE
}

function formatUsd(usd: number | undefined): string {
  if (usd === undefined || usd === null) return NONE
  return `$${Number.isInteger(usd * 100) ? usd.toFixed(2) : String(usd)}`
}

function formatExpiry(key: KeyView): string {
  if (!key.expires_at) return NONE
  return key.expired ? `${key.expires_at} (expired)` : key.expires_at
}
