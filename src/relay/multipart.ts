// Reads a multipart/form-data request body (audio transcriptions and translations) once: the bytes are
// kept to be forwarded as they came, with the client's content type (its boundary), and parsed once with
// Bun's FormData only to find `model` and check that the required file is there. Only an alias changes
// the body: the new `model` is spliced into the client's bytes, every other byte kept.
import { readBodyBytes } from '../core/body'
import { badRequest } from '../core/errors'

/** FormData as Response.formData() types it (Bun's and the DOM's FormData types differ). */
export type ParsedForm = Awaited<ReturnType<Response['formData']>>

export interface MultipartBody {
  /** The client's bytes, forwarded as they are unless `model` changes. */
  bytes: Uint8Array
  /** The client's content type, boundary included. */
  contentType: string
  form: ParsedForm
  /** The text fields (file parts left out), as extensions see them; a repeated field is an array. */
  json: Record<string, unknown>
  /** `model` as sent; `stream` is true when the `stream` field is "true". */
  envelope: { model: string; stream: boolean }
}

/**
 * 413 over `limit`; 400 naming the field when the body is not multipart, `model` or a file is missing,
 * or `model` is given twice (parsers disagree on which one counts: Bun's takes the first, others the
 * last, so the model the key was checked for might not be the one the upstream runs).
 */
