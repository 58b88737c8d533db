// Glue for translated streams: turns an upstream byte stream into the client-format byte stream, one
// upstream chunk at a time (never buffering the whole stream). The translator is a pure object the
// tests drive without a network; this file only owns the plumbing.

/**
 * A stream translator: `push` takes upstream bytes and returns the frames to send now; `end` is called
 * when the upstream finished and returns the closing frames. Either may throw an Error whose message
 * says what went wrong upstream (an error event, a cut stream): the output stream then fails with it
 * and the relay puts an error event in-band.
 */
export interface StreamTranslator {
  push(chunk: Uint8Array): string
  end(): string
}

/** The translated stream; its reads fail with whatever the translator throws. */
export function translateStream(
  upstream: ReadableStream<Uint8Array>,
  translator: StreamTranslator,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader()
  const next = outputs(reader, translator)
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const out = await next()
      if (out) controller.enqueue(out)
      else controller.close()
    },
    cancel: (reason) => reader.cancel(reason),
  })
}

/**
 * The translated stream once it has its first output (or ended): rejects with what the translator
 * threw before that, so the caller can still answer with an HTTP error. No extra stream layer: the
 * first output is the stream's first chunk.
 */
export async function startTranslatedStream(
  upstream: ReadableStream<Uint8Array>,
  translator: StreamTranslator,
): Promise<ReadableStream<Uint8Array>> {
  const reader = upstream.getReader()
  const next = outputs(reader, translator)
  let first: Uint8Array | undefined
  try {
    first = await next()
  } catch (err) {
    reader.cancel().catch(() => {})
    throw err
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (first) controller.enqueue(first)
      else controller.close()
    },
    async pull(controller) {
      const out = await next()
      if (out) controller.enqueue(out)
      else controller.close()
    },
    cancel: (reason) => reader.cancel(reason),
  })
}

// --- internal ---

const encoder = new TextEncoder()

/**
 * The translator's outputs, one per call: reads until something is produced (a pull that enqueues
 * nothing is not called again), then undefined once the upstream ended and the closing frames went out.
 */
function outputs(
  reader: { read(): Promise<{ done: boolean; value?: Uint8Array | undefined }> },
  translator: StreamTranslator,
): () => Promise<Uint8Array | undefined> {
  let ended = false
  return async () => {
    while (!ended) {
      const { done, value } = await reader.read()
      if (done) {
        ended = true
        const tail = translator.end()
        return tail ? encoder.encode(tail) : undefined
      }
      if (!value || value.byteLength === 0) continue
      const out = translator.push(value)
      if (out) return encoder.encode(out)
    }
    return undefined
  }
}
