// OpenAI chat completion request → Anthropic Messages request (pure). System and developer messages
// become the top-level `system`; turns are merged so that roles alternate starting with user; tool
// calls and tool results become tool_use / tool_result blocks; `response_format: json_schema` becomes
// structured output (`output_config.format`); `reasoning_effort` or an Anthropic-style `thinking`
// becomes `thinking`, and an assistant message's `thinking_blocks` go back as signed thinking blocks
// (conventions: core/reasoning.ts). Input the translation cannot express throws a 400 GatewayError
// naming the field (OpenAI's shape, before any fetch).
// https://platform.openai.com/docs/api-reference/chat/create · https://docs.anthropic.com/en/api/messages
// https://docs.anthropic.com/en/docs/build-with-claude/structured-outputs
// https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
import { badRequest } from '../../core/errors'
import { isObject, type JsonObject } from '../../core/json'
import { EFFORT_BUDGET, isReasoningEffort, REASONING_EFFORTS } from '../../core/reasoning'
import type {
  AnthropicContentBlockParam as ContentBlockParam,
  AnthropicMessageParam as MessageParam,
  AnthropicMessagesRequest as MessagesRequest,
  AnthropicTextBlockParam as TextBlockParam,
  AnthropicToolChoice as ToolChoice,
  AnthropicTool as ToolParam,
  AnthropicToolResultBlockParam as ToolResultBlockParam,
} from '../../wire/messages'

/** Anthropic requires the first turn to be the user's; this stands in when a conversation starts with the assistant. */
export const PLACEHOLDER_USER_TEXT = '.'

/** The effort levels of Anthropic's `output_config.effort` that a chat `reasoning_effort` reaches. */
type AnthropicEffort = 'low' | 'medium' | 'high'

/** Anthropic's `thinking` parameter: enabled (with budget_tokens), adaptive or disabled. */
type Thinking = NonNullable<MessagesRequest['thinking']>

/** The Messages request this translator builds: the wire request plus `output_config`. */
export interface AnthropicChatRequest extends MessagesRequest {
  /** Structured output (`format`) and, for adaptive thinking, the effort. */
  output_config?: { format?: { type: 'json_schema'; schema: Record<string, unknown> }; effort?: AnthropicEffort }
}

/** The Messages request for `model`; throws badRequest(message, param, code) for input it cannot express. */
export function toAnthropicRequest(json: Readonly<JsonObject>, model: string): AnthropicChatRequest {
  rejectUnsupported(json)
  const format = readResponseFormat(json.response_format)
  const { thinking, effort } = readThinking(json, model)
  const { system, messages } = readMessages(json.messages)
  const request: AnthropicChatRequest = { model, messages, max_tokens: readMaxTokens(json, model, thinking) }
  if (system.length) request.system = system.length === 1 ? system[0]!.text : system
  const temperature = readUnitNumber(json, 'temperature')
  if (temperature !== undefined) request.temperature = temperature
  const topP = readUnitNumber(json, 'top_p')
  if (topP !== undefined) request.top_p = topP
  const stop = readStop(json.stop)
  if (stop) request.stop_sequences = stop
  const tools = readTools(json.tools)
  if (tools) {
    request.tools = tools
    const choice = readToolChoice(json.tool_choice, json.parallel_tool_calls === false)
    if (choice) request.tool_choice = choice
  }
  if (thinking) {
    if (thinking.type !== 'disabled') checkThinkingCompatible(request)
    request.thinking = thinking
  }
  if (format || effort) request.output_config = { ...(format && { format }), ...(effort && { effort }) }
  const user = json.user ?? json.safety_identifier
  if (typeof user === 'string' && user) request.metadata = { user_id: user }
  if (json.stream === true) request.stream = true
  return request
}

/**
 * max_tokens when the client sets none: the model's documented output limit, as OpenAI's "up to the
 * model's limit" means. Claude 3: 4,096; 3.5: 8,192; 3.7 and Sonnet/Haiku 4 to 4.5 and Opus 4.5: 64,000;
 * Opus 4 and 4.1: 32,000; Opus/Sonnet 4.6+ and every Claude 5: 128,000. Unknown names: 4,096, which
 * every model accepts.
 */
