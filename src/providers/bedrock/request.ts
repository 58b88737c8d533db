// OpenAI chat completions request → Bedrock Converse request body (pure). The model id goes in the
// URL, not the body. https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
// Bedrock has one top-level system prompt, strictly alternating user/assistant turns, and tool results
// inside user turns; OpenAI's messages are reshaped into that. Input it cannot express throws a 400
// GatewayError naming the field.
import { createHash } from 'node:crypto'
import { badRequest } from '../../core/errors'
import { isObject, type JsonObject } from '../../core/json'

export interface ConverseTextBlock {
  text: string
}
export interface ConverseImageBlock {
  image: { format: ImageFormat; source: { bytes: string } }
}
export interface ConverseToolUseBlock {
  toolUse: { toolUseId: string; name: string; input: unknown }
}
export interface ConverseToolResultBlock {
  toolResult: { toolUseId: string; content: ({ text: string } | { json: unknown })[] }
}
export type ConverseContentBlock =
  | ConverseTextBlock
  | ConverseImageBlock
  | ConverseToolUseBlock
  | ConverseToolResultBlock

export interface ConverseMessage {
  role: 'user' | 'assistant'
  content: ConverseContentBlock[]
}

export type ConverseToolChoice =
  | { auto: Record<string, never> }
  | { any: Record<string, never> }
  | { tool: { name: string } }

export interface ConverseRequest {
  messages: ConverseMessage[]
  system?: ConverseTextBlock[]
  inferenceConfig?: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] }
  toolConfig?: {
    tools: { toolSpec: { name: string; description?: string; inputSchema: { json: unknown } } }[]
    toolChoice?: ConverseToolChoice
  }
}

type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp'

/** The Converse body for an OpenAI chat request; throws badRequest(message, param) for input it cannot express. */
export function toBedrockRequest(json: Readonly<JsonObject>): ConverseRequest {
  const messages = json.messages
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalid('messages', "'messages' must be a non-empty array of message objects.")
  if (json.n !== undefined && json.n !== null && json.n !== 1)
    throw invalid('n', 'Bedrock returns one choice: n must be 1.')
  const format = isObject(json.response_format) ? json.response_format.type : undefined
  if (format !== undefined && format !== 'text')
    throw invalid(
      'response_format',
      `response_format ${JSON.stringify(format) ?? 'without a type'} is not supported by Bedrock providers.`,
    )

  const system: ConverseTextBlock[] = []
  const turns: ConverseMessage[] = []
  let usesToolBlocks = false
  const push = (role: 'user' | 'assistant', content: ConverseContentBlock[]) => {
    const last = turns[turns.length - 1]
    if (last && last.role === role) last.content.push(...content)
    else turns.push({ role, content })
  }

  messages.forEach((m, i) => {
    const param = `messages[${i}]`
    if (!isObject(m)) throw invalid(param, `${param} must be an object.`)
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(m.content, `${param}.content`))
        return
      case 'user':
        push('user', userContent(m.content, `${param}.content`))
        return
      case 'assistant': {
        const content: ConverseTextBlock[] =
          m.content === null || m.content === undefined ? [] : textParts(m.content, `${param}.content`)
        const calls = toolUses(m.tool_calls, `${param}.tool_calls`)
        if (calls.length) usesToolBlocks = true
        // OpenAI clients send content "" next to tool_calls; Bedrock rejects blank text blocks.
        push('assistant', [...content.filter((b) => b.text !== ''), ...calls])
        return
      }
      case 'tool': {
        if (typeof m.tool_call_id !== 'string' || !m.tool_call_id)
          throw invalid(`${param}.tool_call_id`, `${param}.tool_call_id must be a non-empty string.`)
        usesToolBlocks = true
        push('user', [
          {
            toolResult: {
              toolUseId: toolUseIdOf(m.tool_call_id),
              content: toolResultContent(m.content, `${param}.content`),
            },
          },
        ])
        return
      }
      default:
        throw invalid(`${param}.role`, `${param}.role must be one of system, developer, user, assistant, tool.`)
    }
  })

  const request: ConverseRequest = { messages: turns }
  if (system.length) request.system = system
  const inference = inferenceConfig(json)
  if (inference) request.inferenceConfig = inference
  const tools = toolConfig(json, usesToolBlocks)
  if (tools) request.toolConfig = tools
  return request
}

