// Who may use the admin API (/v1/admin/*): the admin token only, sent like a key
// (`Authorization: Bearer <admin_token>` or `x-api-key`) and compared in constant time by the
// authenticator (src/auth/authenticator.ts). The admin API exists only when admin_token is configured:
// without it every /v1/admin route answers 404 with a message saying to set admin_token. With it, no
// key, a wrong key, or any other valid key is 401 (the key is never echoed).
import { isAdmin, presentedKey } from '../auth'
import { echo, GatewayError } from '../core/errors'
import type { AdminDeps } from './deps'

/** Throws the admin API's 404 (not enabled) or 401 (not the admin token); returns for the admin token. */
export function requireAdmin(ctx: AdminDeps, request: Request): void {
  if (!ctx.config.admin_token)
    throw adminApiDisabled(request.method, new URL(request.url, 'http://invalid-host').pathname)
  const presented = presentedKey(request) !== undefined
  let admin = false
  try {
    admin = isAdmin(ctx.auth.authenticate(request))
  } catch (err) {
    if (!(err instanceof GatewayError) || err.status !== 401) throw err
  }
  if (!admin) throw adminTokenRequired(presented)
}

export const adminApiDisabled = (method: string, path: string) =>
  new GatewayError(
    404,
    'invalid_request_error',
    'admin_api_disabled',
    `Unknown route: ${echo(method)} ${echo(path)}. The admin API is off: set admin_token in the config file to enable it.`,
  )

export const adminTokenRequired = (presented: boolean) =>
  new GatewayError(
    401,
    'authentication_error',
    presented ? 'invalid_api_key' : 'missing_api_key',
    presented
      ? 'The admin API needs the admin token, and the key sent is not it. Send "Authorization: Bearer <admin_token>".'
      : 'The admin API needs the admin token. Send "Authorization: Bearer <admin_token>".',
  )
