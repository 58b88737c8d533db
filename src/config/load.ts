// read file → smol-toml → ${VAR} → defaults → compiled schema check → semantic checks → Config.
// Every failure is a ConfigError naming the file, the line where it can be found, the field and the fix.
import { dirname, isAbsolute, resolve } from 'node:path'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import { parse, TomlError } from 'smol-toml'
import { ConfigError } from './errors'
import { type Env, InterpolationError, interpolate } from './interpolate'
import { type Config, ConfigSchema, type ProviderConfig, ProviderConfigSchema } from './schema'
import { checkProvider, checkSemantics, type SemanticIssue } from './semantics'

const checkConfig = TypeCompiler.Compile(ConfigSchema)
const checkProviderSchema = TypeCompiler.Compile(ProviderConfigSchema)

export interface LoadedConfig {
  config: Config
  /** Absolute path of the file it came from (relative paths inside resolve against its folder). */
  file: string
  /** The folder relative paths in the config resolve against. */
  dir: string
}

/** Loads and validates a config file; throws ConfigError. */
export async function loadConfigFile(path: string, env: Env = process.env): Promise<LoadedConfig> {
  const file = resolve(path)
  let text: string
  try {
    text = await Bun.file(file).text()
  } catch (err) {
    const code = (err as { code?: string }).code
    throw new ConfigError(
      path,
      '',
      code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`,
      code === 'ENOENT'
        ? 'run `crabllm init` to write a starter config, or pass --config PATH'
        : 'check the path and its permissions',
    )
  }
  return { config: parseConfig(text, path, env), file, dir: dirname(file) }
}

/** Parses and validates config text; `name` is used in error messages. Pure apart from `env`. */
export function parseConfig(text: string, name: string, env: Env = process.env): Config {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    if (err instanceof TomlError) {
      const problem = `invalid TOML: ${err.message.split('\n')[0]}`
      throw new ConfigError(name, '', problem, 'correct the TOML syntax at that line', err.line)
    }
    throw new ConfigError(name, '', `invalid TOML: ${String(err)}`)
  }
  try {
    raw = interpolate(raw, env)
  } catch (err) {
    if (err instanceof InterpolationError) {
      throw new ConfigError(
        name,
        err.path,
        err.message,
        `export ${err.variable}=…, or give a default: \${${err.variable}:-value}`,
        findLine(text, err.path),
      )
    }
    throw err
  }
  const proto = protoKeyPath(raw)
  if (proto !== undefined)
    throw new ConfigError(name, proto, PROTO_PROBLEM, 'rename or remove it', findLine(text, proto))
  const shape = shapeIssue(ConfigSchema, raw, '')
  if (shape) throw new ConfigError(name, shape.field, shape.problem, shape.fix, findLine(text, shape.field))
  const withDefaults = applyDefaults(Value.Clone(raw))
  if (!checkConfig.Check(withDefaults)) {
    const first = checkConfig.Errors(withDefaults).First()!
    const { field, problem, fix } = describeSchemaError(first)
    throw new ConfigError(name, field, problem, fix, findLine(text, field))
  }
  const config = withDefaults as Config
  const semantic = checkSemantics(config) // also applies kind defaults
  if (semantic)
    throw new ConfigError(name, semantic.field, semantic.problem, semantic.fix, findLine(text, semantic.field))
  for (const [provider, fields] of Object.entries(config.providers)) {
    const issue = headerIssue(fields)
    if (issue) {
      const field = `providers.${provider}.${issue.field}`
      throw new ConfigError(name, field, issue.problem, issue.fix, findLine(text, field))
    }
  }
  return config
}

/**
 * Validates one provider's fields as a [providers.<name>] table would be (the admin API's path):
 * defaults, the schema check, then checkProvider. The issue's field is relative to the provider.
 */
export function validateProvider(
  raw: unknown,
  options: { discover?: boolean } = {},
): { ok: true; config: ProviderConfig } | { ok: false; issue: SemanticIssue } {
  const proto = protoKeyPath(raw)
  if (proto !== undefined) return { ok: false, issue: { field: proto, problem: PROTO_PROBLEM } }
  // JSON (the admin API) can carry what TOML cannot: a lone surrogate, on which encodeURIComponent
  // throws when the registry builds the provider's URLs (one stored provider then failed every rebuild).
  const unpaired = unpairedSurrogatePath(raw)
  if (unpaired !== undefined)
    return {
      ok: false,
      issue: { field: unpaired, problem: 'contains an unpaired UTF-16 surrogate (it is not valid Unicode text)' },
    }
  const shape = shapeIssue(ProviderConfigSchema, raw, '')
  if (shape) return { ok: false, issue: shape }
  const withDefaults = Value.Default(ProviderConfigSchema, Value.Clone(raw))
  if (!checkProviderSchema.Check(withDefaults))
    return {
      ok: false,
      issue: describeSchemaError(checkProviderSchema.Errors(withDefaults).First()!, ProviderConfigSchema),
    }
  const { config, issue } = checkProvider(withDefaults, options)
  const problem = issue ?? headerIssue(config)
  return problem ? { ok: false, issue: problem } : { ok: true, config }
}

/** Absolute storage path for sqlite, resolved beside the config file. */
export function resolveBeside(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path)
}

// --- internal ---

const PROTO_PROBLEM = 'cannot be used as a key (JavaScript reserves it)'

/** Credentials that go upstream in a request header (Authorization, x-api-key, api-key, SigV4's). */
const HEADER_FIELDS = ['api_key', 'access_key', 'session_token'] as const

/**
 * A credential fetch refuses as a header value (a character above U+00FF, CR, LF or NUL) would fail
 * every call to the provider with a 502 ("Header has invalid value"): refused here, by name. The value
 * itself is never quoted (it is a secret).
 */
function headerIssue(config: ProviderConfig): SemanticIssue | undefined {
  for (const field of HEADER_FIELDS) {
    const value = config[field]
    if (value === undefined) continue
    try {
      new Headers({ authorization: `Bearer ${value}` })
    } catch {
      return {
        field,
        problem: 'contains characters an HTTP header cannot carry (above U+00FF, or a line break or NUL)',
        fix: 'paste the key exactly as the provider issued it',
      }
    }
  }
  return undefined
}

/**
 * The dotted path of the first key named "__proto__", if any. Value.Clone (and any plain assignment)
 * turns such a key into the object's prototype: the schema check would then never see it, and what it
 * holds would be read through inheritance. Found before cloning, it is refused by name instead.
 */
function protoKeyPath(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object' || value instanceof Date) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = protoKeyPath(value[i], `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key
    if (key === '__proto__') return at
    const found = protoKeyPath((value as Record<string, unknown>)[key], at)
    if (found !== undefined) return found
  }
  return undefined
}

/**
 * A table where the schema has a list, or a list (or a scalar) where it has a table. Checked before
 * Value.Default, which merges a value into the field's default with Object.assign when both are
 * objects: `keys = { a = 1 }` became an empty list carrying a property `a` and passed the schema check
 * (and `keys = { constructor = 1 }` then broke keys.map), `providers = [...]` became {"0": ...}.
 */
function shapeIssue(schema: TSchema, value: unknown, path: string): SemanticIssue | undefined {
  if (value === undefined) return undefined
  const s = schema as {
    type?: unknown
    properties?: Record<string, TSchema>
    patternProperties?: Record<string, TSchema>
    items?: TSchema
  }
  if (s.type === 'array') {
    if (!Array.isArray(value))
      return { field: path, problem: `expected a list, got ${describeValue(value)}`, fix: 'write ["a", "b"]' }
    if (s.items) {
      for (let i = 0; i < value.length; i++) {
        const issue = shapeIssue(s.items, value[i], `${path}[${i}]`)
        if (issue) return issue
      }
    }
    return undefined
  }
  if (s.type !== 'object') return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date)
    return {
      field: path,
      problem: `expected a table, got ${describeValue(value)}`,
      fix: path ? `write it as a [${path}] table` : undefined,
    }
  const entries = Object.entries(value)
  const each = s.patternProperties ? Object.values(s.patternProperties)[0] : undefined
  for (const [key, item] of entries) {
    const inner = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key] : each
    const issue = inner ? shapeIssue(inner, item, path ? `${path}.${key}` : key) : undefined
    if (issue) return issue
  }
  return undefined
}