export function defaultMaxTokens(model: string): number {
  const version = claudeVersion(model)
  if (!version) return 4096
  const v = version.major * 100 + version.minor
  if (v >= 406) return 128_000
  if (v >= 405) return 64_000
  if (v >= 400) return version.family === 'opus' ? 32_000 : 64_000
  if (v >= 307) return 64_000
  if (v >= 305) return 8192
  return 4096
}

// --- internal ---

/** The codes a refusal carries: OpenAI's for a bad value, an unknown parameter, a missing one. */
type Code = 'invalid_value' | 'unsupported_parameter' | 'unsupported_value' | 'missing_required_parameter'

/** A 400 about `param`; the message starts with the field's path. */
const invalid = (param: string, problem: string, code: Code = 'invalid_value') =>
  badRequest(`${param} ${problem}`, param, code)

const unsupported = (param: string, what?: string) =>
  badRequest(
    `${what ? `${param}: ${what}` : param} is not supported by Anthropic models.`,
    param,
    'unsupported_parameter',
  )

function rejectUnsupported(body: Readonly<JsonObject>): void {
  if (body.n !== undefined && body.n !== null && body.n !== 1)
    throw invalid('n', 'must be 1: Anthropic models return one choice per request.', 'unsupported_value')
  if (body.logprobs === true) throw unsupported('logprobs')
  if (body.top_logprobs !== undefined && body.top_logprobs !== null) throw unsupported('top_logprobs')
  if (body.audio !== undefined && body.audio !== null) throw unsupported('audio', 'audio output')
  if (Array.isArray(body.modalities) && body.modalities.includes('audio'))
    throw unsupported('modalities', 'audio output')
  if (body.functions !== undefined && body.functions !== null)
    throw unsupported('functions', 'the deprecated `functions` parameter (use `tools`)')
  if (body.function_call !== undefined && body.function_call !== null)
    throw unsupported('function_call', 'the deprecated `function_call` parameter (use `tool_choice`)')
}

/**
 * `response_format` → `output_config.format`. text: nothing; json_schema: Anthropic's structured output
 * with the client's schema (name and strict have no Anthropic counterpart: the output is always held to
 * the schema); json_object: a 400, since Anthropic's structured outputs need a schema and take no
 * open-ended object (every object must set additionalProperties: false).
 */
function readResponseFormat(format: unknown): NonNullable<AnthropicChatRequest['output_config']>['format'] {
  if (format === undefined || format === null) return undefined
  if (!isObject(format))
    throw invalid('response_format', "must be an object: {type: 'text'} or {type: 'json_schema', json_schema}.")
  switch (format.type) {
    case 'text':
      return undefined
    case 'json_schema': {
      const spec = format.json_schema
      if (!isObject(spec))
        throw invalid(
          'response_format.json_schema',
          'must be an object: {name, schema, strict}.',
          'missing_required_parameter',
        )
      if (!isObject(spec.schema))
        throw invalid(
          'response_format.json_schema.schema',
          'must be a JSON Schema object: Anthropic structured outputs need a schema.',
          'missing_required_parameter',
        )
      return { type: 'json_schema', schema: closeObjects(spec.schema) }
    }
    case 'json_object':
      throw invalid(
        'response_format.type',
        "'json_object' is not supported by Anthropic models: use {type: 'json_schema', json_schema: {name, schema}} (structured outputs need a schema).",
        'unsupported_value',
      )
    default:
      throw invalid(
        'response_format.type',
        "must be 'text' or 'json_schema' for Anthropic models.",
        'unsupported_value',
      )
  }
}

