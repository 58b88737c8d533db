import { describe, expect, test } from 'bun:test'
import { upstreamStreamFailed } from '../../src/core/errors'
import type { RelayOutcome } from '../../src/extensions/types'
import { relaySse } from '../../src/relay/sse-relay'
import type { StreamReader } from '../../src/routing/dispatch'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A scripted upstream reader: yields `chunks`, then ends, or throws `failWith` after them. */
function scriptedReader(chunks: Uint8Array[], failWith?: Error) {
  let i = 0
  const cancelled = Promise.withResolvers<unknown>()
  let cancelCount = 0
  const reader: StreamReader = {
    async read() {
      if (i < chunks.length) return { done: false, value: chunks[i++] }
      if (failWith) throw failWith
      return { done: true }
    },
    async cancel(reason) {
      cancelCount++
      cancelled.resolve(reason)
    },
  }
  return { reader, cancelled: cancelled.promise, cancelCount: () => cancelCount }
}

/** Relays `chunks` (the first one passed as `first`) and collects everything the client sees. */
function relay(chunks: Uint8Array[], failWith?: Error, maxEventSize?: number) {
  const [first, ...rest] = chunks
  return relayFrom(first, scriptedReader(rest, failWith), maxEventSize)
}

function relayFrom(first: Uint8Array | undefined, upstream: ReturnType<typeof scriptedReader>, maxEventSize?: number) {
  const outcomes: RelayOutcome[] = []
  let aborts = 0
  const stream = relaySse({
    first,
    reader: upstream.reader,
    abort: () => {
      aborts++
    },
    failure: (detail) => upstreamStreamFailed('mock', detail),
    onEnd: (outcome) => outcomes.push(outcome),
    maxEventSize,
  })
  return { stream, upstream, outcomes, aborts: () => aborts }
}

/** An upstream that hands out `piece` `times` times, counting reads (a stream made as it is read). */
function endlessReader(piece: Uint8Array, times: number) {
  let reads = 0
  const cancelled = Promise.withResolvers<unknown>()
  let cancelCount = 0
  const reader: StreamReader = {
    async read() {
      reads++
      return reads <= times ? { done: false, value: piece } : { done: true }
    },
    async cancel(reason) {
      cancelCount++
      cancelled.resolve(reason)
    },
  }
  return { reader, cancelled: cancelled.promise, cancelCount: () => cancelCount, reads: () => reads }
}

/** Reads the whole client stream, recording each chunk the client got. */
async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const chunk of stream) out.push(chunk)
  return out
}

function joined(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks))
}

const EVENTS = [
  'data: {"choices":[{"delta":{"role":"assistant","content":""}}]}\n\n',
  'data: {"choices":[{"delta":{"content":"héllo wörld 🦀 "}}]}\n\n',
  ': keep-alive comment\n\n',
  'event: message\r\ndata: {"choices":[{"delta":{"content":"日本語"}}]}\r\n\r\n',
  'data: [DONE]\n\n',
]
const STREAM = encoder.encode(EVENTS.join(''))

/** Byte offsets just past each event's blank line: a client chunk may end only there. */
const EVENT_ENDS = (() => {
  const ends = new Set<number>()
  let at = 0
  for (const event of EVENTS) ends.add((at += encoder.encode(event).byteLength))
  return ends
})()

function expectWholeEvents(chunks: Uint8Array[]) {
  let at = 0
  for (const chunk of chunks) {
    at += chunk.byteLength
    expect(EVENT_ENDS.has(at)).toBe(true)
  }
}