/** The dotted path of the first string that is not well-formed UTF-16 (a lone surrogate), if any. */
function unpairedSurrogatePath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, item] of Array.isArray(value)
    ? value.map((v, i) => [`[${i}]`, v] as const)
    : Object.entries(value)) {
    const found = unpairedSurrogatePath(item, Array.isArray(value) ? `${path}${key}` : path ? `${path}.${key}` : key)
    if (found !== undefined) return found
  }
  return undefined
}

/** Value.Default does not reach into Record values, so provider tables get theirs explicitly. */
function applyDefaults(raw: unknown): unknown {
  const config = Value.Default(ConfigSchema, raw) as { providers?: unknown }
  if (
    config &&
    typeof config === 'object' &&
    config.providers &&
    typeof config.providers === 'object' &&
    !Array.isArray(config.providers)
  ) {
    const providers = config.providers as Record<string, unknown>
    for (const name of Object.keys(providers)) providers[name] = Value.Default(ProviderConfigSchema, providers[name])
  }
  return config
}

/** `root` is the schema the error's path starts from (the whole config, or one provider). */
function describeSchemaError(error: ValueError, root: TSchema = ConfigSchema): SemanticIssue {
  const field = toDotted(error.path)
  // A secret is never echoed into an error (stderr, the SIGHUP reload log): only its kind and length.
  const got =
    isSecretField(field) && typeof error.value === 'string'
      ? `a string of ${error.value.length} characters`
      : describeValue(error.value)
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const parts = error.path.split('/').filter(Boolean)
      const unknown = parts.pop() ?? ''
      const known = knownKeysAt(root, parts)
      const near = nearest(unknown, known)
      return {
        field,
        problem: `unknown field '${unknown}'`,
        fix: near ? `did you mean '${near}'?` : known.length ? `valid fields here: ${known.join(', ')}` : 'remove it',
      }
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { field, problem: 'is required', fix: `add ${field.split('.').pop()} = …` }
    case ValueErrorType.String:
      return { field, problem: `expected a string, got ${got}`, fix: 'quote it' }
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
      return {
        field,
        problem: `expected ${error.type === ValueErrorType.Integer ? 'an integer' : 'a number'}, got ${got}`,
        fix: 'write a bare number',
      }
    case ValueErrorType.Boolean:
      return { field, problem: `expected true or false, got ${got}`, fix: 'write true or false, unquoted' }
    case ValueErrorType.Array:
      return { field, problem: `expected a list, got ${got}`, fix: 'write ["a", "b"]' }
    case ValueErrorType.Object:
      return { field, problem: `expected a table, got ${got}`, fix: `write it as a [${field}] table` }
    case ValueErrorType.Union: {
      const options = unionLiterals(error)
      return {
        field,
        problem: `${got} is not allowed`,
        fix: options.length ? `use one of: ${options.join(', ')}` : undefined,
      }
    }
    default:
      return { field, problem: `${error.message.toLowerCase()}, got ${got}`, fix: boundFix(error) }
  }
}