/** Schema keywords whose value is a map of schemas, a schema, or a list of schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'])
const SCHEMA_ONE = new Set([
  'items',
  'additionalItems',
  'additionalProperties',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'unevaluatedItems',
  'unevaluatedProperties',
])
const SCHEMA_LIST = new Set(['anyOf', 'allOf', 'oneOf', 'prefixItems', 'items'])

/**
 * A copy of `schema` in which every object schema that leaves `additionalProperties` unset sets it to
 * false: Anthropic's structured outputs require additionalProperties: false on every object (their
 * "JSON Schema limitations"). An unset value allows extra keys, so false only narrows what the model
 * may write: the answer still validates against the client's schema. An explicit value is kept (true or
 * a schema is then Anthropic's 400 to give). Only schema positions are walked: `properties` maps,
 * `enum`, `const`, `default` and `examples` are data and stay as sent.
 */
function closeObjects(schema: JsonObject): JsonObject {
  const out = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => {
      if (SCHEMA_MAPS.has(key) && isObject(value))
        return [key, Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? closeObjects(v) : v]))]
      if (SCHEMA_LIST.has(key) && Array.isArray(value))
        return [key, value.map((v) => (isObject(v) ? closeObjects(v) : v))]
      if (SCHEMA_ONE.has(key) && isObject(value)) return [key, closeObjects(value)]
      return [key, value]
    }),
  )
  const { type } = schema
  const isObjectSchema =
    type === 'object' ||
    (Array.isArray(type) && type.includes('object')) ||
    (type === undefined && isObject(schema.properties))
  if (isObjectSchema && !Object.hasOwn(schema, 'additionalProperties')) out.additionalProperties = false
  return out
}

/**
 * What the request asks of thinking. An Anthropic-style `thinking` object (LiteLLM takes it on chat)
 * is checked and sent as it is, and wins over `reasoning_effort`. `reasoning_effort` is a budget from
 * EFFORT_BUDGET (`thinking: {type: 'enabled', budget_tokens}`), except on the models that only take
 * adaptive thinking (enabled is a 400 there): `{type: 'adaptive'}` with `output_config.effort`. 'none'
 * sends no thinking at all, which every model takes as off (the adaptive-only ones refuse
 * `{type: 'disabled'}`).
 */
function readThinking(body: Readonly<JsonObject>, model: string): { thinking?: Thinking; effort?: AnthropicEffort } {
  const thinking = body.thinking
  if (thinking !== undefined && thinking !== null) {
    if (!isObject(thinking))
      throw invalid(
        'thinking',
        "must be an object: {type: 'enabled', budget_tokens}, {type: 'adaptive'} or {type: 'disabled'}.",
      )
    switch (thinking.type) {
      case 'enabled': {
        const budget = thinking.budget_tokens
        if (!Number.isInteger(budget) || (budget as number) < MIN_THINKING_BUDGET)
          throw invalid(
            'thinking.budget_tokens',
            `must be an integer of at least ${MIN_THINKING_BUDGET} (Anthropic's smallest thinking budget).`,
          )
        break
      }
      case 'adaptive':
      case 'disabled':
        break
      default:
        throw invalid('thinking.type', "must be 'enabled', 'adaptive' or 'disabled'.", 'unsupported_value')
    }
    return { thinking: { ...thinking } as Thinking }
  }
  const effort = body.reasoning_effort
  if (effort === undefined || effort === null) return {}
  if (!isReasoningEffort(effort))
    throw invalid(
      'reasoning_effort',
      `must be one of ${REASONING_EFFORTS.map((e) => `'${e}'`).join(', ')} for Anthropic models.`,
      'unsupported_value',
    )
  if (effort === 'none') return {}
  if (adaptiveOnly(model)) return { thinking: { type: 'adaptive' }, effort: effort === 'minimal' ? 'low' : effort }
  return { thinking: { type: 'enabled', budget_tokens: EFFORT_BUDGET[effort] } }
}

/** Anthropic's smallest `budget_tokens`. */
const MIN_THINKING_BUDGET = 1024

/**
 * Thinking is not compatible with a temperature other than 1, a top_p below 0.95, or a forced tool
 * (tool_choice any or tool): Anthropic refuses each; this says so before the call, naming the field.
 * https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#feature-compatibility
 */
