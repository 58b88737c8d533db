// Byte arrays joined into one (SSE events held across chunks), and a body read up to a limit (request
// bodies without content-length, upstream answers).

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

/**
 * A stream's bytes, counted as they arrive; undefined (and the rest cancelled) once more than `limit`
 * came. Chunks are copied into a native growable buffer (a drip of tiny chunks holds no per-chunk
 * object), which is taken out every PIECE bytes: a buffer that grew by doubling up to the limit would
 * hold up to three times it while it copies.
 */
export async function readAtMost(body: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array | undefined> {
  const reader = body.getReader()
  const sink = new Bun.ArrayBufferSink()
  sink.start({ asUint8Array: true, highWaterMark: 64 * 1024, stream: true })
  const pieces: Uint8Array[] = []
  let size = 0
  let unflushed = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      reader.cancel().catch(() => {})
      sink.end()
      return undefined
    }
    sink.write(value)
    unflushed += value.byteLength
    if (unflushed >= PIECE) {
      pieces.push(sink.flush() as Uint8Array)
      unflushed = 0
    }
  }
  const last = sink.end() as Uint8Array
  if (pieces.length === 0) return last
  pieces.push(last)
  return concatBytes(...pieces)
}

/** How much readAtMost copies into one buffer before it starts the next (1 MiB). */
const PIECE = 1024 * 1024