/** A fix for a value outside its schema's bounds (length or range), from the bounds themselves. */
function boundFix(error: ValueError): string | undefined {
  const s = error.schema as {
    minLength?: number
    minimum?: number
    maximum?: number
    exclusiveMinimum?: number
    exclusiveMaximum?: number
  }
  switch (error.type) {
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'give it a value' : `use at least ${s.minLength} characters`
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `use ${s.minimum} or more`
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `use ${s.maximum} or less`
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `use a value above ${s.exclusiveMinimum}`
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `use a value below ${s.exclusiveMaximum}`
    default:
      return undefined
  }
}

function unionLiterals(error: ValueError): string[] {
  const anyOf = (error.schema as { anyOf?: { const?: unknown }[] }).anyOf ?? []
  return anyOf.map((s) => s.const).filter((v): v is string => typeof v === 'string')
}

function toDotted(pointer: string): string {
  let out = ''
  for (const part of pointer.split('/').filter(Boolean)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    if (/^\d+$/.test(key)) out += `[${key}]`
    else out += out ? `.${key}` : key
  }
  return out
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  // TOML's inf and nan (JSON.stringify would say null), and its dates and times (smol-toml's TomlDate).
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf'
  if (value instanceof Date) return 'a date-time'
  if (Array.isArray(value)) return 'a list'
  if (value !== null && typeof value === 'object') return 'a table'
  return JSON.stringify(value)
}

