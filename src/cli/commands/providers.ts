// `crabllm providers list|get|create|update|delete`: upstream providers on a running gateway, through
// /v1/admin/providers. Secrets can come from the environment (--api-key-env VAR) so that they stay out
// of shell history; the API masks them in every answer.
import { CliError, UsageError } from '../../config/errors'
import type { ProviderInput, ProviderView } from '../admin-client'
import { type AdminCommand, NAME_FLAG } from '../admin-command'
import { type FlagSpec, type Flags, listFlag, numberFlag, stringFlag } from '../args'
import { formatFields, formatList, formatTable, NONE } from '../table'

/** Secret fields: each has --flag VALUE and --flag-env VAR (read from the environment). */
const SECRETS = [
  ['api-key', 'api_key', '', 'the upstream API key'],
  ['secret-key', 'secret_key', 'bedrock: ', 'the AWS secret access key'],
  ['session-token', 'session_token', 'bedrock: ', 'an AWS session token'],
] as const

const PLAIN = [
  ['base-url', 'base_url', 'URL', 'upstream base URL, e.g. https://api.openai.com/v1'],
  ['api-version', 'api_version', 'VERSION', 'azure: the api-version query parameter'],
  ['region', 'region', 'REGION', 'bedrock: the AWS region'],
  ['access-key', 'access_key', 'ID', 'bedrock: the AWS access key id'],
] as const

const SETTING_FLAGS: FlagSpec[] = [
  {
    name: 'kind',
    value: true,
    placeholder: 'KIND',
    description: 'openai, azure, ollama, echo, anthropic, google, bedrock, or a custom kind with --base-url',
  },
  ...SECRETS.flatMap(([flag, , prefix, noun]): FlagSpec[] => [
    {
      name: flag,
      value: true,
      placeholder: 'SECRET',
      description: `${prefix}${noun} (stays in shell history: prefer --${flag}-env)`,
    },
    {
      name: `${flag}-env`,
      value: true,
      placeholder: 'VAR',
      description: `${prefix}read ${noun} from the environment variable VAR`,
    },
  ]),
  ...PLAIN.map(
    ([flag, , placeholder, description]): FlagSpec => ({ name: flag, value: true, placeholder, description }),
  ),
  {
    name: 'models',
    value: true,
    placeholder: 'A,B',
    description: "models it serves, comma-separated (default: the upstream's /models list)",
  },
  {
    name: 'weight',
    value: true,
    placeholder: 'N',
    description: 'share of traffic among deployments of the same model (default 1)',
  },
  {
    name: 'max-retries',
    value: true,
    placeholder: 'N',
    description: 'retries for transient failures, 0-10 (default 2)',
  },
  {
    name: 'timeout',
    value: true,
    placeholder: 'SECONDS',
    description: 'upstream timeout in seconds; 0 = none (default 30)',
  },
]

export const providersCommands: Record<string, AdminCommand> = {
  list: {
    summary: 'list providers (from the config file and the API; secrets masked)',
    flags: [],
    async run(client, flags, output) {
      const { value, text } = await client.listProviders()
      if (flags.json) return output.out(text)
      if (!value.data.length) return output.out('no providers')
      output.out(formatProviderTable(value.data))
    },
  },
  get: {
    summary: 'show one provider (secrets masked)',
    args: 'NAME',
    flags: [NAME_FLAG],
    async run(client, flags, output, command) {
      const { value, text } = await client.getProvider(requireName(flags, command))
      output.out(flags.json ? text : formatProvider(value))
    },
  },
  create: {
    summary: 'add a provider; without --models the gateway asks the upstream for its list',
    args: 'NAME',
    flags: [NAME_FLAG, ...SETTING_FLAGS],
    async run(client, flags, output, command) {
      const name = requireName(flags, command)
      const input = readSettings(flags, command)
      if (!input.kind) throw new UsageError(`${command} needs --kind`, command)
      const { value, text } = await client.createProvider({ name, ...input })
      output.out(flags.json ? text : `created provider ${value.name}\n${formatProvider(value)}`)
    },
  },
  update: {
    summary: 'change a provider made through the API (only the fields given)',
    args: 'NAME',
    flags: [NAME_FLAG, ...SETTING_FLAGS],
    async run(client, flags, output, command) {
      const name = requireName(flags, command)
      const patch = readSettings(flags, command)
      if (!Object.keys(patch).length)
        throw new UsageError('nothing to change: pass at least one field flag (see --help)', command)
      const { value, text } = await client.updateProvider(name, patch)
      output.out(flags.json ? text : `updated provider ${value.name}\n${formatProvider(value)}`)
    },
  },
  delete: {
    summary: 'remove a provider made through the API',
    args: 'NAME',
    flags: [NAME_FLAG],
    async run(client, flags, output, command) {
      const { value, text } = await client.deleteProvider(requireName(flags, command))
      output.out(flags.json ? text : `deleted provider ${value.name}`)
    },
  },
}