function checkThinkingCompatible(request: AnthropicChatRequest): void {
  if (request.temperature !== undefined && request.temperature !== 1)
    throw invalid(
      'temperature',
      'must be 1 or unset when thinking is on: Anthropic models take no other temperature with extended thinking.',
      'unsupported_value',
    )
  if (request.top_p !== undefined && request.top_p < 0.95)
    throw invalid(
      'top_p',
      "must be between 0.95 and 1 or unset when thinking is on (Anthropic's range with extended thinking).",
      'unsupported_value',
    )
  const forced = request.tool_choice?.type
  if (forced === 'any' || forced === 'tool')
    throw invalid(
      'tool_choice',
      "must be 'auto' or 'none' when thinking is on: Anthropic models cannot be forced to call a tool while thinking.",
      'unsupported_value',
    )
}

/**
 * Claude Opus 4.7 and later, every Claude 5 and Mythos take only adaptive thinking:
 * `{type: 'enabled', budget_tokens}` and `{type: 'disabled'}` are 400s there.
 */
function adaptiveOnly(model: string): boolean {
  if (/claude-mythos/.test(model)) return true
  const version = claudeVersion(model)
  if (!version) return false
  return version.major >= 5 || (version.family === 'opus' && version.major === 4 && version.minor >= 7)
}

/**
 * max_tokens: the client's (max_completion_tokens, else max_tokens), else the model's default. Anthropic
 * counts thinking inside max_tokens and refuses a max_tokens that is not above budget_tokens; when it is
 * not, the budget is added to it (budget + the client's max, or + the default), so that the max still
 * bounds the answer after the thinking, as OpenAI's max_completion_tokens bounds reasoning plus answer.
 */
function readMaxTokens(body: Readonly<JsonObject>, model: string, thinking: Thinking | undefined): number {
  let max = defaultMaxTokens(model)
  for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
    const value = body[field]
    if (value === undefined || value === null) continue
    if (!Number.isInteger(value) || (value as number) < 1) throw invalid(field, 'must be a positive integer.')
    max = value as number
    break
  }
  const budget = thinking?.type === 'enabled' ? thinking.budget_tokens : undefined
  return budget !== undefined && max <= budget ? budget + max : max
}

function readUnitNumber(body: Readonly<JsonObject>, field: 'temperature' | 'top_p'): number | undefined {
  const value = body[field]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw invalid(field, 'must be a number between 0 and 1 for Anthropic models.')
  return value
}

function readStop(stop: unknown): string[] | undefined {
  if (stop === undefined || stop === null) return undefined
  if (typeof stop === 'string') return [stop]
  if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string'))
    throw invalid('stop', 'must be a string or an array of strings.')
  return stop.length ? (stop as string[]) : undefined
}

function readTools(tools: unknown): ToolParam[] | undefined {
  if (tools === undefined || tools === null) return undefined
  if (!Array.isArray(tools)) throw invalid('tools', 'must be an array.')
  if (!tools.length) return undefined
  return tools.map((tool, i) => {
    if (!isObject(tool) || tool.type !== 'function')
      throw invalid(`tools[${i}].type`, "must be 'function': only function tools are supported.", 'unsupported_value')
    const fn = tool.function
    if (!isObject(fn) || typeof fn.name !== 'string' || !fn.name)
      throw invalid(`tools[${i}].function.name`, 'must be a non-empty string.')
    const out: ToolParam = { name: fn.name, input_schema: { type: 'object', properties: {} } }
    if (typeof fn.description === 'string' && fn.description) out.description = fn.description
    if (fn.parameters !== undefined && fn.parameters !== null) {
      if (!isObject(fn.parameters)) throw invalid(`tools[${i}].function.parameters`, 'must be a JSON Schema object.')
      out.input_schema = fn.parameters
    }
    return out
  })
}

