// Responses `input` (a string, or an array of items) → chat completions `messages`. Pure; refuses what a
// chat deployment cannot be sent with a 400 naming the field (`input[2].content[0].type`).
// https://platform.openai.com/docs/api-reference/responses/create#responses-create-input
//
// Items → messages:
//   message (role user | system | developer | assistant)  → a chat message of that role (developer → system:
//                                                         few chat servers but OpenAI's know the role)
//   function_call                                         → a tool call of the assistant message being built
//                                                         (consecutive calls share one message; id = call_id;
//                                                         with a namespace, named `<namespace>__<name>` as
//                                                         the namespace's tools are: namespaces.ts)
//   function_call_output                                  → role tool, tool_call_id = call_id; images and
//                                                         files of the output go in a user message after the
//                                                         run of tool messages (chat tool messages carry text)
//   reasoning                                             → reasoning_content (the summary) and thinking_blocks
//                                                         (our sealed encrypted_content) of the next assistant
//                                                         message; with none before the next user turn, dropped
//   item_reference, hosted-tool items, unknown types      → 400
import type { JsonObject } from '../core/json'
import type { ThinkingBlock } from '../core/reasoning'
import { unsealThinkingBlocks } from './encrypted-reasoning'
import { expectObject, expectString, fail, oneOf, optionalString, shown } from './invalid'
import { flatName } from './namespaces'

/** The chat messages for `input`, after a system message with `instructions` when there are some. */
export function toChatMessages(input: unknown, instructions: string | undefined): JsonObject[] {
  const builder = new Messages()
  if (instructions !== undefined && instructions !== '') builder.push({ role: 'system', content: instructions })
  if (input === undefined || input === null)
    fail('input', 'a string or an array of input items is required.', 'missing_required_parameter')
  if (typeof input === 'string') {
    builder.push({ role: 'user', content: input })
    return builder.finish()
  }
  if (!Array.isArray(input)) fail('input', `expected a string or an array of input items, got ${shown(input)}.`)
  if (input.length === 0) fail('input', 'at least one input item is required.')
  input.forEach((value, i) => {
    builder.item(value, `input[${i}]`)
  })
  return builder.finish()
}

// --- internal ---

/** Item types OpenAI's hosted tools produce: named in the refusal, since a client may well send them. */
const HOSTED_ITEMS = new Set([
  'file_search_call',
  'computer_call',
  'computer_call_output',
  'web_search_call',
  'image_generation_call',
  'code_interpreter_call',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
  'custom_tool_call',
  'custom_tool_call_output',
  'tool_search_call',
  'tool_search_output',
  'compaction',
  'compaction_trigger',
  'program',
  'program_output',
])

const ROLES = ['user', 'assistant', 'system', 'developer']

/** The assistant message being built: texts, tool calls and the reasoning that precedes them. */
interface Assistant {
  message: JsonObject
  texts: string[]
  toolCalls: JsonObject[]
  reasoning: string[]
  blocks: ThinkingBlock[]
}

class Messages {
  private readonly out: JsonObject[] = []
  /** The assistant message that function calls (and reasoning before them) still join. */
  private open: Assistant | null = null
  /** Reasoning items waiting for the assistant output they preceded. */
  private pending: { texts: string[]; blocks: ThinkingBlock[] } | null = null
  /** Images and files of the current run of function_call_output items. */
  private toolMedia: JsonObject[] = []

  push(message: JsonObject): void {
    this.closeTurn()
    this.out.push(message)
  }

  finish(): JsonObject[] {
    this.closeTurn()
    this.flushToolMedia()
    return this.out
  }

