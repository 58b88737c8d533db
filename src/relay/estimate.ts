// A request's tokens estimated before it is sent, for reservations (budgets, tokens_per_minute): cheap,
// no tokenizer. Text counts about 4 ASCII characters a token and one token per other character (CJK
// text is about a token a character; the UTF-8 length tells the two apart with one native call); each
// message adds 4 tokens of framing, each image 1000, and the completion is the request's own max_tokens.
// The answer settles the real usage, so the estimate only has to be close, not exact.
import type { Endpoint } from '../core/endpoint'
import { isObject, type JsonObject } from '../core/json'
import type { TokenEstimate } from '../extensions'

/** Framing tokens per message (role, separators) and per request (the reply's priming), as OpenAI counts. */
const PER_MESSAGE = 4
const PER_REQUEST = 3
/** An image, whatever its size: between a low-detail tile (85) and a large high-detail one. */
const PER_IMAGE = 1000

export function estimateTokens(endpoint: Endpoint, json: Readonly<JsonObject>): TokenEstimate {
  switch (endpoint) {
    case 'chat':
    case 'messages':
      return { prompt: conversationTokens(json), completion: maxTokensOf(json) }
    case 'responses':
      return { prompt: responsesTokens(json), completion: maxTokensOf(json) }
    case 'embeddings':
      return { prompt: inputTokens(json.input), completion: 0 }
    case 'count_tokens':
      // Counting is free: nothing is reserved.
      return { prompt: 0, completion: 0 }
    default:
      // Images and audio are not priced by tokens; their text (a prompt, speech input) is counted.
      return { prompt: textTokens(json.prompt) + textTokens(json.input), completion: 0 }
  }
}

/** Tokens of a text by the rule in the header. */
export function textTokens(value: unknown): number {
  if (typeof value !== 'string' || value.length === 0) return 0
  const chars = value.length
  const other = Math.max(0, (Buffer.byteLength(value, 'utf8') - chars) / 2)
  return Math.ceil((chars - other) / 4 + other)
}

// --- internal ---

/** The completion's ceiling the request sets itself, if it does. */
function maxTokensOf(json: Readonly<JsonObject>): number | undefined {
  for (const field of ['max_completion_tokens', 'max_tokens', 'max_output_tokens']) {
    const value = json[field]
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value
  }
  return undefined
}

/** OpenAI chat (messages, tools) and Anthropic Messages (system, messages, tools) alike. */
function conversationTokens(json: Readonly<JsonObject>): number {
  let tokens = PER_REQUEST + contentTokens(json.system)
  if (Array.isArray(json.messages))
    for (const message of json.messages) {
      if (!isObject(message)) continue
      tokens += PER_MESSAGE + contentTokens(message.content)
      if (Array.isArray(message.tool_calls)) tokens += textTokens(JSON.stringify(message.tool_calls))
    }
  if (Array.isArray(json.tools)) tokens += textTokens(JSON.stringify(json.tools))
  return tokens
}

/**
 * A Responses request: instructions, input (a string, or items: messages, function calls and their
 * outputs, reasoning summaries) and tools.
 */
function responsesTokens(json: Readonly<JsonObject>): number {
  let tokens = PER_REQUEST + textTokens(json.instructions)
  const input = json.input
  if (typeof input === 'string') tokens += PER_MESSAGE + textTokens(input)
  else if (Array.isArray(input))
    for (const item of input) {
      if (!isObject(item)) continue
      tokens += PER_MESSAGE
      if (item.type === 'function_call') tokens += textTokens(item.name) + textTokens(item.arguments)
      else if (item.type === 'function_call_output')
        tokens += typeof item.output === 'string' ? textTokens(item.output) : contentTokens(item.output)
      else if (item.type === 'reasoning' && Array.isArray(item.summary)) tokens += contentTokens(item.summary)
      else tokens += contentTokens(item.content)
    }
  if (Array.isArray(json.tools)) tokens += textTokens(JSON.stringify(json.tools))
  return tokens
}

/** A message's content: a string, or parts (text counted, images flat, tool results and uses by their text). */
function contentTokens(content: unknown): number {
  if (typeof content === 'string') return textTokens(content)
  if (!Array.isArray(content)) return 0
  let tokens = 0
  for (const part of content) {
    if (!isObject(part)) continue
    switch (part.type) {
      case 'text':
      case 'input_text':
      case 'output_text':
        tokens += textTokens(part.text)
        break
      case 'image_url':
      case 'image':
      case 'input_image':
        tokens += PER_IMAGE
        break
      case 'tool_use':
        tokens += textTokens(JSON.stringify(part.input ?? {}))
        break
      case 'tool_result':
        tokens += contentTokens(part.content)
        break
      default:
        // Documents, audio and parts added later: their text, if they carry one.
        tokens += textTokens(part.text)
    }
  }
  return tokens
}

/** Embeddings input: a string, strings, or token arrays (their length is their count). */
function inputTokens(input: unknown): number {
  if (typeof input === 'string') return textTokens(input)
  if (!Array.isArray(input)) return 0
  let tokens = 0
  for (const item of input) {
    if (typeof item === 'string') tokens += textTokens(item)
    else if (typeof item === 'number') tokens += 1
    else if (Array.isArray(item)) tokens += item.length
  }
  return tokens
}
