// Anthropic Messages request → OpenAI chat-completions request, so that `POST /v1/messages` can be
// served by OpenAI-format deployments. Pure: validates what it reads and names the offending field
// with Anthropic's dotted paths (`messages.2.content.0.source.type`).
// https://docs.anthropic.com/en/api/messages · https://platform.openai.com/docs/api-reference/chat/create
//
// What is dropped on purpose (OpenAI has no equivalent and Claude Code sends them routinely):
// `top_k`, `thinking`, `cache_control`, `service_tier`, `container`, `context_management`, thinking and
// redacted_thinking blocks. What is refused (a 400 naming the field): server tools and Anthropic-defined
// tools (`type: web_search_20250305`, `bash_20250124`, …), document blocks other than plain text or a
// base64 PDF, file-id sources, and any content block type this file does not know.

import { badRequest } from '../core/errors'
import { isObject, type JsonObject } from '../core/json'

export interface ToChatOptions {
  /** The upstream model name to send, when the gateway resolved an alias; default: the body's model. */
  model?: string
  /** OpenAI's reasoning models refuse `max_tokens` and want `max_completion_tokens`; default `max_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens'
}

/**
 * The chat completions request for a Messages request. Throws a 400 GatewayError for a field it cannot
 * read or serve: the message is `<param>: <problem>` (the client sees it in Anthropic's shape).
 */
export function toChatRequest(body: Readonly<JsonObject>, options: ToChatOptions = {}): JsonObject {
  if (typeof body.model !== 'string' || body.model === '') fail('model', 'a model name is required')
  const maxTokens = body.max_tokens
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    fail('max_tokens', 'a positive integer is required')
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) fail('messages', 'at least one message is required')

  const messages: ChatMessage[] = []
  if (body.system !== undefined) {
    const system = systemText(body.system)
    if (system !== '') messages.push({ role: 'system', content: system })
  }
  body.messages.forEach((message, i) => {
    messages.push(...translateMessage(message, `messages.${i}`))
  })

  const chat: JsonObject = { model: options.model ?? body.model, messages }
  chat[options.maxTokensField ?? 'max_tokens'] = maxTokens

  if (body.stop_sequences !== undefined) {
    const stop = body.stop_sequences
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string'))
      fail('stop_sequences', 'expected an array of strings')
    if (stop.length > 0) chat.stop = stop
  }
  for (const field of ['temperature', 'top_p'] as const) {
    const value = body[field]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'expected a number')
    chat[field] = value
  }
  if (body.top_k !== undefined && (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k))) {
    fail('top_k', 'expected an integer')
  }
  if (body.metadata !== undefined) {
    const metadata = expectObject(body.metadata, 'metadata')
    if (metadata.user_id !== undefined && metadata.user_id !== null)
      chat.user = expectString(metadata.user_id, 'metadata.user_id')
  }
  if (body.stream !== undefined) {
    if (typeof body.stream !== 'boolean') fail('stream', 'expected a boolean')
    if (body.stream) {
      chat.stream = true
      chat.stream_options = { include_usage: true }
    }
  }
  Object.assign(chat, translateTools(body.tools, body.tool_choice))
  return chat
}

// --- internal ---

type ChatMessage = JsonObject

function fail(param: string, message: string): never {
  throw badRequest(`${param}: ${message}`, param)
}

function expectObject(value: unknown, param: string): JsonObject {
  if (!isObject(value)) fail(param, 'expected an object')
  return value
}

function expectString(value: unknown, param: string): string {
  if (typeof value !== 'string') fail(param, 'expected a string')
  return value
}

/** `system` is a string or an array of text blocks; blocks are joined with a blank line. */
function systemText(system: unknown): string {
  if (typeof system === 'string') return system
  if (!Array.isArray(system)) fail('system', 'expected a string or an array of text blocks')
  return system
    .map((block, i) => {
      const b = expectObject(block, `system.${i}`)
      if (b.type !== 'text')
        fail(`system.${i}.type`, `only text blocks are allowed in system, got ${JSON.stringify(b.type)}`)
      return expectString(b.text, `system.${i}.text`)
    })
    .join('\n\n')
}

function translateMessage(value: unknown, param: string): ChatMessage[] {
  const message = expectObject(value, param)
  const role = message.role
  if (role !== 'user' && role !== 'assistant')
    fail(`${param}.role`, `expected "user" or "assistant", got ${JSON.stringify(role)}`)
  const content = message.content
  if (typeof content === 'string') return [{ role, content }]
  if (!Array.isArray(content)) fail(`${param}.content`, 'expected a string or an array of content blocks')
  return role === 'user' ? userMessages(content, `${param}.content`) : [assistantMessage(content, `${param}.content`)]
}

