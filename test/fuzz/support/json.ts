// Hostile JSON: values of every wrong type, prototype-pollution keys, deep nesting, huge strings,
// number tokens JSON.stringify cannot write (1e309, -0), duplicate keys; mutations of a valid body;
// and byte-level damage to the rendered text (truncation, flipped bytes, invalid UTF-8, BOMs, NULs).
import type { Rng } from './rng'

/** JSON text emitted as is (number tokens like 1e309, pre-built deep nesting). */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object whose entries may repeat a key (rendered in order; JSON.parse keeps the last). */
export class Dup {
  constructor(readonly entries: [string, unknown][]) {}
}

export type Tree = unknown

/** Keys that pollute a prototype when code assigns them blindly, and others inherited from Object.prototype. */
export const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'isPrototypeOf',
  'toJSON',
  'then',
]

/** A value that pollutes Object.prototype if some code merges it into an object by assignment. */
export const POLLUTER = () => ({
  polluted: 'yes',
  isAdmin: true,
  kind: 'openai',
  models: ['*'],
  role: 'user',
  model: 'gpt-4o-mini',
})

const NUMBER_TOKENS = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '1e309',
  '-1e309',
  '1E400',
  '-1e-400',
  '5e-324',
  '1e-7',
  '9007199254740993',
  '-9007199254740993',
  '123456789012345678901234567890',
  '2147483648',
  '4294967296',
  '1.0',
  '1e2',
  '100000000000000000000000000',
  '3.14159',
  '0.1e1',
  '-0.0',
  '1E+2',
  '64',
  '4096',
  '1000000000',
]

const STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  '\ufeff',
  '\u202e\u202d',
  '😀',
  '\u0085',
  '\u2028\u2029',
  'null',
  'true',
  'false',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  '1e309',
  '0x10',
  '1',
  '${HOME}',
  '${A:-b}',
  '$${x}',
  '%s%n%x',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '\r\n\r\n',
  '\n',
  '"',
  '\\',
  '{}',
  '[]',
  '{"a":1}',
  'data:',
  'data:image/png;base64,',
  'data:image/png;base64,iVBORw0KGgo=',
  'data:application/pdf;base64,JVBERi0=',
  'data:text/plain,hi',
  'data:;base64,AA',
  'data:image/png;base64',
  'http://[',
  'http://',
  'https://example.com/a.png',
  'http://x/a.constructor',
  'http://x/a.__proto__',
  'gs://bucket/a.pdf',
  'https://%zz',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'user',
  'assistant',
  'system',
  'tool',
  'developer',
  'function',
  'text',
  'image_url',
  'image',
  'tool_use',
  'tool_result',
  'document',
  'thinking',
  'auto',
  'any',
  'none',
  'required',
  'json_schema',
  'json_object',
  'base64',
  'url',
  'float',
  'object',
  'string',
  'array',
  'integer',
  'number',
  'boolean',
  '#/$defs/__proto__',
  '#/$defs/constructor',
  '#/definitions/a',
  'gpt-4o-mini',
  'echo',
  'sk-',
  'Bearer x',
  'AAAA',
  'é',
  'ß',
  'İ',
  'ﬃ',
  'Ǆ',
  'a'.repeat(65),
  'x y',
  'a/b',
  'a\\b',
  'a.b',
  '2030-01-31T12:00:00Z',
  '2030-02-30T00:00:00Z',
  '1999-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999999999+14:00',
  '2030-13-01T00:00:00Z',
  ...PROTO_KEYS,
]

/** Field names the surfaces read, used as unknown keys elsewhere (a field in the wrong place). */
export const FIELD_NAMES = [
  'model',
  'messages',
  'role',
  'content',
  'type',
  'text',
  'image_url',
  'url',
  'tool_calls',
  'function',
  'name',
  'arguments',
  'tools',
  'tool_choice',
  'parameters',
  'stream',
  'stream_options',
  'include_usage',
  'max_tokens',
  'input',
  'source',
  'data',
  'media_type',
  'system',
  'kind',
  'models',
  'api_key',
  'base_url',
  'rate_limit',
  'budget',
  'expires_at',
  '$ref',
  '$defs',
  'properties',
  'items',
  'anyOf',
  'allOf',
  'required',
  'enum',
  'const',
  'input_schema',
  'file',
  'file_data',
  'id',
  'tool_use_id',
  'tool_call_id',
]

/** A random string: from the list, random code units (lone surrogates included), or long. */
export function hostileString(rng: Rng): string {
  return rng.weighted<() => string>([
    [6, () => rng.pick(STRINGS)],
    [2, () => randomText(rng, rng.int(40))],
    [1, () => rng.pick(STRINGS).repeat(rng.range(2, 2000))],
    [1, () => 'x'.repeat(rng.range(1000, 100_000))],
  ])()
}