  item(value: unknown, at: string): void {
    const item = expectObject(value, at, 'an input item object')
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined)
    if (type !== 'function_call_output') this.flushToolMedia()
    if (type === 'message') this.message(item, at)
    else if (type === 'function_call') this.functionCall(item, at)
    else if (type === 'function_call_output') this.functionCallOutput(item, at)
    else if (type === 'reasoning') this.reasoning(item, at)
    else if (type === 'item_reference')
      fail(
        at,
        'item_reference items cannot be resolved by the gateway for a model served through chat completions; send the referenced item itself.',
        'unsupported_value',
      )
    else if (type === undefined) fail(`${at}.type`, 'an input item type is required.', 'missing_required_parameter')
    else if (typeof type === 'string' && HOSTED_ITEMS.has(type))
      fail(
        `${at}.type`,
        `items of type "${type}" belong to OpenAI's hosted tools and cannot be sent to a model served through chat completions.`,
        'unsupported_value',
      )
    else fail(`${at}.type`, `unknown input item type ${shown(type)}.`)
  }

  private message(item: JsonObject, at: string): void {
    const role = item.role
    if (typeof role !== 'string' || !ROLES.includes(role))
      fail(`${at}.role`, `expected ${oneOf(ROLES)}, got ${shown(role)}.`)
    const content = item.content
    if (typeof content !== 'string' && !Array.isArray(content))
      fail(`${at}.content`, `expected a string or an array of content parts, got ${shown(content)}.`)
    if (role === 'assistant') {
      const text = typeof content === 'string' ? content : assistantText(content, `${at}.content`)
      const open = this.open && this.open.toolCalls.length === 0 ? this.open : this.openAssistant()
      if (text !== '') open.texts.push(text)
      return
    }
    if (typeof content === 'string') this.push({ role: role === 'user' ? 'user' : 'system', content })
    else if (role === 'user') {
      const parts = userParts(content, `${at}.content`)
      const only = parts.length === 1 && parts[0]!.type === 'text' ? parts[0]!.text : undefined
      this.push({ role: 'user', content: only ?? parts })
    } else this.push({ role: 'system', content: systemText(content, `${at}.content`) })
  }

  private functionCall(item: JsonObject, at: string): void {
    const callId = expectString(item.call_id, `${at}.call_id`)
    const name = expectString(item.name, `${at}.name`)
    const namespace = optionalString(item.namespace, `${at}.namespace`)
    const args = expectString(item.arguments, `${at}.arguments`)
    const open = this.open ?? this.openAssistant()
    // Reasoning between two calls of one turn (interleaved thinking) joins the same message.
    this.takeReasoning(open)
    const chatName = namespace !== undefined && namespace !== '' ? flatName(namespace, name) : name
    open.toolCalls.push({ id: callId, type: 'function', function: { name: chatName, arguments: args } })
  }

  private functionCallOutput(item: JsonObject, at: string): void {
    this.closeTurn()
    const callId = expectString(item.call_id, `${at}.call_id`)
    const output = item.output
    if (typeof output !== 'string' && !Array.isArray(output))
      fail(`${at}.output`, `expected a string or an array of content parts, got ${shown(output)}.`)
    let text = typeof output === 'string' ? output : ''
    if (Array.isArray(output)) {
      const texts: string[] = []
      const media: JsonObject[] = []
      for (const part of userParts(output, `${at}.output`)) {
        if (part.type === 'text') texts.push(part.text as string)
        else media.push(part)
      }
      text = texts.join('\n\n')
      if (text === '' && media.length > 0) text = '(the output is in the attachment that follows)'
      this.toolMedia.push(...media)
    }
    this.out.push({ role: 'tool', tool_call_id: callId, content: text })
  }

  private reasoning(item: JsonObject, at: string): void {
    const texts: string[] = []
    const summary = item.summary ?? []
    if (!Array.isArray(summary)) fail(`${at}.summary`, `expected an array of summary parts, got ${shown(summary)}.`)
    summary.forEach((value, j) => {
      const part = expectObject(value, `${at}.summary[${j}]`, 'a summary part object')
      const text = expectString(part.text, `${at}.summary[${j}].text`)
      if (text !== '') texts.push(text)
    })
    // Open-weight reasoning (`content: [{type: 'reasoning_text'}]`) stands in when there is no summary.
    if (texts.length === 0 && Array.isArray(item.content)) {
      item.content.forEach((value, j) => {
        const part = expectObject(value, `${at}.content[${j}]`, 'a reasoning content part object')
        const text = expectString(part.text, `${at}.content[${j}].text`)
        if (text !== '') texts.push(text)
      })
    }
    let blocks: ThinkingBlock[] = []
    const sealed = optionalString(item.encrypted_content, `${at}.encrypted_content`)
    if (sealed !== undefined) {
      const read = unsealThinkingBlocks(sealed)
      if (read === 'corrupt')
        fail(
          `${at}.encrypted_content`,
          "this reasoning item's encrypted_content carries the gateway's mark but cannot be read; send the item as the gateway returned it.",
        )
      // 'foreign': OpenAI's encrypted reasoning, which only OpenAI can read. Dropped; the summary stays.
      if (read !== 'foreign') blocks = read
    }
    // A reasoning item ends the assistant message it follows unless function calls continue it.
    if (this.open && this.open.toolCalls.length === 0) this.endAssistant()
    const pending = this.pending ?? { texts: [], blocks: [] }
    pending.texts.push(...texts)
    pending.blocks.push(...blocks)
    this.pending = pending
  }

  private openAssistant(): Assistant {
    this.endAssistant()
    const open: Assistant = { message: { role: 'assistant' }, texts: [], toolCalls: [], reasoning: [], blocks: [] }
    this.takeReasoning(open)
    this.out.push(open.message)
    this.open = open
    return open
  }

  private takeReasoning(open: Assistant): void {
    if (!this.pending) return
    open.reasoning.push(...this.pending.texts)
    open.blocks.push(...this.pending.blocks)
    this.pending = null
    this.fill(open)
  }

  /** Writes the open message's fields from what it gathered (again as it grows). */
  private fill(open: Assistant): void {
    const m = open.message
    const text = open.texts.join('\n\n')
    m.content = open.toolCalls.length > 0 && text === '' ? null : text
    if (open.toolCalls.length > 0) m.tool_calls = open.toolCalls
    if (open.reasoning.length > 0) m.reasoning_content = open.reasoning.join('\n\n')
    if (open.blocks.length > 0) m.thinking_blocks = open.blocks
  }

  private endAssistant(): void {
    if (this.open) this.fill(this.open)
    this.open = null
  }

  /** Ends the assistant turn being built: reasoning with no assistant output after it is dropped. */
  private closeTurn(): void {
    this.endAssistant()
    this.pending = null
  }

  private flushToolMedia(): void {
    if (this.toolMedia.length === 0) return
    const media = this.toolMedia
    this.toolMedia = []
    this.out.push({ role: 'user', content: media })
  }
}

