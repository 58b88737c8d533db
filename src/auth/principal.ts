// Who is calling: the Principal a key (or the admin token, or nobody when auth is off) stands for, and
// what it may do. The authenticator (authenticator.ts) makes them; the relay, extensions and admin read them.
import type { KeyRateLimit } from '../config/schema'
import { modelNotAllowed } from '../core/errors'

/** Who is calling: a key's identity and name, the models it may use, and its own limits. */
export interface Principal {
  /**
   * What the key's counters (usage, spend, rate limits) are kept under: `key_` and 16 hex digits of the
   * secret's SHA-256 (keyIdOf), for config-file and API keys alike, so a key deleted and made again
   * under the same name (a new secret) starts from zero. 'admin' and 'anonymous' for those two.
   */
  readonly id: string
  /** What listings, errors and logs show. */
  readonly name: string
  /** Exact canonical model names, or '*' for all. */
  readonly models: '*' | ReadonlySet<string>
  /** The key's own rate limit (overrides [extensions.rate_limit] field by field). */
  readonly rateLimit?: KeyRateLimit
  /** The key's own budget in USD (overrides [extensions.budget]). */
  readonly budgetUsd?: number
  /** ms since epoch after which the key is refused. */
  readonly expiresAt?: number
  /** Model requests this key may have in flight at once (429 beyond). */
  readonly maxInflight?: number
  /** Where the key comes from: the config file, or the admin API. */
  readonly source?: 'config' | 'api'
}

export const ANONYMOUS: Principal = { id: 'anonymous', name: 'anonymous', models: '*' }
export const ADMIN: Principal = { id: 'admin', name: 'admin', models: '*' }

/** Names no [[keys]] entry may take: they stand for the admin token and for callers when auth is off. */
export const RESERVED_KEY_NAMES = ['admin', 'anonymous'] as const

/** True for the admin token's principal (by identity, so no key can pass as it). */
export function isAdmin(principal: Principal): boolean {
  return principal === ADMIN
}

export function allows(principal: Principal, model: string): boolean {
  return principal.models === '*' || principal.models.has(model)
}

export function assertAllowed(principal: Principal, model: string): void {
  if (!allows(principal, model)) throw modelNotAllowed(model)
}