// --- internal ---

/** A 400 about `param` (code invalid_value). */
const invalid = (param: string, message: string) => badRequest(message, param)

/** https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ImageBlock.html */
const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

function textParts(content: unknown, param: string): ConverseTextBlock[] {
  if (typeof content === 'string') return [{ text: content }]
  if (!Array.isArray(content)) throw invalid(param, `${param} must be a string or an array of text parts.`)
  return content.map((part, j) => {
    if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string')
      throw invalid(`${param}[${j}]`, `${param}[${j}] must be a text part {"type":"text","text":"..."}.`)
    return { text: part.text }
  })
}

function userContent(content: unknown, param: string): ConverseContentBlock[] {
  if (typeof content === 'string') return [{ text: content }]
  if (!Array.isArray(content)) throw invalid(param, `${param} must be a string or an array of content parts.`)
  return content.map((part, j): ConverseContentBlock => {
    const p = isObject(part) ? part : {}
    const at = `${param}[${j}]`
    if (p.type === 'text' && typeof p.text === 'string') return { text: p.text }
    if (p.type === 'image_url') return image(p.image_url, `${at}.image_url`)
    throw invalid(at, `${at}: Bedrock providers take text and image_url parts only.`)
  })
}

function image(imageUrl: unknown, param: string): ConverseImageBlock {
  const url = typeof imageUrl === 'string' ? imageUrl : isObject(imageUrl) ? imageUrl.url : undefined
  if (typeof url !== 'string') throw invalid(`${param}.url`, `${param}.url must be a string.`)
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  if (!match) {
    const what = /^https?:/i.test(url) ? 'an http(s) URL' : 'this URL'
    throw invalid(
      `${param}.url`,
      `Bedrock cannot fetch images from ${what}: send the image inline as a data URL (data:image/png;base64,...).`,
    )
  }
  const format = IMAGE_FORMATS[match[1]!.toLowerCase()]
  if (!format)
    throw invalid(`${param}.url`, `Image type '${match[1]}' is not supported by Bedrock: use png, jpeg, gif or webp.`)
  return { image: { format, source: { bytes: match[2]!.replace(/\s+/g, '') } } }
}

function toolUses(calls: unknown, param: string): ConverseToolUseBlock[] {
  if (calls === undefined || calls === null) return []
  if (!Array.isArray(calls)) throw invalid(param, `${param} must be an array.`)
  return calls.map((raw, j) => {
    const at = `${param}[${j}]`
    const call = isObject(raw) ? raw : {}
    if (typeof call.id !== 'string' || !call.id) throw invalid(`${at}.id`, `${at}.id must be a non-empty string.`)
    const fn = isObject(call.function) ? call.function : {}
    if (typeof fn.name !== 'string' || !fn.name)
      throw invalid(`${at}.function.name`, `${at}.function.name must be a non-empty string.`)
    const args = fn.arguments ?? ''
    if (typeof args !== 'string')
      throw invalid(`${at}.function.arguments`, `${at}.function.arguments must be a JSON string.`)
    let input: unknown = {}
    if (args.trim()) {
      try {
        input = JSON.parse(args)
      } catch {
        throw invalid(`${at}.function.arguments`, `${at}.function.arguments is not valid JSON.`)
      }
    }
    return { toolUse: { toolUseId: toolUseIdOf(call.id), name: fn.name, input } }
  })
}

