// The incremental SSE parser of translated streams (src/sse/parser.ts): the same events under any
// chunking (line ends, comments, multi-line data, UTF-8 and a BOM split across chunks), and bounded and
// linear (issue [2/6] finding 5: it appended every chunk to one string and searched it again from the
// start, so one long line was quadratic and unbounded).
import { describe, expect, test } from 'bun:test'
import { UnusableAnswerError } from '../../src/core/upstream-error'
import { type SseEvent, SseParser } from '../../src/sse'

const encoder = new TextEncoder()
const MiB = 1024 * 1024

function parse(chunks: Uint8Array[], parser = new SseParser()): SseEvent[] {
  const out: SseEvent[] = []
  for (const chunk of chunks) out.push(...parser.push(chunk))
  out.push(...parser.end())
  return out
}

const STREAM = encoder.encode(
  [
    '\uFEFFevent: message_start\ndata: {"a":1}\n\n',
    ': ping\n\n',
    'data: line one\ndata: line two\r\n\r\n',
    'event: delta\rdata: héllo 🦀 日本\r\r',
    'id: 7\nretry: 10\nfield without colon\ndata\n\n',
    'data:no space\n\n',
  ].join(''),
)
const EXPECTED: SseEvent[] = [
  { event: 'message_start', data: '{"a":1}' },
  { event: 'message', data: 'line one\nline two' },
  { event: 'delta', data: 'héllo 🦀 日本' },
  { event: 'message', data: '' },
  { event: 'message', data: 'no space' },
]

describe('SseParser', () => {
  test('parses the events of a whole stream', () => {
    expect(parse([STREAM])).toEqual(EXPECTED)
  })

  test('the same events when split once at every byte offset (a BOM, a character, a CRLF cut in two)', () => {
    for (let at = 0; at <= STREAM.byteLength; at++)
      expect(parse([STREAM.subarray(0, at), STREAM.subarray(at)])).toEqual(EXPECTED)
  })

  test('the same events one byte at a time', () => {
    expect(parse(Array.from(STREAM, (b) => Uint8Array.of(b)))).toEqual(EXPECTED)
  })

  test('end() gives out an event left without its blank line', () => {
    const parser = new SseParser()
    expect(parser.push(encoder.encode('data: last'))).toEqual([])
    expect(parser.end()).toEqual([{ event: 'message', data: 'last' }])
  })

  test('a byte order mark is removed only at the start of the stream', () => {
    expect(parse([encoder.encode('data: a\n\n\uFEFFdata: b\n\n')]).map((e) => e.data)).toEqual(['a'])
  })

  // --- the bound ---

  test.each([
    ['one line that never ends', ['data: ', 'x'.repeat(600), 'x'.repeat(600)]],
    ['lines that never end their event', Array.from({ length: 100 }, () => 'data: {"partial":true}\n')],
    ['one event of many lines', [`${'data: 0123456789\n'.repeat(80)}\n`]],
  ])('%s past maxEventSize throws upstreamEventTooLarge', (_name, chunks) => {
    const parser = new SseParser(1024)
    const err = (() => {
      try {
        for (const chunk of chunks) parser.push(encoder.encode(chunk))
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(UnusableAnswerError)
    expect(err).toMatchObject({ status: 502, code: 'upstream_event_too_large' })
    expect((err as Error).message).toContain('over 1024 bytes')
  })

  test('events under the bound, however many, are fine: the count restarts at each blank line', () => {
    const parser = new SseParser(1024)
    const events = parse([encoder.encode(`data: ${'x'.repeat(900)}\n\n`.repeat(100))], parser)
    expect(events).toHaveLength(100)
  })

  test('defaults to the schema default of max_sse_event_size', () => {
    expect(new SseParser().maxEventSize).toBe(4 * MiB)
  })

  // --- linear work: counted, never timed ---

  test.each([
    ['1-byte', 1],
    ['64 KiB', 64 * 1024],
  ])('a 10 MB data line in %s chunks: one event, each byte copied at most three times', (_name, size) => {
    const n = 10 * MiB
    const bytes = new Uint8Array(n + 2).fill(120)
    bytes.set(encoder.encode('data: '), 0)
    bytes[n] = 10
    bytes[n + 1] = 10
    const parser = new SseParser(16 * MiB)
    const events: SseEvent[] = []
    for (let at = 0; at < bytes.byteLength; at += size) events.push(...parser.push(bytes.subarray(at, at + size)))
    expect(events).toHaveLength(1)
    expect(events[0]!.data.length).toBe(n - 'data: '.length)
    // Searching the whole held text again per chunk (the old parser) does about n²/2 work.
    expect(parser.copied).toBeLessThanOrEqual(3 * n)
  })
})