/** NAME, SOURCE, KIND, MODELS, BASE_URL, WEIGHT. */
export function formatProviderTable(providers: readonly ProviderView[]): string {
  return formatTable(
    ['NAME', 'SOURCE', 'KIND', 'MODELS', 'BASE_URL', 'WEIGHT'],
    providers.map((p) => [
      p.name,
      p.source,
      p.kind,
      formatList(p.models),
      p.base_url ?? NONE,
      p.weight === undefined ? NONE : String(p.weight),
    ]),
  )
}

/** One provider as `label: value` lines, known fields first, then any others the API sent. */
export function formatProvider(provider: ProviderView): string {
  const known = [
    'name',
    'source',
    'kind',
    'base_url',
    'models',
    'weight',
    'max_retries',
    'timeout',
    'api_key',
    'api_version',
    'region',
  ]
  const later = ['access_key', 'secret_key', 'session_token', 'created_at', 'updated_at']
  const record = provider as unknown as Record<string, unknown>
  const others = Object.keys(record).filter((k) => !known.includes(k) && !later.includes(k))
  return formatFields([...known, ...others, ...later].map((k) => [k, show(record[k])]))
}

/** `--api-key-env VAR`: the variable's value; unset or empty is an error (exit 2) naming it. */
export function readSecret(
  flags: Flags,
  flag: string,
  command: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const direct = stringFlag(flags, flag)
  const variable = stringFlag(flags, `${flag}-env`)
  if (direct !== undefined && variable !== undefined)
    throw new UsageError(`pass --${flag} or --${flag}-env, not both`, command)
  if (variable === undefined) return direct
  const value = env[variable]
  if (!value) throw new CliError(`--${flag}-env: the environment variable ${variable} is not set`, 2)
  return value
}

// --- internal ---

function requireName(flags: Flags, command: string): string {
  const name = stringFlag(flags, 'name')
  if (name === undefined) throw new UsageError(`${command} needs a NAME`, command)
  return name
}

/** The field flags given, as API fields. */
function readSettings(flags: Flags, command: string): ProviderInput {
  const input: ProviderInput = {}
  const kind = stringFlag(flags, 'kind')
  if (kind !== undefined) input.kind = kind
  for (const [flag, field] of SECRETS) {
    const value = readSecret(flags, flag, command)
    if (value !== undefined) input[field] = value
  }
  for (const [flag, field] of PLAIN) {
    const value = stringFlag(flags, flag)
    if (value !== undefined) input[field] = value
  }
  const models = listFlag(flags, 'models', command)
  if (models) input.models = models
  const weight = numberFlag(flags, 'weight', command)
  if (weight !== undefined) input.weight = weight
  const retries = numberFlag(flags, 'max-retries', command, { integer: true })
  if (retries !== undefined) input.max_retries = retries
  const timeout = numberFlag(flags, 'timeout', command)
  if (timeout !== undefined) input.timeout = timeout
  return input
}

function show(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) return value.length ? value.join(', ') : NONE
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