function readToolChoice(choice: unknown, noParallel: boolean): ToolChoice | undefined {
  let out: ToolChoice | undefined
  if (choice === undefined || choice === null) out = noParallel ? { type: 'auto' } : undefined
  else if (choice === 'auto') out = { type: 'auto' }
  else if (choice === 'required') out = { type: 'any' }
  else if (choice === 'none') return { type: 'none' }
  else if (isObject(choice) && choice.type === 'function') {
    const fn = choice.function
    if (!isObject(fn) || typeof fn.name !== 'string' || !fn.name)
      throw invalid('tool_choice.function.name', 'must be a non-empty string.')
    out = { type: 'tool', name: fn.name }
  } else
    throw invalid(
      'tool_choice',
      "must be 'none', 'auto', 'required' or {type: 'function', function: {name}}.",
      'unsupported_value',
    )
  if (out && noParallel) out.disable_parallel_tool_use = true
  return out
}

interface Turn {
  role: 'user' | 'assistant'
  blocks: ContentBlockParam[]
}

function readMessages(messages: unknown): { system: TextBlockParam[]; messages: MessageParam[] } {
  if (!Array.isArray(messages) || !messages.length) throw invalid('messages', 'must be a non-empty array.')
  const system: TextBlockParam[] = []
  const turns: Turn[] = []
  const push = (role: Turn['role'], blocks: ContentBlockParam[]) => {
    if (!blocks.length) return
    const last = turns[turns.length - 1]
    if (last?.role === role) last.blocks.push(...blocks)
    else turns.push({ role, blocks })
  }
  messages.forEach((m, i) => {
    const at = `messages[${i}]`
    if (!isObject(m)) throw invalid(at, 'must be an object.')
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textParts(m.content, `${at}.content`))
        break
      case 'user':
        push('user', userContent(m.content, `${at}.content`))
        break
      case 'assistant':
        push('assistant', [
          ...thinkingBlocks(m, at),
          ...textParts(m.content, `${at}.content`, true),
          ...toolUses(m.tool_calls, `${at}.tool_calls`),
        ])
        break
      case 'tool':
        push('user', [toolResult(m, at)])
        break
      case 'function':
        throw unsupported(`${at}.role`, "the deprecated 'function' role (use 'tool')")
      default:
        throw invalid(`${at}.role`, `must be one of 'system', 'developer', 'user', 'assistant' or 'tool'.`)
    }
  })
  finishAssistantPrefill(turns)
  if (!turns.length) throw invalid('messages', 'must contain at least one non-empty user, assistant or tool message.')
  if (turns[0]!.role !== 'user')
    turns.unshift({ role: 'user', blocks: [{ type: 'text', text: PLACEHOLDER_USER_TEXT }] })
  return { system, messages: turns.map(toMessageParam) }
}

/** Anthropic rejects a final assistant turn (a prefill) that ends with whitespace. */
function finishAssistantPrefill(turns: Turn[]): void {
  const last = turns[turns.length - 1]
  if (last?.role !== 'assistant') return
  const block = last.blocks[last.blocks.length - 1]
  if (block?.type !== 'text') return
  block.text = block.text.trimEnd()
  if (!block.text) last.blocks.pop()
  if (!last.blocks.length) turns.pop()
}

function toMessageParam(turn: Turn): MessageParam {
  const { blocks } = turn
  // Anthropic wants tool results before anything else in a user turn.
  if (
    turn.role === 'user' &&
    blocks.some((b) => b.type === 'tool_result') &&
    blocks.some((b) => b.type !== 'tool_result')
  )
    blocks.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'))
  const only = blocks[0]!
  return { role: turn.role, content: blocks.length === 1 && only.type === 'text' ? only.text : blocks }
}

