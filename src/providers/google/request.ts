// OpenAI chat completion body → Gemini generateContent request (pure). A client mistake throws a
// 400 GatewayError naming the field; the provider turns it into the Response.
// Chat: https://platform.openai.com/docs/api-reference/chat/create
// Gemini: https://ai.google.dev/api/generate-content#request-body, https://ai.google.dev/gemini-api/docs/function-calling
//
// Reasoning state going back to Gemini (https://ai.google.dev/gemini-api/docs/thought-signatures):
//   - a tool call's signature: `extra_content.google.thought_signature`, else the suffix of its id
//     (thought-signature.ts), onto its functionCall part. On a thinking model (thinking.ts), the first
//     functionCall part of a model turn that has none gets the documented skip value instead.
//   - an assistant message's `thinking_blocks` with a signature: a block with text is a thought part
//     (`thought: true`, its text and signature) at the head of the turn; a block without text carried
//     the signature of the answer text (Gemini signs the last part of an answer without calls), so the
//     signature goes back on the text part (an empty text part when the message has no text).
//     Redacted blocks and unsigned reasoning_content are Anthropic's or plain text: Gemini reads neither.
import { badRequest } from '../../core/errors'
import { isObject, type JsonObject } from '../../core/json'
import { toGeminiSchema } from './schema'
import { asksForReasoning, isThinkingModel, takesJsonSchema, toThinkingConfig } from './thinking'
import { extraContentSignature, SKIP_THOUGHT_SIGNATURE, splitToolCallId } from './thought-signature'
import type {
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiRequest,
} from './types'

export interface ToGeminiOptions {
  /** The model the request goes to (the deployment's, without `models/`); the body's `model` when absent. */
  model?: string
}

export function toGeminiRequest(json: Readonly<JsonObject>, options: ToGeminiOptions = {}): GeminiRequest {
  const model = options.model ?? (typeof json.model === 'string' ? json.model : '')
  const messages = json.messages
  if (!Array.isArray(messages) || messages.length === 0)
    throw badRequest("'messages' must be a non-empty array.", 'messages')
  const { system, contents } = toContents(messages)
  if (contents.length === 0)
    throw badRequest("'messages' must contain at least one user or assistant message.", 'messages')

  const request: GeminiRequest = { contents }
  if (system.length) request.systemInstruction = { parts: system }
  const declarations = toDeclarations(json.tools)
  if (declarations.length) request.tools = [{ functionDeclarations: declarations }]
  const toolConfig = toToolConfig(json.tool_choice, declarations)
  if (toolConfig) request.toolConfig = toolConfig
  const generationConfig = toGenerationConfig(json, model)
  if (Object.keys(generationConfig).length) request.generationConfig = generationConfig
  if (isThinkingModel(model) || asksForReasoning(json)) signEveryTurn(contents)
  return request
}

/** The system instruction and the user/model turns of an OpenAI `messages` list. */
function toContents(messages: unknown[]): { system: { text: string }[]; contents: GeminiContent[] } {
  const system: { text: string }[] = []
  const contents: GeminiContent[] = []
  /** tool_call_id (without our signature suffix) → function name, from earlier assistant turns. */
  const callNames = new Map<string, string>()
  const push = (role: GeminiContent['role'], parts: GeminiPart[]) => {
    if (parts.length === 0) return
    const last = contents[contents.length - 1]
    // Gemini wants user and model turns; consecutive turns of one role are merged.
    if (last && last.role === role) last.parts.push(...parts)
    else contents.push({ role, parts })
  }

  for (const [i, message] of messages.entries()) {
    const at = `messages[${i}]`
    if (!isObject(message)) throw badRequest(`'${at}' must be an object.`, at)
    switch (message.role) {
      case 'system':
      case 'developer': {
        const text = textOf(message.content, `${at}.content`)
        if (text) system.push({ text })
        continue
      }
      case 'user':
        push('user', userParts(message.content, `${at}.content`))
        continue
      case 'assistant':
        push('model', assistantParts(message, at, callNames))
        continue
      case 'tool':
      case 'function': {
        const name =
          message.role === 'function'
            ? message.name
            : typeof message.tool_call_id === 'string'
              ? callNames.get(splitToolCallId(message.tool_call_id).id)
              : undefined
        if (typeof name !== 'string') {
          const field = message.role === 'function' ? `${at}.name` : `${at}.tool_call_id`
          throw badRequest(`'${field}' does not match any tool call of an earlier assistant message.`, field)
        }
        push('user', [{ functionResponse: { name, response: toolResponse(textOf(message.content, `${at}.content`)) } }])
        continue
      }
      default:
        throw badRequest(
          `'${at}.role' must be one of system, developer, user, assistant, tool; got ${JSON.stringify(message.role)}.`,
          `${at}.role`,
        )
    }
  }
  return { system, contents }
}

