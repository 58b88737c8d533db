// Checks an admin request body against its TypeBox schema (schemas.ts) and turns the first problem
// into a 400 whose `param` is the field's dotted path ("rate_limit.requests_per_minute"). Messages name
// the field and the rule, never the value sent (a secret pasted in the wrong field stays out of
// answers and logs).
import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import { badRequest } from '../core/errors'
import { DATE_TIME_PATTERN, NAME_PATTERN } from '../wire/admin'

const compiled = new WeakMap<TSchema, ReturnType<typeof TypeCompiler.Compile>>()

/** `body` as `schema`'s type, or a 400 naming the first field that is wrong. */
export function checkBody<S extends TSchema>(schema: S, body: unknown): Static<S> {
  let check = compiled.get(schema)
  if (!check) {
    check = TypeCompiler.Compile(schema)
    compiled.set(schema, check)
  }
  if (check.Check(body)) return body as Static<S>
  const first = check.Errors(body).First()!
  const { field, problem } = describe(first, schema)
  throw badRequest(field ? `${field}: ${problem}.` : `The request body ${problem}.`, field || null)
}

// --- internal ---

const PATTERN_PROBLEMS: Record<string, string> = {
  [NAME_PATTERN]: 'must be 1 to 64 characters of letters, digits, ".", "_" or "-"',
  [DATE_TIME_PATTERN]: 'must be an ISO-8601 date-time with a time zone, like 2030-01-31T12:00:00Z',
}

function describe(error: ValueError, root: TSchema): { field: string; problem: string } {
  const parts = error.path
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  const s = error.schema as {
    minimum?: number
    exclusiveMinimum?: number
    maximum?: number
    minLength?: number
    minItems?: number
    pattern?: string
  }
  switch (error.type) {
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys((schemaAt(root, parts.slice(0, -1)) as { properties?: object }).properties ?? {})
      return {
        field: dotted(parts),
        problem: `is not a known field${known.length ? `; valid fields: ${known.join(', ')}` : ''}`,
      }
    }
    case ValueErrorType.ObjectRequiredProperty:
      return { field: dotted(parts), problem: 'is required' }
    case ValueErrorType.String:
      return { field: dotted(parts), problem: `must be a string, not ${typeName(error.value)}` }
    case ValueErrorType.Number:
      return { field: dotted(parts), problem: `must be a number, not ${typeName(error.value)}` }
    case ValueErrorType.Integer:
      return {
        field: dotted(parts),
        problem:
          typeof error.value === 'number'
            ? 'must be a whole number'
            : `must be an integer, not ${typeName(error.value)}`,
      }
    case ValueErrorType.Boolean:
      return { field: dotted(parts), problem: `must be true or false, not ${typeName(error.value)}` }
    case ValueErrorType.Array:
      return { field: dotted(parts), problem: `must be a list, not ${typeName(error.value)}` }
    case ValueErrorType.Object:
      return { field: dotted(parts), problem: `must be an object, not ${typeName(error.value)}` }
    case ValueErrorType.StringPattern:
      return { field: dotted(parts), problem: PATTERN_PROBLEMS[s.pattern ?? ''] ?? 'has the wrong format' }
    case ValueErrorType.StringMinLength:
      return {
        field: dotted(parts),
        problem: s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`,
      }
    case ValueErrorType.ArrayMinItems:
      return { field: dotted(parts), problem: `must list at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}` }
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return { field: dotted(parts), problem: `must be ${s.minimum} or more` }
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return { field: dotted(parts), problem: `must be more than ${s.exclusiveMinimum}` }
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return { field: dotted(parts), problem: `must be ${s.maximum} or less` }
    default:
      return { field: dotted(parts), problem: error.message.replace(/^Expected/, 'must be').toLowerCase() }
  }
}

/** The object schema at a path of property names (array indexes step into `items`). */
function schemaAt(root: TSchema, parts: string[]): unknown {
  let schema: unknown = root
  for (const part of parts) {
    const s = schema as { properties?: Record<string, unknown>; items?: unknown; anyOf?: unknown[] }
    const next = /^\d+$/.test(part) ? s.items : s.properties?.[part]
    const options = (next as { anyOf?: unknown[] } | undefined)?.anyOf
    schema = options ? options.find((o) => (o as { type?: string }).type === 'object') : next
  }
  return schema ?? {}
}

function dotted(parts: string[]): string {
  let out = ''
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part
  return out
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