/** Code units of every kind: ASCII, controls, BMP, lone surrogates, astral pairs. */
export function randomText(rng: Rng, length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) {
    out += rng.weighted<() => string>([
      [6, () => String.fromCharCode(rng.range(0x20, 0x7e))],
      [1, () => String.fromCharCode(rng.int(0x20))],
      [1, () => String.fromCharCode(rng.range(0x80, 0xffff))],
      [1, () => String.fromCharCode(rng.range(0xd800, 0xdfff))],
      [1, () => String.fromCodePoint(rng.range(0x10000, 0x10ffff))],
    ])()
  }
  return out
}

/** How deep generated nesting may go (pure translators only ever see what readJsonBody accepts). */
export interface Shape {
  deepest: number
}

const ANY_DEPTH: Shape = { deepest: 120_000 }

/** A value of a random type, hostile where it can be. */
export function hostileValue(rng: Rng, depth = 0, shape: Shape = ANY_DEPTH): Tree {
  const leaf = depth > 3
  return rng.weighted<() => Tree>([
    [3, () => new Raw(rng.pick(NUMBER_TOKENS))],
    [2, () => null],
    [1, () => rng.chance(0.5)],
    [5, () => hostileString(rng)],
    [leaf ? 0 : 2, () => Array.from({ length: rng.int(5) }, () => hostileValue(rng, depth + 1, shape))],
    [leaf ? 0 : 2, () => hostileObject(rng, depth + 1, shape)],
    [leaf ? 0 : 1, () => POLLUTER()],
    [
      leaf ? 0 : 1,
      () =>
        new Dup([
          ['__proto__', POLLUTER()],
          ['constructor', { prototype: POLLUTER() }],
        ]),
    ],
    [1, () => deepNesting(rng, shape)],
  ])()
}

function hostileObject(rng: Rng, depth: number, shape: Shape): Tree {
  const entries: [string, unknown][] = []
  const n = rng.int(5)
  for (let i = 0; i < n; i++) entries.push([hostileKey(rng), hostileValue(rng, depth, shape)])
  return new Dup(entries)
}

export function hostileKey(rng: Rng): string {
  return rng.weighted<() => string>([
    [3, () => rng.pick(PROTO_KEYS)],
    [3, () => rng.pick(FIELD_NAMES)],
    [1, () => hostileString(rng).slice(0, 100)],
  ])()
}

/**
 * Nested arrays or objects, from a hundred levels to a hundred thousand (pre-rendered text), at most
 * `shape.deepest`. (JSON.parse takes 5 to 35 ms for the deepest: they are the rarer.)
 */
export function deepNesting(rng: Rng, shape: Shape = ANY_DEPTH): Raw {
  const depth = Math.min(
    shape.deepest,
    rng.weighted([
      [12, rng.range(100, 1000)],
      [3, 10_000],
      [1, rng.range(50_000, 120_000)],
    ] as const),
  )
  const inner = rng.pick(['1', '"x"', 'null', '{}', '[]'])
  switch (rng.int(3)) {
    case 0:
      return new Raw('['.repeat(depth) + inner + ']'.repeat(depth))
    case 1:
      return new Raw('{"a":'.repeat(depth) + inner + '}'.repeat(depth))
    default: {
      // Content blocks in content blocks; at most about 1 MB of text.
      const levels = Math.min(depth, 30_000)
      return new Raw('[{"type":"text","content":'.repeat(levels) + inner + '}]'.repeat(levels))
    }
  }
}

