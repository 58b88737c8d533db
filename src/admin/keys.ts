// The admin API's keys: those of the config file (listed, read-only) and those made through the API.
// An API key's secret (generateKey: sk- + 48 base62 characters from the CSPRNG) is returned once, by
// create; the admin store keeps its SHA-256 digest and the parts a listing shows (first 7 and last 4
// characters). Every change is stored, then swapped in by ctx.live.changed(): the authenticator is
// rebuilt, so a revoked key, or one whose models changed, is judged by the new table on its next
// request (and other instances follow through the store's change notice).
//
// Every key has an id (keyIdOf: from the digest of its secret), stored with an API key at creation and
// shown by every view: the key's usage, spend and rate-limit counters are kept under it, so a key
// deleted and made again under the same name starts from zero.
import { digest, keyIdOf, RESERVED_KEY_NAMES } from '../auth'
import { generateKey } from '../config/generate-key'
import type { KeyConfig } from '../config/schema'
import { badRequest, GatewayError } from '../core/errors'
import {
  type CreatedKey,
  CreateKeyBodySchema,
  type KeyView,
  REMOVABLE_KEY_FIELDS,
  UpdateKeyFieldsSchema,
} from '../wire/admin'
import { checkBody } from './body'
import type { AdminDeps } from './deps'
import type { KeyRecord } from './store'

/** How many leading characters of a secret a listing shows ("sk-AbCd"). */
export const SHOWN_PREFIX = 7
/** Secrets shorter than this (possible only in the config file) show as "****". */
const MASK_FROM = 24

/** `sk-AbCd…wxyz`: the first 7 and last 4 characters; "****" when that would show too much of it. */
export function maskKey(secret: string): string {
  return secret.length < MASK_FROM ? '****' : `${secret.slice(0, SHOWN_PREFIX)}…${secret.slice(-4)}`
}

/** A key as the admin API shows it: the wire's view plus its id. */
export type IdentifiedKeyView = KeyView & { id: string }

export async function listKeys(ctx: AdminDeps): Promise<IdentifiedKeyView[]> {
  const config = ctx.config.keys
  const now = Date.now()
  const fromApi = (await ctx.admin.keys())
    .filter((r) => !config.some((k) => k.name === r.name))
    .map((r) => viewOfRecord(r, now))
  return [...config.map(viewOfConfig), ...fromApi]
}

export async function showKey(ctx: AdminDeps, name: string): Promise<IdentifiedKeyView> {
  const inConfig = configKey(ctx, name)
  if (inConfig) return viewOfConfig(inConfig)
  const record = await ctx.admin.key(name)
  if (!record) throw keyNotFound(name)
  return viewOfRecord(record, Date.now())
}

export async function createKey(ctx: AdminDeps, body: Record<string, unknown>): Promise<CreatedKey & { id: string }> {
  const fields = checkBody(CreateKeyBodySchema, body)
  const { name } = fields
  if ((RESERVED_KEY_NAMES as readonly string[]).includes(name))
    throw badRequest(
      `name: "${name}" is reserved (it stands for the admin token or for callers when auth is off); choose another.`,
      'name',
    )
  const expiresAt = fields.expires_at === undefined ? undefined : futureTime(fields.expires_at)
  if (configKey(ctx, name))
    throw alreadyExists(`A key named '${name}' is defined in the config file; choose another name.`)
  if (await ctx.admin.key(name))
    throw alreadyExists(`A key named '${name}' already exists; choose another name, or delete it first.`)
  const secret = generateKey()
  const hash = digest(secret)
  const now = new Date().toISOString()
  const record: KeyRecord = {
    id: keyIdOf(hash),
    name,
    hash,
    prefix: secret.slice(0, SHOWN_PREFIX),
    last4: secret.slice(-4),
    models: fields.models ?? ['*'],
    ...(fields.rate_limit ? { rate_limit: fields.rate_limit } : {}),
    ...(fields.budget !== undefined ? { budget: fields.budget } : {}),
    ...(expiresAt ? { expires_at: expiresAt } : {}),
    ...(fields.max_inflight !== undefined ? { max_inflight: fields.max_inflight } : {}),
    created_at: now,
    updated_at: now,
  }
  if (!(await ctx.admin.addKey(record)))
    throw alreadyExists(`A key named '${name}' already exists; choose another name, or delete it first.`)
  await ctx.live.changed()
  ctx.log.info('admin: key created', { key: name, models: record.models.join(','), expires_at: record.expires_at })
  const { name: _name, expired: _expired, ...view } = viewOfRecord(record, Date.now())
  return { name, key: secret, ...view, source: 'api', created_at: now, updated_at: now }
}

