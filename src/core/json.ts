// Guards for values parsed from JSON (request bodies, upstream answers): one definition each, shared by
// every translator and reader instead of a private copy per file.

/** A JSON object as parsed: string keys, unknown values. */
export type JsonObject = Record<string, unknown>

/** True for a plain JSON object: not null, not an array. */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** How a value reads in an error message: "a string", "an array", "null", … */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** `text` parsed as a JSON object, or undefined when it is not JSON or not an object. */
export function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return isObject(value) ? value : undefined
  } catch {
    return undefined
  }
}
