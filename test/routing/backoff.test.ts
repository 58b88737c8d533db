import { describe, expect, test } from 'bun:test'
import { backoffDelay, parseRetryAfter, retryDelay } from '../../src/routing/backoff'

const fixed = (value: number) => () => value

describe('backoffDelay', () => {
  test.each([
    // attempt, base, random, expected
    [0, 100, 0, 50],
    [0, 100, 0.5, 75],
    [0, 100, 0.999999, 99.99995],
    [1, 100, 0, 100],
    [1, 100, 1, 200],
    [2, 100, 0, 200],
    [3, 100, 0.5, 600],
    [0, 0, 0.7, 0],
  ])('attempt %p, base %p, random %p → %p ms', (attempt, base, random, expected) => {
    expect(backoffDelay(attempt, base, fixed(random))).toBeCloseTo(expected, 6)
  })

  test('stays within [b/2, b] for b = base·2^attempt', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const b = 100 * 2 ** attempt
      for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.9999]) {
        const delay = backoffDelay(attempt, 100, fixed(r))
        expect(delay).toBeGreaterThanOrEqual(b / 2)
        expect(delay).toBeLessThanOrEqual(b)
      }
    }
  })

  test('grows with each attempt for the same random draw', () => {
    const delays = [0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, 100, fixed(0.3)))
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBe(delays[i - 1]! * 2)
  })

  test('draws one random number per call', () => {
    let calls = 0
    backoffDelay(2, 100, () => {
      calls++
      return 0.5
    })
    expect(calls).toBe(1)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z')

  test.each<[Record<string, string>, number | undefined]>([
    // --- absent ---
    [{}, undefined],
    // --- retry-after-ms (OpenAI) ---
    [{ 'retry-after-ms': '250' }, 250],
    [{ 'retry-after-ms': ' 1500 ' }, 1500],
    [{ 'retry-after-ms': '12.5' }, 12.5],
    [{ 'retry-after-ms': '0' }, 0],
    [{ 'retry-after-ms': '250', 'retry-after': '9' }, 250], // ms wins
    [{ 'retry-after-ms': 'soon', 'retry-after': '2' }, 2000], // unparseable ms falls back
    [{ 'retry-after-ms': '-5' }, undefined],
    // --- Retry-After seconds ---
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0' }, 0],
    [{ 'retry-after': '1.5' }, 1500],
    [{ 'retry-after': ' 3 ' }, 3000],
    // --- Retry-After HTTP date ---
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }, 10_000],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:01:00 GMT' }, 60_000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0], // in the past: never negative
    [{ 'retry-after': 'Wednesday, 01-Jan-25 00:00:05 GMT' }, 5000], // RFC 850 form
    // --- garbage ---
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after': '' }, undefined],
    [{ 'retry-after': '-3' }, undefined],
    [{ 'retry-after': '1e3' }, undefined],
    [{ 'retry-after': 'abc 3' }, undefined], // Date.parse alone reads this as a date in 2001
    [{ 'retry-after': 'Wed, 01 Jan 2025 nonsense' }, undefined],
  ])('%p → %p', (headers, expected) => {
    expect(parseRetryAfter(new Headers(headers), now)).toBe(expected)
  })

  test('measures an HTTP date from the injected clock', () => {
    const headers = new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' })
    expect(parseRetryAfter(headers, now)).toBe(30_000)
    expect(parseRetryAfter(headers, now + 20_000)).toBe(10_000)
  })
})

describe('retryDelay', () => {
  const options = { baseMs: 100, retryAfterCapMs: 5000, random: fixed(0.5) }

  test.each<[number, number | undefined, number]>([
    // --- Retry-After given ---
    [0, 1200, 1200],
    [3, 0, 0],
    [0, 5000, 5000],
    [0, 60_000, 5000], // capped
    // --- jittered backoff otherwise ---
    [0, undefined, 75],
    [2, undefined, 300],
  ])('attempt %p, retry-after %p → %p ms', (attempt, retryAfter, expected) => {
    expect(retryDelay(attempt, retryAfter, options)).toBe(expected)
  })

  test('passes the injected random through to the backoff', () => {
    expect(retryDelay(1, undefined, { ...options, random: fixed(0) })).toBe(100)
    expect(retryDelay(1, undefined, { ...options, random: fixed(1) })).toBe(200)
  })
})
