// Broken config files: a valid crabllm.toml (as a tree) with fields of the wrong type, unknown sections
// and keys, prototype keys, huge and non-finite values, TOML dates; rendered to TOML text (table headers
// and inline values) and then damaged as text: cut, characters flipped, lines dropped, repeated or
// swapped, stray headers and BOMs inserted.
import { Dup, mutate, Raw, type Tree } from './json'
import type { Rng } from './rng'

export const CONFIG_ENV = { FUZZ_KEY: 'sk-upstream-from-env', EMPTY: '' }

/** A config parseConfig accepts (checked by a test), with every section present. */
export function baseConfig(): Record<string, unknown> {
  return {
    listen: '127.0.0.1:5632',
    shutdown_timeout: 5,
    admin_token: 'admin-token-0123456789abcdef',
    max_body_size: 1_048_576,
    max_inflight: 100,
    client_idle_timeout: 30,
    log_format: 'json',
    openapi: true,
    metrics: true,
    metrics_token: 'metrics-token-0123456789abcdef',
    providers: {
      oai: {
        kind: 'openai',
        api_key: '${FUZZ_KEY}',
        base_url: 'https://api.openai.com/v1',
        models: ['gpt-4o-mini', 'text-embedding-3-small'],
        weight: 2,
        max_retries: 1,
        timeout: 10,
      },
      claude: {
        kind: 'anthropic',
        api_key: '${ANTHROPIC_KEY:-sk-ant-default}',
        models: ['claude-sonnet-4-5'],
        stream_idle_timeout: 30,
        cooldown_failures: 3,
        cooldown_seconds: 5,
      },
      br: {
        kind: 'bedrock',
        region: 'us-east-1',
        access_key: 'AKID',
        secret_key: 'secret',
        models: ['anthropic.claude-3-5-sonnet-20240620-v1:0'],
      },
      az: {
        kind: 'azure',
        api_key: 'az',
        api_version: '2024-06-01',
        base_url: 'https://x.openai.azure.com',
        models: ['gpt-4o'],
      },
      e: { kind: 'echo' },
    },
    keys: [
      { name: 'k1', key: 'sk-k1-0123456789abcdefghijklmnop', models: ['*'], rate_limit: { requests_per_minute: 10 } },
      { name: 'k2', key: 'sk-k2-0123456789abcdefghijklmnop', models: ['gpt-4o-mini', 'fast'] },
    ],
    aliases: { fast: 'gpt-4o-mini', claude: 'claude-sonnet-4-5' },
    models: { 'gpt-4o-mini': { prompt_cost_per_million: 0.15, completion_cost_per_million: 0.6 } },
    storage: { kind: 'memory' },
    extensions: {
      cache: { ttl_seconds: 60 },
      rate_limit: { requests_per_minute: 100, tokens_per_minute: 10_000, on_storage_error: 'open' },
      usage: {},
      budget: { default_budget: 10, keys: { k1: { budget: 5 } }, on_storage_error: 'closed' },
      logging: { level: 'info' },
      audit: {},
    },
  }
}

const TOML_ONLY = [
  'inf',
  '-inf',
  'nan',
  '+nan',
  '1979-05-27T07:32:00Z',
  '1979-05-27 07:32:00',
  '07:32:00',
  '1979-05-27',
  "'literal $${x}'",
  '"""multi\nline"""',
  '0x1F',
  '0o17',
  '0b101',
  '1_000',
  '9223372036854775807',
  '-9223372036854775808',
  '1e308',
  '1e309',
  '5e-324',
  'true',
  '[]',
  '{}',
  '[[]]',
  '{ a = { b = 1 } }',
]

const STRAY_LINES = [
  '[providers.x]',
  '[[keys]]',
  '[unknown]',
  '[unknown.section]',
  'key =',
  '= 1',
  'a.b.c = 1',
  '[providers]',
  '[[providers]]',
  'providers = 1',
  '[extensions.nope]',
  '[__proto__]',
  '__proto__ = { polluted = true }',
  '[providers.__proto__]',
  'kind = "echo"',
  '[aliases]',
  'x = "${UNSET_VAR}"',
  'listen = "${EMPTY}"',
  'admin_token = "${EMPTY:-short}"',
  '"\\u0000" = 1',
  '[keys]',
  'models = ["*"]',
  '\ufeff',
  '[ providers . "o ai" ]',
  'a = "\\ud800"',
  `huge = "${'x'.repeat(100_000)}"`,
  `deep = ${'['.repeat(2000)}${']'.repeat(2000)}`,
  `inline = ${'{ a = '.repeat(500)}1${' }'.repeat(500)}`,
]

