// How the Responses → chat translator refuses input: a 400 GatewayError whose message starts with the
// offending field's path (`input[2].content[0].type: …`) and whose `param` is that path.
import { badRequest } from '../core/errors'
import { isObject, type JsonObject, typeName } from '../core/json'

/** OpenAI's codes: a bad value, a value it knows but cannot serve here. */
export type RefusalCode = 'invalid_value' | 'unsupported_value' | 'missing_required_parameter'

export function fail(param: string, problem: string, code: RefusalCode = 'invalid_value'): never {
  throw badRequest(`${param}: ${problem}`, param, code)
}

export function expectObject(value: unknown, param: string, what = 'an object'): JsonObject {
  if (value === undefined) fail(param, `${what} is required.`, 'missing_required_parameter')
  if (!isObject(value)) fail(param, `expected ${what}, got ${shown(value)}.`)
  return value
}

export function expectString(value: unknown, param: string): string {
  if (value === undefined) fail(param, 'a string is required.', 'missing_required_parameter')
  if (typeof value !== 'string') fail(param, `expected a string, got ${shown(value)}.`)
  return value
}

/** A value that may be absent (undefined or null): undefined then, else it must be a string. */
export function optionalString(value: unknown, param: string): string | undefined {
  return value === undefined || value === null ? undefined : expectString(value, param)
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`: the choices an error message lists. */
export function oneOf(choices: readonly string[]): string {
  const quoted = choices.map((c) => JSON.stringify(c))
  return quoted.length < 2 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`
}

/** How a client value reads in a message: a string quoted (and cut), a number or boolean as is, else its type. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return typeName(value)
}
