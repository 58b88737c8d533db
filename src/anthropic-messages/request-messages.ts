// Messages `system` and `messages` → chat `messages`, block by block. Part of request.ts (toChatRequest).
//
// Per block, what becomes of it:
//   text → text (a lone text block → string content); image (base64 / url) → image_url; document (plain
//   text, content blocks, base64 PDF) → text or OpenAI's `file` part, with its title and context;
//   search_result → text (title, source, content); tool_use → tool_calls; tool_result → a `tool`
//   message (images, PDFs and other attachments move to the user message after it); tool_reference (a
//   tool search result) → text naming the tool, which is loaded already (request-tools.ts);
//   thinking / redacted_thinking (assistant turns) → `reasoning_content` and `thinking_blocks`
//   (core/reasoning.ts).
// Dropped on purpose: `cache_control` (a caching hint; OpenAI-format servers cache prefixes on their own),
// `citations` (a text block's earlier citations, or a document's "cite me" switch: the answer just comes
// without citation annotations), an image's `transformations` (the upstream resizes as it does),
// tool_use `caller` (who called it: the tool's own call is what the next turn needs).
// Refused (a 400 naming the block): URL and file-id documents, file-id images, server tool blocks
// (server_tool_use, web_search_tool_result, …, container_upload), and any type this file does not know.

import type { JsonObject } from '../core/json'
import type { ThinkingBlock } from '../core/reasoning'
import { expectObject, expectString, fail, isUnset } from './params'

type ChatMessage = JsonObject

/** `system` (top level, or a system turn's content) is a string or an array of text blocks, joined with a blank line. */
export function systemText(system: unknown, param: string): string {
  if (typeof system === 'string') return system
  if (!Array.isArray(system)) fail(param, 'expected a string or an array of text blocks')
  return system
    .map((block, i) => {
      const b = expectObject(block, `${param}.${i}`)
      if (b.type !== 'text')
        fail(`${param}.${i}.type`, `only text blocks are allowed in system, got ${JSON.stringify(b.type)}`)
      return expectString(b.text, `${param}.${i}.text`)
    })
    .join('\n\n')
}

/**
 * One Messages turn → chat messages. A `system` turn (Claude Code sends them mid-conversation: the
 * environment, deferred tools) stays a chat system message in its place.
 */
export function translateMessage(value: unknown, param: string): ChatMessage[] {
  const message = expectObject(value, param)
  const role = message.role
  if (role !== 'user' && role !== 'assistant' && role !== 'system')
    fail(`${param}.role`, `expected "user", "assistant" or "system", got ${JSON.stringify(role)}`)
  const content = message.content
  if (role === 'system') {
    const text = systemText(content, `${param}.content`)
    return text === '' ? [] : [{ role: 'system', content: text }]
  }
  if (typeof content === 'string') return [{ role, content }]
  if (!Array.isArray(content)) fail(`${param}.content`, 'expected a string or an array of content blocks')
  return role === 'user' ? userMessages(content, `${param}.content`) : [assistantMessage(content, `${param}.content`)]
}

/**
 * A user turn: each tool_result becomes its own `tool` message (OpenAI wants them right after the
 * assistant's tool_calls), then one user message with the rest, attachments from tool results included.
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
        parts.push(...documentParts(block, at))
        continue
      case 'search_result':
        parts.push({ type: 'text', text: searchResultText(block, at) })
        continue
      case 'tool_result': {
        const result = toolResult(block, at)
        toolMessages.push(result.message)
        parts.push(...result.attachments)
        continue
      }
      case 'tool_use':
      case 'thinking':
      case 'redacted_thinking':
        return fail(`${at}.type`, `${block.type} blocks belong in assistant messages`)
      default:
        return unsupportedBlock(block.type, at)
    }
  }
  if (parts.length === 0) return toolMessages.length > 0 ? toolMessages : [{ role: 'user', content: '' }]
  const only = parts[0]
  const content = parts.length === 1 && only?.type === 'text' ? only.text : parts
  return [...toolMessages, { role: 'user', content }]
}

/**
 * An assistant turn: text blocks joined into `content`, tool_use blocks into `tool_calls`, thinking
 * into `reasoning_content` (the text) and, when a signature or a redacted block must survive the next
 * turn, `thinking_blocks` (the blocks as they were, for a chat translator to Anthropic or Gemini).
 */
