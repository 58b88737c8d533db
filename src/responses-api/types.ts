// The Response object and its output items as this folder writes them: the subset of OpenAI's Responses
// API a chat completion can fill. https://platform.openai.com/docs/api-reference/responses/object
// Plain types (the translators build them; nothing reads them back), checked against the openai SDK's
// `Response` type by test/responses-api/response.test.ts.

export interface OutputText {
  type: 'output_text'
  text: string
  annotations: []
  logprobs: TokenLogprob[]
}

export interface OutputRefusal {
  type: 'refusal'
  refusal: string
}

export type MessageContent = OutputText | OutputRefusal

export interface MessageItem {
  type: 'message'
  id: string
  status: ItemStatus
  role: 'assistant'
  content: MessageContent[]
}

export interface SummaryText {
  type: 'summary_text'
  text: string
}

export interface ReasoningItem {
  type: 'reasoning'
  id: string
  summary: SummaryText[]
  /**
   * The gateway's sealed thinking blocks (encrypted-reasoning.ts), whenever there are some, asked for in
   * `include` or not: stored conversations (previous_response_id) keep a reasoning item only with it.
   */
  encrypted_content?: string
}

export interface FunctionCallItem {
  type: 'function_call'
  id: string
  call_id: string
  name: string
  /** The namespace tool the function belongs to (its chat name was `<namespace>__<name>`). */
  namespace?: string
  arguments: string
  status: ItemStatus
}

export type OutputItem = MessageItem | ReasoningItem | FunctionCallItem

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete'

/** One token's log probability, as chat's `logprobs.content[]` and Responses' `logprobs[]` both write it. */
export interface TokenLogprob {
  token: string
  logprob: number
  bytes: number[]
  top_logprobs: { token: string; logprob: number; bytes: number[] }[]
}

export interface ResponseUsage {
  input_tokens: number
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number }
  output_tokens: number
  output_tokens_details: { reasoning_tokens: number }
  total_tokens: number
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete'

/** The Response object; the request's settings are echoed as OpenAI echoes them. */
export interface ResponseObject {
  id: string
  object: 'response'
  created_at: number
  status: ResponseStatus
  background: false
  completed_at: number | null
  error: null
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null
  instructions: string | null
  max_output_tokens: number | null
  max_tool_calls: number | null
  model: string
  output: OutputItem[]
  parallel_tool_calls: boolean
  previous_response_id: string | null
  prompt_cache_key: string | null
  reasoning: { effort: string | null; summary: string | null }
  safety_identifier: string | null
  service_tier: string
  store: boolean
  temperature: number | null
  text: { format: unknown; verbosity: string }
  tool_choice: unknown
  tools: unknown[]
  top_logprobs: number
  top_p: number | null
  truncation: string
  usage: ResponseUsage | null
  user: string | null
  metadata: Record<string, unknown>
  access_programs: null
}
