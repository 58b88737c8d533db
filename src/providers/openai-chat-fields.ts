// The chat requests the via-chat translators build (Messages → chat, Responses → chat) carry the
// gateway's reasoning fields (core/reasoning.ts): `reasoning_content` and `thinking_blocks` on assistant
// messages, and Anthropic-style `thinking`. The translating kinds read them (Anthropic, Gemini, Bedrock
// turn them back into signed thinking); an OpenAI-compatible upstream does not know them: OpenAI refuses
// unknown fields, and DeepSeek refuses reasoning_content sent back. So before such a request reaches an
// OpenAI-family chat handler (a passthrough), they are removed; `reasoning_effort` is OpenAI's own and stays.
import { buildCatalog, type Catalog } from '../catalog'
import { isObject, type JsonObject } from '../core/json'
import type { Handler } from './provider'

const encoder = new TextEncoder()

/**
 * A translated request's reasoning goes only to a model that reasons. Claude Code asks for thinking on
 * every request (`thinking: adaptive`), which becomes reasoning_effort (or Gemini's thinkingConfig); a
 * model the catalog says does not reason (gpt-4o, gpt-4.1, gemini-2.0-flash) refuses that with a 400,
 * so it is dropped on purpose for those; a model that reasons, or one the catalog does not know, gets
 * it. Only requests the gateway built by translation pass here: a chat client's own reasoning_effort
 * goes to the upstream as sent. The catalog built into the binary decides ([models] entries do not).
 */
export function reasoningWhereItIsUnderstood(chat: Handler): Handler {
  return (call) => {
    const json = call.json
    if (json.reasoning_effort === undefined && json.thinking === undefined) return chat(call)
    if (builtIn().facts(call.model)?.reasoning !== false) return chat(call)
    const clean: JsonObject = { ...json }
    delete clean.reasoning_effort
    delete clean.thinking
    return chat({ ...call, json: clean, body: encoder.encode(JSON.stringify(clean)) })
  }
}

let catalog: Catalog | undefined
function builtIn(): Catalog {
  catalog ??= buildCatalog({ models: {} })
  return catalog
}

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