/**
 * A user turn: each tool_result becomes its own `tool` message (OpenAI wants them right after the
 * assistant's tool_calls), then one user message with the rest, images from tool results included.
 */
function userMessages(blocks: unknown[], param: string): ChatMessage[] {
  const toolMessages: ChatMessage[] = []
  const parts: JsonObject[] = []
  for (const [i, value] of blocks.entries()) {
    const at = `${param}.${i}`
    const block = expectObject(value, at)
    switch (block.type) {
      case 'text':
        parts.push({ type: 'text', text: expectString(block.text, `${at}.text`) })
        continue
      case 'image':
        parts.push(imagePart(block, at))
        continue
      case 'document':
        parts.push(documentPart(block, at))
        continue
      case 'tool_result': {
        const result = toolResult(block, at)
        toolMessages.push(result.message)
        parts.push(...result.images)
        continue
      }
      case 'thinking':
      case 'redacted_thinking':
        continue
      case 'tool_use':
        return fail(`${at}.type`, 'tool_use blocks belong in assistant messages')
      default:
        return unsupportedBlock(block.type, at)
    }
  }
  if (parts.length === 0) return toolMessages.length > 0 ? toolMessages : [{ role: 'user', content: '' }]
  const only = parts[0]
  const content = parts.length === 1 && only?.type === 'text' ? only.text : parts
  return [...toolMessages, { role: 'user', content }]
}

/** An assistant turn: text blocks joined into `content`, tool_use blocks into `tool_calls`. */
function assistantMessage(blocks: unknown[], param: string): ChatMessage {
  const texts: string[] = []
  const toolCalls: JsonObject[] = []
  for (const [i, value] of blocks.entries()) {
    const at = `${param}.${i}`
    const block = expectObject(value, at)
    switch (block.type) {
      case 'text':
        texts.push(expectString(block.text, `${at}.text`))
        continue
      case 'tool_use': {
        const id = expectString(block.id, `${at}.id`)
        const name = expectString(block.name, `${at}.name`)
        const input = block.input === undefined ? {} : expectObject(block.input, `${at}.input`)
        toolCalls.push({ id, type: 'function', function: { name, arguments: JSON.stringify(input) } })
        continue
      }
      case 'thinking':
      case 'redacted_thinking':
        continue
      case 'tool_result':
      case 'image':
      case 'document':
        return fail(`${at}.type`, `${block.type} blocks are only allowed in user messages`)
      default:
        return unsupportedBlock(block.type, at)
    }
  }
  const text = texts.join('\n\n')
  if (toolCalls.length === 0) return { role: 'assistant', content: text }
  return { role: 'assistant', content: text === '' ? null : text, tool_calls: toolCalls }
}

function unsupportedBlock(type: unknown, at: string): never {
  if (typeof type !== 'string') return fail(`${at}.type`, 'a content block type is required')
  return fail(`${at}.type`, `content blocks of type "${type}" cannot be sent to an OpenAI-format deployment`)
}