/** User content parts → chat parts: input_text, input_image, input_file. */
function userParts(parts: unknown[], at: string): JsonObject[] {
  return parts.map((value, j) => {
    const here = `${at}[${j}]`
    const part = expectObject(value, here, 'a content part object')
    switch (part.type) {
      case 'input_text':
        return { type: 'text', text: expectString(part.text, `${here}.text`) }
      case 'input_image':
        return imagePart(part, here)
      case 'input_file':
        return filePart(part, here)
      case 'output_text':
      case 'refusal':
        return fail(`${here}.type`, `"${part.type}" parts are only allowed in assistant messages.`)
      default:
        return unknownPart(part.type, `${here}.type`, ['input_text', 'input_image', 'input_file'])
    }
  })
}

/** Assistant content: output_text, refusal (the model's words all the same) and input_text, as text. */
function assistantText(parts: unknown[], at: string): string {
  return parts
    .map((value, j) => {
      const here = `${at}[${j}]`
      const part = expectObject(value, here, 'a content part object')
      switch (part.type) {
        case 'output_text':
        case 'input_text':
          return expectString(part.text, `${here}.text`)
        case 'refusal':
          return expectString(part.refusal, `${here}.refusal`)
        case 'input_image':
        case 'input_file':
          return fail(`${here}.type`, `"${part.type}" parts are only allowed in user messages.`)
        default:
          return unknownPart(part.type, `${here}.type`, ['output_text', 'refusal'])
      }
    })
    .join('')
}

/** System and developer content: text parts only, joined with a blank line. */
function systemText(parts: unknown[], at: string): string {
  return parts
    .map((value, j) => {
      const here = `${at}[${j}]`
      const part = expectObject(value, here, 'a content part object')
      if (part.type === 'input_text') return expectString(part.text, `${here}.text`)
      if (part.type === 'input_image' || part.type === 'input_file')
        return fail(`${here}.type`, `"${part.type}" parts are only allowed in user messages.`)
      return unknownPart(part.type, `${here}.type`, ['input_text'])
    })
    .join('\n\n')
}

function unknownPart(type: unknown, param: string, expected: string[]): never {
  if (type === undefined) return fail(param, 'a content part type is required.', 'missing_required_parameter')
  return fail(param, `unknown content part type ${shown(type)}; expected ${oneOf(expected)}.`)
}

/** input_image → image_url; a file id is refused (no upstream behind chat can resolve OpenAI's files). */
function imagePart(part: JsonObject, at: string): JsonObject {
  const url = optionalString(part.image_url, `${at}.image_url`)
  if (url === undefined) {
    if (part.file_id !== undefined && part.file_id !== null)
      fail(
        `${at}.file_id`,
        'uploaded file ids cannot be resolved by the gateway for a model served through chat completions; send the image as image_url (an https URL or a data: URL).',
        'unsupported_value',
      )
    fail(`${at}.image_url`, 'an image_url (an https URL or a data: URL) is required.', 'missing_required_parameter')
  }
  const image: JsonObject = { url }
  const detail = optionalString(part.detail, `${at}.detail`)
  if (detail !== undefined) image.detail = detail
  return { type: 'image_url', image_url: image }
}

/** input_file → chat's `file` part from file_data; file ids and file URLs are refused. */
function filePart(part: JsonObject, at: string): JsonObject {
  const data = optionalString(part.file_data, `${at}.file_data`)
  if (data === undefined) {
    if (part.file_id !== undefined && part.file_id !== null)
      fail(
        `${at}.file_id`,
        'uploaded file ids cannot be resolved by the gateway for a model served through chat completions; send the file as file_data (a base64 data: URL).',
        'unsupported_value',
      )
    if (part.file_url !== undefined && part.file_url !== null)
      fail(
        `${at}.file_url`,
        'file URLs cannot be sent to a model served through chat completions; send the file as file_data (a base64 data: URL).',
        'unsupported_value',
      )
    fail(`${at}.file_data`, 'file_data (a base64 data: URL) is required.', 'missing_required_parameter')
  }
  const file: JsonObject = { file_data: data }
  const filename = optionalString(part.filename, `${at}.filename`)
  if (filename !== undefined) file.filename = filename
  return { type: 'file', file }
}