// --- internal ---

/** Image extensions → MIME types Gemini takes by URI (https://ai.google.dev/gemini-api/docs/image-understanding). */
const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
  pdf: 'application/pdf',
}

/** OpenAI input_audio formats → MIME types. */
const AUDIO_MIME: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mp3' }

/** A string, or an array of text parts, as one string (system, tool and assistant content). */
function textOf(content: unknown, at: string): string {
  if (content === null || content === undefined) return ''
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) throw badRequest(`'${at}' must be a string or an array of content parts.`, at)
  return content
    .map((part, j) => {
      if (isObject(part) && (part.type === 'text' || part.type === 'refusal')) {
        const text = part.type === 'text' ? part.text : part.refusal
        if (typeof text === 'string') return text
      }
      throw badRequest(`'${at}[${j}]' must be a text part here.`, `${at}[${j}]`)
    })
    .join('')
}

function userParts(content: unknown, at: string): GeminiPart[] {
  if (typeof content === 'string') return [{ text: content }]
  if (!Array.isArray(content)) throw badRequest(`'${at}' must be a string or an array of content parts.`, at)
  return content.map((part, j) => {
    const here = `${at}[${j}]`
    if (!isObject(part)) throw badRequest(`'${here}' must be an object.`, here)
    switch (part.type) {
      case 'text':
        if (typeof part.text !== 'string') throw badRequest(`'${here}.text' must be a string.`, `${here}.text`)
        return { text: part.text }
      case 'image_url': {
        const url = isObject(part.image_url) ? part.image_url.url : part.image_url
        if (typeof url !== 'string')
          throw badRequest(`'${here}.image_url.url' must be a string.`, `${here}.image_url.url`)
        return mediaPart(url, `${here}.image_url.url`)
      }
      case 'input_audio': {
        const audio = isObject(part.input_audio) ? part.input_audio : {}
        const mime =
          typeof audio.format === 'string' && Object.hasOwn(AUDIO_MIME, audio.format)
            ? AUDIO_MIME[audio.format]
            : undefined
        if (typeof audio.data !== 'string' || !mime)
          throw badRequest(
            `'${here}.input_audio' must have base64 'data' and 'format' wav or mp3.`,
            `${here}.input_audio`,
          )
        return { inline_data: { mime_type: mime, data: audio.data } }
      }
      case 'file': {
        const data = isObject(part.file) ? part.file.file_data : undefined
        if (typeof data !== 'string')
          throw badRequest(
            `'${here}.file.file_data' must be a data: URL (file ids are not supported by Gemini).`,
            `${here}.file.file_data`,
          )
        return mediaPart(data, `${here}.file.file_data`)
      }
      default:
        throw badRequest(
          `'${here}.type' ${JSON.stringify(part.type)} is not supported; use text, image_url, input_audio or file.`,
          `${here}.type`,
        )
    }
  })
}

