// The byte-level event scanner (src/sse/scan.ts): where a blank line straddles two chunks, the cutter
// that holds a partial event (same whole events under any chunking, bounded, and linear: issue [2/6]
// finding 5, one 100 MB line cost 32 s and 1.2 GB when the held part was re-joined and re-scanned per
// chunk), and the held buffer's copy count.
import { describe, expect, test } from 'bun:test'
import { ConfigSchema } from '../../src/config/schema'
import { HeldBytes } from '../../src/core/bytes'
import { DEFAULT_LIMITS, UnusableAnswerError } from '../../src/core/upstream-error'
import { EventCutter, endAcross } from '../../src/sse/scan'

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const MiB = 1024 * 1024

/** Everything the cutter gives out for `chunks`, and what it still holds. */
function cut(chunks: Uint8Array[], max = 4 * MiB) {
  const cutter = new EventCutter(max)
  const out: string[] = []
  for (const chunk of chunks) {
    const whole = cutter.push(chunk)
    if (whole) out.push(decoder.decode(whole))
  }
  return { out, pending: decoder.decode(cutter.pending), cutter }
}

const EVENTS = [
  'data: {"a":1}\n\n',
  'data: héllo 🦀\n\n',
  ': comment\n\n',
  'event: x\r\ndata: 日本\r\n\r\n',
  'data: [DONE]\n\n',
]
const STREAM = encoder.encode(EVENTS.join(''))

describe('endAcross', () => {
  test.each([
    ['\\n | \\n', -1, 10, '\n', 1],
    ['\\n\\r | \\n', 10, 13, '\nx', 1],
    ['\\n | \\r\\n', -1, 10, '\r\n', 2],
    ['x | \\n', -1, 120, '\n', 0],
    ['\\r | \\n (a lone CR before)', 120, 13, '\n', 0],
    ['\\n | \\r then not \\n', -1, 10, '\rx', 0],
    ['\\n | data', -1, 10, 'data', 0],
  ])('%s', (_name, before2, before1, chunk, expected) => {
    expect(endAcross(before2, before1, encoder.encode(chunk))).toBe(expected)
  })
})

