// JSON Schema (what OpenAI clients send for tool parameters and response_format) → Gemini's Schema
// object, "a select subset of an OpenAPI 3.0 schema object": https://ai.google.dev/api/caching#Schema
// Pure; refs are inlined, unions simplified, and every key Gemini does not list is dropped.
import { badRequest } from '../../core/errors'
import { isObject, type JsonObject } from '../../core/json'
import type { GeminiSchema } from './types'

/**
 * Gemini's Schema fields we keep as they are. `type`, `format`, `enum`, `properties`, `required`,
 * `items` and `anyOf` are rewritten below. Not kept although listed: `default` (documented as
 * "ignored", and older endpoints reject it) and `example` (root-only).
 */
const COPIED = [
  'title',
  'description',
  'nullable',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'propertyOrdering',
] as const

/** Gemini's Type enum, upper case as the reference spells it. */
const TYPES: Record<string, string> = {
  string: 'STRING',
  number: 'NUMBER',
  integer: 'INTEGER',
  boolean: 'BOOLEAN',
  array: 'ARRAY',
  object: 'OBJECT',
}

/** "Supported formats: NUMBER float, double; INTEGER int32, int64; STRING enum, date-time." */
const FORMATS: Record<string, readonly string[]> = {
  NUMBER: ['float', 'double'],
  INTEGER: ['int32', 'int64'],
  STRING: ['enum', 'date-time'],
}

/**
 * The most schema nodes one schema may become once its $refs are inlined. Inlining is exponential in
 * the worst case (each definition referring to the next one twice): a 2 KB schema of 22 definitions
 * became 247 MB and 13 s of CPU before this bound. Real tool schemas are a few hundred nodes.
 */
export const MAX_SCHEMA_NODES = 10_000

/**
 * Cleans a JSON Schema for Gemini. `true`/`{}`/non-objects become `{}` (any value). A schema that
 * expands to more than MAX_SCHEMA_NODES is a 400 naming `param`.
 */
export function toGeminiSchema(schema: unknown, param = 'schema'): GeminiSchema {
  const root = isObject(schema) ? schema : {}
  const defs = { ...(isObject(root.definitions) ? root.definitions : {}), ...(isObject(root.$defs) ? root.$defs : {}) }
  return clean(root, defs, [], { left: MAX_SCHEMA_NODES, param })
}

// --- internal ---

/** What the walk may still produce, shared by the whole schema. */
interface Budget {
  left: number
  param: string
}

function clean(input: JsonObject, defs: JsonObject, seen: string[], budget: Budget): GeminiSchema {
  if (--budget.left < 0)
    throw badRequest(
      `'${budget.param}' expands to more than ${MAX_SCHEMA_NODES} schema nodes once its $refs are inlined; Gemini cannot take it.`,
      budget.param,
    )
  let node = input
  // $ref: inline the definition (local refs only); a recursive ref ends as a plain object.
  if (typeof node.$ref === 'string') {
    const ref = node.$ref
    const name = ref.replace(/^#\/(\$defs|definitions)\//, '')
    const target = Object.hasOwn(defs, name) ? defs[name] : undefined
    if (!isObject(target) || seen.includes(ref)) return pick(node, { type: 'OBJECT' })
    const { $ref: _ignored, ...siblings } = node
    return clean({ ...target, ...siblings }, defs, [...seen, ref], budget)
  }
  if (Array.isArray(node.allOf)) node = mergeAllOf(node, defs)

  const out: GeminiSchema = {}
  let nullable = node.nullable === true

  // type: a name, or a list of names ("null" among them means nullable).
  const types = (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]).filter(
    (t): t is string => typeof t === 'string',
  )
  if (types.includes('null')) nullable = true
  const named = types.filter((t) => t !== 'null' && Object.hasOwn(TYPES, t)).map((t) => TYPES[t]!)

  // anyOf / oneOf: null members become nullable; one member left is merged into this node.
  const union = (Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : []).filter(isObject)
  const members = union.filter(
    (m) => !(m.type === 'null' || (Array.isArray(m.type) && m.type.length === 1 && m.type[0] === 'null')),
  )
  if (members.length < union.length) nullable = true
  if (members.length === 1 && named.length === 0) {
    const merged = clean(members[0]!, defs, seen, budget)
    const own = pick(node, {})
    return finish({ ...merged, ...own, ...(nullable ? { nullable: true } : {}) })
  }
  if (members.length > 1) out.anyOf = members.map((m) => clean(m, defs, seen, budget))

  if (named.length === 1) out.type = named[0]
  else if (named.length > 1) out.anyOf = named.map((t) => ({ type: t }))

  if (enumInto(out, node)) nullable = true
  const format = node.format
  if (
    typeof format === 'string' &&
    out.format === undefined &&
    typeof out.type === 'string' &&
    Object.hasOwn(FORMATS, out.type) &&
    FORMATS[out.type]!.includes(format)
  )
    out.format = format

  Object.assign(out, pick(node, {}))
  if (nullable) out.nullable = true
  childrenInto(out, node, defs, seen, budget)
  return finish(out)
}