describe('relaySse', () => {
  // --- chunk boundaries ---

  test('the stream has multi-byte UTF-8 and both line-ending styles', () => {
    // Guards the boundary tests below: they must cut inside a multi-byte character and inside a blank line.
    expect(STREAM.byteLength).toBeGreaterThan(EVENTS.join('').length)
    expect(EVENTS.join('')).toContain('\r\n\r\n')
  })

  test('relays byte-identical whole events when split once at every byte offset', async () => {
    for (let cut = 0; cut <= STREAM.byteLength; cut++) {
      const { stream, outcomes } = relay([STREAM.subarray(0, cut), STREAM.subarray(cut)])
      const got = await collect(stream)
      expect(joined(got)).toEqual(STREAM)
      expectWholeEvents(got)
      expect(outcomes).toEqual(['done'])
    }
  })

  test('relays byte-identical whole events when every byte arrives alone', async () => {
    const bytes = Array.from(STREAM, (b) => Uint8Array.of(b))
    const { stream, outcomes } = relay(bytes)
    const got = await collect(stream)
    expect(decoder.decode(joined(got))).toBe(EVENTS.join(''))
    expect(got.map((c) => decoder.decode(c))).toEqual(EVENTS)
    expect(outcomes).toEqual(['done'])
  })

  test('relays byte-identical whole events when cut into n-byte chunks, for every n', async () => {
    // Chunks that hold no blank line at all are the hard case: the relay must keep reading.
    for (let size = 1; size <= STREAM.byteLength; size++) {
      const chunks: Uint8Array[] = []
      for (let at = 0; at < STREAM.byteLength; at += size) chunks.push(STREAM.subarray(at, at + size))
      const { stream, outcomes } = relay(chunks)
      const got = await collect(stream)
      expect(joined(got)).toEqual(STREAM)
      expectWholeEvents(got)
      expect(outcomes).toEqual(['done'])
    }
  })

  test.each([
    ['inside the blank line', STREAM.indexOf(10) + 1],
    ['inside a 4-byte emoji', STREAM.indexOf(0xf0) + 2],
    ['inside a CRLF blank line', encoder.encode(EVENTS.slice(0, 4).join('')).byteLength - 2],
  ])('holds a partial event back when split %s', async (_name, cut) => {
    const { stream } = relay([STREAM.subarray(0, cut), STREAM.subarray(cut)])
    const got = await collect(stream)
    expectWholeEvents(got)
    expect(joined(got)).toEqual(STREAM)
  })

  test('passes an empty first chunk and empty reads through harmlessly', async () => {
    const { stream, outcomes } = relay([new Uint8Array(0), new Uint8Array(0), STREAM, new Uint8Array(0)])
    expect(joined(await collect(stream))).toEqual(STREAM)
    expect(outcomes).toEqual(['done'])
  })

  test('accepts [DONE] with trailing blank lines after it', async () => {
    const { stream, outcomes } = relay([encoder.encode('data: {}\n\ndata: [DONE]\n\n\n')])
    expect(decoder.decode(joined(await collect(stream)))).toBe('data: {}\n\ndata: [DONE]\n\n\n')
    expect(outcomes).toEqual(['done'])
  })

  // --- failures ---

  test('a read failure mid-stream ends with an in-band error frame and no [DONE]', async () => {
    const { stream, outcomes, aborts } = relay(
      [encoder.encode(EVENTS[0]! + EVENTS[1]!.slice(0, 10))],
      new Error('socket reset'),
    )
    const text = decoder.decode(joined(await collect(stream)))
    expect(text.startsWith(EVENTS[0]!)).toBe(true)
    expect(text).not.toContain('data: [DONE]')
    // The partial event is dropped, not half-sent: what follows the whole event is exactly one error frame.
    const frame = text.slice(EVENTS[0]!.length)
    expect(frame.startsWith('data: ')).toBe(true)
    expect(frame.endsWith('\n\n')).toBe(true)
    const body = JSON.parse(frame.slice('data: '.length))
    expect(body.error.type).toBe('server_error')
    expect(body.error.code).toBe('upstream_stream_error')
    expect(body.error.message).toContain('socket reset')
    expect(outcomes).toEqual(['upstream_error'])
    expect(aborts()).toBeGreaterThanOrEqual(1)
  })

  test.each([
    ['closed between events', EVENTS[0]! + EVENTS[1]!, 'before [DONE]'],
    ['closed inside an event', `${EVENTS[0]!}data: {"cho`, 'in the middle of an event'],
    ['closed with nothing sent', '', 'before [DONE]'],
  ])('a stream %s without [DONE] ends with an error frame', async (_name, sent, detail) => {
    const { stream, outcomes } = relay([encoder.encode(sent)])
    const text = decoder.decode(joined(await collect(stream)))
    const complete = sent.slice(0, sent.lastIndexOf('\n\n') + 2)
    expect(text.startsWith(complete)).toBe(true)
    const frame = text.slice(complete.length)
    const body = JSON.parse(frame.slice('data: '.length))
    expect(body.error.code).toBe('upstream_stream_error')
    expect(body.error.message).toContain(detail)
    expect(text).not.toContain('data: [DONE]')
    expect(outcomes).toEqual(['truncated'])
  })

  test('[DONE] in an earlier event does not hide a later cut', async () => {
    // sawDone tracks the last whole event seen; a partial event after it is still a truncation.
    const { stream, outcomes } = relay([encoder.encode('data: [DONE]\n\ndata: {"x"')])
    await collect(stream)
    expect(outcomes).toEqual(['truncated'])
  })

  // --- events that never end (issue [2/6] finding 5) ---

  test('an event held past maxEventSize ends the stream in-band and cancels the upstream', async () => {
    const { stream, upstream, outcomes, aborts } = relay(
      [encoder.encode(EVENTS[0]!), encoder.encode(`data: ${'x'.repeat(1500)}`), encoder.encode('x'.repeat(1500))],
      undefined,
      2048,
    )
    const got = await collect(stream)
    expect(decoder.decode(got[0])).toBe(EVENTS[0]!)
    const text = decoder.decode(joined(got.slice(1)))
    const body = JSON.parse(text.slice('data: '.length))
    expect(body.error).toMatchObject({ type: 'server_error', code: 'upstream_stream_error' })
    expect(body.error.message).toContain('an event over 2048 bytes without ending it (max_sse_event_size)')
    expect(text).not.toContain('xxx')
    expect(outcomes).toEqual(['upstream_error'])
    expect(aborts()).toBe(1)
    expect(upstream.cancelCount()).toBe(1)
  })

  test.each([
    ['one 100 MB line', `data: ${'x'.repeat(64 * 1024 - 6)}`, 'x'.repeat(64 * 1024)],
    ['lines that never end their event', 'data: {}\n'.repeat(7000), 'data: {}\n'.repeat(7000)],
  ])(
    '%s, in reads of about 64 KiB: stopped at the default max_sse_event_size (4 MiB), not read to its end',
    async (_name, head, piece) => {
      const upstream = endlessReader(encoder.encode(piece), (100 * 1024 * 1024) / encoder.encode(piece).byteLength)
      const { stream, outcomes, aborts } = relayFrom(encoder.encode(head), upstream)
      const text = decoder.decode(joined(await collect(stream)))
      expect(JSON.parse(text.slice('data: '.length)).error.message).toContain('over 4194304 bytes')
      expect(outcomes).toEqual(['upstream_error'])
      expect(aborts()).toBe(1)
      // 4 MiB read, and not one read more.
      expect((upstream.reads() - 1) * encoder.encode(piece).byteLength).toBeLessThanOrEqual(4 * 1024 * 1024)
      expect(upstream.cancelCount()).toBe(1)
    },
  )

  test('an event under the bound, however it is chunked, goes out whole', async () => {
    const event = encoder.encode(`data: ${'y'.repeat(3 * 1024 * 1024)}\n\n`)
    const chunks: Uint8Array[] = []
    for (let at = 0; at < event.byteLength; at += 64 * 1024) chunks.push(event.subarray(at, at + 64 * 1024))
    const { stream, outcomes } = relay([...chunks, encoder.encode('data: [DONE]\n\n')])
    const got = await collect(stream)
    expect(got[0]!.byteLength).toBe(event.byteLength)
    expect(outcomes).toEqual(['done'])
  })

  // --- client side ---

  test('a client cancel cancels the upstream reader and aborts the request', async () => {
    const upstream = scriptedReader([encoder.encode(EVENTS[1]!), encoder.encode(EVENTS[2]!)])
    const outcomes: RelayOutcome[] = []
    let aborts = 0
    const stream = relaySse({
      first: encoder.encode(EVENTS[0]!),
      reader: upstream.reader,
      abort: () => {
        aborts++
      },
      failure: (detail) => upstreamStreamFailed('mock', detail),
      onEnd: (outcome) => outcomes.push(outcome),
    })
    const reader = stream.getReader()
    const firstRead = await reader.read()
    expect(decoder.decode(firstRead.value)).toBe(EVENTS[0]!)
    await reader.cancel('client went away')
    expect(await upstream.cancelled).toBe('client went away')
    expect(upstream.cancelCount()).toBe(1)
    expect(aborts).toBe(1)
    expect(outcomes).toEqual(['client_closed'])
  })

  test('onEnd is reported exactly once, after the last byte, on success', async () => {
    const { stream, outcomes, aborts } = relay([STREAM])
    const reader = stream.getReader()
    const seen: RelayOutcome[][] = []
    for (;;) {
      const { done } = await reader.read()
      seen.push([...outcomes])
      if (done) break
    }
    expect(seen.slice(0, -1).every((o) => o.length === 0)).toBe(true)
    expect(outcomes).toEqual(['done'])
    // The relay releases the upstream request when it ends, whatever the outcome.
    expect(aborts()).toBe(1)
    await reader.cancel()
    expect(outcomes).toEqual(['done'])
  })
})
