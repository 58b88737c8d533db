// The extensions' routes as the inspection commands (`usage`, `budget`, `logs`, `cache clear`) call
// them: through the admin client (same token, errors and exit codes as `keys`), with the 404 of a route
// whose extension is off turned into one line naming the config section to add.
import { type AdminClient, AdminError, type Answer } from './admin-client'

export interface ExtensionRoute {
  method: 'GET' | 'DELETE'
  /** The route's path, e.g. /v1/usage or /v1/admin/logs. */
  path: string
  /** The `[extensions.<name>]` section that serves it. */
  extension: string
  /** What is off, for the message: "usage", "the audit log". */
  what: string
}

export const USAGE_ROUTE: ExtensionRoute = { method: 'GET', path: '/v1/usage', extension: 'usage', what: 'usage' }
export const BUDGET_ROUTE: ExtensionRoute = { method: 'GET', path: '/v1/budget', extension: 'budget', what: 'budget' }
export const LOGS_ROUTE: ExtensionRoute = {
  method: 'GET',
  path: '/v1/admin/logs',
  extension: 'audit',
  what: 'the audit log',
}
export const CACHE_ROUTE: ExtensionRoute = {
  method: 'DELETE',
  path: '/v1/cache',
  extension: 'cache',
  what: 'the cache',
}

/** One call to an extension's route; `query` is appended as is. */
export async function callExtension<T>(
  client: AdminClient,
  route: ExtensionRoute,
  query?: URLSearchParams,
): Promise<Answer<T>> {
  const search = query?.size ? `?${query}` : ''
  try {
    return await client.call<T>(route.method, route.path + search)
  } catch (err) {
    // `not_found` is the gateway's unknown-route code; the admin API being off (admin_api_disabled) and
    // every other 404 keep their own message.
    if (err instanceof AdminError && err.status === 404 && err.code === 'not_found')
      throw new AdminError(
        `${route.what} is off: add [extensions.${route.extension}] to crabllm.toml`,
        404,
        'extension_off',
      )
    throw err
  }
}

// --- internal ---
