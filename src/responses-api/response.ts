// OpenAI chat completion → Response object, the non-streaming answer of `POST /v1/responses` served
// through chat. The status, usage, id and echo rules here are shared with stream.ts so that both agree.
// https://platform.openai.com/docs/api-reference/responses/object · https://platform.openai.com/docs/api-reference/chat/object
//
//   chat completion                               Response
//   message.reasoning_content, thinking_blocks    reasoning item {id:'rs_…', summary:[{summary_text}],
//                                                 encrypted_content (sealed blocks, whenever there are some:
//                                                 included or not, so a stored answer keeps them for the
//                                                 next turn, relay/conversation.ts)}
//   message.content, message.refusal              message item {id:'msg_…', content:[output_text | refusal]}
//   message.tool_calls[]                          function_call items {id:'fc_…', call_id, name, arguments};
//                                                 `<ns>__<name>` of a namespace tool of the request →
//                                                 name and namespace (namespaces.ts)
//   finish_reason length | content_filter         status incomplete, incomplete_details.reason
//                                                 max_output_tokens | content_filter; else completed
//   usage prompt/completion/total_tokens,         usage input/output/total_tokens, input_tokens_details.
//   cached_tokens, reasoning_tokens               cached_tokens, output_tokens_details.reasoning_tokens
//   choice.logprobs.content                       output_text.logprobs (same shape)
//   (the request)                                 instructions, max_output_tokens, metadata, tools, … echoed
import { isObject, type JsonObject } from '../core/json'
import type { ThinkingBlock } from '../core/reasoning'
import { readThinkingBlock, sealThinkingBlocks } from './encrypted-reasoning'
import { type CallName, callName, namespacedFunctions } from './namespaces'
import type {
  FunctionCallItem,
  ItemStatus,
  MessageContent,
  OutputItem,
  ReasoningItem,
  ResponseObject,
  ResponseStatus,
  ResponseUsage,
  TokenLogprob,
} from './types'

/** What the translators know of the call besides the upstream's answer. */
export interface ResponseContext {
  /** The model the client asked for (after aliases), named on the Response. */
  model: string
  /** The client's Responses request, whose settings the Response echoes. */
  request: Readonly<JsonObject>
  /** Seconds since the epoch when the answer started. */
  created: number
}

/** A random id in OpenAI's style: `prefix` + 32 lowercase hex characters. */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  let out = prefix
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0')
  return out
}

/**
 * The Response as it starts: in progress, no output, no usage; the request's settings echoed with
 * OpenAI's defaults where the client set none.
 */
export function responseShell(ctx: ResponseContext, id: string = randomId('resp_')): ResponseObject {
  const r = ctx.request
  const reasoning = isObject(r.reasoning) ? r.reasoning : {}
  const text = isObject(r.text) ? r.text : {}
  return {
    id,
    object: 'response',
    created_at: ctx.created,
    status: 'in_progress',
    background: false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: str(r.instructions),
    max_output_tokens: num(r.max_output_tokens),
    max_tool_calls: num(r.max_tool_calls),
    model: ctx.model,
    output: [],
    parallel_tool_calls: typeof r.parallel_tool_calls === 'boolean' ? r.parallel_tool_calls : true,
    previous_response_id: str(r.previous_response_id),
    prompt_cache_key: str(r.prompt_cache_key),
    reasoning: { effort: str(reasoning.effort), summary: str(reasoning.summary) },
    safety_identifier: str(r.safety_identifier),
    service_tier: 'default',
    store: typeof r.store === 'boolean' ? r.store : true,
    temperature: num(r.temperature) ?? 1,
    text: {
      format: isObject(text.format) ? text.format : { type: 'text' },
      verbosity: str(text.verbosity) ?? 'medium',
    },
    tool_choice: r.tool_choice ?? 'auto',
    tools: Array.isArray(r.tools) ? r.tools : [],
    top_logprobs: num(r.top_logprobs) ?? 0,
    top_p: num(r.top_p) ?? 1,
    truncation: str(r.truncation) ?? 'disabled',
    usage: null,
    user: str(r.user),
    metadata: isObject(r.metadata) ? r.metadata : {},
    access_programs: null,
  }
}