function imagePart(block: JsonObject, at: string): JsonObject {
  const source = expectObject(block.source, `${at}.source`)
  if (source.type === 'base64') {
    const mediaType = expectString(source.media_type, `${at}.source.media_type`)
    const data = expectString(source.data, `${at}.source.data`)
    return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${data}` } }
  }
  if (source.type === 'url')
    return { type: 'image_url', image_url: { url: expectString(source.url, `${at}.source.url`) } }
  return fail(
    `${at}.source.type`,
    `image sources of type ${JSON.stringify(source.type)} cannot be sent to an OpenAI-format deployment; use "base64" or "url"`,
  )
}

/**
 * Documents: plain text (and a `content` source of text blocks) becomes text; a base64 PDF becomes
 * OpenAI's `file` part (OpenAI accepts it; other OpenAI-format servers answer with their own 400).
 * URL and file-id sources cannot be represented.
 */
function documentPart(block: JsonObject, at: string): JsonObject {
  const source = expectObject(block.source, `${at}.source`)
  const title = typeof block.title === 'string' ? block.title : undefined
  const titled = (text: string): JsonObject => ({ type: 'text', text: title ? `${title}\n\n${text}` : text })
  if (source.type === 'text') return titled(expectString(source.data, `${at}.source.data`))
  if (source.type === 'content') {
    if (typeof source.content === 'string') return titled(source.content)
    if (!Array.isArray(source.content)) fail(`${at}.source.content`, 'expected a string or an array of text blocks')
    return titled(textOf(source.content, `${at}.source.content`))
  }
  if (source.type === 'base64' && source.media_type === 'application/pdf') {
    const data = expectString(source.data, `${at}.source.data`)
    return {
      type: 'file',
      file: { filename: title ?? 'document.pdf', file_data: `data:application/pdf;base64,${data}` },
    }
  }
  return fail(
    `${at}.source.type`,
    `document sources of type ${JSON.stringify(source.type)} cannot be sent to an OpenAI-format deployment; send the text, or a base64 PDF`,
  )
}

/** Text blocks joined with a blank line; anything else in the list is a 400. */
function textOf(blocks: unknown[], param: string): string {
  return blocks
    .map((value, i) => {
      const block = expectObject(value, `${param}.${i}`)
      if (block.type !== 'text') fail(`${param}.${i}.type`, `expected a text block, got ${JSON.stringify(block.type)}`)
      return expectString(block.text, `${param}.${i}.text`)
    })
    .join('\n\n')
}

/**
 * One tool_result → one `tool` message. OpenAI tool messages carry text only, so images in the result
 * are returned separately and go into the user message that follows. `is_error` prefixes "Error: ".
 */
function toolResult(block: JsonObject, at: string): { message: ChatMessage; images: JsonObject[] } {
  const toolCallId = expectString(block.tool_use_id, `${at}.tool_use_id`)
  const texts: string[] = []
  const images: JsonObject[] = []
  const content = block.content
  if (typeof content === 'string') texts.push(content)
  else if (Array.isArray(content)) {
    content.forEach((value, j) => {
      const inner = expectObject(value, `${at}.content.${j}`)
      if (inner.type === 'text') texts.push(expectString(inner.text, `${at}.content.${j}.text`))
      else if (inner.type === 'image') images.push(imagePart(inner, `${at}.content.${j}`))
      else if (inner.type === 'document') {
        const part = documentPart(inner, `${at}.content.${j}`)
        if (part.type === 'text') texts.push(String(part.text))
        else images.push(part)
      } else unsupportedBlock(inner.type, `${at}.content.${j}`)
    })
  } else if (content !== undefined && content !== null) {
    fail(`${at}.content`, 'expected a string or an array of content blocks')
  }
  let text = texts.join('\n\n')
  if (text === '' && images.length > 0) text = '(the result is in the attachment that follows)'
  if (block.is_error === true) text = text === '' ? 'Error' : `Error: ${text}`
  return { message: { role: 'tool', tool_call_id: toolCallId, content: text }, images }
}

const TOOL_CHOICES = ['auto', 'any', 'tool', 'none']

/** `tools` and `tool_choice`; OpenAI refuses tool_choice and parallel_tool_calls without tools. */
function translateTools(tools: unknown, toolChoice: unknown): JsonObject {
  const out: JsonObject = {}
  if (tools !== undefined && !Array.isArray(tools)) fail('tools', 'expected an array of tools')
  const functions = (tools ?? []).map((value, i) => {
    const tool = expectObject(value, `tools.${i}`)
    if (tool.type !== undefined && tool.type !== 'custom') {
      fail(
        `tools.${i}.type`,
        `the Anthropic-defined tool ${JSON.stringify(tool.type)}${typeof tool.name === 'string' ? ` (${tool.name})` : ''} cannot be served by an OpenAI-format deployment; declare it as a custom tool with an input_schema`,
      )
    }
    const fn: JsonObject = { name: expectString(tool.name, `tools.${i}.name`) }
    if (tool.description !== undefined) fn.description = expectString(tool.description, `tools.${i}.description`)
    fn.parameters = expectObject(tool.input_schema, `tools.${i}.input_schema`)
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict
    return { type: 'function', function: fn }
  })

  let choice: unknown
  let parallel: boolean | undefined
  if (toolChoice !== undefined) {
    const tc = expectObject(toolChoice, 'tool_choice')
    if (!TOOL_CHOICES.includes(tc.type as string)) {
      fail('tool_choice.type', `expected one of ${TOOL_CHOICES.map((t) => `"${t}"`).join(', ')}`)
    }
    if (tc.type === 'auto') choice = 'auto'
    else if (tc.type === 'any') choice = 'required'
    else if (tc.type === 'none') choice = 'none'
    else choice = { type: 'function', function: { name: expectString(tc.name, 'tool_choice.name') } }
    if (tc.disable_parallel_tool_use === true) parallel = false
  }
  if (functions.length > 0) {
    out.tools = functions
    if (choice !== undefined) out.tool_choice = choice
    if (parallel !== undefined) out.parallel_tool_calls = parallel
  }
  return out
}
