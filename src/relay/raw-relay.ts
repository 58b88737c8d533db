// Relays an upstream answer that is not parsed as SSE (speech audio, and the image and transcription
// streams passed through as they are) chunk by chunk, each chunk untouched, as it arrives. Nothing can
// be said in-band once bytes went out (binary), so when the upstream fails midway the client's response
// is cut (errored, no final chunk): the client sees a truncated body rather than a short complete one.
import type { RelayOutcome } from '../extensions/types'
import type { StreamReader } from '../routing/dispatch'
import { idleTimer } from './idle-timer'

export interface RawRelayOptions {
  first: Uint8Array | undefined
  reader: StreamReader
  /** Ends the upstream request, with how the relay ended ('done': it finished, nothing to abort). */
  abort: (reason?: unknown) => void
  /** Sees each chunk before it is sent (extensions' onChunk). */
  tap?: (chunk: Uint8Array) => void
  /** Called once, when the relay ends for any reason. */
  onEnd?: (outcome: RelayOutcome) => void
  /** Cuts the answer when the upstream sends nothing for this long; 0 or absent = never. */
  idleMs?: number
}

export function relayRaw(options: RawRelayOptions): ReadableStream<Uint8Array> {
  const { reader, tap } = options
  let ended = false
  const idle = idleTimer(options)
  const end = (outcome: RelayOutcome) => {
    if (ended) return
    ended = true
    idle?.stop()
    options.abort(outcome)
    options.onEnd?.(outcome)
  }
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const first = options.first
      if (first?.byteLength) {
        tap?.(first)
        controller.enqueue(first)
      }
    },
    async pull(controller) {
      // A pull that enqueues nothing is not called again (WHATWG streams): skip empty chunks here.
      for (;;) {
        let result: { done: boolean; value?: Uint8Array | undefined }
        idle?.waiting()
        try {
          result = await reader.read()
        } catch {
          if (ended) return
          end('upstream_error')
          // No reason on purpose (measured on Bun 1.4.5): Bun.serve prints an Error reason to stderr with
          // its stack; without one it just resets the client's connection, which is what we want.
          controller.error()
          return
        }
        idle?.received()
        if (ended) return
        if (result.done) {
          controller.close()
          end('done')
          return
        }
        const chunk = result.value
        if (chunk?.byteLength) {
          tap?.(chunk)
          controller.enqueue(chunk)
          return
        }
      }
    },
    cancel(reason) {
      end('client_closed')
      reader.cancel(reason).catch(() => {})
    },
  })
}