/** Any subset of models, rate_limit, budget, expires_at, max_inflight; null removes any but models. */
export async function updateKey(
  ctx: AdminDeps,
  name: string,
  body: Record<string, unknown>,
): Promise<IdentifiedKeyView> {
  if (configKey(ctx, name)) throw readOnly(name)
  const record = await ctx.admin.key(name)
  if (!record) throw keyNotFound(name)
  const { name: rename, ...patch } = body
  if (rename !== undefined && rename !== name)
    throw badRequest(`name: a key cannot be renamed; create a new key and delete '${name}'.`, 'name')
  const removed = REMOVABLE_KEY_FIELDS.filter((field) => patch[field] === null)
  for (const field of removed) delete patch[field]
  const fields = checkBody(UpdateKeyFieldsSchema, patch)
  if (Object.keys(fields).length === 0 && removed.length === 0) return viewOfRecord(record, Date.now())
  const updated: KeyRecord = { ...record }
  for (const field of removed) delete updated[field]
  if (fields.models !== undefined) updated.models = fields.models
  if (fields.rate_limit !== undefined) updated.rate_limit = fields.rate_limit
  if (fields.budget !== undefined) updated.budget = fields.budget
  if (fields.max_inflight !== undefined) updated.max_inflight = fields.max_inflight
  if (fields.expires_at !== undefined) updated.expires_at = futureTime(fields.expires_at)
  updated.updated_at = new Date().toISOString()
  await ctx.admin.putKey(updated)
  await ctx.live.changed()
  ctx.log.info('admin: key updated', { key: name, fields: [...Object.keys(fields), ...removed].join(',') })
  return viewOfRecord(updated, Date.now())
}

/**
 * Revokes an API key: refused from its next request on, and for good: its digest is remembered, so that
 * storage restored from an older state cannot bring it back (admin/live.ts).
 */
export async function revokeKey(ctx: AdminDeps, name: string): Promise<void> {
  if (configKey(ctx, name)) throw readOnly(name)
  // A record that is not JSON (a hand edit) is still deleted; it has no digest to remember.
  const hash = await ctx.admin.key(name).then(
    (record) => record?.hash,
    () => undefined,
  )
  if (!(await ctx.admin.deleteKey(name))) throw keyNotFound(name)
  await ctx.live.changed(typeof hash === 'string' ? { revoked: hash } : undefined)
  ctx.log.info('admin: key revoked', { key: name })
}

// --- internal ---

function configKey(ctx: AdminDeps, name: string): KeyConfig | undefined {
  return ctx.config.keys.find((k) => k.name === name)
}

function viewOfConfig(key: KeyConfig): IdentifiedKeyView {
  return {
    id: keyIdOf(digest(key.key)),
    name: key.name,
    masked: maskKey(key.key),
    models: key.models,
    ...(key.rate_limit ? { rate_limit: key.rate_limit } : {}),
    ...(key.max_inflight !== undefined ? { max_inflight: key.max_inflight } : {}),
    expired: false,
    source: 'config',
  }
}

function viewOfRecord(record: KeyRecord, now: number): IdentifiedKeyView {
  return {
    id: typeof record.id === 'string' && record.id ? record.id : keyIdOf(record.hash),
    name: record.name,
    masked: `${record.prefix}…${record.last4}`,
    models: record.models,
    ...(record.rate_limit ? { rate_limit: record.rate_limit } : {}),
    ...(record.budget !== undefined ? { budget: record.budget } : {}),
    ...(record.expires_at ? { expires_at: record.expires_at } : {}),
    ...(record.max_inflight !== undefined ? { max_inflight: record.max_inflight } : {}),
    expired: record.expires_at !== undefined && Date.parse(record.expires_at) <= now,
    source: 'api',
    created_at: record.created_at,
    updated_at: record.updated_at,
  }
}

/** An expires_at the schema let through, as a UTC ISO string, if it is a real date in the future. */
function futureTime(value: string): string {
  const ms = Date.parse(value)
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number]
  const calendar = new Date(Date.UTC(year, month - 1, day))
  if (Number.isNaN(ms) || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day)
    throw badRequest('expires_at: is not a real date and time.', 'expires_at')
  if (ms <= Date.now())
    throw badRequest('expires_at: must be in the future; to stop a key now, delete it.', 'expires_at')
  return new Date(ms).toISOString()
}

const keyNotFound = (name: string) =>
  new GatewayError(404, 'not_found_error', 'key_not_found', `No key is named '${name}'.`)

const alreadyExists = (message: string) => new GatewayError(409, 'invalid_request_error', 'already_exists', message)

const readOnly = (name: string) =>
  new GatewayError(
    409,
    'invalid_request_error',
    'read_only',
    `Key '${name}' comes from the config file and is read-only here; edit the config file (and send SIGHUP, or restart) to change or remove it.`,
  )
