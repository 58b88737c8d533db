// Token counts of long unbroken runs, sliced so that byte-pair encoding stays linear (count-sliced.ts).
import { expect, test } from 'bun:test'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { countSliced } from '../../src/core/count-sliced'

test('ordinary text is counted whole, exactly as the tokenizer counts it', () => {
  const text = 'The Pharos of Alexandria, finished around 280 BC, stood over 100 metres tall. '.repeat(50)
  expect(countSliced(text, countTokens)).toBe(countTokens(text))
})

test('a run longer than a slice is counted in slices: close to the whole count, each slice bounded', () => {
  const base64 = Buffer.from(new Uint8Array(6000).map((_, i) => (i * 7919) % 251)).toString('base64')
  const text = `image: ${base64} done`
  const sliced = countSliced(text, countTokens)
  const whole = countTokens(text)
  expect(Math.abs(sliced - whole)).toBeLessThanOrEqual(Math.ceil(base64.length / 512))
  const lengths: number[] = []
  countSliced(text, (piece) => lengths.push(piece.length))
  expect(Math.max(...lengths)).toBeLessThanOrEqual(512)
  expect(lengths.reduce((a, b) => a + b, 0)).toBe(text.length)
})

test('4 MiB of one letter (a hostile stream) is counted in slices, never as one run', () => {
  const text = 'x'.repeat(4 * 1024 * 1024)
  let pieces = 0
  countSliced(text, (piece) => {
    if (piece) pieces++
    return piece.length > 512 ? Number.NaN : 1
  })
  expect(pieces).toBe((4 * 1024 * 1024) / 512)
})
