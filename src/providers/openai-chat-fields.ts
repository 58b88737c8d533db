// The chat requests the via-chat translators build (Messages → chat, Responses → chat) carry the
// gateway's reasoning fields (core/reasoning.ts): `reasoning_content` and `thinking_blocks` on assistant
// messages, and Anthropic-style `thinking`. The translating kinds read them (Anthropic, Gemini, Bedrock
// turn them back into signed thinking); an OpenAI-compatible upstream does not know them: OpenAI refuses
// unknown fields, and DeepSeek refuses reasoning_content sent back. So before such a request reaches an
// OpenAI-family chat handler (a passthrough), they are removed; `reasoning_effort` is OpenAI's own and stays.
import { isObject, type JsonObject } from '../core/json'
import type { Handler } from './provider'

const encoder = new TextEncoder()

export function withoutGatewayFields(chat: Handler): Handler {
  return (call) => {
    const json = call.json
    if (!hasGatewayFields(json)) return chat(call)
    const clean = strip(json)
    return chat({ ...call, json: clean, body: encoder.encode(JSON.stringify(clean)) })
  }
}

/** True when the request carries a field only the gateway's translators read. */
export function hasGatewayFields(json: Readonly<JsonObject>): boolean {
  if (json.thinking !== undefined) return true
  if (!Array.isArray(json.messages)) return false
  return json.messages.some(
    (m) => isObject(m) && (m.thinking_blocks !== undefined || m.reasoning_content !== undefined),
  )
}

function strip(json: Readonly<JsonObject>): JsonObject {
  const rest: JsonObject = { ...json }
  delete rest.thinking
  if (Array.isArray(rest.messages))
    rest.messages = rest.messages.map((m) => {
      if (!isObject(m) || (m.thinking_blocks === undefined && m.reasoning_content === undefined)) return m
      const { thinking_blocks: _blocks, reasoning_content: _reasoning, ...message } = m
      return message
    })
  return rest
}
