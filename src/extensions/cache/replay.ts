// Replays a cached chat.completion as the SSE stream OpenAI would have sent for it: per choice a role
// chunk, the content (and any refusal) in a few chunks, each tool call, and a finish chunk with the
// finish_reason; then a usage chunk (`choices: []`) when the client asked for one, then `[DONE]`.
// https://platform.openai.com/docs/api-reference/chat-streaming/streaming
import { DONE_FRAME, dataFrame } from '../../sse'

/** The parts of a chat.completion the replay reads. */
export interface ChatCompletion {
  id?: string
  object: 'chat.completion'
  created?: number
  model?: string
  system_fingerprint?: string | null
  service_tier?: string | null
  choices: CompletionChoice[]
  usage?: unknown
}

interface CompletionChoice {
  index?: number
  finish_reason?: string | null
  logprobs?: unknown
  message?: {
    role?: string
    content?: string | null
    refusal?: string | null
    tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[]
  }
}

/** Code points per content chunk: a few chunks for a typical answer, never a split character. */
export const REPLAY_PIECE = 64

/** The chat.completion in `text`, or undefined when it is not one (then it is neither stored nor replayed). */
export function parseCompletion(text: string): ChatCompletion | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!value || typeof value !== 'object') return undefined
  const c = value as Partial<ChatCompletion>
  if (c.object !== 'chat.completion' || !Array.isArray(c.choices)) return undefined
  return c as ChatCompletion
}

/** The SSE body replaying `completion`, `[DONE]` included. */
export function replayAsSse(completion: ChatCompletion, withUsage: boolean): string {
  const base: Record<string, unknown> = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created,
    model: completion.model,
  }
  if (completion.service_tier !== undefined) base.service_tier = completion.service_tier
  if (completion.system_fingerprint !== undefined) base.system_fingerprint = completion.system_fingerprint
  const frames: string[] = []
  const chunk = (index: number, delta: Record<string, unknown>, finish: string | null = null) =>
    frames.push(dataFrame({ ...base, choices: [{ index, delta, logprobs: null, finish_reason: finish }] }))
  completion.choices.forEach((choice, position) => {
    const index = typeof choice.index === 'number' ? choice.index : position
    const message = choice.message ?? {}
    chunk(index, { role: message.role ?? 'assistant', content: '' })
    if (typeof message.content === 'string')
      for (const piece of pieces(message.content)) chunk(index, { content: piece })
    if (typeof message.refusal === 'string')
      for (const piece of pieces(message.refusal)) chunk(index, { refusal: piece })
    message.tool_calls?.forEach((call, i) => {
      chunk(index, {
        tool_calls: [
          {
            index: i,
            id: call.id,
            type: call.type ?? 'function',
            function: { name: call.function?.name, arguments: call.function?.arguments ?? '' },
          },
        ],
      })
    })
    chunk(index, {}, choice.finish_reason ?? 'stop')
  })
  if (withUsage && completion.usage) frames.push(dataFrame({ ...base, choices: [], usage: completion.usage }))
  frames.push(DONE_FRAME)
  return frames.join('')
}

/** `text` in pieces of at most REPLAY_PIECE code points (surrogate pairs stay whole). */
function pieces(text: string): string[] {
  if (text.length <= REPLAY_PIECE) return text ? [text] : []
  const points = Array.from(text)
  const out: string[] = []
  for (let i = 0; i < points.length; i += REPLAY_PIECE) out.push(points.slice(i, i + REPLAY_PIECE).join(''))
  return out
}