/** Valid keys of the object schema at a JSON-pointer path (skipping record keys and array indexes). */
function knownKeysAt(root: TSchema, parts: string[]): string[] {
  let schema: unknown = root
  for (const part of parts) {
    const s = schema as {
      properties?: Record<string, unknown>
      patternProperties?: Record<string, unknown>
      items?: unknown
    }
    if (s.properties && part in s.properties) schema = s.properties[part]
    else if (s.patternProperties) schema = Object.values(s.patternProperties)[0]
    else if (s.items) schema = s.items
    else return []
  }
  return Object.keys((schema as { properties?: object }).properties ?? {})
}

function nearest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1
  for (const candidate of candidates) {
    const d = levenshtein(word, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return best
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]!
}

/**
 * Best-effort line of a dotted field in the TOML text: finds the table header of the path's prefix
 * (`[providers.openai]`, the n-th `[[keys]]`) and then the key after it. Undefined when not found.
 */
function findLine(text: string, field: string): number | undefined {
  if (!field) return undefined
  const lines = text.split('\n')
  const segments = field.match(/[^.[\]]+|\[\d+\]/g) ?? []
  let start = 0
  let tablePath: string[] = []
  // Walk down: try the longest table header that matches a prefix of the path.
  for (let cut = segments.length; cut > 0; cut--) {
    const prefix = segments.slice(0, cut)
    const last = prefix[prefix.length - 1]!
    if (last.startsWith('[')) {
      const index = Number(last.slice(1, -1))
      const header = prefix.slice(0, -1).join('.')
      let seen = -1
      const at = lines.findIndex(
        (l) => new RegExp(`^\\s*\\[\\[\\s*${escapeRegExp(header)}\\s*\\]\\]`).test(l) && ++seen === index,
      )
      if (at >= 0) {
        start = at
        tablePath = prefix
        break
      }
    } else {
      const header = prefix
        .map((p) => `(?:"${escapeRegExp(p)}"|'${escapeRegExp(p)}'|${escapeRegExp(p)})`)
        .join('\\s*\\.\\s*')
      const at = lines.findIndex((l) => new RegExp(`^\\s*\\[\\s*${header}\\s*\\]`).test(l))
      if (at >= 0) {
        start = at
        tablePath = prefix
        break
      }
    }
  }
  const rest = segments.slice(tablePath.length).filter((s) => !s.startsWith('['))
  if (rest.length === 0) return tablePath.length ? start + 1 : undefined
  const key = rest[rest.length === 1 ? 0 : 0]!
  for (let i = start + (tablePath.length ? 1 : 0); i < lines.length; i++) {
    if (tablePath.length && i > start && /^\s*\[/.test(lines[i]!)) break
    if (!tablePath.length && /^\s*\[/.test(lines[i]!)) break
    if (new RegExp(`^\\s*(?:"${escapeRegExp(key)}"|${escapeRegExp(key)})\\s*[.=]`).test(lines[i]!)) return i + 1
  }
  return tablePath.length ? start + 1 : undefined
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

const SECRET_FIELDS = new Set([
  'admin_token',
  'metrics_token',
  'key',
  'api_key',
  'access_key',
  'secret_key',
  'session_token',
])

/** Whether a dotted field path ends in a field that holds a secret (keys[0].key, providers.x.api_key, …). */
function isSecretField(field: string): boolean {
  return SECRET_FIELDS.has(
    field
      .split('.')
      .pop()
      ?.replace(/\[\d+\]$/, '') ?? '',
  )
}
