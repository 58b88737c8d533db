// The config loader under broken TOML: parseConfig and loadConfigFile either return a config or throw a
// ConfigError whose message starts with the file's name (and names the field when there is one), never
// another exception; and loading never touches a built-in prototype.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '../../src/config/errors'
import { loadConfigFile, parseConfig } from '../../src/config/load'
import { PROVIDER_RULES } from '../../src/providers'
import {
  caseCount,
  fuzz,
  type PrototypeSnapshot,
  preview,
  prototypeChanges,
  snapshotPrototypes,
} from './support/harness'
import { Rng } from './support/rng'
import { baseConfig, CONFIG_ENV, configText, renderToml } from './support/toml'

let before: PrototypeSnapshot
let dir: string

beforeAll(() => {
  before = snapshotPrototypes()
  dir = mkdtempSync(join(tmpdir(), 'crabllm-fuzz-config-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

/**
 * An accepted config is plain data: lists are lists of their items only (TypeBox's Value.Default once
 * merged a table into a list's default: an array carrying properties), tables have a plain prototype.
 */
function expectPlainConfig(value: unknown, path = 'config'): void {
  if (value === null || typeof value !== 'object' || value instanceof Date) return
  if (Array.isArray(value)) {
    if (Object.keys(value).length !== value.length)
      throw new Error(`${path} is a list with properties: ${Object.keys(value).join(', ')}`)
  } else if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
    throw new Error(`${path} has another prototype`)
  for (const [k, v] of Object.entries(value)) expectPlainConfig(v, `${path}.${k}`)
}

/** Returns 'accepted', or the ConfigError's kind of problem; throws on anything else. */
function expectConfigOutcome(run: () => unknown, file: string): string {
  try {
    expectPlainConfig(run())
    return 'accepted'
  } catch (err) {
    if (!(err instanceof ConfigError))
      throw new Error(`not a ConfigError: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    if (!err.message.startsWith(file)) throw new Error(`the message does not start with the file name: ${err.message}`)
    if (err.field && !err.message.includes(`${err.field}: `))
      throw new Error(`the message does not name the field ${err.field}: ${err.message}`)
    // TOML has no null: a message saying so misdescribes the value (inf and nan once read as null).
    if (/got null/.test(err.message)) throw new Error(`the message calls a TOML value null: ${err.message}`)
    return err.field ? 'ConfigError (field)' : 'ConfigError'
  }
}

describe('fuzz the config loader', () => {
  test('the starting config is valid', () => {
    const config = parseConfig(renderToml(baseConfig(), new Rng(1)), 'fuzz.toml', PROVIDER_RULES, CONFIG_ENV)
    expect(Object.keys(config.providers).sort()).toEqual(['az', 'br', 'claude', 'e', 'oai'])
  })

  test('broken TOML is a ConfigError naming the file and field, never another exception', async () => {
    await fuzz('config parseConfig', {
      cases: caseCount(2000),
      generate: configText,
      show: (c) => `${c.notes}: ${preview(c.text, 800)}`,
      check: (c) =>
        expectConfigOutcome(() => parseConfig(c.text, 'fuzz.toml', PROVIDER_RULES, CONFIG_ENV), 'fuzz.toml'),
    })
  }, 120_000)

  test('broken files (bytes that are not UTF-8, NULs, BOMs, a folder, a missing file) are ConfigErrors too', async () => {
    await fuzz('config loadConfigFile', {
      cases: caseCount(300),
      generate(rng, index) {
        const { text, notes } = configText(rng)
        let bytes: Uint8Array<ArrayBuffer> = new TextEncoder().encode(text)
        const op = rng.int(6)
        if (op === 0) bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes])
        else if (op === 1 && bytes.length) bytes[rng.int(bytes.length)] = rng.pick([0x00, 0xff, 0xc0, 0x80, 0xfe])
        else if (op === 2) bytes = rng.bytes(rng.range(0, 512))
        const path = join(dir, `case-${index}.toml`)
        const kind = rng.int(20)
        if (kind === 0) return { path: dir, notes: 'a folder' }
        if (kind === 1) return { path: join(dir, 'missing', 'x.toml'), notes: 'a missing file' }
        writeFileSync(path, bytes)
        return { path, notes: `${notes} bytes op ${op}` }
      },
      show: (c) => `${c.notes} ${c.path}`,
      check: async (c) => {
        try {
          expectPlainConfig((await loadConfigFile(c.path, PROVIDER_RULES, CONFIG_ENV)).config)
          return 'accepted'
        } catch (err) {
          return expectConfigOutcome(() => {
            throw err
          }, c.path)
        }
      },
    })
  }, 120_000)

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
