// The one HTTP request to an upstream, for every kind: the kind's URL and headers (precomputed, H5),
// the call's x-request-id, the body, the call's signal; optionally signed (Bedrock's SigV4); redirects
// never followed and answers never inflated. Both the passthrough (passthrough.ts) and the translating
// exchange (exchange.ts) send through it.
import type { Endpoint } from '../core/endpoint'
import type { UpstreamCall } from './provider'

/** Where and how a kind's calls go upstream. */
export interface HttpTarget {
  /** The full URL of a call (cache it with urlCache: built once per endpoint, model and stream flag). */
  url(call: UpstreamCall): string
  /** Credentials and fixed headers; the client's headers never reach the upstream. */
  headers(call: UpstreamCall): Readonly<Record<string, string>>
  /** Signs the request (AWS SigV4): returns every header to send, signature included. */
  sign?(request: { url: string; headers: Record<string, string>; body: Uint8Array }): Promise<Record<string, string>>
}

/**
 * POSTs `body` for `call`; `contentType` replaces the target's (a multipart body's boundary). Not an
 * async function: unsigned, it is fetch's own promise (the passthrough's hot path adds no tick). Every
 * upstream fetch (this one, and model discovery's GET in list-models.ts) sets, and then checks the answer
 * with refusalOf (core/upstream-error.ts) before reading its body:
 * - `redirect: 'manual'`: a 3xx comes back as it is, never followed. Bun's fetch follows by default and
 *   drops only `Authorization` across origins (https://fetch.spec.whatwg.org/#http-redirect-fetch, step
 *   13): x-api-key, api-key, x-goog-api-key and a SigV4 signature would reach the other host, and a 307
 *   or 308 would re-send the prompt there (RFC 9110 §15.4.8).
 * - `decompress: false` (Bun): a body comes as the wire carries it, so a few MB of gzip cannot inflate
 *   to gigabytes before anything counts them. Bun then sends no accept-encoding of its own (measured on
 *   1.4.5), so the kinds' headers ask for identity (RFC 9110 §12.5.3) and an answer encoded anyway is
 *   refused.
 */
export function postUpstream(
  target: HttpTarget,
  call: UpstreamCall,
  body: Uint8Array,
  contentType?: string,
): Promise<Response> {
  const url = target.url(call)
  let headers: Record<string, string> = withRequestId(target.headers(call), call)
  if (contentType) headers = { ...headers, 'content-type': contentType }
  const { signal } = call
  if (!target.sign) return fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual', decompress: false })
  return target.sign({ url, headers, body }).then((signed) => {
    // Bedrock's headers do not ask for identity: asked here, after signing, as a header SigV4 leaves unsigned.
    signed['accept-encoding'] ??= 'identity'
    return fetch(url, { method: 'POST', headers: signed, body, signal, redirect: 'manual', decompress: false })
  })
}

/**
 * A call's URL, built on first use per (endpoint, model, stream) and kept (H5): the URL of a model's
 * deployment does not change until the registry is rebuilt, which builds new providers.
 */
export function urlCache(
  build: (endpoint: Endpoint, model: string, stream: boolean) => string,
): (call: UpstreamCall) => string {
  const urls = new Map<string, string>()
  return (call) => {
    const key = `${call.endpoint} ${call.stream ? 's' : 'b'} ${call.model}`
    let url = urls.get(key)
    if (url === undefined) {
      url = build(call.endpoint, call.model, call.stream)
      urls.set(key, url)
    }
    return url
  }
}

/** Joins a base URL and a path with exactly one slash. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}

// --- internal ---

/** `headers` plus the call's x-request-id (a new object only when there is one). */
function withRequestId(headers: Readonly<Record<string, string>>, call: UpstreamCall): Record<string, string> {
  return call.requestId ? { ...headers, 'x-request-id': call.requestId } : (headers as Record<string, string>)
}
