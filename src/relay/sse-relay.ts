// Relays an upstream SSE stream to the client chunk by chunk, as the bytes arrive. It only forwards
// whole events (a partial event is held until its blank line arrives), so that when the upstream fails
// mid-stream the client gets a well-formed in-band error event (OpenAI's shape) and then the end.
// A stream that ends without `data: [DONE]` was cut short: that is reported the same way.
import type { RelayOutcome } from '../extensions/types'
import type { StreamReader } from '../routing/dispatch'

export interface RelayOptions {
  first: Uint8Array | undefined
  reader: StreamReader
  /** Ends the upstream request, with how the relay ended ('done': it finished, nothing to abort). */
  abort: (reason?: unknown) => void
  /** The error to put in-band when the upstream fails or stops early (OpenAI's frame by default). */
  failure: (detail: string) => { toSseFrame(): string }
  /** True when these whole events end the stream; default: the last one is `data: [DONE]`. */
  isEnd?: (events: Uint8Array) => boolean
  /** The end marker's name in the truncation message; default "[DONE]". */
  endName?: string
  /** Sees each run of whole events before it is sent; returns what to send (extensions' usage tap). */
  tap?: (events: Uint8Array) => Uint8Array
  /** Called once, when the relay ends for any reason. */
  onEnd?: (outcome: RelayOutcome) => void
  /** Ends the stream (in-band error) when the upstream sends nothing for this long; 0 or absent = never. */
  idleMs?: number
  /** After onEnd('done'): resolves once what onEnd wrote is committed; the end marker waits for it. */
  durable?: () => Promise<void> | undefined
}

const encoder = new TextEncoder()
const DONE = encoder.encode('[DONE]')

export function relaySse(options: RelayOptions): ReadableStream<Uint8Array> {
  const { reader } = options
  const isEnd = options.isEnd ?? endsWithDone
  let pending: Uint8Array | undefined
  let sawDone = false
  let first = options.first
  let ended = false
  const idle = idleTimer(options)
  const end = (outcome: RelayOutcome) => {
    if (ended) return
    ended = true
    idle?.stop()
    options.abort(outcome)
    options.onEnd?.(outcome)
  }
  /**
   * Enqueues the whole events in `chunk` (plus what was held back); keeps the tail of a partial one.
   * Returns whether anything was enqueued.
   */
  const forward = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array): boolean => {
    let bytes = chunk
    if (pending) {
      bytes = concat(pending, chunk)
      pending = undefined
    }
    const cut = endOfLastEvent(bytes)
    if (cut !== bytes.length) {
      pending = bytes.slice(cut)
      if (cut === 0) return false
    }
    let whole = cut === bytes.length ? bytes : bytes.subarray(0, cut)
    if (!sawDone) sawDone = isEnd(whole)
    if (options.tap) {
      whole = options.tap(whole)
      if (whole.byteLength === 0 && !sawDone) return false
    }
    if (sawDone && options.durable) {
      // The end marker: the stream is complete, so it ends here (its usage is known), and the last
      // events go out once the records of the answer are committed.
      final = whole
      return true
    }
    if (whole.byteLength) controller.enqueue(whole)
    return true
  }
  let final: Uint8Array | undefined
  const finish = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    const last = final!
    end('done')
    const durable = options.durable?.()
    if (durable) await durable
    if (last.byteLength) controller.enqueue(last)
    controller.close()
    // Whatever the upstream still sends after its end marker (normally just the end of the body) is drained.
    void (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {}
    })()
  }
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, outcome: RelayOutcome, detail: string) => {
    controller.enqueue(encoder.encode(options.failure(detail).toSseFrame()))
    controller.close()
    end(outcome)
  }
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      if (first?.byteLength) forward(controller, first)
      first = undefined
      if (final) await finish(controller)
    },
    async pull(controller) {
      // A pull that enqueues nothing is not called again (WHATWG streams), so keep reading until a
      // whole event went out or the stream ended: a chunk may hold only part of an event.
      let result: { done: boolean; value?: Uint8Array | undefined }
      for (;;) {
        idle?.waiting()
        try {
          result = await reader.read()
        } catch (err) {
          if (ended) return
          return fail(
            controller,
            'upstream_error',
            idle?.fired ? idle.detail : err instanceof Error ? err.message : String(err),
          )
        }
        idle?.received()
        if (ended) return
        if (result.done) break
        if (result.value?.byteLength && forward(controller, result.value)) {
          if (final) await finish(controller)
          return
        }
      }
      if (pending?.byteLength && !isBlank(pending))
        return fail(controller, 'truncated', 'the upstream closed the stream in the middle of an event')
      if (!sawDone)
        return fail(controller, 'truncated', `the upstream closed the stream before ${options.endName ?? '[DONE]'}`)
      controller.close()
      end('done')
    },
    cancel(reason) {
      end('client_closed')
      reader.cancel(reason).catch(() => {})
    },
  })
}

/** The stream_idle_timeout watch of one relay (see idleTimer). */
export interface IdleTimer {
  /** A read of the upstream starts: from now the upstream has the idle time to deliver. */
  waiting(): void
  /** The read returned (bytes, the end, or an error): no longer the upstream's turn. */
  received(): void
  stop(): void
  readonly fired: boolean
  readonly detail: string
}

/**
 * The stream_idle_timeout watch: one timer per stream, pushed back (refresh) when a read of the upstream
 * starts; when it fires during a read it aborts the upstream request, so the pending read fails and the
 * relay reports why. Time when no read is pending is not the upstream's: the relay is not asking for
 * bytes because the client reads slowly (backpressure), so the timer just goes round again.
 */
export function idleTimer(options: { idleMs?: number; abort: (reason?: unknown) => void }): IdleTimer | undefined {
  const ms = options.idleMs
  if (!ms || ms <= 0) return undefined
  let fired = false
  let reading = false
  const timer: Timer = setTimeout(() => {
    if (!reading) return void timer.refresh()
    fired = true
    options.abort('idle')
  }, ms)
  return {
    waiting() {
      reading = true
      timer.refresh()
    },
    received() {
      reading = false
    },
    stop: () => clearTimeout(timer),
    get fired() {
      return fired
    },
    detail: `the upstream sent nothing for ${ms / 1000} s (stream_idle_timeout)`,
  }
}

// --- internal ---

/** Index just past the last blank line (\n\n or \n\r\n) in `bytes`; 0 when there is none. */
function endOfLastEvent(bytes: Uint8Array): number {
  const n = bytes.length
  if (n >= 2 && bytes[n - 1] === 10 && (bytes[n - 2] === 10 || (bytes[n - 2] === 13 && bytes[n - 3] === 10))) return n
  for (let i = n - 1; i > 0; i--) {
    if (bytes[i] !== 10) continue
    if (bytes[i - 1] === 10 || (bytes[i - 1] === 13 && i > 1 && bytes[i - 2] === 10)) return i + 1
  }
  return 0
}

/** True when the last event in these whole events is `data: [DONE]`. */
function endsWithDone(bytes: Uint8Array): boolean {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13 || bytes[end - 1] === 32)) end--
  if (end < DONE.length) return false
  for (let i = 0; i < DONE.length; i++) if (bytes[end - DONE.length + i] !== DONE[i]) return false
  return true
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 10 && b !== 13 && b !== 32) return false
  return true
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
