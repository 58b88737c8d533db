// Reads a JSON request body once and parses it once (H2): 413 before reading when content-length is
// over the limit, 400 for bad UTF-8, bad JSON, a non-object, nesting deeper than MAX_JSON_DEPTH or a key
// given twice in one object.
// The bytes are kept for forwarding.
import { readAtMost } from './bytes'
import { duplicateKey, hasNoDuplicateKeys } from './duplicate-keys'
import { badRequest, echo, GatewayError, invalidJson, requestTooLarge } from './errors'

export interface JsonBody {
  bytes: Uint8Array
  json: Record<string, unknown>
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export async function readJsonBody(request: Request, limit: number): Promise<JsonBody> {
  const bytes = await readBodyBytes(request, limit)
  if (bytes.byteLength === 0) throw badRequest('The request body is empty; send a JSON object.', null, 'invalid_json')
  if (bytes.byteLength < LARGE_BODY) return parseJsonBody(bytes)
  const release = await largeBodyTurn()
  try {
    return parseJsonBody(bytes)
  } finally {
    release()
  }
}

/**
 * Bodies from this size on are parsed one at a time, each after the event loop has had a turn. Parsing
 * cannot be interrupted (about 3 ms per MiB of text, up to 6 ms per MiB for many small objects, on one
 * core); eight 32 MiB bodies whose reads complete together would otherwise run back to back and hold
 * every other request, /health included, for over a second. In turns, one waits at most one parse.
 */
export const LARGE_BODY = 1 << 20

let lastTurn: Promise<unknown> = Promise.resolve()

/** Waits for the previous large body's parse and one event-loop turn; resolves with the release. */
function largeBodyTurn(): Promise<() => void> {
  const previous = lastTurn
  let release!: () => void
  lastTurn = new Promise<void>((resolve) => (release = resolve))
  return previous.then(() => new Promise((resolve) => setImmediate(() => resolve(release))))
}

function parseJsonBody(bytes: Uint8Array): JsonBody {
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    throw invalidJson('the body is not valid UTF-8')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw invalidJson((err as Error).message)
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw badRequest('The request body must be a JSON object.', null, 'invalid_json')
  const keys = countKeys(json, MAX_JSON_DEPTH)
  if (keys === TOO_DEEP)
    throw badRequest(
      `The JSON body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`,
      null,
      'invalid_json',
    )
  if (!hasNoDuplicateKeys(text, keys)) {
    const key = duplicateKey(text)
    if (key !== undefined)
      throw badRequest(
        `The JSON body has the key '${echo(key)}' twice in one object; send each key once.`,
        echo(key),
        'duplicate_key',
      )
  }
  return { bytes, json: json as Record<string, unknown> }
}

/**
 * The deepest nesting of arrays and objects a JSON body may have. JSON.parse takes any depth (a 200 KB
 * body can nest 100,000 levels), but what walks the value afterwards recurses: JSON.stringify (alias
 * rewrite, translators), the cache key, schema translation. Those overflow the stack far above this
 * (JSON.stringify at about 100,000 levels on Bun 1.4), and real bodies (messages, tool schemas and
 * arguments) stay well below it.
 */
export const MAX_JSON_DEPTH = 256

/**
 * The body's bytes, read once: 413 from content-length before reading; a body without one (chunked) is
 * counted as it arrives and refused as soon as it passes the limit, so it never has to be held whole.
 */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw requestTooLarge(limit)
  let bytes: Uint8Array
  try {
    bytes =
      declared === null && request.body
        ? await readCapped(request.body, limit)
        : new Uint8Array(await request.arrayBuffer())
  } catch (err) {
    if (err instanceof GatewayError) throw err
    // Bun's own maxRequestBodySize (set just above `limit`) ends a body that is too large.
    throw requestTooLarge(limit)
  }
  if (bytes.byteLength > limit) throw requestTooLarge(limit)
  return bytes
}

/** A stream's bytes, refused with a 413 (and the rest cancelled) once more than `limit` arrived. */
async function readCapped(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const bytes = await readAtMost(body, limit)
  if (!bytes) throw requestTooLarge(limit)
  return bytes
}

const TOO_DEEP = -1

/**
 * The number of keys of every object in `value`, or TOO_DEEP when it holds arrays or objects nested more
 * than `levels` deep (the body object is level 1). Walks the parsed value, not the bytes: strings are
 * skipped, so a long conversation costs about 1% of its JSON.parse (measured on 1 MB and 32 MB bodies).
 * Recursion stops at `levels`, so it cannot overflow.
 */
function countKeys(value: object, levels: number): number {
  if (levels === 0) return TOO_DEEP
  let keys = 0
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item !== 'object' || item === null) continue
      const inner = countKeys(item, levels - 1)
      if (inner === TOO_DEEP) return TOO_DEEP
      keys += inner
    }
    return keys
  }
  for (const key in value) {
    keys++
    const item: unknown = (value as Record<string, unknown>)[key]
    if (typeof item !== 'object' || item === null) continue
    const inner = countKeys(item, levels - 1)
    if (inner === TOO_DEEP) return TOO_DEEP
    keys += inner
  }
  return keys
}