/** System, developer, assistant and tool content: a string, text parts, or null. Empty text is dropped. */
function textParts(content: unknown, at: string, assistant = false): TextBlockParam[] {
  if (content === undefined || content === null) return []
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : []
  if (!Array.isArray(content)) throw invalid(at, 'must be a string or an array of content parts.')
  const out: TextBlockParam[] = []
  content.forEach((part, j) => {
    const text =
      isObject(part) && part.type === 'text'
        ? part.text
        : assistant && isObject(part) && part.type === 'refusal'
          ? part.refusal
          : undefined
    if (typeof text !== 'string') throw invalid(`${at}[${j}]`, `must be a text part ({type: 'text', text}).`)
    if (text) out.push({ type: 'text', text })
  })
  return out
}

function userContent(content: unknown, at: string): ContentBlockParam[] {
  if (!Array.isArray(content)) return textParts(content, at)
  const out: ContentBlockParam[] = []
  content.forEach((part, j) => {
    const here = `${at}[${j}]`
    if (!isObject(part)) throw invalid(here, 'must be a content part object.')
    switch (part.type) {
      case 'text':
        if (typeof part.text !== 'string') throw invalid(`${here}.text`, 'must be a string.')
        if (part.text) out.push({ type: 'text', text: part.text })
        break
      case 'image_url':
        out.push(imageBlock(part.image_url, `${here}.image_url`))
        break
      case 'file':
        out.push(documentBlock(part.file, `${here}.file`))
        break
      case 'input_audio':
        throw unsupported(`${here}.type`, 'audio input')
      default:
        throw invalid(
          `${here}.type`,
          `${JSON.stringify(part.type) ?? 'a missing type'} is not supported; use 'text', 'image_url' or 'file'.`,
          'unsupported_value',
        )
    }
  })
  return out
}

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])

function imageBlock(image: unknown, at: string): ContentBlockParam {
  const url = isObject(image) ? image.url : undefined
  if (typeof url !== 'string') throw invalid(`${at}.url`, 'must be a string.')
  const data = DATA_URL.exec(url)
  if (data) {
    const mediaType = data[1]!.toLowerCase()
    if (!IMAGE_TYPES.has(mediaType))
      throw invalid(
        `${at}.url`,
        `has media type '${mediaType}'; Anthropic accepts image/jpeg, image/png, image/gif and image/webp.`,
        'unsupported_value',
      )
    return { type: 'image', source: { type: 'base64', media_type: mediaType, data: data[2]! } }
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } }
  throw invalid(`${at}.url`, 'must be an http(s) URL or a base64 data URL (data:image/png;base64,...).')
}

function documentBlock(file: unknown, at: string): ContentBlockParam {
  if (!isObject(file) || typeof file.file_data !== 'string')
    throw invalid(
      `${at}.file_data`,
      'must be a base64 data URL: uploaded file ids are not supported by Anthropic models.',
      'unsupported_value',
    )
  const data = DATA_URL.exec(file.file_data)
  if (!data || data[1]!.toLowerCase() !== 'application/pdf')
    throw invalid(
      `${at}.file_data`,
      'must be a PDF as a base64 data URL (data:application/pdf;base64,...).',
      'unsupported_value',
    )
  const block: ContentBlockParam = {
    type: 'document',
    source: { type: 'base64', media_type: 'application/pdf', data: data[2]! },
  }
  if (typeof file.filename === 'string' && file.filename) block.title = file.filename
  return block
}

/**
 * An assistant message's `thinking_blocks` → Anthropic thinking / redacted_thinking blocks, first in the
 * turn (Anthropic wants the previous turn's thinking, signed, before its tool_use blocks when a tool
 * result follows). `reasoning_content` alone is not sent: Anthropic refuses thinking without its
 * signature, and a thinking block without one is dropped for the same reason. A streamed answer gives
 * the signature in a block of empty text (stream.ts): when the message has one such thinking block, its
 * text is the message's `reasoning_content`.
 */
