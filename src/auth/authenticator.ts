// Bearer / x-api-key → Principal. Keys are looked up by their SHA-256 digest, so the lookup does not
// compare secrets byte by byte, and the secret itself is never kept in a map or echoed in an error.
// Keys from the config file and keys created through the admin API (stored as digests only) share one
// map; the admin token is compared separately, in constant time. A key's id (what its counters are
// kept under) is derived from the same digest: a new secret is a new key, whatever its name.
import { timingSafeEqual } from 'node:crypto'
import type { KeyConfig, KeyRateLimit } from '../config/schema'
import { invalidApiKey, missingApiKey } from '../core/errors'
import { ADMIN, ANONYMOUS, type Principal } from './principal'

/** A key created through the admin API, as the authenticator needs it: its digest, never the secret. */
export interface StoredKey {
  /** keyIdOf(hash), stored at creation; records made before ids existed have none and get the same. */
  id?: string
  name: string
  /** base64 SHA-256 of the secret. */
  hash: string
  models: string[]
  rate_limit?: KeyRateLimit
  budget?: number
  /** ISO time after which the key is refused. */
  expires_at?: string
  max_inflight?: number
}

export interface Authenticator {
  /** False when no keys and no admin token are configured: every request is anonymous. */
  readonly enabled: boolean
  authenticate(request: Request): Principal
  /** Every key's principal (config and API), for listings such as GET /v1/budget. */
  readonly principals: readonly Principal[]
}

export function createAuthenticator(
  keys: readonly KeyConfig[],
  adminToken: string | undefined,
  stored: readonly StoredKey[] = [],
): Authenticator {
  const byDigest = new Map<string, Principal>()
  for (const key of keys) {
    const hash = digest(key.key)
    byDigest.set(hash, {
      id: keyIdOf(hash),
      name: key.name,
      models: modelSet(key.models),
      source: 'config',
      ...(key.rate_limit ? { rateLimit: key.rate_limit } : {}),
      ...(key.max_inflight !== undefined ? { maxInflight: key.max_inflight } : {}),
    })
  }
  for (const key of stored) {
    const principal: Principal = {
      id: typeof key.id === 'string' && key.id ? key.id : keyIdOf(key.hash),
      name: key.name,
      models: modelSet(key.models),
      source: 'api',
      ...(key.rate_limit ? { rateLimit: key.rate_limit } : {}),
      ...(key.budget !== undefined ? { budgetUsd: key.budget } : {}),
      ...(key.expires_at ? { expiresAt: Date.parse(key.expires_at) } : {}),
      ...(key.max_inflight !== undefined ? { maxInflight: key.max_inflight } : {}),
    }
    byDigest.set(key.hash, principal)
  }
  const adminDigest = adminToken ? Buffer.from(digest(adminToken), 'base64') : undefined
  const enabled = byDigest.size > 0 || adminDigest !== undefined
  return {
    enabled,
    principals: [...byDigest.values()],
    authenticate(request) {
      if (!enabled) return ANONYMOUS
      const secret = presentedKey(request)
      if (secret === undefined) throw missingApiKey()
      const hashed = digestBytes(secret)
      if (adminDigest && timingSafeEqual(hashed, adminDigest)) return ADMIN
      const principal = byDigest.get(hashed.toString('base64'))
      if (!principal) throw invalidApiKey()
      if (principal.expiresAt !== undefined && principal.expiresAt <= Date.now())
        throw invalidApiKey('This API key has expired.')
      return principal
    },
  }
}

/** Constant-time comparison of two secrets (through their digests, so lengths do not leak). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digestBytes(a), digestBytes(b))
}

/** base64 SHA-256 of a secret: how keys are looked up, and how API keys are stored. */
export function digest(secret: string): string {
  return digestBytes(secret).toString('base64')
}

/**
 * A key's id from the base64 digest of its secret: `key_` and the first 16 hex digits (64 bits) of the
 * SHA-256. Not a secret (a listing shows it), and it cannot be turned back into one; like the digest, it
 * would let a guessable secret be checked offline, so secrets are never short words (generateKey).
 */
export function keyIdOf(hash: string): string {
  return `key_${Buffer.from(hash, 'base64').subarray(0, 8).toString('hex')}`
}

/** SHA-256 of a secret as bytes (Bun's one-shot hash: no hasher object per request). */
function digestBytes(secret: string): Buffer {
  const bytes = Bun.SHA256.hash(secret) as Uint8Array
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function modelSet(models: readonly string[]): '*' | ReadonlySet<string> {
  return models.includes('*') ? '*' : new Set(models)
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
