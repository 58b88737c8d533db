// Byte arrays joined into one (request bodies read in chunks, SSE events held across chunks).

/** One array holding `parts` in order (a new array; the parts are not changed). */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const part of parts) size += part.byteLength
  const out = new Uint8Array(size)
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}