/** const → enum; enum values are strings in Gemini. Returns true when null was among them (nullable). */
function enumInto(out: GeminiSchema, node: JsonObject): boolean {
  const values = 'const' in node ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined
  if (!values) return false
  const kept = values.filter((v) => v !== null).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
  if (kept.length) {
    out.enum = kept
    if (out.type === undefined && values.every((v) => v === null || typeof v === 'string')) out.type = 'STRING'
    if (out.type !== undefined && out.type !== 'STRING') out.format = 'enum'
  }
  return values.includes(null)
}

/** The properties (with only the required names that are properties) and items, each cleaned. */
function childrenInto(out: GeminiSchema, node: JsonObject, defs: JsonObject, seen: string[], budget: Budget): void {
  if (isObject(node.properties)) {
    // fromEntries defines each key, so a property named "__proto__" stays a property.
    const properties: Record<string, GeminiSchema> = Object.fromEntries(
      Object.entries(node.properties).map(([key, value]) => [
        key,
        clean(isObject(value) ? value : {}, defs, seen, budget),
      ]),
    )
    out.properties = properties
    if (out.type === undefined && !out.anyOf) out.type = 'OBJECT'
    // Gemini rejects a required name that is not a property.
    if (Array.isArray(node.required)) {
      const required = node.required.filter((r): r is string => typeof r === 'string' && Object.hasOwn(properties, r))
      if (required.length) out.required = required
    }
  }
  const items = node.items ?? node.prefixItems
  if (isObject(items)) out.items = clean(items, defs, seen, budget)
  else if (Array.isArray(items)) {
    const tuple = items.filter(isObject).map((i) => clean(i, defs, seen, budget))
    if (tuple.length === 1) out.items = tuple[0]
    else if (tuple.length > 1) out.items = { anyOf: tuple }
  }
}

/** Copies the plain keys Gemini accepts from `node` onto `base`. */
function pick(node: JsonObject, base: GeminiSchema): GeminiSchema {
  for (const key of COPIED) if (node[key] !== undefined) base[key] = node[key]
  return base
}

/** Keeps the output's key order stable (type first) so requests are easy to read and compare. */
function finish(out: GeminiSchema): GeminiSchema {
  if (!('type' in out)) return out
  const { type, ...rest } = out
  return { type, ...rest }
}

/** allOf: the members' properties and required lists merged into the node (a shallow union). */
function mergeAllOf(node: JsonObject, defs: JsonObject): JsonObject {
  const { allOf, ...rest } = node
  const merged: JsonObject = { ...rest }
  for (const raw of (allOf as unknown[]).filter(isObject)) {
    const name = typeof raw.$ref === 'string' ? raw.$ref.replace(/^#\/(\$defs|definitions)\//, '') : undefined
    const target = name === undefined ? raw : Object.hasOwn(defs, name) ? defs[name] : undefined
    const member = isObject(target) ? target : {}
    for (const [key, value] of Object.entries(member)) {
      if (key === 'properties' && isObject(value))
        merged.properties = { ...(isObject(merged.properties) ? merged.properties : {}), ...value }
      else if (key === 'required' && Array.isArray(value))
        merged.required = [...(Array.isArray(merged.required) ? merged.required : []), ...value]
      else if (!(key in merged)) merged[key] = value
    }
  }
  return merged
}