/** The Response finished: its status from the chat finish_reason, its output and usage. */
export function finishResponse(
  response: ResponseObject,
  finishReason: unknown,
  output: OutputItem[],
  usage: ResponseUsage | null,
): ResponseObject {
  const incomplete = incompleteReason(finishReason)
  const status: ResponseStatus = incomplete ? 'incomplete' : 'completed'
  const last = output.at(-1)
  // The item the limit or the filter cut is the last one.
  if (incomplete && last && last.type !== 'reasoning') last.status = 'incomplete'
  return {
    ...response,
    status,
    completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    incomplete_details: incomplete ? { reason: incomplete } : null,
    output,
    usage,
  }
}

/**
 * finish_reason → why a Response is incomplete: `length` ran into max_output_tokens, `content_filter`
 * was cut by the filter; anything else (stop, tool_calls, a server's own word) completed it.
 */
export function incompleteReason(finishReason: unknown): 'max_output_tokens' | 'content_filter' | undefined {
  if (finishReason === 'length') return 'max_output_tokens'
  if (finishReason === 'content_filter') return 'content_filter'
  return undefined
}

/**
 * Chat usage → Responses usage, or null when the upstream gave none. Cache reads are
 * `prompt_tokens_details.cached_tokens` (DeepSeek: `prompt_cache_hit_tokens`); cache writes are
 * `cache_creation_input_tokens` (the gateway's Anthropic translation, LiteLLM) or
 * `prompt_tokens_details.cache_write_tokens` (OpenRouter); reasoning output is
 * `completion_tokens_details.reasoning_tokens`. Both sides count cached tokens inside the input.
 */
export function responseUsage(usage: unknown): ResponseUsage | null {
  if (!isObject(usage)) return null
  const prompt = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {}
  const completion = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {}
  const input = count(usage.prompt_tokens)
  const output = count(usage.completion_tokens)
  return {
    input_tokens: input,
    input_tokens_details: {
      cached_tokens: count(prompt.cached_tokens) || count(usage.prompt_cache_hit_tokens),
      cache_write_tokens: count(usage.cache_creation_input_tokens) || count(prompt.cache_write_tokens),
    },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(completion.reasoning_tokens) },
    total_tokens: count(usage.total_tokens) || input + output,
  }
}

/**
 * The reasoning item for the text and blocks of one answer. encrypted_content whenever there are sealed
 * blocks, whatever `include` says: the stored answer (previous_response_id) keeps a reasoning item only
 * with it, and Anthropic refuses a thinking + tool use continuation without the signed blocks.
 */
export function reasoningItem(id: string, text: string, blocks: readonly ThinkingBlock[]): ReasoningItem {
  const item: ReasoningItem = { type: 'reasoning', id, summary: text === '' ? [] : [{ type: 'summary_text', text }] }
  const sealed = sealThinkingBlocks(blocks)
  if (sealed !== undefined) item.encrypted_content = sealed
  return item
}

/** A function_call item; `chatName` is split into name and namespace when a namespace tool of the request made it. */
export function functionCallItem(
  id: string,
  callId: string,
  chatName: string,
  args: string,
  status: ItemStatus,
  namespaced: ReadonlyMap<string, Required<CallName>>,
): FunctionCallItem {
  const { name, namespace } = callName(chatName, namespaced)
  return {
    type: 'function_call',
    id,
    call_id: callId,
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    arguments: args,
    status,
  }
}

/**
 * The reasoning text of a message or a stream delta: `reasoning_content` (the gateway's convention,
 * DeepSeek's), else `reasoning` (vLLM's and Ollama's name for it).
 */
export function reasoningText(message: JsonObject): string {
  if (typeof message.reasoning_content === 'string') return message.reasoning_content
  return typeof message.reasoning === 'string' ? message.reasoning : ''
}

