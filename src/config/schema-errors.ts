// TypeBox errors in the config file's words: the first problem of a value against its schema, as the
// dotted field, what is wrong, and a fix to paste back into the TOML. A secret is never echoed.
import type { TSchema } from '@sinclair/typebox'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import { ConfigSchema, PROVIDER_SECRET_FIELDS } from './schema'
import type { SemanticIssue } from './semantics'

/** `root` is the schema the error's path starts from (the whole config, or one provider). */
export function describeSchemaError(error: ValueError, root: TSchema = ConfigSchema): SemanticIssue {
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

/**
 * A table where the schema has a list, or a list (or a scalar) where it has a table. Checked before
 * Value.Default, which merges a value into the field's default with Object.assign when both are
 * objects: `keys = { a = 1 }` became an empty list carrying a property `a` and passed the schema check
 * (and `keys = { constructor = 1 }` then broke keys.map), `providers = [...]` became {"0": ...}.
 */
export function shapeIssue(schema: TSchema, value: unknown, path: string): SemanticIssue | undefined {
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

// --- internal ---

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

/** Whether a dotted field path ends in a field that holds a secret (keys[0].key, providers.x.api_key, …). */
function isSecretField(field: string): boolean {
  return SECRET_FIELDS.has(
    field
      .split('.')
      .pop()
      ?.replace(/\[\d+\]$/, '') ?? '',
  )
}

/** Fields that hold secrets, wherever they sit (keys[0].key, providers.x.api_key, admin_token, …). */
const SECRET_FIELDS = new Set<string>(['admin_token', 'metrics_token', 'key', ...PROVIDER_SECRET_FIELDS])
