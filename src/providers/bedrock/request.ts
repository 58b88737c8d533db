// OpenAI chat completions request → Bedrock Converse request body (pure). The model id goes in the
// URL, not the body. https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
// Bedrock has one top-level system prompt, strictly alternating user/assistant turns, and tool results
// inside user turns; OpenAI's messages are reshaped into that.

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

export type Translation = { ok: true; request: ConverseRequest } | { ok: false; param: string; message: string }

/** Thrown inside this file only; turned into `{ ok: false }` at the boundary. */
class InputError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message)
  }
}

export function toConverseRequest(json: Readonly<Record<string, unknown>>): Translation {
  try {
    return { ok: true, request: translate(json) }
  } catch (err) {
    if (err instanceof InputError) return { ok: false, param: err.param, message: err.message }
    throw err
  }
}

// --- internal ---

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

function translate(json: Readonly<Record<string, unknown>>): ConverseRequest {
  const messages = json.messages
  if (!Array.isArray(messages) || messages.length === 0)
    throw new InputError('messages', "'messages' must be a non-empty array of message objects.")
  if (json.n !== undefined && json.n !== null && json.n !== 1)
    throw new InputError('n', 'Bedrock returns one choice: n must be 1.')
  const format = (json.response_format as { type?: unknown } | undefined)?.type
  if (format !== undefined && format !== 'text')
    throw new InputError(
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

  messages.forEach((raw, i) => {
    const param = `messages[${i}]`
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new InputError(param, `${param} must be an object.`)
    const m = raw as Record<string, unknown>
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
          throw new InputError(`${param}.tool_call_id`, `${param}.tool_call_id must be a non-empty string.`)
        usesToolBlocks = true
        push('user', [
          { toolResult: { toolUseId: m.tool_call_id, content: toolResultContent(m.content, `${param}.content`) } },
        ])
        return
      }
      default:
        throw new InputError(`${param}.role`, `${param}.role must be one of system, developer, user, assistant, tool.`)
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

function textParts(content: unknown, param: string): ConverseTextBlock[] {
  if (typeof content === 'string') return [{ text: content }]
  if (!Array.isArray(content)) throw new InputError(param, `${param} must be a string or an array of text parts.`)
  return content.map((part, j) => {
    const p = part as { type?: unknown; text?: unknown } | null
    if (p?.type !== 'text' || typeof p.text !== 'string')
      throw new InputError(`${param}[${j}]`, `${param}[${j}] must be a text part {"type":"text","text":"..."}.`)
    return { text: p.text }
  })
}

function userContent(content: unknown, param: string): ConverseContentBlock[] {
  if (typeof content === 'string') return [{ text: content }]
  if (!Array.isArray(content)) throw new InputError(param, `${param} must be a string or an array of content parts.`)
  return content.map((part, j): ConverseContentBlock => {
    const p = part as { type?: unknown; text?: unknown; image_url?: unknown } | null
    const at = `${param}[${j}]`
    if (p?.type === 'text' && typeof p.text === 'string') return { text: p.text }
    if (p?.type === 'image_url') return image(p.image_url, `${at}.image_url`)
    throw new InputError(at, `${at}: Bedrock providers take text and image_url parts only.`)
  })
}

function image(imageUrl: unknown, param: string): ConverseImageBlock {
  const url = typeof imageUrl === 'string' ? imageUrl : (imageUrl as { url?: unknown } | null)?.url
  if (typeof url !== 'string') throw new InputError(`${param}.url`, `${param}.url must be a string.`)
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  if (!match) {
    const what = /^https?:/i.test(url) ? 'an http(s) URL' : 'this URL'
    throw new InputError(
      `${param}.url`,
      `Bedrock cannot fetch images from ${what}: send the image inline as a data URL (data:image/png;base64,...).`,
    )
  }
  const format = IMAGE_FORMATS[match[1]!.toLowerCase()]
  if (!format)
    throw new InputError(
      `${param}.url`,
      `Image type '${match[1]}' is not supported by Bedrock: use png, jpeg, gif or webp.`,
    )
  return { image: { format, source: { bytes: match[2]!.replace(/\s+/g, '') } } }
}

function toolUses(calls: unknown, param: string): ConverseToolUseBlock[] {
  if (calls === undefined || calls === null) return []
  if (!Array.isArray(calls)) throw new InputError(param, `${param} must be an array.`)
  return calls.map((raw, j) => {
    const at = `${param}[${j}]`
    const call = raw as { id?: unknown; function?: { name?: unknown; arguments?: unknown } } | null
    if (typeof call?.id !== 'string' || !call.id)
      throw new InputError(`${at}.id`, `${at}.id must be a non-empty string.`)
    const fn = call.function
    if (typeof fn?.name !== 'string' || !fn.name)
      throw new InputError(`${at}.function.name`, `${at}.function.name must be a non-empty string.`)
    const args = fn.arguments ?? ''
    if (typeof args !== 'string')
      throw new InputError(`${at}.function.arguments`, `${at}.function.arguments must be a JSON string.`)
    let input: unknown = {}
    if (args.trim()) {
      try {
        input = JSON.parse(args)
      } catch {
        throw new InputError(`${at}.function.arguments`, `${at}.function.arguments is not valid JSON.`)
      }
    }
    return { toolUse: { toolUseId: call.id, name: fn.name, input } }
  })
}

/** A tool's answer: a JSON object goes as {json}, anything else as text. */
function toolResultContent(content: unknown, param: string): ({ text: string } | { json: unknown })[] {
  if (typeof content === 'string') {
    if (content.trimStart().startsWith('{')) {
      try {
        const value: unknown = JSON.parse(content)
        if (value && typeof value === 'object' && !Array.isArray(value)) return [{ json: value }]
      } catch {
        // not JSON after all: send it as text
      }
    }
    return [{ text: content }]
  }
  return textParts(content, param)
}

function inferenceConfig(json: Readonly<Record<string, unknown>>): ConverseRequest['inferenceConfig'] {
  const out: NonNullable<ConverseRequest['inferenceConfig']> = {}
  const maxTokens = json.max_completion_tokens ?? json.max_tokens
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
      throw new InputError(
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
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError(field, `${field} must be a number.`)
    out[key] = value
  }
  const stop = json.stop
  if (typeof stop === 'string') out.stopSequences = [stop]
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) {
    if (stop.length) out.stopSequences = stop
  } else if (stop !== undefined && stop !== null)
    throw new InputError('stop', 'stop must be a string or an array of strings.')
  return Object.keys(out).length ? out : undefined
}

function toolConfig(json: Readonly<Record<string, unknown>>, usesToolBlocks: boolean): ConverseRequest['toolConfig'] {
  const tools = json.tools
  if (tools === undefined || tools === null) return undefined
  if (!Array.isArray(tools)) throw new InputError('tools', 'tools must be an array.')
  if (tools.length === 0) return undefined
  const specs = tools.map((raw, i) => {
    const t = raw as {
      type?: unknown
      function?: { name?: unknown; description?: unknown; parameters?: unknown }
    } | null
    if (t?.type !== 'function' || typeof t.function?.name !== 'string' || !t.function.name)
      throw new InputError(`tools[${i}]`, `tools[${i}] must be {"type":"function","function":{"name":...}}.`)
    const spec: { name: string; description?: string; inputSchema: { json: unknown } } = {
      name: t.function.name,
      inputSchema: { json: t.function.parameters ?? { type: 'object', properties: {} } },
    }
    if (typeof t.function.description === 'string' && t.function.description) spec.description = t.function.description
    return { toolSpec: spec }
  })
  const choice = json.tool_choice
  if (choice === undefined || choice === null) return { tools: specs }
  if (choice === 'auto') return { tools: specs, toolChoice: { auto: {} } }
  if (choice === 'required') return { tools: specs, toolChoice: { any: {} } }
  // Bedrock has no "none": the tools are left out, unless the history holds tool blocks (then Bedrock
  // requires toolConfig, and the tools go without a choice).
  if (choice === 'none') return usesToolBlocks ? { tools: specs } : undefined
  const name = (choice as { type?: unknown; function?: { name?: unknown } }).function?.name
  if ((choice as { type?: unknown }).type === 'function' && typeof name === 'string' && name) {
    if (!specs.some((s) => s.toolSpec.name === name))
      throw new InputError('tool_choice', `tool_choice names '${name}', which is not in tools.`)
    return { tools: specs, toolChoice: { tool: { name } } }
  }
  throw new InputError(
    'tool_choice',
    'tool_choice must be "auto", "required", "none" or {"type":"function","function":{"name":...}}.',
  )
}
