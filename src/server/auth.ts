// Bearer / x-api-key → Principal. Keys are looked up by their SHA-256 digest, so the lookup does not
// compare secrets byte by byte, and the secret itself is never kept in a map or echoed in an error.
import type { KeyConfig } from '../config/schema'
import { invalidApiKey, missingApiKey, modelNotAllowed } from './errors'

/** Who is calling: a key's name and the models it may use. */
export interface Principal {
  readonly name: string
  /** Exact canonical model names, or '*' for all. */
  readonly models: '*' | ReadonlySet<string>
}

export interface Authenticator {
  /** False when no keys and no admin token are configured: every request is anonymous. */
  readonly enabled: boolean
  authenticate(request: Request): Principal
}

export const ANONYMOUS: Principal = { name: 'anonymous', models: '*' }
const ADMIN: Principal = { name: 'admin', models: '*' }

/** Names no [[keys]] entry may take: they stand for the admin token and for callers when auth is off. */
export const RESERVED_KEY_NAMES = ['admin', 'anonymous'] as const

/** True for the admin token's principal (by identity, so no key can pass as it). */
export function isAdmin(principal: Principal): boolean {
  return principal === ADMIN
}

export function createAuthenticator(keys: readonly KeyConfig[], adminToken: string | undefined): Authenticator {
  const byDigest = new Map<string, Principal>()
  for (const key of keys) byDigest.set(digest(key.key), { name: key.name, models: key.models.includes('*') ? '*' : new Set(key.models) })
  if (adminToken) byDigest.set(digest(adminToken), ADMIN)
  const enabled = byDigest.size > 0
  return {
    enabled,
    authenticate(request) {
      if (!enabled) return ANONYMOUS
      const secret = presentedKey(request)
      if (secret === undefined) throw missingApiKey()
      const principal = byDigest.get(digest(secret))
      if (!principal) throw invalidApiKey()
      return principal
    },
  }
}

export function allows(principal: Principal, model: string): boolean {
  return principal.models === '*' || principal.models.has(model)
}

export function assertAllowed(principal: Principal, model: string): void {
  if (!allows(principal, model)) throw modelNotAllowed(model)
}

/** `Authorization: Bearer <key>` (scheme case-insensitive) or `x-api-key: <key>`. */
export function presentedKey(request: Request): string | undefined {
  const authorization = request.headers.get('authorization')
  if (authorization) {
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match) return match[1]
  }
  const apiKey = request.headers.get('x-api-key')
  return apiKey ? apiKey.trim() : undefined
}

function digest(secret: string): string {
  return new Bun.CryptoHasher('sha256').update(secret).digest('base64')
}
