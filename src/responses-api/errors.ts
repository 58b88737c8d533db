// An upstream chat error answer → the error body of `POST /v1/responses`. Responses errors are OpenAI's
// `{"error": {message, type, param, code}}`, the shape chat errors already have: an OpenAI-shaped body
// (every translating kind answers in it, and OpenAI-compatible servers mostly do) is returned as it
// came. Others (Ollama's `{"error": "…"}`, FastAPI's `{"detail"}`, a proxy's HTML page) get that shape
// around their message, with the type their status stands for.
// https://platform.openai.com/docs/guides/error-codes
import { type ErrorBody, errorTypeForStatus } from '../core/errors'
import { isObject, type JsonObject, parseObject } from '../core/json'

const MAX_RAW = 1000

export function fromChatError(status: number, text: string): unknown {
  const json = parseObject(text)
  if (json && isObject(json.error) && typeof json.error.message === 'string') return json
  const trimmed = text.trim()
  const message =
    (json && messageOf(json)) ?? (trimmed === '' ? `upstream answered HTTP ${status}` : trimmed.slice(0, MAX_RAW))
  const body: ErrorBody = { error: { message, type: errorTypeForStatus(status), param: null, code: null } }
  return body
}

// --- internal ---

function messageOf(json: JsonObject): string | undefined {
  const error = json.error
  if (typeof error === 'string' && error !== '') return error
  if (typeof json.message === 'string' && json.message !== '') return json.message
  if (typeof json.detail === 'string' && json.detail !== '') return json.detail
  if (json.detail !== undefined) return JSON.stringify(json.detail).slice(0, MAX_RAW)
  return undefined
}
