// Glue for translating providers: turns an upstream byte stream into the client-format byte stream,
// one upstream chunk at a time (never buffering the whole stream). The translator is a pure object the
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

const encoder = new TextEncoder()

export function translateStream(
  upstream: ReadableStream<Uint8Array>,
  translator: StreamTranslator,
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Keep reading until something is produced: a pull that enqueues nothing is not called again.
      for (;;) {
        const { done, value } = await reader.read()
        if (done) {
          const tail = translator.end()
          if (tail) controller.enqueue(encoder.encode(tail))
          controller.close()
          return
        }
        if (!value || value.byteLength === 0) continue
        const out = translator.push(value)
        if (out) {
          controller.enqueue(encoder.encode(out))
          return
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
}
