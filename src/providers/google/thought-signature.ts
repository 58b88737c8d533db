// Thought signatures in tool-call ids (pure). A thinking Gemini model signs its function calls
// (`thoughtSignature` on the functionCall part) and wants the signature back on the same part in the
// next turn: Gemini 3 answers 400 without it. Most chat clients echo a tool call's id, name and
// arguments and nothing else, so the signature travels inside the id we hand out:
//
//   call_<24 hex>__gts__<the signature in base64url, unpadded>
//
// Every character is in [A-Za-z0-9_-], so the same history can go to an Anthropic deployment (tool_use
// ids must match ^[a-zA-Z0-9_-]+$; no length limit is documented). A signature is opaque bytes of no fixed
// size (Gemini sends it as standard base64), so such ids are long: hundreds to thousands of characters.
// Beyond MAX_SIGNED_ID_LENGTH the id stays bare and the signature rides only in
// `extra_content.google.thought_signature` (Google's own OpenAI layer's field, kept on every call).
// https://ai.google.dev/gemini-api/docs/thought-signatures
import { isObject } from '../../core/json'

/** Between the id and the signature; ids we read back are split at its first occurrence. */
export const SIGNATURE_SEPARATOR = '__gts__'

/** The longest id we hand out with a signature in it (16 KiB); a longer one keeps the bare id. */
export const MAX_SIGNED_ID_LENGTH = 16_384

/**
 * What Google documents for a function call that has no signature of its own (a history built by the
 * client, or carried over from another model): it turns the signature check off for that part.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator'

/** The characters a tool-call id may hold (Anthropic's tool_use id pattern). */
const ID_CHARACTERS = /^[A-Za-z0-9_-]+$/

/** The id to hand out: `id` with the signature appended when it can be carried, else `id` alone. */
export function toolCallIdWith(id: string, signature: unknown): string {
  const encoded = typeof signature === 'string' ? toBase64Url(signature) : undefined
  if (encoded === undefined) return id
  const signed = `${id}${SIGNATURE_SEPARATOR}${encoded}`
  return signed.length <= MAX_SIGNED_ID_LENGTH ? signed : id
}

/**
 * An id as a client echoes it: the id without our suffix, and the signature (standard base64, as
 * Gemini sent it) when the suffix holds one. An id without a well-formed suffix is returned whole.
 */
export function splitToolCallId(id: string): { id: string; signature?: string } {
  const at = id.indexOf(SIGNATURE_SEPARATOR)
  if (at <= 0) return { id }
  const signature = fromBase64Url(id.slice(at + SIGNATURE_SEPARATOR.length))
  return signature === undefined ? { id } : { id: id.slice(0, at), signature }
}

/** A function call id Gemini gave that we can hand out as is (else the caller makes one). */
export function usableGeminiId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= 128 && ID_CHARACTERS.test(id) && !id.includes(SIGNATURE_SEPARATOR)
}

/** `extra_content.google.thought_signature` of a tool call, when it is a string. */
export function extraContentSignature(call: unknown): string | undefined {
  const extra = isObject(call) ? call.extra_content : undefined
  const google = isObject(extra) ? extra.google : undefined
  const signature = isObject(google) ? google.thought_signature : undefined
  return typeof signature === 'string' && signature ? signature : undefined
}

// --- internal ---

/** Standard or url-safe base64, padded or not, with a length base64 can have. */
const BASE64 = /^([A-Za-z0-9+/_-]*)(={0,2})$/

/** Standard base64 → base64url without padding; undefined for anything that is not base64. */
function toBase64Url(signature: string): string | undefined {
  const [, body = '', padding = ''] = BASE64.exec(signature) ?? []
  if (!body) return undefined
  if (padding ? (body.length + padding.length) % 4 !== 0 : body.length % 4 === 1) return undefined
  return body.replaceAll('+', '-').replaceAll('/', '_')
}

/** base64url without padding → standard base64 with padding; undefined when it cannot be base64. */
function fromBase64Url(encoded: string): string | undefined {
  if (!encoded || !ID_CHARACTERS.test(encoded) || encoded.length % 4 === 1) return undefined
  const standard = encoded.replaceAll('-', '+').replaceAll('_', '/')
  return standard + '='.repeat((4 - (standard.length % 4)) % 4)
}
