// Checks the schema cannot express: provider kinds and their required fields (checkProvider, shared with
// the admin API), unique key names and secrets, aliases that point at served models (one hop), a
// parseable listen address. Also applies each kind's defaults (base_url, echo's model list, an endpoint
// path stripped from base_url) to the config it is given. Config knows no provider kind: the kinds'
// defaults and checks come in as ProviderRules (PROVIDER_RULES in src/providers/index.ts), so this
// folder imports nothing above core.
import { modelsIssue } from './model-entry'
import type { Config, ProviderConfig } from './schema'

export interface SemanticIssue {
  field: string
  problem: string
  fix?: string
}

/** Something loading changed in what the file says, worth an info log line (serve logs them). */
export interface ConfigNote {
  message: string
  fields: Record<string, string>
}

/** How provider kinds apply their defaults and check their required fields. */
export interface ProviderRules {
  /** Kind defaults (base_url, models) applied, a new object; then the kind's own check. */
  normalize(config: ProviderConfig): { config: ProviderConfig; issue?: SemanticIssue }
  /** The kind of a [providers.<name>] table that names none, from its name and base_url (crabllm's rule). */
  defaultKind(name: string, baseUrl: string | undefined): string
}

/** Checks `config` and applies the kinds' defaults to it; what changed a value the file gave goes to `notes`. */
export function checkSemantics(config: Config, rules: ProviderRules, notes?: ConfigNote[]): SemanticIssue | undefined {
  if (!parseListen(config.listen))
    return {
      field: 'listen',
      problem: `"${config.listen}" is not a host:port address`,
      fix: 'listen = "127.0.0.1:5632"',
    }

  // A [models] entry's prices and facts are checked here, so the error names its line in the file.
  const model = modelsIssue(config.models)
  if (model) return model

  const served = new Set<string>()
  for (const [name, raw] of Object.entries(config.providers)) {
    const { config: provider, issue } = checkProvider(raw, rules)
    if (issue) return { ...issue, field: `providers.${name}.${issue.field}` }
    if (raw.base_url && provider.base_url && withoutSlash(raw.base_url) !== withoutSlash(provider.base_url))
      notes?.push({
        message: 'base_url ended with an endpoint path; it was stripped (the endpoint is added per request)',
        fields: { provider: name, from: raw.base_url, to: provider.base_url },
      })
    for (const model of provider.models) served.add(model)
    config.providers[name] = provider
  }

  const names = new Set<string>()
  const secrets = new Set<string>()
  for (let i = 0; i < config.keys.length; i++) {
    const key = config.keys[i]!
    if (names.has(key.name))
      return {
        field: `keys[${i}].name`,
        problem: `duplicate key name "${key.name}"`,
        fix: 'give each key a unique name',
      }
    if (secrets.has(key.key))
      return { field: `keys[${i}].key`, problem: 'the same secret is used by two keys', fix: 'generate a new secret' }
    if (config.admin_token && key.key === config.admin_token)
      return { field: `keys[${i}].key`, problem: 'is the same as admin_token', fix: 'use a different secret' }
    names.add(key.name)
    secrets.add(key.key)
  }

  for (const [alias, target] of Object.entries(config.aliases)) {
    if (served.has(alias))
      return {
        field: `aliases.${alias}`,
        problem: `"${alias}" is a model a provider serves and cannot also be an alias`,
        fix: 'rename the alias',
      }
    if (!served.has(target)) {
      const hop = Object.hasOwn(config.aliases, target)
      return {
        field: `aliases.${alias}`,
        problem: hop
          ? `points at another alias ("${target}"); aliases are one hop`
          : `points at "${target}", which no provider serves`,
        fix: hop ? `point it at "${config.aliases[target]}"` : "add the model to a provider's models, or fix the name",
      }
    }
  }

  const reserved = config.keys.findIndex((k) => k.name === 'admin' || k.name === 'anonymous')
  if (reserved >= 0)
    return {
      field: `keys[${reserved}].name`,
      problem: `"${config.keys[reserved]!.name}" is reserved (it names the admin token, or callers when auth is off)`,
      fix: 'choose another name',
    }
  // A limit that looks configured but is not enforced would be worse than an error.
  const limited = config.keys.findIndex((k) => k.rate_limit)
  if (limited >= 0 && !config.extensions?.rate_limit)
    return {
      field: `keys[${limited}].rate_limit`,
      problem: 'is only enforced by the rate_limit extension, which is not enabled',
      fix: 'add an [extensions.rate_limit] table with requests_per_minute',
    }
  const budgets = Object.keys(config.extensions?.budget?.keys ?? {})
  const keyNames = new Set(config.keys.map((k) => k.name))
  const stray = budgets.find((name) => !keyNames.has(name))
  if (stray !== undefined)
    return {
      field: `extensions.budget.keys.${stray}`,
      problem: `no [[keys]] entry is named "${stray}"`,
      fix: `use one of: ${[...keyNames].join(', ') || '(no keys configured)'}`,
    }

  if (config.storage?.prefix !== undefined && config.storage.kind !== 'redis')
    return {
      field: 'storage.prefix',
      problem: `only applies to kind "redis", not "${config.storage.kind}"`,
      fix: 'remove it, or set kind = "redis"',
    }
  if (config.storage?.kind === 'redis' && config.storage.path && !/^rediss?:\/\//.test(config.storage.path))
    return {
      field: 'storage.path',
      problem: 'must be a redis:// or rediss:// URL for kind "redis"',
      fix: 'path = "redis://127.0.0.1:6379"',
    }
  return undefined
}

/**
 * One provider's own checks, wherever it comes from (a [providers.<name>] table or the admin API): the
 * kind's defaults applied, then the kind's required fields, base_url and models. Fields are relative to
 * the provider. With `discover`, an empty model list passes: the admin API then asks the upstream.
 */
export function checkProvider(
  raw: ProviderConfig,
  rules: ProviderRules,
  options: { discover?: boolean } = {},
): { config: ProviderConfig; issue?: SemanticIssue } {
  const { config, issue } = rules.normalize(raw)
  if (issue) return { config, issue }
  if (config.base_url && !isHttpUrl(config.base_url))
    return {
      config,
      issue: {
        field: 'base_url',
        problem: `"${config.base_url}" is not an http(s) URL`,
        fix: 'base_url = "https://host/v1"',
      },
    }
  if (config.models.length === 0 && !options.discover)
    return { config, issue: { field: 'models', problem: 'lists no models', fix: 'models = ["model-name"]' } }
  return { config }
}

/** `host:port`, `[v6]:port` or `:port`; undefined when it does not parse. */
export function parseListen(listen: string): { hostname: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(listen.trim())
  if (!match) return undefined
  const port = Number(match[3])
  if (port > 65535) return undefined
  return { hostname: match[1] ?? (match[2] || '0.0.0.0'), port }
}

function withoutSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}
