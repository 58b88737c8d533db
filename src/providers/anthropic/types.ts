// The parts of Anthropic's Messages API the translators read and write, as plain types.
// https://docs.anthropic.com/en/api/messages and https://docs.anthropic.com/en/docs/build-with-claude/streaming

// --- request ---

export interface TextBlockParam {
  type: 'text'
  text: string
}

export interface ImageBlockParam {
  type: 'image'
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string }
}

export interface DocumentBlockParam {
  type: 'document'
  source: { type: 'base64'; media_type: 'application/pdf'; data: string }
  title?: string
}

export interface ToolUseBlockParam {
  type: 'tool_use'
  id: string
  name: string
  input: Record<string, unknown>
}

export interface ToolResultBlockParam {
  type: 'tool_result'
  tool_use_id: string
  content: string | TextBlockParam[]
}

export type ContentBlockParam =
  | TextBlockParam
  | ImageBlockParam
  | DocumentBlockParam
  | ToolUseBlockParam
  | ToolResultBlockParam

export interface MessageParam {
  role: 'user' | 'assistant'
  content: string | ContentBlockParam[]
}

export interface ToolParam {
  name: string
  description?: string
  input_schema: Record<string, unknown>
}

export type ToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' }

export interface MessagesRequest {
  model: string
  messages: MessageParam[]
  max_tokens: number
  system?: string | TextBlockParam[]
  temperature?: number
  top_p?: number
  stop_sequences?: string[]
  tools?: ToolParam[]
  tool_choice?: ToolChoice
  metadata?: { user_id: string }
  stream?: boolean
}

// --- response ---

export interface Usage {
  input_tokens?: number | null
  output_tokens?: number | null
  cache_read_input_tokens?: number | null
  cache_creation_input_tokens?: number | null
}

/** A response content block; only the fields the translators read (others pass unnoticed). */
export interface ContentBlock {
  type: string
  text?: string
  thinking?: string
  id?: string
  name?: string
  input?: unknown
}

export interface Message {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: ContentBlock[]
  stop_reason: string | null
  stop_sequence?: string | null
  usage: Usage
}

export interface ErrorBody {
  type: 'error'
  error: { type: string; message: string }
}

// --- stream ---

/** A streamed event's data as the stream translator reads it: any field may be missing or odd. */
export interface StreamEventData {
  type?: string
  index?: unknown
  message?: { id?: unknown; model?: unknown; usage?: unknown }
  content_block?: StreamBlock
  delta?: StreamBlock & { stop_reason?: unknown }
  usage?: unknown
}

/** A content block start or delta inside a stream (text, thinking, tool_use, input_json_delta, …). */
export interface StreamBlock {
  type?: string
  text?: string
  thinking?: string
  id?: string
  name?: string
  partial_json?: string
}
