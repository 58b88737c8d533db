// Model discovery's HTTP step, shared by the kinds that can list their models: one GET answering the
// listing as a JSON object, or throwing a GatewayError with the upstream's status and message (put in
// OpenAI's shape by the kind's own error reader). Like every upstream fetch (http.ts), it follows no
// redirect and inflates nothing, and it reads at most MAX_LISTING_BYTES. Network failures reject as
// fetch does.
import { type ErrorBody, GatewayError } from '../core/errors'
import { readUpstreamBody, refusalOf, upstreamAnswerTooLarge } from '../core/upstream-error'

/** Pages followed at most in a paged listing (anthropic, google): a bound no real listing reaches. */
export const MAX_MODEL_PAGES = 20

/** Largest listing page read (OpenAI's whole listing is about 10 KB). */
export const MAX_LISTING_BYTES = 8 * 1024 * 1024

export async function getListing(
  url: string,
  headers: Readonly<Record<string, string>>,
  signal: AbortSignal,
  toError: (status: number, text: string) => ErrorBody,
): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    headers: { accept: 'application/json', 'accept-encoding': 'identity', ...headers },
    signal,
    // The credentials would follow a redirect to another host; see postUpstream (http.ts).
    redirect: 'manual',
    decompress: false,
  })
  const refusal = refusalOf(undefined, response)
  if (refusal) {
    response.body?.cancel().catch(() => {})
    throw refusal
  }
  const bytes = await readUpstreamBody(response, MAX_LISTING_BYTES)
  if (!bytes) throw upstreamAnswerTooLarge(undefined, MAX_LISTING_BYTES, 'the limit of a model listing')
  const text = decoder.decode(bytes)
  if (!response.ok) {
    const { error } = toError(response.status, text)
    throw new GatewayError(response.status, error.type, error.code, error.message, error.param)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw invalidListing(`a body that is not a JSON object: ${text.trim().slice(0, 200)}`)
  return json as Record<string, unknown>
}

/** The string `field` of every object in `list` (the listing's array, which must be one). */
export function namesIn(list: unknown, field: string, where: string): string[] {
  if (!Array.isArray(list)) throw invalidListing(`no "${where}" list`)
  const names: string[] = []
  for (const item of list) {
    const value = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[field] : undefined
    if (typeof value === 'string' && value) names.push(value)
  }
  return names
}

// --- internal ---

const decoder = new TextDecoder()

function invalidListing(what: string): GatewayError {
  return new GatewayError(
    502,
    'server_error',
    'upstream_invalid_response',
    `The upstream answered its model listing with ${what}.`,
  )
}