/** A tool's answer: a JSON object goes as {json}, anything else as text. */
function toolResultContent(content: unknown, param: string): ({ text: string } | { json: unknown })[] {
  if (typeof content === 'string') {
    if (content.trimStart().startsWith('{')) {
      try {
        const value: unknown = JSON.parse(content)
        if (isObject(value)) return [{ json: value }]
      } catch {
        // not JSON after all: send it as text
      }
    }
    return [{ text: content }]
  }
  return textParts(content, param)
}

function inferenceConfig(json: Readonly<JsonObject>): ConverseRequest['inferenceConfig'] {
  const out: NonNullable<ConverseRequest['inferenceConfig']> = {}
  const maxTokens = json.max_completion_tokens ?? json.max_tokens
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
      throw invalid(
        json.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens',
        'max_tokens must be a positive integer.',
      )
    out.maxTokens = maxTokens as number
  }
  for (const [field, key] of [
    ['temperature', 'temperature'],
    ['top_p', 'topP'],
  ] as const) {
    const value = json[field]
    if (value === undefined || value === null) continue
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, `${field} must be a number.`)
    out[key] = value
  }
  const stop = json.stop
  if (typeof stop === 'string') out.stopSequences = [stop]
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) {
    if (stop.length) out.stopSequences = stop
  } else if (stop !== undefined && stop !== null) throw invalid('stop', 'stop must be a string or an array of strings.')
  return Object.keys(out).length ? out : undefined
}

function toolConfig(json: Readonly<JsonObject>, usesToolBlocks: boolean): ConverseRequest['toolConfig'] {
  const tools = json.tools
  if (tools === undefined || tools === null) return undefined
  if (!Array.isArray(tools)) throw invalid('tools', 'tools must be an array.')
  if (tools.length === 0) return undefined
  const specs = tools.map((raw, i) => {
    const fn = isObject(raw) && raw.type === 'function' && isObject(raw.function) ? raw.function : undefined
    if (typeof fn?.name !== 'string' || !fn.name)
      throw invalid(`tools[${i}]`, `tools[${i}] must be {"type":"function","function":{"name":...}}.`)
    const spec: { name: string; description?: string; inputSchema: { json: unknown } } = {
      name: fn.name,
      inputSchema: { json: fn.parameters ?? { type: 'object', properties: {} } },
    }
    if (typeof fn.description === 'string' && fn.description) spec.description = fn.description
    return { toolSpec: spec }
  })
  const choice = json.tool_choice
  if (choice === undefined || choice === null) return { tools: specs }
  if (choice === 'auto') return { tools: specs, toolChoice: { auto: {} } }
  if (choice === 'required') return { tools: specs, toolChoice: { any: {} } }
  // Bedrock has no "none": the tools are left out, unless the history holds tool blocks (then Bedrock
  // requires toolConfig, and the tools go without a choice).
  if (choice === 'none') return usesToolBlocks ? { tools: specs } : undefined
  const name = isObject(choice) && isObject(choice.function) ? choice.function.name : undefined
  if (isObject(choice) && choice.type === 'function' && typeof name === 'string' && name) {
    if (!specs.some((s) => s.toolSpec.name === name))
      throw invalid('tool_choice', `tool_choice names '${name}', which is not in tools.`)
    return { tools: specs, toolChoice: { tool: { name } } }
  }
  throw invalid(
    'tool_choice',
    'tool_choice must be "auto", "required", "none" or {"type":"function","function":{"name":...}}.',
  )
}

/**
 * A tool call id as Bedrock takes it (1 to 64 of [a-zA-Z0-9_-]): as it is when it fits, else a stable
 * digest of it, the same for the call and its result. Ids from other providers may not fit (Gemini's
 * carry their thought signature, providers/google/thought-signature.ts).
 */
export function toolUseIdOf(id: string): string {
  if (id.length <= 64 && /^[a-zA-Z0-9_-]+$/.test(id)) return id
  return `tu_${createHash('sha256').update(id).digest('base64url').slice(0, 40)}`
}