/** A config text: the base with 0 to 3 tree mutations, then (often) damaged as text. */
export function configText(rng: Rng): { text: string; notes: string } {
  let tree: Tree = baseConfig()
  const notes: string[] = []
  if (rng.chance(0.85)) {
    tree = mutate(rng, tree)
    notes.push('mutated')
  }
  let text = renderToml(tree, rng)
  if (rng.chance(0.4)) {
    const op = rng.int(7)
    const lines = text.split('\n')
    notes.push(
      ['cut', 'chars flipped', 'line dropped', 'line repeated', 'lines swapped', 'stray line', 'CRLF and BOM'][op]!,
    )
    if (op === 0) text = text.slice(0, rng.int(text.length + 1))
    else if (op === 1) {
      const chars = [...text]
      for (let i = rng.range(1, 4); i > 0 && chars.length; i--)
        chars[rng.int(chars.length)] = String.fromCharCode(
          rng.pick([0, 9, 10, 13, 34, 39, 44, 46, 61, 91, 93, 123, 125, 0x7f, 0xfeff, rng.int(0x10000)]),
        )
      text = chars.join('')
    } else if (op === 2) {
      lines.splice(rng.int(lines.length), 1)
      text = lines.join('\n')
    } else if (op === 3) {
      const at = rng.int(lines.length)
      lines.splice(at, 0, lines[at] ?? '')
      text = lines.join('\n')
    } else if (op === 4) {
      const a = rng.int(lines.length)
      const b = rng.int(lines.length)
      ;[lines[a], lines[b]] = [lines[b]!, lines[a]!]
      text = lines.join('\n')
    } else if (op === 5) {
      lines.splice(rng.int(lines.length + 1), 0, rng.pick(STRAY_LINES))
      text = lines.join('\n')
    } else text = `\ufeff${text.replaceAll('\n', '\r\n')}`
  }
  return { text, notes: notes.join(', ') }
}

/** TOML text of a tree: scalars and inline values first, then [tables] and [[arrays of tables]]. */
export function renderToml(tree: Tree, rng: Rng): string {
  const out: string[] = []
  const table = (value: Tree, path: string[]) => {
    const entries = entriesOf(value)
    const later: [string, Tree][] = []
    for (const [k, v] of entries) {
      if (isTable(v) && rng.chance(0.8)) later.push([k, v])
      else if (Array.isArray(v) && v.length > 0 && v.every(isTable) && rng.chance(0.8)) later.push([k, v])
      else out.push(`${key(k)} = ${inline(v, rng)}`)
    }
    for (const [k, v] of later) {
      const at = [...path, k]
      if (Array.isArray(v))
        for (const item of v) {
          out.push(`[[${at.map(key).join('.')}]]`)
          table(item, at)
        }
      else {
        out.push(`[${at.map(key).join('.')}]`)
        table(v, at)
      }
    }
  }
  if (isTable(tree)) table(tree, [])
  else out.push(`value = ${inline(tree, rng)}`)
  return `${out.join('\n')}\n`
}

// --- internal ---

function isTable(v: Tree): boolean {
  return v instanceof Dup || (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Raw))
}

function entriesOf(v: Tree): [string, Tree][] {
  return v instanceof Dup ? v.entries : Object.keys(v as object).map((k) => [k, (v as Record<string, unknown>)[k]])
}

function key(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)
}

function inline(v: Tree, rng: Rng): string {
  if (v instanceof Raw) return v.text.length > 200_000 ? rng.pick(TOML_ONLY) : v.text
  if (v === null || v === undefined) return rng.pick(TOML_ONLY)
  if (Array.isArray(v)) return `[${v.map((x) => inline(x, rng)).join(', ')}]`
  if (isTable(v))
    return `{ ${entriesOf(v)
      .map(([k, x]) => `${key(k)} = ${inline(x, rng)}`)
      .join(', ')} }`
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : rng.pick(['inf', 'nan'])
  return JSON.stringify(v)
}