export async function readMultipartBody(
  request: Request,
  limit: number,
  files: readonly string[],
): Promise<MultipartBody> {
  const contentType = request.headers.get('content-type') ?? ''
  if (!/^multipart\/form-data\s*;/i.test(contentType))
    throw badRequest(
      `Send this request as multipart/form-data (with ${files.map((f) => `'${f}'`).join(', ')} and 'model'), not '${contentType || 'no content type'}'.`,
      null,
      'invalid_content_type',
    )
  const bytes = await readBodyBytes(request, limit)
  let form: ParsedForm
  try {
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData()
  } catch (err) {
    throw badRequest(
      `We could not parse the multipart/form-data body of your request: ${err instanceof Error ? err.message : String(err)}`,
      null,
      'invalid_multipart',
    )
  }
  const json: Record<string, unknown> = {}
  for (const [name, value] of form) {
    if (typeof value !== 'string') continue
    // Own keys only: a field named "constructor" or "__proto__" is a field, not Object.prototype's.
    const seen = Object.hasOwn(json, name) ? json[name] : undefined
    Object.defineProperty(json, name, {
      value: seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value],
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  const model = form.get('model')
  if (model === null) throw missing('model')
  if (form.getAll('model').length > 1) throw badRequest("'model' is given more than once; send it once.", 'model')
  if (typeof model !== 'string')
    throw badRequest("Invalid type for 'model': expected a text field, but got a file.", 'model', 'invalid_type')
  if (model.length === 0) throw badRequest("'model' must not be empty.", 'model')
  for (const name of files) {
    const file = form.get(name)
    if (file === null) throw missing(name)
    if (typeof file === 'string')
      throw badRequest(`Invalid type for '${name}': expected a file, but got a text field.`, name, 'invalid_type')
  }
  return { bytes, contentType, form, json, envelope: { model, stream: form.get('stream') === 'true' } }
}

/**
 * The body again with `model` replaced. The new value is spliced into the client's bytes in place of the
 * old one, so the boundary, the file part (bytes, filename, content type) and every other part stay byte
 * for byte. A body this scan cannot follow (Bun's parser is more lenient) is re-encoded from the parsed
 * form instead: a new boundary, the same parts in the same order.
 */
export async function withModel(
  body: MultipartBody,
  model: string,
): Promise<{ bytes: Uint8Array; contentType: string }> {
  const spliced = spliceField(body.bytes, body.contentType, 'model', model)
  // The scan reads part headers more simply than Bun's parser does (which Content-Disposition line and
  // which name= parameter count): a splice is kept only when Bun reads it back as the same form with
  // only `model` changed. One more parse, on the alias path only.
  if (spliced && (await readsAs(spliced, body, model))) return { bytes: spliced, contentType: body.contentType }
  body.form.set('model', model)
  // The same object at run time; only the two FormData declarations (bun-types, undici-types) disagree.
  const encoded = new Response(body.form as unknown as ConstructorParameters<typeof Response>[0])
  // Read the content type before the body: Bun makes up a new boundary when it is read after.
  const contentType = encoded.headers.get('content-type')!
  return { bytes: new Uint8Array(await encoded.arrayBuffer()), contentType }
}

// --- internal ---

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const CRLF = Buffer.from('\r\n')
const BLANK_LINE = Buffer.from('\r\n\r\n')
/** The name parameter of a part's Content-Disposition (RFC 7578 §4.2); `filename=` does not match. */
const PART_NAME = /^content-disposition:[^\r\n]*;\s*name=(?:"([^"]*)"|([^;\s]+))/im
const BOUNDARY = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i

/** `bytes` with the value of the first text part named `name` replaced; undefined when not found. */
function spliceField(bytes: Uint8Array, contentType: string, name: string, value: string): Uint8Array | undefined {
  const m = BOUNDARY.exec(contentType)
  const boundary = m?.[1] ?? m?.[2]
  if (!boundary) return undefined
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  // RFC 2046 §5.1.1: the first delimiter may have no CRLF before it (no preamble).
  const opening = delimiter.subarray(2)
  let cursor: number
  if (buf.subarray(0, opening.length).equals(opening)) cursor = opening.length
  else {
    const at = buf.indexOf(delimiter)
    if (at < 0) return undefined
    cursor = at + delimiter.length
  }
  for (;;) {
    if (buf[cursor] === 45 && buf[cursor + 1] === 45) return undefined // the close delimiter: no such part
    const lineEnd = buf.indexOf(CRLF, cursor)
    if (lineEnd < 0) return undefined
    const headersStart = lineEnd + 2
    const headersEnd =
      buf[headersStart] === 13 && buf[headersStart + 1] === 10 ? headersStart : buf.indexOf(BLANK_LINE, headersStart)
    if (headersEnd < 0) return undefined
    const bodyStart = headersEnd + (headersEnd === headersStart ? 2 : 4)
    const next = buf.indexOf(delimiter, bodyStart)
    if (next < 0) return undefined
    const headers = decoder.decode(bytes.subarray(headersStart, headersEnd))
    const part = PART_NAME.exec(headers)
    // Bun makes a part a file on filename= only (filename*= alone leaves it a text field).
    if ((part?.[1] ?? part?.[2]) === name && !/;\s*filename=/i.test(headers)) {
      const replacement = encoder.encode(value)
      const out = new Uint8Array(bodyStart + replacement.length + (bytes.length - next))
      out.set(bytes.subarray(0, bodyStart), 0)
      out.set(replacement, bodyStart)
      out.set(bytes.subarray(next), bodyStart + replacement.length)
      return out
    }
    cursor = next + delimiter.length
  }
}

/** True when `bytes` parse (by Bun) as `body.form` with `model` replaced: same parts, same order. */
async function readsAs(bytes: Uint8Array, body: MultipartBody, model: string): Promise<boolean> {
  let again: ParsedForm
  try {
    again = await new Response(bytes, { headers: { 'content-type': body.contentType } }).formData()
  } catch {
    return false
  }
  const now = [...again]
  const before = [...body.form]
  if (now.length !== before.length) return false
  for (let i = 0; i < now.length; i++) {
    const [name, value] = now[i]!
    const [wasName, was] = before[i]!
    if (name !== wasName) return false
    if (typeof value === 'string' || typeof was === 'string') {
      if (value !== (name === 'model' ? model : was)) return false
    } else if (value.size !== was.size || value.name !== was.name || value.type !== was.type) return false
  }
  return true
}

function missing(name: string) {
  return badRequest(`Missing required parameter: '${name}'.`, name, 'missing_required_parameter')
}
