// Relays an upstream SSE stream to the client chunk by chunk, as the bytes arrive. It only forwards
// whole events (a partial event is held until its blank line arrives), so that when the upstream fails
// mid-stream the client gets a well-formed in-band error event (OpenAI's shape) and then the end.
// A stream that ends without `data: [DONE]` was cut short: that is reported the same way, and so is an
// event held past max_sse_event_size (the upstream request is then cancelled).
import { describeCause } from '../core/errors'
import { DEFAULT_LIMITS } from '../core/upstream-error'
import type { RelayOutcome } from '../extensions/types'
import type { StreamReader } from '../routing/dispatch'
import { EventCutter, endsWithDone, isBlank } from '../sse'
import { type IdleTimer, idleTimer } from './idle-timer'

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
  /**
   * The largest event held until its blank line comes (the deployment's max_sse_event_size); beyond it
   * the stream ends in-band ('upstream_error') and the upstream request is cancelled. Default: the
   * schema's default.
   */
  maxEventSize?: number
}

const encoder = new TextEncoder()

type Controller = ReadableStreamDefaultController<Uint8Array>

export function relaySse(options: RelayOptions): ReadableStream<Uint8Array> {
  const relay = new SseRelay(options)
  return new ReadableStream<Uint8Array>({
    start: (controller) => relay.start(controller),
    pull: (controller) => relay.pull(controller),
    cancel: (reason) => relay.cancel(reason),
  })
}

// --- internal ---

/** One relayed stream's state: the partial event held back, whether the end marker passed, how it ended. */
class SseRelay {
  /** Whole events out of the chunks; holds the start of a partial event until its blank line arrives. */
  private readonly cutter: EventCutter
  private sawEnd = false
  private ended = false
  /** The last events, held (with the end marker) until the answer's records are committed. */
  private final: Uint8Array | undefined
  private readonly idle: IdleTimer | undefined
  private readonly isEnd: (events: Uint8Array) => boolean

  constructor(private readonly options: RelayOptions) {
    this.idle = idleTimer(options)
    this.isEnd = options.isEnd ?? endsWithDone
    this.cutter = new EventCutter(options.maxEventSize ?? DEFAULT_LIMITS.eventBytes)
  }

  async start(controller: Controller): Promise<void> {
    const first = this.options.first
    if (first?.byteLength) this.forward(controller, first)
    if (this.final) await this.finish(controller)
  }

  /**
   * A pull that enqueues nothing is not called again (WHATWG streams), so it keeps reading until a
   * whole event went out or the stream ended: a chunk may hold only part of an event.
   */
  async pull(controller: Controller): Promise<void> {
    const { reader } = this.options
    const idle = this.idle
    for (;;) {
      let result: { done: boolean; value?: Uint8Array | undefined }
      idle?.waiting()
      try {
        result = await reader.read()
      } catch (err) {
        if (this.ended) return
        // The runtime's own advice ("pass `verbose: true`…") and the upstream URL never reach the client.
        const detail = idle?.fired ? idle.detail : describeCause(err)
        return this.fail(controller, 'upstream_error', detail)
      }
      idle?.received()
      if (this.ended) return
      if (result.done) break
      if (result.value?.byteLength && this.forward(controller, result.value)) {
        if (this.final) await this.finish(controller)
        return
      }
    }
    const pending = this.cutter.pending
    if (pending.byteLength && !isBlank(pending))
      return this.fail(controller, 'truncated', 'the upstream closed the stream in the middle of an event')
    if (!this.sawEnd)
      return this.fail(
        controller,
        'truncated',
        `the upstream closed the stream before ${this.options.endName ?? '[DONE]'}`,
      )
    controller.close()
    this.end('done')
  }

  cancel(reason: unknown): void {
    this.end('client_closed')
    this.options.reader.cancel(reason).catch(() => {})
  }

  /**
   * Enqueues the whole events in `chunk` (plus what was held back); keeps the tail of a partial one.
   * Returns whether anything was enqueued (or held as the final events, or the stream failed).
   */
  private forward(controller: Controller, chunk: Uint8Array): boolean {
    let whole: Uint8Array | undefined
    try {
      whole = this.cutter.push(chunk)
    } catch (err) {
      // An event past max_sse_event_size: nothing of it went out, and the rest is not read.
      this.fail(controller, 'upstream_error', (err as Error).message)
      this.options.reader.cancel(err).catch(() => {})
      return true
    }
    if (!whole) return false
    if (!this.sawEnd) this.sawEnd = this.isEnd(whole)
    const { tap, durable } = this.options
    if (tap) {
      whole = tap(whole)
      if (whole.byteLength === 0 && !this.sawEnd) return false
    }
    if (this.sawEnd && durable) {
      // The end marker: the stream is complete, so it ends here (its usage is known), and the last
      // events go out once the records of the answer are committed.
      this.final = whole
      return true
    }
    if (whole.byteLength) controller.enqueue(whole)
    return true
  }

  private async finish(controller: Controller): Promise<void> {
    const last = this.final!
    this.end('done')
    const durable = this.options.durable?.()
    if (durable) await durable
    if (last.byteLength) controller.enqueue(last)
    controller.close()
    // Whatever the upstream still sends after its end marker (normally just the end of the body) is drained.
    const { reader } = this.options
    void (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {}
    })()
  }

  private fail(controller: Controller, outcome: RelayOutcome, detail: string): void {
    controller.enqueue(encoder.encode(this.options.failure(detail).toSseFrame()))
    controller.close()
    this.end(outcome)
  }

  private end(outcome: RelayOutcome): void {
    if (this.ended) return
    this.ended = true
    this.idle?.stop()
    this.options.abort(outcome)
    this.options.onEnd?.(outcome)
  }
}
