// The admin API's providers: those of the config file (listed, read-only) and those made through the
// API (in the admin store). A create without `models` asks the upstream for its list first; nothing is
// stored unless that works. Every change is stored, then swapped in by ctx.live.changed(). Secrets
// never leave in an answer (mask.ts).
import { validateProvider } from '../config/load'
import { PROVIDER_SECRET_FIELDS, type ProviderConfig } from '../config/schema'
import { badRequest, GatewayError } from '../core/errors'
import { discoverModels, normalizeProvider, PROVIDER_RULES } from '../providers'
import type { BreakerSnapshot } from '../routing/breaker'
import { NAME_PATTERN } from '../wire/admin'
import type { AdminDeps } from './deps'
import { maskSecret, scrubSecrets } from './mask'
import type { ProviderRecord } from './store'

/** Fields shown masked in every answer. */
export const SECRET_FIELDS = PROVIDER_SECRET_FIELDS

/** A provider as the admin API shows it: its config with secrets masked, and where it comes from. */
export type ProviderView = { name: string } & ProviderConfig & {
    source: 'config' | 'api'
    created_at?: string
    updated_at?: string
    /** The circuit breaker's state in this process (absent until the provider serves). */
    health?: BreakerSnapshot
  }

const NAME = new RegExp(NAME_PATTERN)

export async function listProviders(ctx: AdminDeps): Promise<ProviderView[]> {
  const config = ctx.config.providers
  const fromConfig = Object.entries(config).map(([name, provider]) => viewOf(name, provider, 'config'))
  const fromApi = (await ctx.admin.providers()).filter((r) => !Object.hasOwn(config, r.name)).map(viewOfRecord)
  return [...fromConfig, ...fromApi].map((view) => withHealth(ctx, view))
}

export async function showProvider(ctx: AdminDeps, name: string): Promise<ProviderView> {
  const inConfig = configProvider(ctx, name)
  if (inConfig) return withHealth(ctx, viewOf(name, inConfig, 'config'))
  const record = await ctx.admin.provider(name)
  if (!record) throw providerNotFound(name)
  return withHealth(ctx, viewOfRecord(record))
}

export async function addProvider(ctx: AdminDeps, body: Record<string, unknown>): Promise<ProviderView> {
  const { name: rawName, ...given } = body
  const name = checkName(rawName)
  const fields = withoutNulls(given)
  let config = validated(ctx, fields, fields.models === undefined)
  if (configProvider(ctx, name)) throw alreadyExists(`A provider named '${name}' is defined in the config file.`)
  if (await ctx.admin.provider(name)) throw alreadyExists(`A provider named '${name}' already exists.`)
  if (config.models.length === 0) config = validated(ctx, { ...fields, models: await discover(name, config) }, false)
  const now = new Date().toISOString()
  const record: ProviderRecord = { name, config, created_at: now, updated_at: now }
  if (!(await ctx.admin.addProvider(record))) throw alreadyExists(`A provider named '${name}' already exists.`)
  await ctx.live.changed()
  return withHealth(ctx, viewOfRecord(record))
}

/** Any subset of the fields; null removes one (back to its default). Re-validated as a whole. */
export async function changeProvider(
  ctx: AdminDeps,
  name: string,
  body: Record<string, unknown>,
): Promise<ProviderView> {
  if (configProvider(ctx, name)) throw readOnly(name)
  const record = await ctx.admin.provider(name)
  if (!record) throw providerNotFound(name)
  const { name: rename, ...patch } = body
  if (rename !== undefined && rename !== name)
    throw invalidField(
      'name',
      `a provider cannot be renamed; create ${typeof rename === 'string' ? `'${rename}'` : 'a new one'} and delete '${name}'`,
    )
  const merged: Record<string, unknown> = withoutKindDefaults(record.config)
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete merged[field]
    // A listing's masked secret sent back unchanged (GET, edit, PATCH) keeps the secret.
    else if (
      isSecretField(field) &&
      typeof value === 'string' &&
      record.config[field] !== undefined &&
      value === maskSecret(record.config[field]!)
    )
      merged[field] = record.config[field]
    // Defined, not assigned: a field named "__proto__" must stay a field for validation to refuse.
    else Object.defineProperty(merged, field, { value, enumerable: true, writable: true, configurable: true })
  }
  const updated: ProviderRecord = {
    ...record,
    config: validated(ctx, merged, false),
    updated_at: new Date().toISOString(),
  }
  await ctx.admin.putProvider(updated)
  await ctx.live.changed()
  return withHealth(ctx, viewOfRecord(updated))
}