describe('EventCutter', () => {
  test('gives out the same whole events whatever the split, at every byte offset', () => {
    for (let at = 0; at <= STREAM.byteLength; at++) {
      const { out, pending } = cut([STREAM.subarray(0, at), STREAM.subarray(at)])
      expect(out.join('')).toBe(EVENTS.join(''))
      expect(pending).toBe('')
      // A run ends only where an event does.
      for (const run of out) expect(run).toMatch(/\n\r?\n$/)
    }
  })

  test('one byte at a time: each event out as its blank line arrives', () => {
    const { out } = cut(Array.from(STREAM, (b) => Uint8Array.of(b)))
    expect(out).toEqual(EVENTS)
  })

  test('a chunk that is all whole events goes out as the same array (no copy)', () => {
    const cutter = new EventCutter(4 * MiB)
    expect(cutter.push(STREAM)).toBe(STREAM)
    expect(cutter.copied).toBe(0)
  })

  test('the start of an event is held, and given out joined with its end', () => {
    const { out, pending } = cut([encoder.encode('data: {"a":1}\n\ndata: {"b"'), encoder.encode(':2}\n\ndata: {"c')])
    expect(out).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n'])
    expect(pending).toBe('data: {"c')
  })

  // --- the bound ---

  test('an event held past maxEventSize throws upstreamEventTooLarge, before holding more', () => {
    const cutter = new EventCutter(1024)
    cutter.push(encoder.encode(`data: ${'x'.repeat(1000)}`))
    const err = (() => {
      try {
        cutter.push(encoder.encode('x'.repeat(100)))
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(UnusableAnswerError)
    expect(err).toMatchObject({ status: 502, code: 'upstream_event_too_large', transient: false })
    expect((err as Error).message).toContain('max_sse_event_size')
    expect(cutter.pending.byteLength).toBeLessThanOrEqual(1024)
  })

  test('a stream of lines that never end their event is bounded the same way', () => {
    const cutter = new EventCutter(4096)
    const line = encoder.encode('data: {"partial":true}\n')
    expect(() => {
      for (let i = 0; i < 1000; i++) cutter.push(line)
    }).toThrow('max_sse_event_size')
  })

  test('the bound is on one event: whole events after the held one, in the same chunk, are not counted', () => {
    const cutter = new EventCutter(1024)
    expect(cutter.push(encoder.encode(`data: ${'x'.repeat(900)}`))).toBeUndefined()
    const rest = `\n\n${'data: {}\n\n'.repeat(200)}`
    expect(decoder.decode(cutter.push(encoder.encode(rest)))).toBe(`data: ${'x'.repeat(900)}${rest}`)
  })

  test('an event over the bound that ends in the same chunk still throws', () => {
    const cutter = new EventCutter(1024)
    cutter.push(encoder.encode(`data: ${'x'.repeat(1000)}`))
    expect(() => cutter.push(encoder.encode(`${'x'.repeat(100)}\n\n`))).toThrow('max_sse_event_size')
  })

  // --- linear work: counted, never timed ---

  test.each([
    ['1-byte', 1],
    ['64 KiB', 64 * 1024],
  ])('a 10 MB event in %s chunks: each byte copied at most three times, one event out', (_name, size) => {
    const n = 10 * MiB
    const event = new Uint8Array(n + 2).fill(120)
    event.set(encoder.encode('data: '), 0)
    event[n] = 10
    event[n + 1] = 10
    const cutter = new EventCutter(16 * MiB)
    let out: Uint8Array | undefined
    let outs = 0
    for (let at = 0; at < event.byteLength; at += size) {
      const whole = cutter.push(event.subarray(at, at + size))
      if (whole) {
        out = whole
        outs++
      }
    }
    expect(outs).toBe(1)
    expect(out!.byteLength).toBe(n + 2)
    expect(Buffer.from(out!).equals(Buffer.from(event))).toBe(true)
    // Re-joining the held part per chunk copies about n²/2 bytes (5·10¹³ for 1-byte chunks).
    expect(cutter.copied).toBeLessThanOrEqual(3 * (n + 2))
  })
})

describe('held in pieces', () => {
  test('an event that never ends, arriving in whole chunks (as fetch reads them), is held without a copy', () => {
    const cutter = new EventCutter(10 * MiB)
    const chunks: Uint8Array[] = []
    const err = (() => {
      try {
        for (let i = 0; ; i++) {
          const chunk = new Uint8Array(64 * 1024).fill(120)
          if (i === 0) chunk.set(encoder.encode('data: '))
          chunks.push(chunk)
          expect(cutter.push(chunk)).toBeUndefined()
        }
      } catch (e) {
        return e
      }
    })()
    expect((err as Error).message).toContain('max_sse_event_size')
    expect(chunks.length).toBe(161) // 160 fill the bound; the next passes it
    expect(cutter.copied).toBe(0)
  })

  test('whole chunks held, then the end: one copy joins them, and the bytes are exact', () => {
    const cutter = new EventCutter(MiB)
    const a = new Uint8Array(20_000).fill(97)
    a.set(encoder.encode('data: '))
    const b = new Uint8Array(30_000).fill(98)
    expect(cutter.push(a)).toBeUndefined()
    expect(cutter.push(b)).toBeUndefined()
    const out = cutter.push(encoder.encode('c\n\ndata: next'))!
    expect(decoder.decode(out)).toBe(`data: ${'a'.repeat(19_994)}${'b'.repeat(30_000)}c\n\n`)
    expect(cutter.copied).toBe(3 + 50_003 + 10) // 'c\n\n' held, the join, then 'data: next' held
    expect(decoder.decode(cutter.pending)).toBe('data: next')
  })
})

/** The least a whole chunk must be to be kept rather than copied (core/bytes.ts REF_MIN). */
const REF = 16 * 1024

describe('HeldBytes', () => {
  test('small pieces are copied into blocks: n bytes held copy n, and taking them joins once more', () => {
    const held = new HeldBytes(64 * MiB)
    const piece = new Uint8Array(3).fill(7)
    for (let i = 0; i < 100_000; i++) held.add(piece, 0, 3)
    expect(held.size).toBe(300_000)
    expect(held.copied).toBe(300_000)
    expect(held.last(1)).toBe(7)
    expect(held.take().byteLength).toBe(300_000)
    expect(held.copied).toBe(600_000)
    expect(held.size).toBe(0)
    expect(held.last(1)).toBe(-1)
  })

  test('last() and peek() read across kept chunks and blocks', () => {
    const held = new HeldBytes(MiB)
    const big = new Uint8Array(REF).fill(1)
    big[REF - 1] = 2
    held.add(big, 0, REF)
    expect(held.copied).toBe(0)
    held.add(Uint8Array.of(3, 4), 0, 1)
    expect([held.last(1), held.last(2), held.last(3)]).toEqual([3, 2, 1])
    expect(held.last(REF + 2)).toBe(-1)
    const all = held.peek()
    expect(all.byteLength).toBe(REF + 1)
    expect(all[REF]).toBe(3)
    expect(held.peek()).toBe(all) // joined once
    held.clear()
    expect(held.size).toBe(0)
    expect(held.peek().byteLength).toBe(0)
    // A chunk that is a small view of a larger buffer is copied, not kept (it would keep the buffer alive).
    const view = new Uint8Array(4 * REF).subarray(0, REF)
    held.add(view, 0, REF)
    expect(held.copied).toBe(1 + REF + 1 + REF)
  })
})

test('the limits used when none is configured are the config schema’s defaults', () => {
  const props = ConfigSchema.properties as Record<string, { default?: unknown }>
  expect(DEFAULT_LIMITS).toEqual({
    answerBytes: props.max_answer_size!.default as number,
    eventBytes: props.max_sse_event_size!.default as number,
  })
})
