// The dashboard's only way to the gateway: the documented admin API (and GET /v1/budget), same origin,
// with the admin token as a Bearer header. Every failure becomes an ApiError carrying the gateway's
// OpenAI-shaped error (status, code, message, param). The answer types are the server's own TypeBox
// schemas (type-only imports: nothing of them reaches the bundle).
import type { Static } from '@sinclair/typebox'
import type { CreatedKeySchema, KeyViewSchema, ProviderViewSchema, StatsSchema } from '../../wire/admin'
import type { AuditRecordSchema, BudgetRowSchema, LogPageSchema } from '../../wire/extensions'

export type Stats = Static<typeof StatsSchema>
export type StatsRow = Stats['providers'][number]
export type KeyView = Static<typeof KeyViewSchema>
export type CreatedKey = Static<typeof CreatedKeySchema>
export type ProviderView = Static<typeof ProviderViewSchema>
export type AuditRecord = Static<typeof AuditRecordSchema>
export type LogPage = Static<typeof LogPageSchema>
export type BudgetRow = Static<typeof BudgetRowSchema>

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message)
  }
}

export interface Api {
  get<T>(path: string): Promise<T>
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T>
}

/** `onUnauthorized` runs when the token stops being accepted (changed on the server, or wrong). */
export function createApi(token: string, onUnauthorized: (error: ApiError) => void): Api {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      })
    } catch {
      throw new ApiError(
        0,
        'network_error',
        'The gateway did not answer. Is it running, and is this page served by it?',
      )
    }
    const text = await response.text()
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    if (!response.ok) {
      const error = (json as { error?: { message?: string; code?: string | null; param?: string | null } } | undefined)
        ?.error
      const failure = new ApiError(
        response.status,
        error?.code ?? null,
        error?.message ?? `The gateway answered ${response.status}.`,
        error?.param ?? null,
      )
      if (response.status === 401) onUnauthorized(failure)
      throw failure
    }
    return json as T
  }
  return {
    get: (path) => call('GET', path),
    send: (method, path, body) => call(method, path, body),
  }
}

/** Checks a token the way every page will use it; resolves when it is the admin token. */
export async function checkToken(token: string): Promise<void> {
  await createApi(token, () => {}).get('/v1/admin/stats?window=1h&top=1')
}

/** What the login form says about a refused token, in words an operator can act on. */
export function loginProblem(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Signing in failed unexpectedly. Reload the page and try again.'
  if (error.status === 401)
    return 'Wrong admin token: the gateway refused it. Use the admin_token from its config file.'
  if (error.code === 'admin_api_disabled')
    return 'The admin API is off on this gateway: set admin_token in its config file, then restart it (or send SIGHUP).'
  return error.message
}

export const enc = encodeURIComponent
