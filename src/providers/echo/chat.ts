// echo: chat completions answered with the last user message, as JSON or as an SSE stream in
// OpenAI's chat.completion.chunk format. https://platform.openai.com/docs/api-reference/chat
import { DONE_FRAME, dataFrame } from '../../sse'
import { countPromptTokens, countTokens, splitTokens } from './tokens'

interface EchoMessage {
  role: string
  text: string
}

export type ChatInput = { ok: true; messages: EchoMessage[] } | { ok: false; param: string; message: string }

/** Reads `messages` the way OpenAI validates it: a non-empty list of {role, content}. */
export function readMessages(json: Readonly<Record<string, unknown>>): ChatInput {
  const messages = json.messages
  if (!Array.isArray(messages) || messages.length === 0)
    return { ok: false, param: 'messages', message: "'messages' must be a non-empty array of message objects." }
  const out: EchoMessage[] = []
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as { role?: unknown; content?: unknown } | null
    if (m === null || typeof m !== 'object' || Array.isArray(m))
      return { ok: false, param: `messages[${i}]`, message: `messages[${i}] must be an object.` }
    if (typeof m.role !== 'string')
      return { ok: false, param: `messages[${i}].role`, message: `messages[${i}].role must be a string.` }
    const text = contentText(m.content)
    if (text === undefined)
      return {
        ok: false,
        param: `messages[${i}].content`,
        message: `messages[${i}].content must be a string, an array of content parts, or null.`,
      }
    out.push({ role: m.role, text })
  }
  return { ok: true, messages: out }
}

export interface EchoReply {
  id: string
  created: number
  model: string
  text: string
  promptTokens: number
  completionTokens: number
}

export function buildReply(messages: EchoMessage[], model: string): EchoReply {
  let text = ''
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      text = messages[i]!.text
      break
    }
  }
  return {
    id: `chatcmpl-echo${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`,
    created: Math.floor(Date.now() / 1000),
    model,
    text,
    promptTokens: countPromptTokens(messages),
    completionTokens: countTokens(text),
  }
}

function usage(r: EchoReply) {
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
  }
}

export function toCompletion(r: EchoReply) {
  return {
    id: r.id,
    object: 'chat.completion',
    created: r.created,
    model: r.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: r.text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usage(r),
    system_fingerprint: 'crabllm-echo',
  }
}

/**
 * The reply as SSE frames: a role chunk, the text in several content chunks (a few tokens each), a
 * finish chunk, a usage chunk when asked (`stream_options.include_usage`), then `data: [DONE]`.
 */
export function toChunkFrames(r: EchoReply, includeUsage: boolean): string[] {
  const base = {
    id: r.id,
    object: 'chat.completion.chunk',
    created: r.created,
    model: r.model,
    system_fingerprint: 'crabllm-echo',
  }
  const frame = (choices: unknown[], extra?: object) => dataFrame({ ...base, choices, ...extra })
  const delta = (d: object, finish: string | null = null) => [
    { index: 0, delta: d, logprobs: null, finish_reason: finish },
  ]
  const frames = [frame(delta({ role: 'assistant', content: '', refusal: null }))]
  for (const piece of chunkText(r.text)) frames.push(frame(delta({ content: piece })))
  frames.push(frame(delta({}, 'stop')))
  if (includeUsage) frames.push(frame([], { usage: usage(r) }))
  frames.push(DONE_FRAME)
  return frames
}

// --- internal ---

function contentText(content: unknown): string | undefined {
  if (content === null || content === undefined) return ''
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return undefined
  const parts: string[] = []
  for (const part of content) {
    if (part === null || typeof part !== 'object') return undefined
    const p = part as { type?: unknown; text?: unknown }
    if (p.type === 'text' && typeof p.text === 'string') parts.push(p.text)
  }
  return parts.join('\n')
}

/** Splits text into chunks of up to 3 tokens, keeping the whitespace that followed each token. */
function chunkText(text: string): string[] {
  if (!text) return []
  const tokens = splitTokens(text)
  if (tokens.length === 0) return [text]
  const chunks: string[] = []
  let from = 0
  let cursor = 0
  for (let i = 0; i < tokens.length; i++) {
    cursor = text.indexOf(tokens[i]!, cursor) + tokens[i]!.length
    if ((i + 1) % 3 === 0 || i === tokens.length - 1) {
      const end = i === tokens.length - 1 ? text.length : cursor
      chunks.push(text.slice(from, end))
      from = end
    }
  }
  if (from === 0 && chunks.length === 0) chunks.push(text)
  return chunks
}
