// What a client's `Cache-Control` request header asks of the gateway's cache (RFC 9111 §5.2.1):
// `no-cache` skips the lookup (the fresh answer is still stored), `no-store` skips lookup and store.

export interface CacheDirectives {
  readonly lookup: boolean
  readonly store: boolean
}

const DEFAULT: CacheDirectives = { lookup: true, store: true }

export function cacheDirectives(request: Request): CacheDirectives {
  const header = request.headers.get('cache-control')
  if (!header) return DEFAULT
  let lookup = true
  let store = true
  for (const part of header.split(',')) {
    const directive = part.trim().toLowerCase().split('=', 1)[0]
    if (directive === 'no-cache') lookup = false
    else if (directive === 'no-store') lookup = store = false
  }
  return { lookup, store }
}
