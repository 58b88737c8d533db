// Reads a JSON request body once and parses it once (H2): 413 before reading when content-length is
// over the limit, 400 for bad UTF-8, bad JSON or a non-object. The bytes are kept for forwarding.
import { badRequest, invalidJson, requestTooLarge } from './errors'

export interface JsonBody {
  bytes: Uint8Array
  json: Record<string, unknown>
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export async function readJsonBody(request: Request, limit: number): Promise<JsonBody> {
  const bytes = await readBodyBytes(request, limit)
  if (bytes.byteLength === 0) throw badRequest('The request body is empty; send a JSON object.', null, 'invalid_json')
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
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw badRequest('The request body must be a JSON object.', null, 'invalid_json')
  return { bytes, json: json as Record<string, unknown> }
}

/** The body's bytes, read once: 413 from content-length before reading, and after when it was longer. */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw requestTooLarge(limit)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await request.arrayBuffer())
  } catch {
    // Bun's own maxRequestBodySize (set just above `limit`) ends a chunked body that is too large.
    throw requestTooLarge(limit)
  }
  if (bytes.byteLength > limit) throw requestTooLarge(limit)
  return bytes
}

/** The envelope every model endpoint shares: `model` (non-empty string) and `stream` (boolean). */
export function readEnvelope(json: Record<string, unknown>): { model: string; stream: boolean } {
  const model = json.model
  if (model === undefined) throw badRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter')
  if (typeof model !== 'string') throw badRequest(`Invalid type for 'model': expected a string, but got ${typeName(model)}.`, 'model', 'invalid_type')
  if (model.length === 0) throw badRequest("'model' must not be empty.", 'model')
  const stream = json.stream
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw badRequest(`Invalid type for 'stream': expected a boolean, but got ${typeName(stream)}.`, 'stream', 'invalid_type')
  return { model, stream: stream === true }
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