function thinkingBlocks(m: JsonObject, at: string): ContentBlockParam[] {
  const blocks = m.thinking_blocks
  if (blocks === undefined || blocks === null) return []
  if (!Array.isArray(blocks)) throw invalid(`${at}.thinking_blocks`, 'must be an array of thinking blocks.')
  const out: ContentBlockParam[] = []
  blocks.forEach((block, j) => {
    const here = `${at}.thinking_blocks[${j}]`
    if (!isObject(block))
      throw invalid(here, "must be {type: 'thinking', thinking, signature} or {type: 'redacted_thinking', data}.")
    if (block.type === 'redacted_thinking') {
      if (typeof block.data !== 'string' || !block.data) throw invalid(`${here}.data`, 'must be a non-empty string.')
      out.push({ type: 'redacted_thinking', data: block.data })
    } else if (block.type === 'thinking') {
      const { thinking, signature } = block
      if (thinking !== undefined && thinking !== null && typeof thinking !== 'string')
        throw invalid(`${here}.thinking`, 'must be a string.')
      if (signature !== undefined && signature !== null && typeof signature !== 'string')
        throw invalid(`${here}.signature`, 'must be a string.')
      if (signature) out.push({ type: 'thinking', thinking: thinking ?? '', signature })
    } else throw invalid(`${here}.type`, "must be 'thinking' or 'redacted_thinking'.", 'unsupported_value')
  })
  const thinking = out.filter((b) => b.type === 'thinking')
  const only = thinking[0]
  if (thinking.length === 1 && only?.type === 'thinking' && !only.thinking && typeof m.reasoning_content === 'string')
    only.thinking = m.reasoning_content
  return out
}

function toolUses(calls: unknown, at: string): ContentBlockParam[] {
  if (calls === undefined || calls === null) return []
  if (!Array.isArray(calls)) throw invalid(at, 'must be an array.')
  return calls.map((call, k) => {
    const here = `${at}[${k}]`
    if (!isObject(call)) throw invalid(here, 'must be an object.')
    if (typeof call.id !== 'string' || !call.id) throw invalid(`${here}.id`, 'must be a non-empty string.')
    if (call.type !== undefined && call.type !== 'function')
      throw invalid(`${here}.type`, `must be 'function'.`, 'unsupported_value')
    const fn = call.function
    if (!isObject(fn) || typeof fn.name !== 'string' || !fn.name)
      throw invalid(`${here}.function.name`, 'must be a non-empty string.')
    return {
      type: 'tool_use',
      id: call.id,
      name: fn.name,
      input: parseArguments(fn.arguments, `${here}.function.arguments`),
    }
  })
}

function parseArguments(args: unknown, at: string): Record<string, unknown> {
  if (args === undefined || args === null || (typeof args === 'string' && !args.trim())) return {}
  if (typeof args !== 'string') throw invalid(at, 'must be a string of JSON.')
  let parsed: unknown
  try {
    parsed = JSON.parse(args)
  } catch (err) {
    throw invalid(at, `is not valid JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!isObject(parsed)) throw invalid(at, 'must be a JSON object.')
  return parsed
}

function toolResult(m: JsonObject, at: string): ToolResultBlockParam {
  if (typeof m.tool_call_id !== 'string' || !m.tool_call_id)
    throw invalid(`${at}.tool_call_id`, 'must be a non-empty string.', 'missing_required_parameter')
  const content = typeof m.content === 'string' ? m.content : textParts(m.content, `${at}.content`)
  return { type: 'tool_result', tool_use_id: m.tool_call_id, content }
}

/** claude-sonnet-4-5-20250929 → sonnet 4.5; claude-3-5-haiku-latest → haiku 3.5; also Bedrock/Vertex ids. */
function claudeVersion(model: string): { family: string; major: number; minor: number } | undefined {
  const modern = /claude-([a-z]+)-(\d+)(?:-(\d{1,2}))?(?!\d)/.exec(model)
  if (modern) return { family: modern[1]!, major: Number(modern[2]), minor: Number(modern[3] ?? 0) }
  const legacy = /claude-(\d+)(?:-(\d))?-([a-z]+)/.exec(model)
  if (legacy) return { family: legacy[3]!, major: Number(legacy[1]), minor: Number(legacy[2] ?? 0) }
  return undefined
}
