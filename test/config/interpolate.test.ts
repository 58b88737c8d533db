import { describe, expect, test } from 'bun:test'
import { type Env, InterpolationError, interpolate, interpolateString } from '../../src/config/interpolate'

const env: Env = { HOME: '/home/crab', KEY: 'sk-123', EMPTY: '', WITH_BRACES: '${HOME}', _UNDER_1: 'u' }

describe('interpolateString', () => {
  test.each([
    // --- no placeholders ---
    ['plain', 'plain'],
    ['', ''],
    ['$HOME stays (no braces)', '$HOME stays (no braces)'],
    ['a lone $ and {braces}', 'a lone $ and {braces}'],
    // --- ${VAR} ---
    ['${HOME}', '/home/crab'],
    ['${HOME}/x/${KEY}', '/home/crab/x/sk-123'],
    ['Bearer ${KEY}', 'Bearer sk-123'],
    ['${_UNDER_1}', 'u'],
    ['${HOME}${HOME}', '/home/crab/home/crab'],
    // --- ${VAR:-default} ---
    ['${MISSING:-fallback}', 'fallback'],
    ['${MISSING:-}', ''],
    ['${HOME:-unused}', '/home/crab'],
    ['${EMPTY:-used when empty}', 'used when empty'],
    ['${MISSING:-http://h:1/v1}', 'http://h:1/v1'],
    ['${MISSING:-a b c}', 'a b c'],
    // --- $${ escape ---
    ['$${HOME}', '${HOME}'],
    ['$${MISSING}', '${MISSING}'],
    ['x $${HOME} ${HOME}', 'x ${HOME} /home/crab'],
    // --- odd input ---
    ['${WITH_BRACES}', '${HOME}'], // values are not expanded again
    ['${1BAD}', '${1BAD}'], // not a variable name: left as-is
    ['${}', '${}'],
    ['${HOME', '${HOME'], // unterminated
    ['${MISSING:-a}b}', 'ab}'], // the default ends at the first }
  ])('%p → %p', (input, expected) => {
    expect(interpolateString(input, env)).toBe(expected)
  })

  test.each([
    ['${MISSING}', 'MISSING'],
    ['prefix ${HOME} ${NOPE}', 'NOPE'],
    ['${EMPTY}', 'EMPTY'], // set but empty counts as unset
  ])('%p without a default throws naming %p', (input, variable) => {
    let error: unknown
    try {
      interpolateString(input, env, 'providers.openai.api_key')
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InterpolationError)
    const e = error as InterpolationError
    expect(e.variable).toBe(variable)
    expect(e.path).toBe('providers.openai.api_key')
    expect(e.message).toContain(variable)
  })
})

describe('interpolate', () => {
  test('expands every string in nested tables and lists, leaving other values alone', () => {
    const date = new Date('2024-01-02T03:04:05Z')
    const input = {
      listen: '${MISSING:-127.0.0.1:5632}',
      shutdown_timeout: 30,
      openapi: true,
      nothing: null,
      when: date,
      providers: { openai: { api_key: '${KEY}', models: ['${MISSING:-gpt}', 'x'] } },
      keys: [{ name: 'k', key: '${KEY}' }],
    }
    const out = interpolate(input, env)
    expect(out).toEqual({
      listen: '127.0.0.1:5632',
      shutdown_timeout: 30,
      openapi: true,
      nothing: null,
      when: date,
      providers: { openai: { api_key: 'sk-123', models: ['gpt', 'x'] } },
      keys: [{ name: 'k', key: 'sk-123' }],
    })
    expect(out.when).toBe(date)
  })

  test('does not mutate its input', () => {
    const input = { a: { b: '${KEY}' } }
    interpolate(input, env)
    expect(input.a.b).toBe('${KEY}')
  })

  test('does not expand keys, only values', () => {
    expect(interpolate({ '${KEY}': 'v' }, env)).toEqual({ '${KEY}': 'v' })
  })

  test.each([
    [{ providers: { openai: { api_key: '${NOPE}' } } }, 'providers.openai.api_key'],
    [{ keys: [{ name: 'a' }, { name: 'b', key: '${NOPE}' }] }, 'keys[1].key'],
    [{ list: ['x', ['y', '${NOPE}']] }, 'list[1][1]'],
    ['${NOPE}', ''],
  ])('names the field of a missing variable: %#', (input, path) => {
    expect(() => interpolate(input, env)).toThrow(InterpolationError)
    try {
      interpolate(input, env)
    } catch (err) {
      expect((err as InterpolationError).path).toBe(path)
      expect((err as InterpolationError).variable).toBe('NOPE')
    }
  })
})
