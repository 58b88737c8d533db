// Cross-origin browser access ([cors]): the Access-Control-* headers on every answer to an allowed
// Origin, and the 204 answer to its preflights (on any path, before auth). Off unless configured:
// without [cors] createApp mounts none of this, so requests pay nothing and answers carry no CORS headers.
// A request from an origin not in the list is served as if [cors] were absent (no CORS headers; its
// preflight meets the ordinary routes and their 404/405), so the browser refuses it.
// Fetch standard, "CORS protocol": https://fetch.spec.whatwg.org/#http-cors-protocol
import type { Elysia } from 'elysia'
import type { Config } from '../config/schema'

export type CorsConfig = NonNullable<Config['cors']>

/** Request headers every preflight allows (what the OpenAI and Anthropic clients send). */
export const CORS_ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'x-request-id',
] as const

/** Answer headers a browser script may read: the request id, rate limits, Retry-After, our own. */
export const CORS_EXPOSE_HEADERS = [
  'x-request-id',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'retry-after',
  'x-crabllm-cache',
  'x-crabllm-truncated',
] as const

export const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PATCH, DELETE, OPTIONS'

export interface Cors {
  /** The value of Access-Control-Allow-Origin for this request's Origin, or undefined when not allowed. */
  allowedOrigin(request: Request): string | undefined
  /** The 204 answer to a preflight from an allowed origin; undefined for anything else. */
  preflight(request: Request): Response | undefined
  /** Adds the CORS headers for this request to an answer (in place; rebuilt only if its headers are frozen). */
  decorate(request: Request, response: Response): Response
}

export function createCors(config: CorsConfig): Cors {
  const any = config.origins.includes('*')
  const origins = new Set(config.origins)
  const expose = CORS_EXPOSE_HEADERS.join(', ')
  const maxAge = String(config.max_age)
  const allowedOrigin = (request: Request) => {
    const origin = request.headers.get('origin')
    if (origin === null) return undefined
    if (any) return '*'
    return origins.has(origin) ? origin : undefined
  }
  return {
    allowedOrigin,
    preflight(request) {
      // A preflight is an OPTIONS with Origin and Access-Control-Request-Method (Fetch, "CORS-preflight request").
      if (request.method !== 'OPTIONS' || !request.headers.has('access-control-request-method')) return undefined
      const origin = allowedOrigin(request)
      if (origin === undefined) return undefined
      return new Response(null, {
        status: 204,
        headers: {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': CORS_ALLOW_METHODS,
          'access-control-allow-headers': allowHeaders(request.headers.get('access-control-request-headers')),
          'access-control-max-age': maxAge,
          vary: 'origin, access-control-request-method, access-control-request-headers',
        },
      })
    },
    decorate(request, response) {
      const origin = allowedOrigin(request)
      try {
        addVaryOrigin(response.headers)
        if (origin !== undefined) {
          response.headers.set('access-control-allow-origin', origin)
          response.headers.set('access-control-expose-headers', expose)
        }
        return response
      } catch {
        // Frozen headers (a Response we did not build): copy them once.
        const headers = new Headers(response.headers)
        addVaryOrigin(headers)
        if (origin !== undefined) {
          headers.set('access-control-allow-origin', origin)
          headers.set('access-control-expose-headers', expose)
        }
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
      }
    },
  }
}

/**
 * The app-level hooks, mounted only when [cors] is configured: preflights are answered before routing
 * (so before auth), and every answer a route returns gets the headers on the Response it built (never
 * through `set.headers`, which would make Elysia rebuild and re-stream it: H1). Answers made by the
 * app's onError are decorated there (app.ts).
 */
export function corsHooks(cors: Cors) {
  return (app: Elysia) =>
    app
      .onRequest(({ request }) => cors.preflight(request))
      .onAfterHandle({ as: 'global' }, ({ request, response, set }) => {
        if (response instanceof Response) {
          const decorated = cors.decorate(request, response)
          return decorated === response ? undefined : decorated
        }
        // Not a Response (no route of ours does this): the headers go through set.
        const origin = cors.allowedOrigin(request)
        set.headers.vary = 'origin'
        if (origin !== undefined) {
          set.headers['access-control-allow-origin'] = origin
          set.headers['access-control-expose-headers'] = CORS_EXPOSE_HEADERS.join(', ')
        }
        return undefined
      })
}

// --- internal ---

/** RFC 9110 field-name token, and a bound on what one preflight may ask for. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/
const MAX_REQUESTED = 32

/**
 * The base list plus the headers this preflight asks for (client SDKs add their own, such as
 * x-stainless-*): the origin is already trusted, and every route still checks the key.
 */
function allowHeaders(requested: string | null): string {
  const out = new Set<string>(CORS_ALLOW_HEADERS)
  if (requested)
    for (const raw of requested.split(',').slice(0, MAX_REQUESTED)) {
      const name = raw.trim().toLowerCase()
      if (TOKEN.test(name)) out.add(name)
    }
  return [...out].join(', ')
}

function addVaryOrigin(headers: Headers): void {
  const vary = headers.get('vary')
  if (vary === null) headers.set('vary', 'origin')
  else if (!/(^|,)\s*(origin|\*)\s*(,|$)/i.test(vary)) headers.set('vary', `${vary}, origin`)
}