/** data: URLs go inline; http(s) and gs:// URLs go by reference when their MIME type can be told. */
function mediaPart(url: string, at: string): GeminiPart {
  const data = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url)
  if (data) return { inline_data: { mime_type: data[1]!, data: data[2]! } }
  if (url.startsWith('data:')) throw badRequest(`'${at}' must be a base64 data: URL (data:<mime>;base64,...).`, at)
  if (!/^(https?|gs):\/\//.test(url)) throw badRequest(`'${at}' must be a data: URL or an http(s) URL.`, at)
  // Files uploaded to the Gemini Files API are known to Gemini by URI alone.
  if (/^https:\/\/generativelanguage\.googleapis\.com\/.*\/files\//.test(url)) return { file_data: { file_uri: url } }
  const parsed = URL.parse(url)
  if (!parsed) throw badRequest(`'${at}' is not a valid URL.`, at)
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(parsed.pathname)?.[1]?.toLowerCase()
  const mime = extension && Object.hasOwn(MIME_BY_EXTENSION, extension) ? MIME_BY_EXTENSION[extension] : undefined
  if (!mime)
    throw badRequest(
      `'${at}': Gemini needs the MIME type of a URL it fetches, and it cannot be told from this URL's extension; send the image as a base64 data: URL instead.`,
      at,
    )
  return { file_data: { file_uri: url, mime_type: mime } }
}

function assistantParts(message: JsonObject, at: string, callNames: Map<string, string>): GeminiPart[] {
  const parts: GeminiPart[] = []
  const blocks = signedThinkingBlocks(message.thinking_blocks, `${at}.thinking_blocks`)
  for (const block of blocks)
    if (block.thinking) parts.push({ text: block.thinking, thought: true, thoughtSignature: block.signature })
  const text = textOf(message.content, `${at}.content`)
  const answer: GeminiPart | undefined = text ? { text } : undefined
  if (answer) parts.push(answer)
  for (const block of blocks) {
    if (block.thinking) continue
    if (answer && answer.thoughtSignature === undefined) answer.thoughtSignature = block.signature
    else parts.push({ text: '', thoughtSignature: block.signature })
  }
  const calls = message.tool_calls
  if (calls === undefined || calls === null) return parts
  if (!Array.isArray(calls)) throw badRequest(`'${at}.tool_calls' must be an array.`, `${at}.tool_calls`)
  calls.forEach((call, j) => {
    const here = `${at}.tool_calls[${j}]`
    const fn = isObject(call) && isObject(call.function) ? call.function : undefined
    if (!fn || typeof fn.name !== 'string')
      throw badRequest(`'${here}.function.name' must be a string.`, `${here}.function.name`)
    const id = typeof call.id === 'string' ? splitToolCallId(call.id) : undefined
    if (id) callNames.set(id.id, fn.name)
    const part: GeminiPart = {
      functionCall: { name: fn.name, args: parseArguments(fn.arguments, `${here}.function.arguments`) },
    }
    // Thinking models sign their function calls: Google's OpenAI layer's field, else our id suffix.
    const signature = extraContentSignature(call) ?? id?.signature
    if (signature !== undefined) part.thoughtSignature = signature
    parts.push(part)
  })
  return parts
}

/** The signed `thinking` blocks of an assistant message's thinking_blocks, in order. */
function signedThinkingBlocks(blocks: unknown, at: string): { thinking: string; signature: string }[] {
  if (blocks === undefined || blocks === null) return []
  if (!Array.isArray(blocks)) throw badRequest(`'${at}' must be an array of thinking blocks.`, at)
  const signed: { thinking: string; signature: string }[] = []
  blocks.forEach((block, j) => {
    if (!isObject(block)) throw badRequest(`'${at}[${j}]' must be an object.`, `${at}[${j}]`)
    if (block.type !== 'thinking' || typeof block.signature !== 'string' || !block.signature) return
    signed.push({ thinking: typeof block.thinking === 'string' ? block.thinking : '', signature: block.signature })
  })
  return signed
}

/**
 * Gemini checks that the first functionCall part of each model turn carries a signature; a call that
 * never had one (a history the client built, or one another model made) gets the documented skip value.
 */
function signEveryTurn(contents: GeminiContent[]): void {
  for (const content of contents) {
    if (content.role !== 'model') continue
    const first = content.parts.find((part) => part.functionCall)
    if (first && first.thoughtSignature === undefined) first.thoughtSignature = SKIP_THOUGHT_SIGNATURE
  }
}

function parseArguments(raw: unknown, at: string): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {}
  if (isObject(raw)) return raw
  if (typeof raw !== 'string') throw badRequest(`'${at}' must be a JSON string.`, at)
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (err) {
    throw badRequest(`'${at}' is not valid JSON: ${(err as Error).message}`, at)
  }
  if (!isObject(parsed))
    throw badRequest(`'${at}' must encode a JSON object (Gemini takes function arguments as an object).`, at)
  return parsed
}

/**
 * FunctionResponse.response is a JSON object: "use the 'output' key to specify function output and
 * 'error' for error details". A tool answer that is a JSON object goes as is; anything else is output.
 */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text)
    if (isObject(parsed)) return parsed
  } catch {
    // not JSON: plain text output
  }
  return { output: text }
}

