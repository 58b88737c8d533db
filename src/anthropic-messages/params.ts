// The one way the Messages → chat translation refuses a request: a 400 GatewayError whose message is
// `<param>: <problem>`, `param` in Anthropic's dotted form (`messages.2.content.0.source.type`). The
// client sees the message in Anthropic's error shape, which has no param field of its own.

import { badRequest } from '../core/errors'
import { isObject, type JsonObject } from '../core/json'

export function fail(param: string, message: string): never {
  throw badRequest(`${param}: ${message}`, param)
}

export function expectObject(value: unknown, param: string): JsonObject {
  if (!isObject(value)) fail(param, 'expected an object')
  return value
}

export function expectString(value: unknown, param: string): string {
  if (typeof value !== 'string') fail(param, 'expected a string')
  return value
}

/** Absent or null: Anthropic's SDKs send `null` for an unset optional field. */
export const isUnset = (value: unknown): value is undefined | null => value === undefined || value === null