export async function removeProvider(ctx: AdminDeps, name: string): Promise<void> {
  if (configProvider(ctx, name)) throw readOnly(name)
  // The reload guard's first rule (admin/live.ts), for the API: the last provider served is not removed
  // unless the config file allows it, since afterwards every model answers 404.
  const breakers = ctx.registry.breakers
  if (!ctx.config.allow_unsafe_reload && breakers.size === 1 && breakers.has(name))
    throw new GatewayError(
      409,
      'invalid_request_error',
      'unsafe_change',
      `Provider '${name}' is the last one serving; without it every model answers 404. Add another provider first, or set allow_unsafe_reload = true in the config file (and send SIGHUP).`,
    )
  if (!(await ctx.admin.deleteProvider(name))) throw providerNotFound(name)
  await ctx.live.changed()
}

// --- internal ---

function configProvider(ctx: AdminDeps, name: string): ProviderConfig | undefined {
  return Object.hasOwn(ctx.config.providers, name) ? ctx.config.providers[name] : undefined
}

function viewOf(name: string, config: ProviderConfig, source: 'config' | 'api'): ProviderView {
  const view: ProviderView = { name, ...config, source }
  for (const field of SECRET_FIELDS) if (view[field] !== undefined) view[field] = maskSecret(view[field]!)
  return view
}

function withHealth(ctx: AdminDeps, view: ProviderView): ProviderView {
  const breaker = ctx.registry.breakers.get(view.name)
  return breaker ? { ...view, health: breaker.snapshot() } : view
}

function viewOfRecord(record: ProviderRecord): ProviderView {
  return { ...viewOf(record.name, record.config, 'api'), created_at: record.created_at, updated_at: record.updated_at }
}

function isSecretField(field: string): field is (typeof SECRET_FIELDS)[number] {
  return (SECRET_FIELDS as readonly string[]).includes(field)
}

function checkName(name: unknown): string {
  if (name === undefined || name === null) throw invalidField('name', 'is required')
  if (typeof name !== 'string' || !NAME.test(name))
    throw invalidField('name', 'must be 1 to 64 characters of letters, digits, ".", "_" or "-"')
  return name
}

/** The fields checked as a [providers.<name>] table is (config/load.ts), plus the aliases rule. */
function validated(ctx: AdminDeps, fields: Record<string, unknown>, discover: boolean): ProviderConfig {
  const result = validateProvider(fields, PROVIDER_RULES, { discover })
  if (!result.ok) {
    const { field, problem, fix } = result.issue
    // Fixes written as TOML (`models = ["model-name"]`) do not apply to a JSON body.
    throw invalidField(field, fix && !fix.includes('=') ? `${problem}; ${fix}` : problem)
  }
  const alias = result.config.models.find((model) => Object.hasOwn(ctx.config.aliases, model))
  if (alias !== undefined)
    throw invalidField(
      'models',
      `"${alias}" is an alias in the config file, so requests for it never reach a provider; use another name`,
    )
  return result.config
}

/** The upstream's models; its errors come back with their status and message, secrets scrubbed. */
async function discover(name: string, config: ProviderConfig): Promise<string[]> {
  let models: string[]
  try {
    models = await discoverModels(name, config)
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err
    const message = scrubSecrets(
      err.message,
      SECRET_FIELDS.map((field) => config[field]),
    )
    throw new GatewayError(err.status, err.type, err.code, message, err.param)
  }
  if (models.length === 0) throw invalidField('models', `the upstream of provider '${name}' lists no models; give them`)
  return models
}

/**
 * The stored config without what its kind filled in (base_url, echo's models), so that a PATCH of
 * kind or region gets the new kind's defaults instead of keeping the old ones.
 */
function withoutKindDefaults(config: ProviderConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config }
  if (normalizeProvider({ ...config, base_url: undefined }).config.base_url === config.base_url) delete out.base_url
  const models = normalizeProvider({ ...config, models: [] }).config.models
  if (models.length > 0 && models.join('\n') === config.models.join('\n')) delete out.models
  return out
}

function withoutNulls(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null))
}

/** 400 naming the field (param), as the config loader names it relative to the provider. */
function invalidField(field: string, problem: string): GatewayError {
  return badRequest(`Invalid '${field}': ${problem}${/[.?!]$/.test(problem) ? '' : '.'}`, field || null)
}

const providerNotFound = (name: string) =>
  new GatewayError(404, 'not_found_error', 'provider_not_found', `No provider is named '${name}'.`)

const alreadyExists = (message: string) => new GatewayError(409, 'invalid_request_error', 'already_exists', message)

const readOnly = (name: string) =>
  new GatewayError(
    409,
    'invalid_request_error',
    'read_only',
    `Provider '${name}' comes from the config file and is read-only here; edit the config file (and send SIGHUP) to change it.`,
  )