function assistantMessage(blocks: unknown[], param: string): ChatMessage {
  const texts: string[] = []
  const toolCalls: JsonObject[] = []
  const thinking: ThinkingBlock[] = []
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
      case 'thinking': {
        const text = expectString(block.thinking, `${at}.thinking`)
        const signature = isUnset(block.signature) ? '' : expectString(block.signature, `${at}.signature`)
        thinking.push(
          signature === '' ? { type: 'thinking', thinking: text } : { type: 'thinking', thinking: text, signature },
        )
        continue
      }
      case 'redacted_thinking':
        thinking.push({ type: 'redacted_thinking', data: expectString(block.data, `${at}.data`) })
        continue
      case 'tool_result':
      case 'image':
      case 'document':
      case 'search_result':
        return fail(`${at}.type`, `${block.type} blocks are only allowed in user messages`)
      default:
        return unsupportedBlock(block.type, at)
    }
  }
  const text = texts.join('\n\n')
  const message: ChatMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text }
  const reasoning = thinking
    .map((b) => (b.type === 'thinking' ? b.thinking : ''))
    .filter((t) => t !== '')
    .join('\n\n')
  if (reasoning !== '') message.reasoning_content = reasoning
  if (thinking.some((b) => b.type === 'redacted_thinking' || b.signature !== undefined))
    message.thinking_blocks = thinking
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  return message
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
 * Documents: plain text (and a `content` source of text blocks) becomes text, headed by its title and
 * context; a base64 PDF becomes OpenAI's `file` part (OpenAI accepts it; other OpenAI-format servers
 * answer with their own 400), its context a text part before it. URL and file-id sources cannot be
 * represented: chat has no part that fetches a URL or reads Anthropic's Files API.
 */
function documentParts(block: JsonObject, at: string): JsonObject[] {
  const source = expectObject(block.source, `${at}.source`)
  const title = isUnset(block.title) ? '' : expectString(block.title, `${at}.title`)
  const context = isUnset(block.context) ? '' : expectString(block.context, `${at}.context`)
  const text = (body: string): JsonObject[] => [
    { type: 'text', text: [title, context, body].filter((t) => t !== '').join('\n\n') },
  ]
  if (source.type === 'text') return text(expectString(source.data, `${at}.source.data`))
  if (source.type === 'content') {
    if (typeof source.content === 'string') return text(source.content)
    if (!Array.isArray(source.content)) fail(`${at}.source.content`, 'expected a string or an array of text blocks')
    return text(textOf(source.content, `${at}.source.content`))
  }
  if (source.type === 'base64' && source.media_type === 'application/pdf') {
    const data = expectString(source.data, `${at}.source.data`)
    const file = {
      type: 'file',
      file: { filename: title || 'document.pdf', file_data: `data:application/pdf;base64,${data}` },
    }
    return context === '' ? [file] : [{ type: 'text', text: context }, file]
  }
  return fail(
    `${at}.source.type`,
    `document sources of type ${JSON.stringify(source.type)} cannot be sent to an OpenAI-format deployment; send the text, or a base64 PDF`,
  )
}

/** A search result (RAG with citations) as the model would read it: title, source, then the text. */
function searchResultText(block: JsonObject, at: string): string {
  const title = expectString(block.title, `${at}.title`)
  const source = expectString(block.source, `${at}.source`)
  if (!Array.isArray(block.content)) fail(`${at}.content`, 'expected an array of text blocks')
  return `${title}\n${source}\n\n${textOf(block.content, `${at}.content`)}`
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
 * One tool_result → one `tool` message. OpenAI tool messages carry text only, so images and PDFs in
 * the result are returned separately and go into the user message that follows. `is_error` prefixes
 * "Error: ". A tool_reference (what a client-side tool search answers) names a tool the model may now
 * call: all tools are declared up front here, so it reads as that sentence.
 */
function toolResult(block: JsonObject, at: string): { message: ChatMessage; attachments: JsonObject[] } {
  const toolCallId = expectString(block.tool_use_id, `${at}.tool_use_id`)
  const texts: string[] = []
  const attachments: JsonObject[] = []
  const content = block.content
  if (typeof content === 'string') texts.push(content)
  else if (Array.isArray(content)) {
    content.forEach((value, j) => {
      const inner = expectObject(value, `${at}.content.${j}`)
      const where = `${at}.content.${j}`
      switch (inner.type) {
        case 'text':
          texts.push(expectString(inner.text, `${where}.text`))
          return
        case 'image':
          attachments.push(imagePart(inner, where))
          return
        case 'document':
          for (const part of documentParts(inner, where))
            if (part.type === 'text') texts.push(String(part.text))
            else attachments.push(part)
          return
        case 'search_result':
          texts.push(searchResultText(inner, where))
          return
        case 'tool_reference':
          texts.push(`Tool ${JSON.stringify(expectString(inner.tool_name, `${where}.tool_name`))} is available.`)
          return
        default:
          unsupportedBlock(inner.type, where)
      }
    })
  } else if (!isUnset(content)) {
    fail(`${at}.content`, 'expected a string or an array of content blocks')
  }
  let text = texts.join('\n\n')
  if (text === '' && attachments.length > 0) text = '(the result is in the attachment that follows)'
  if (block.is_error === true) text = text === '' ? 'Error' : `Error: ${text}`
  return { message: { role: 'tool', tool_call_id: toolCallId, content: text }, attachments }
}