function toDeclarations(tools: unknown): GeminiFunctionDeclaration[] {
  if (tools === undefined || tools === null) return []
  if (!Array.isArray(tools)) throw badRequest("'tools' must be an array.", 'tools')
  return tools.map((tool, i) => {
    const at = `tools[${i}]`
    if (!isObject(tool) || tool.type !== 'function')
      throw badRequest(
        `'${at}.type' must be "function" (the only tool type Gemini takes through this API).`,
        `${at}.type`,
      )
    const fn = isObject(tool.function) ? tool.function : {}
    if (typeof fn.name !== 'string' || !fn.name)
      throw badRequest(`'${at}.function.name' must be a non-empty string.`, `${at}.function.name`)
    const declaration: GeminiFunctionDeclaration = { name: fn.name }
    if (typeof fn.description === 'string') declaration.description = fn.description
    if (fn.parameters !== undefined && fn.parameters !== null) {
      if (!isObject(fn.parameters))
        throw badRequest(`'${at}.function.parameters' must be a JSON Schema object.`, `${at}.function.parameters`)
      const parameters = toGeminiSchema(fn.parameters, `${at}.function.parameters`)
      // A function without arguments has no `parameters` in Gemini (an OBJECT without properties is refused).
      if (isObject(parameters.properties) && Object.keys(parameters.properties).length > 0)
        declaration.parameters = parameters
    }
    return declaration
  })
}

/** tool_choice → FunctionCallingConfig (https://ai.google.dev/api/caching#FunctionCallingConfig). */
function toToolConfig(choice: unknown, declarations: GeminiFunctionDeclaration[]): GeminiRequest['toolConfig'] {
  if (choice === undefined || choice === null) return undefined
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } }
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } }
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } }
  const name =
    isObject(choice) && choice.type === 'function' && isObject(choice.function) ? choice.function.name : undefined
  if (typeof name !== 'string')
    throw badRequest(
      `'tool_choice' must be "auto", "none", "required" or {"type":"function","function":{"name":...}}.`,
      'tool_choice',
    )
  if (!declarations.some((d) => d.name === name))
    throw badRequest(
      `'tool_choice.function.name' names '${name}', which is not in 'tools'.`,
      'tool_choice.function.name',
    )
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } }
}

/** https://ai.google.dev/api/generate-content#generationconfig */
function toGenerationConfig(json: Readonly<JsonObject>, model: string): GeminiGenerationConfig {
  const config: GeminiGenerationConfig = {}
  const number = (field: string, integer = false): number | undefined => {
    const value = json[field]
    if (value === undefined || value === null) return undefined
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)))
      throw badRequest(`'${field}' must be ${integer ? 'an integer' : 'a number'}.`, field)
    return value
  }
  const set = <K extends keyof GeminiGenerationConfig>(key: K, value: GeminiGenerationConfig[K] | undefined) => {
    if (value !== undefined) config[key] = value
  }
  set('temperature', number('temperature'))
  set('topP', number('top_p'))
  set('topK', number('top_k', true))
  set('maxOutputTokens', number('max_completion_tokens', true) ?? number('max_tokens', true))
  set('candidateCount', number('n', true))
  set('seed', number('seed', true))
  set('presencePenalty', number('presence_penalty'))
  set('frequencyPenalty', number('frequency_penalty'))

  const stop = json.stop
  if (typeof stop === 'string') config.stopSequences = [stop]
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) {
    if (stop.length) config.stopSequences = stop
  } else if (stop !== undefined && stop !== null)
    throw badRequest("'stop' must be a string or an array of strings.", 'stop')

  const format = json.response_format
  if (format !== undefined && format !== null) {
    if (!isObject(format)) throw badRequest("'response_format' must be an object.", 'response_format')
    if (format.type === 'json_object') config.responseMimeType = 'application/json'
    else if (format.type === 'json_schema') {
      const spec = isObject(format.json_schema) ? format.json_schema : undefined
      if (!spec || !isObject(spec.schema))
        throw badRequest(
          "'response_format.json_schema.schema' must be a JSON Schema object.",
          'response_format.json_schema.schema',
        )
      config.responseMimeType = 'application/json'
      // Gemini 2.5 and later take the JSON Schema as written (unions, $ref, additionalProperties kept);
      // older models only the OpenAPI subset, which schema.ts cleans it into.
      if (takesJsonSchema(model)) config.responseJsonSchema = spec.schema
      else config.responseSchema = toGeminiSchema(spec.schema, 'response_format.json_schema.schema')
    } else if (format.type !== 'text')
      throw badRequest("'response_format.type' must be text, json_object or json_schema.", 'response_format.type')
  }
  const thinking = toThinkingConfig(json, model)
  if (thinking) config.thinkingConfig = thinking
  return config
}
