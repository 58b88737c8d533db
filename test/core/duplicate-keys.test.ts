import { describe, expect, test } from 'bun:test'
import { readJsonBody } from '../../src/core/body'
import { duplicateKey, hasNoDuplicateKeys } from '../../src/core/duplicate-keys'
import { GatewayError } from '../../src/core/errors'

const keysOf = (value: unknown): number => {
  if (typeof value !== 'object' || value === null) return 0
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + keysOf(item), 0)
  return Object.entries(value).reduce((n, [, item]) => n + 1 + keysOf(item), 0)
}

/** Both steps as the body reader runs them: the proof, else the scan. */
const check = (text: string) => (hasNoDuplicateKeys(text, keysOf(JSON.parse(text))) ? undefined : duplicateKey(text))

describe('duplicate keys', () => {
  test.each([
    ['{"model":"a","model":"b"}', 'model'],
    ['{"model":"a","x":{"model":1},"stream":true}', undefined],
    ['{"a":{"b":1,"c":[{"b":2}],"b":3}}', 'b'],
    ['{"a":[{"b":1},{"b":2}],"c":{"b":3}}', undefined],
    // The same key spelt with an escape is the same key.
    ['{"mod\\u0065l":"a","model":"b"}', 'model'],
    // Blanks between a key and its colon (the proof gives up; the scan finds it).
    ['{"model" :"a",\n"model"\t: "b"}', 'model'],
    // A string value holding '":' or an escaped quote is not a key.
    ['{"a":"x\\":","b":"\\"a\\":1"}', undefined],
    ['{"a\\\\":1,"a\\\\":2}', 'a\\'],
    ['{"":1,"":2}', ''],
    ['{"__proto__":1,"__proto__":2}', '__proto__'],
    // After a nested object closes, its parent's keys are still counted.
    ['{"a":{"x":1},"b":{"x":2},"a":3}', 'a'],
    ['[{"a":1},{"a":2}]', undefined],
  ])('%s → %p', (text, expected) => {
    expect(duplicateKey(text)).toBe(expected as string | undefined)
    expect(check(text)).toBe(expected as string | undefined)
  })

  test('pretty-printed bodies (as Python and `JSON.stringify(v, null, 2)` send them) pass', () => {
    const value = { model: 'm', messages: [{ role: 'user', content: ' leading blank' }], n: 1 }
    expect(check(JSON.stringify(value, null, 2))).toBeUndefined()
    expect(check(JSON.stringify(value).replaceAll(',"', ', "').replaceAll('":', '": '))).toBeUndefined()
  })

  test('random bodies: the proof never passes a text with a duplicate, and the scan finds exactly those', () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    const KEYS = ['a', 'b', 'model', 'a\\"b', 'x\\u0061', 'xa', '\\":']
    const BLANKS = ['', '', '', ' ', '\n  ']
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!
    /** JSON text and whether it holds a duplicate (judged on the unescaped key, as JSON.parse sees it). */
    const gen = (depth: number): { text: string; dup: boolean } => {
      const r = random()
      if (depth > 3 || r < 0.3) return { text: pick(['1', '"s"', '"\\":"', 'null', '" :"']), dup: false }
      if (r < 0.5) {
        const items = Array.from({ length: Math.floor(random() * 3) }, () => gen(depth + 1))
        return { text: `[${items.map((i) => i.text).join(',')}]`, dup: items.some((i) => i.dup) }
      }
      const seen = new Set<string>()
      let dup = false
      const members = Array.from({ length: Math.floor(random() * 4) }, () => {
        const key = pick(KEYS)
        const plain = JSON.parse(`"${key}"`) as string
        if (seen.has(plain)) dup = true
        seen.add(plain)
        const value = gen(depth + 1)
        dup ||= value.dup
        return `"${key}"${pick(BLANKS)}:${pick(BLANKS)}${value.text}`
      })
      return { text: `{${members.join(`,${pick(BLANKS)}`)}}`, dup }
    }
    let dups = 0
    for (let i = 0; i < 5000; i++) {
      const { text, dup } = gen(0)
      JSON.parse(text) // the generator writes valid JSON
      if (dup) dups++
      expect({ text, found: duplicateKey(text) !== undefined }).toEqual({ text, found: dup })
      if (dup)
        expect({ text, proven: hasNoDuplicateKeys(text, keysOf(JSON.parse(text))) }).toEqual({ text, proven: false })
    }
    expect(dups).toBeGreaterThan(500)
  })

  test('the body reader refuses a duplicate with 400 duplicate_key naming the key', async () => {
    const request = new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      body: '{"model":"gpt-4o","messages":[],"model":"gpt-4o-mini"}',
    })
    const err = await readJsonBody(request, 1 << 20).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect((err as GatewayError).toJSON()).toEqual({
      error: {
        message: "The JSON body has the key 'model' twice in one object; send each key once.",
        type: 'invalid_request_error',
        param: 'model',
        code: 'duplicate_key',
      },
    })
  })
})