/** JSON text of a tree (Raw and Dup included). Deep plain trees are fine: bodies nest a few levels. */
export function render(value: Tree, rng?: Rng): string {
  const ws = () => (rng?.chance(0.05) ? rng.pick([' ', '\n', '\t', '\r\n', '  ']) : '')
  const go = (v: Tree): string => {
    if (v instanceof Raw) return v.text
    if (v instanceof Dup)
      return `{${v.entries.map(([k, x]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${go(x)}`).join(',')}}`
    if (Array.isArray(v)) return `[${v.map((x) => ws() + go(x)).join(',')}]`
    if (v !== null && typeof v === 'object')
      return `{${Object.keys(v)
        .map((k) => `${ws()}${JSON.stringify(k)}:${ws()}${go((v as Record<string, unknown>)[k])}`)
        .join(',')}}`
    if (v === undefined) return 'null'
    return JSON.stringify(v)
  }
  return go(value)
}

// --- mutations of a valid body ---

type Path = (string | number)[]

/** Every path in the tree (objects' keys and arrays' indexes), the root ([]) first. */
function paths(tree: Tree, limit = 400): Path[] {
  const out: Path[] = [[]]
  const walk = (v: Tree, at: Path) => {
    if (out.length >= limit) return
    if (Array.isArray(v))
      v.forEach((x, i) => {
        out.push([...at, i])
        walk(x, [...at, i])
      })
    else if (v !== null && typeof v === 'object' && !(v instanceof Raw) && !(v instanceof Dup))
      for (const k of Object.keys(v)) {
        out.push([...at, k])
        walk((v as Record<string, unknown>)[k], [...at, k])
      }
  }
  walk(tree, [])
  return out
}

function get(tree: Tree, path: Path): Tree {
  let v = tree
  for (const p of path) v = (v as Record<string | number, unknown>)[p]
  return v
}

function set(tree: Tree, path: Path, value: Tree): Tree {
  if (path.length === 0) return value
  const parent = get(tree, path.slice(0, -1)) as Record<string | number, unknown>
  // Object.defineProperty: a mutation may use a key like __proto__, which must stay an own key.
  Object.defineProperty(parent, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true })
  return tree
}

/**
 * 1 to `max` mutations of a deep copy of `base`: a field replaced by a value of another type, removed,
 * an unknown or prototype key added, a key repeated, a value wrapped or nested deep.
 */
export function mutate(rng: Rng, base: Tree, max = 3, shape: Shape = ANY_DEPTH): Tree {
  let tree = structuredClone(base)
  const n = rng.range(1, max)
  for (let i = 0; i < n; i++) {
    const all = paths(tree)
    const path = rng.pick(all)
    const container = path.length ? get(tree, path.slice(0, -1)) : undefined
    const op = rng.int(9)
    if (op <= 2) tree = set(tree, path, hostileValue(rng, 0, shape))
    else if (op === 3 && path.length) {
      if (Array.isArray(container)) container.splice(path[path.length - 1] as number, 1)
      else delete (container as Record<string, unknown>)[path[path.length - 1] as string]
    } else if (op === 4) {
      const target = get(tree, path)
      if (
        target !== null &&
        typeof target === 'object' &&
        !Array.isArray(target) &&
        !(target instanceof Raw) &&
        !(target instanceof Dup)
      )
        Object.defineProperty(target, hostileKey(rng), {
          value: rng.chance(0.5) ? POLLUTER() : hostileValue(rng, 0, shape),
          enumerable: true,
          writable: true,
          configurable: true,
        })
      else tree = set(tree, path, hostileValue(rng, 0, shape))
    } else if (op === 5 && path.length && !Array.isArray(container)) {
      // Repeat the key: the first occurrence valid, the last one hostile (or the other way round).
      const key = path[path.length - 1] as string
      const value = get(tree, path)
      const entries = Object.entries(container as object).filter(([k]) => k !== key)
      const pair: [string, unknown][] = rng.chance(0.5)
        ? [
            [key, value],
            [key, hostileValue(rng, 0, shape)],
          ]
        : [
            [key, hostileValue(rng, 0, shape)],
            [key, value],
          ]
      tree = set(tree, path.slice(0, -1), new Dup([...entries, ...pair]))
    } else if (op === 6) tree = set(tree, path, [get(tree, path)])
    else if (op === 7) tree = set(tree, path, deepNesting(rng, shape))
    else tree = set(tree, path, { __proto__: null, ...Object.fromEntries([[rng.pick(PROTO_KEYS), POLLUTER()]]) })
  }
  return tree
}

// --- byte-level damage ---

const encoder = new TextEncoder()

const BAD_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0x80],
  [0xbf],
  [0xe0, 0x80, 0x80],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe2, 0x82],
  [0xf0, 0x9f, 0x98],
  [0xc3],
]

/** The text's bytes, sometimes damaged: cut, flipped, invalid UTF-8 or NULs spliced in, a BOM in front. */
export function damage(rng: Rng, text: string, p = 0.3): Uint8Array {
  let bytes = encoder.encode(text)
  if (!rng.chance(p)) return bytes
  const op = rng.int(8)
  const at = () => rng.int(bytes.length + 1)
  const splice = (insert: ArrayLike<number>, where = at()) => {
    const out = new Uint8Array(bytes.length + insert.length)
    out.set(bytes.subarray(0, where), 0)
    out.set(insert, where)
    out.set(bytes.subarray(where), where + insert.length)
    bytes = out
  }
  switch (op) {
    case 0:
      return bytes.slice(0, at())
    case 1: {
      const out = bytes.slice()
      for (let i = rng.range(1, 4); i > 0 && out.length; i--) out[rng.int(out.length)] = rng.u32() & 0xff
      return out
    }
    case 2:
      splice(rng.pick(BAD_UTF8))
      return bytes
    case 3:
      splice([0])
      return bytes
    case 4:
      splice(
        rng.pick([
          [0xef, 0xbb, 0xbf],
          [0xfe, 0xff],
          [0xff, 0xfe],
          [0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf],
        ]),
        0,
      )
      return bytes
    case 5:
      splice(encoder.encode(rng.pick([' garbage', '}', ']', ',', '{}', '\u0000', ' // comment', 'null'])), bytes.length)
      return bytes
    case 6:
      return encoder.encode(
        rng.pick([
          '',
          ' ',
          '\n',
          'null',
          'true',
          '0',
          '"x"',
          '[]',
          '[{}]',
          '{',
          '}',
          '{"',
          '\ufeff',
          '{}',
          'undefined',
          'NaN',
        ]),
      )
    default: {
      // Latin-1 / UTF-16 bytes where UTF-8 was expected.
      const utf16 = new Uint8Array(text.length * 2)
      for (let i = 0; i < text.length && i < 4096; i++) {
        utf16[2 * i] = text.charCodeAt(i) & 0xff
        utf16[2 * i + 1] = text.charCodeAt(i) >> 8
      }
      return utf16.subarray(0, Math.min(utf16.length, 8192))
    }
  }
}
