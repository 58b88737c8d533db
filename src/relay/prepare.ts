// Stage 4 of the request path, prepare: the bytes that go upstream. They are the client's own unless
// the gateway must change the body: an alias rewrites `model` (serialised once), a stream the extensions
// account is asked for its usage chunk (`stream_options.include_usage` spliced into the client's bytes
// when it has no stream_options), a multipart body gets the new model spliced into its `model` part.
import type { ReadCall } from './call'
import type { RelayContext } from './context'
import { withModel } from './multipart'

export interface Outbound {
  body: Uint8Array
  /** The body's content type when it is not JSON (multipart, with its boundary). */
  contentType?: string
  /** The gateway asked for the stream's usage chunk: it is hidden from the client, who did not ask. */
  stripUsage: boolean
}

export async function prepare(ctx: RelayContext, call: ReadCall): Promise<Outbound> {
  const { json, bytes, form, model, requestedModel } = call
  const aliased = model !== requestedModel
  // Streams are accounted: an OpenAI-format stream is asked for its usage chunk. (/v1/messages streams
  // carry usage in their events.)
  const stripUsage =
    call.hooks !== undefined &&
    call.mode === 'sse' &&
    call.surface.endpoint === 'chat' &&
    ctx.pipeline.needsUsage &&
    !call.hooks.clientWantsUsage
  let rewrite = aliased || call.rewritten === true
  let splice = false
  if (stripUsage) {
    const options = json.stream_options
    if (options === undefined) splice = true
    else rewrite = true
    json.stream_options = { ...(options && typeof options === 'object' ? options : {}), include_usage: true }
  }
  if (aliased) json.model = model
  if (form) {
    const { bytes: body, contentType } = aliased ? await withModel(form, model) : form
    return { body, contentType, stripUsage }
  }
  if (rewrite) return { body: encoder.encode(JSON.stringify(json)), stripUsage }
  return { body: splice ? withIncludeUsage(bytes) : bytes, stripUsage }
}

const encoder = new TextEncoder()
const INCLUDE_USAGE = encoder.encode('"stream_options":{"include_usage":true},')

/**
 * The body with `"stream_options":{"include_usage":true},` inserted after its opening brace: for a JSON
 * object that has no stream_options key and at least one other (`model`, checked before), this is the
 * same object plus the field, and every other byte stays the client's.
 */
export function withIncludeUsage(bytes: Uint8Array): Uint8Array {
  const open = bytes.indexOf(123)
  const out = new Uint8Array(bytes.byteLength + INCLUDE_USAGE.byteLength)
  out.set(bytes.subarray(0, open + 1), 0)
  out.set(INCLUDE_USAGE, open + 1)
  out.set(bytes.subarray(open + 1), open + 1 + INCLUDE_USAGE.byteLength)
  return out
}