/** Tool-call arguments as the JSON text Responses carries (a few servers send the object itself). */
export function toolArguments(args: unknown): string {
  if (typeof args === 'string') return args
  return isObject(args) ? JSON.stringify(args) : ''
}

/** `choice.logprobs.content` (chat) → `logprobs` (Responses): the same fields, checked. */
export function logprobsOf(logprobs: unknown): TokenLogprob[] {
  const content = isObject(logprobs) && Array.isArray(logprobs.content) ? logprobs.content : []
  const out: TokenLogprob[] = []
  for (const entry of content) {
    if (!isObject(entry) || typeof entry.token !== 'string' || typeof entry.logprob !== 'number') continue
    const top = Array.isArray(entry.top_logprobs) ? entry.top_logprobs : []
    out.push({
      token: entry.token,
      logprob: entry.logprob,
      bytes: bytesOf(entry.bytes),
      top_logprobs: top
        .filter((t): t is JsonObject => isObject(t) && typeof t.token === 'string' && typeof t.logprob === 'number')
        .map((t) => ({ token: t.token as string, logprob: t.logprob as number, bytes: bytesOf(t.bytes) })),
    })
  }
  return out
}

/**
 * The Response for a chat completion, or undefined when the object is not one (no `choices`): the
 * exchange answers that with a 502.
 */
export function fromChatResponse(completion: JsonObject, ctx: ResponseContext): ResponseObject | undefined {
  if (!Array.isArray(completion.choices)) return undefined
  const choice = isObject(completion.choices[0]) ? completion.choices[0] : {}
  const message = isObject(choice.message) ? choice.message : {}
  const output: OutputItem[] = []

  const reasoning = reasoningText(message)
  const blocks = Array.isArray(message.thinking_blocks)
    ? message.thinking_blocks.map(readThinkingBlock).filter((b) => b !== undefined)
    : []
  if (reasoning !== '' || blocks.length > 0) output.push(reasoningItem(randomId('rs_'), reasoning, blocks))

  const content: MessageContent[] = []
  const text = contentText(message.content)
  const refusal = typeof message.refusal === 'string' ? message.refusal : ''
  const calls = toolCalls(message, namespacedFunctions(ctx.request))
  // An answer with nothing in it is still a message (empty text), as OpenAI answers it.
  if (text !== '' || (calls.length === 0 && refusal === ''))
    content.push({ type: 'output_text', text, annotations: [], logprobs: logprobsOf(choice.logprobs) })
  if (refusal !== '') content.push({ type: 'refusal', refusal })
  if (content.length > 0)
    output.push({ type: 'message', id: randomId('msg_'), status: 'completed', role: 'assistant', content })
  output.push(...calls)

  return finishResponse(responseShell(ctx), choice.finish_reason, output, responseUsage(completion.usage))
}

// --- internal ---

const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null)

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)

function bytesOf(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((b): b is number => typeof b === 'number') : []
}

/** `message.content` as text: a string, or an array of text parts (some servers), or null. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('')
}

/** `tool_calls` (and the deprecated `function_call`) → function_call items; call_id is the chat id. */
function toolCalls(message: JsonObject, namespaced: ReadonlyMap<string, Required<CallName>>): FunctionCallItem[] {
  const calls = Array.isArray(message.tool_calls) ? [...message.tool_calls] : []
  if (isObject(message.function_call)) calls.push({ function: message.function_call })
  const out: FunctionCallItem[] = []
  for (const call of calls) {
    if (!isObject(call)) continue
    const fn = isObject(call.function) ? call.function : {}
    out.push(
      functionCallItem(
        randomId('fc_'),
        typeof call.id === 'string' && call.id !== '' ? call.id : randomId('call_'),
        typeof fn.name === 'string' ? fn.name : '',
        toolArguments(fn.arguments),
        'completed',
        namespaced,
      ),
    )
  }
  return out
}
