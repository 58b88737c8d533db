import { describe, expect, test } from 'bun:test'
import { generateKey } from '../../src/config/generate-key'

const BASE62 = /^[0-9A-Za-z]+$/

describe('generateKey', () => {
  test('starts with sk- followed by at least 32 base62 characters', () => {
    const key = generateKey()
    expect(key.startsWith('sk-')).toBe(true)
    const body = key.slice('sk-'.length)
    expect(body.length).toBeGreaterThanOrEqual(32)
    expect(body).toMatch(BASE62)
  })

  test('is always the same length', () => {
    const lengths = new Set(Array.from({ length: 200 }, () => generateKey().length))
    expect(lengths.size).toBe(1)
  })

  test.each([['sk-'], ['ct-admin-'], ['']])('uses the prefix %p', (prefix) => {
    const key = generateKey(prefix)
    expect(key.startsWith(prefix)).toBe(true)
    expect(key.slice(prefix.length)).toMatch(BASE62)
    expect(key.length - prefix.length).toBeGreaterThanOrEqual(32)
  })

  test('never repeats over many keys', () => {
    const keys = new Set(Array.from({ length: 5000 }, () => generateKey()))
    expect(keys.size).toBe(5000)
  })

  test('uses only base62 characters, and all of them over many keys', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 500; i++) {
      const body = generateKey().slice(3)
      expect(body).toMatch(BASE62)
      for (const ch of body) seen.add(ch)
    }
    // 24,000 draws from 62 symbols: every symbol shows up unless the alphabet is broken.
    expect(seen.size).toBe(62)
  })
})
