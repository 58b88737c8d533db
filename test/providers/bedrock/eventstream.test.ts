// The event-stream decoder: frames encoded with the smithy codec, fed in one blob, split at every byte
// boundary and one byte at a time; corrupt frames (either CRC, the length) and cut streams fail.
import { describe, expect, test } from 'bun:test'
import { EventStreamDecoder, type EventStreamMessage } from '../../../src/providers/bedrock/eventstream'
import { concat, event, exception, frame } from '../../support/fixtures/bedrock'

const FRAMES = [
  event('messageStart', { role: 'assistant' }),
  event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Héllo ✓ wörld' } }),
  exception('throttlingException', 'Too many requests, please wait before trying again.'),
]
const BLOB = concat(FRAMES)

function expectDecoded(messages: EventStreamMessage[]) {
  expect(messages).toEqual([
    { messageType: 'event', eventType: 'messageStart', payload: { role: 'assistant', p: 'abcdefgh' } },
    {
      messageType: 'event',
      eventType: 'contentBlockDelta',
      payload: { contentBlockIndex: 0, delta: { text: 'Héllo ✓ wörld' }, p: 'abcdefgh' },
    },
    {
      messageType: 'exception',
      exceptionType: 'throttlingException',
      payload: { message: 'Too many requests, please wait before trying again.' },
    },
  ])
}

describe('EventStreamDecoder', () => {
  test('one blob holding every frame', () => {
    const decoder = new EventStreamDecoder()
    expectDecoded(decoder.push(BLOB))
    expect(decoder.pending).toBe(0)
    expect(() => decoder.finish()).not.toThrow()
  })

  test('split in two at every byte boundary', () => {
    for (let cut = 0; cut <= BLOB.length; cut++) {
      const decoder = new EventStreamDecoder()
      const messages = [...decoder.push(BLOB.slice(0, cut)), ...decoder.push(BLOB.slice(cut))]
      expectDecoded(messages)
      expect(decoder.pending).toBe(0)
    }
  })

  test('one byte at a time', () => {
    const decoder = new EventStreamDecoder()
    const messages: EventStreamMessage[] = []
    for (let i = 0; i < BLOB.length; i++) messages.push(...decoder.push(BLOB.subarray(i, i + 1)))
    expectDecoded(messages)
  })

  test('a message larger than the initial buffer, arriving in odd chunks', () => {
    const big = 'x'.repeat(20_000)
    const bytes = concat([event('contentBlockDelta', { delta: { text: big } }), FRAMES[0]!])
    const decoder = new EventStreamDecoder()
    const messages: EventStreamMessage[] = []
    for (let i = 0; i < bytes.length; i += 777) messages.push(...decoder.push(bytes.subarray(i, i + 777)))
    expect(messages.map((m) => m.eventType)).toEqual(['contentBlockDelta', 'messageStart'])
    expect((messages[0]!.payload as { delta: { text: string } }).delta.text).toBe(big)
  })

  test('error messages carry their code and message headers', () => {
    const bytes = frame({ ':message-type': 'error', ':error-code': 'InternalFailure', ':error-message': 'boom' }, '')
    expect(new EventStreamDecoder().push(bytes)).toEqual([
      { messageType: 'error', errorCode: 'InternalFailure', errorMessage: 'boom', payload: {} },
    ])
  })

  test('a bad message CRC throws', () => {
    const bytes = FRAMES[1]!.slice()
    bytes[bytes.length - 1]! ^= 0xff
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(/checksum/)
  })

  test('a flipped payload byte fails the message CRC', () => {
    const bytes = FRAMES[1]!.slice()
    bytes[bytes.length - 8]! ^= 0x01
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(/checksum/)
  })

  test('a corrupt length fails the prelude CRC as soon as the prelude is in', () => {
    const bytes = FRAMES[0]!.slice(0, 12)
    bytes[1]! ^= 0x40 // total length now ~4 MB: without the prelude check this would wait forever
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(/prelude checksum/)
  })

  test('a stream cut mid-frame fails at finish()', () => {
    const decoder = new EventStreamDecoder()
    expect(decoder.push(BLOB.subarray(0, FRAMES[0]!.length + 5)).map((m) => m.eventType)).toEqual(['messageStart'])
    expect(decoder.pending).toBe(5)
    expect(() => decoder.finish()).toThrow(/cut mid-message/)
  })

  test('an event payload that is not JSON throws', () => {
    const bytes = frame({ ':message-type': 'event', ':event-type': 'messageStart' }, 'not json')
    expect(() => new EventStreamDecoder().push(bytes)).toThrow(/not JSON/)
  })
})
