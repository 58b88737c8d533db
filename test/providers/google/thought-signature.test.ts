import { describe, expect, test } from 'bun:test'
import {
  MAX_SIGNED_ID_LENGTH,
  SIGNATURE_SEPARATOR,
  splitToolCallId,
  toolCallIdWith,
  usableGeminiId,
} from '../../../src/providers/google/thought-signature'

/** Anthropic's tool_use id pattern: what every id we hand out must match. */
const ANTHROPIC_ID = /^[a-zA-Z0-9_-]+$/

describe('toolCallIdWith / splitToolCallId', () => {
  test.each([
    ['standard base64 with padding', 'CikB0e2Kb+4/x9Zq1w==', 'call_1__gts__CikB0e2Kb-4_x9Zq1w'],
    ['standard base64 with one pad', 'YWJjZGU=', 'call_1__gts__YWJjZGU'],
    ['without padding', 'c2ln', 'call_1__gts__c2ln'],
    ['url-safe base64 (read back as standard)', 'ab-_', 'call_1__gts__ab-_'],
  ])('%s: carried in the id and restored as Gemini sent it', (_name, signature, id) => {
    const out = toolCallIdWith('call_1', signature)
    expect(out).toBe(id)
    expect(out).toMatch(ANTHROPIC_ID)
    const back = splitToolCallId(out)
    expect(back.id).toBe('call_1')
    // Base64 decodes to the same bytes (url-safe input comes back in the standard alphabet).
    expect(Buffer.from(back.signature!, 'base64')).toEqual(Buffer.from(signature, 'base64'))
    if (!signature.includes('-'))
      expect(back.signature).toBe(signature.padEnd(Math.ceil(signature.length / 4) * 4, '='))
  })

  test.each([
    ['not base64', 'sig!'],
    ['an impossible length', 'abcde'],
    ['padding that does not fit', 'sig=='],
    ['empty', ''],
    ['not a string', 42],
    ['absent', undefined],
  ])('a signature that is %s leaves the id bare', (_name, signature) => {
    expect(toolCallIdWith('call_1', signature)).toBe('call_1')
  })

  test(`an id that would pass ${MAX_SIGNED_ID_LENGTH} characters stays bare`, () => {
    const fits = 'A'.repeat(MAX_SIGNED_ID_LENGTH - 'call_1'.length - SIGNATURE_SEPARATOR.length)
    expect(toolCallIdWith('call_1', fits).length).toBe(MAX_SIGNED_ID_LENGTH)
    expect(toolCallIdWith('call_1', `${fits}AAAA`)).toBe('call_1')
  })

  test.each([
    ['an OpenAI id', 'call_abc123'],
    ['an Anthropic id', 'toolu_01A09q90qw90lq917835lq9'],
    ['an id with our separator and nothing after it', 'call_1__gts__'],
    ['an id with our separator first', '__gts__c2ln'],
    ['a suffix of an impossible base64 length', 'call_1__gts__abcde'],
  ])('%s is read whole, without a signature', (_name, id) => {
    expect(splitToolCallId(id)).toEqual({ id })
  })

  test('the id is split at the first separator: a signature may contain it', () => {
    const signature = 'X19ndHNfXw=='
    expect(splitToolCallId(`call_9${SIGNATURE_SEPARATOR}__gts__c2ln`)).toEqual({
      id: 'call_9',
      signature: '//gts//c2ln=',
    })
    expect(splitToolCallId(toolCallIdWith('call_9', signature))).toEqual({ id: 'call_9', signature })
  })
})

describe('usableGeminiId', () => {
  test.each([
    ['abc-123_X', true],
    ['a'.repeat(128), true],
    ['a'.repeat(129), false],
    ['has space', false],
    ['functions.get:0', false],
    ['x__gts__y', false],
    ['', false],
    [7, false],
  ])('%j → %s', (id, usable) => {
    expect(usableGeminiId(id)).toBe(usable)
  })
})
