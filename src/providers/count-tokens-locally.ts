// POST /v1/messages/count_tokens for the kinds with no counting API of their own (the OpenAI family:
// openai, azure, ollama, custom; and echo): the request is read as /v1/messages through chat reads it
// (the same 400s, naming the field), then counted here with gpt-tokenizer's o200k_base, OpenAI's
// current encoding. Answered `{"input_tokens": N}` with `x-crabllm-token-count: estimate`: the count
// is the gateway's, not the model's, and other models' tokenizers differ by some percent.
// Counted on the tokenizer thread (core/tokenizer-thread.ts), bounded by EXACT_CHARS: the encoding
// (250-560 ms to load, ~120 MB) never lands on the event loop, and a gateway that is never asked to
// count never loads it. Thinking from earlier turns is not counted: models drop it from their input.
import { toChatRequest } from '../anthropic-messages'
import { isObject, type JsonObject } from '../core/json'
import { countInThread } from '../core/tokenizer-thread'
import type { Handler } from './provider'

/**
 * The response header that marks a token count as the gateway's own estimate (`estimate`): sent on the
 * count_tokens answers of deployments whose upstream cannot count (README documents it).
 */
export const TOKEN_COUNT_HEADER = 'x-crabllm-token-count'

/** The count_tokens handler of a kind that cannot count upstream. */
export const countTokensLocally: Handler = async (call) => {
  // A Messages request without max_tokens: validated (a 400 naming the field) and normalised by the
  // same translation /v1/messages takes to these deployments.
  const { stream: _stream, ...body } = call.json
  const chat = toChatRequest({ ...body, max_tokens: 1 })
  const input = promptTexts(chat)
  const tokens = input.fixed + (await countCapped(input.texts, countInThread))
  return new Response(JSON.stringify({ input_tokens: tokens }), { headers: ESTIMATE_HEADERS })
}

/**
 * A chat request as the tokenizer sees it: its texts (message contents, tool calls, tool definitions)
 * and the tokens counted without the tokenizer (framing, images, files).
 */
export function promptTexts(chat: Readonly<JsonObject>): { texts: string[]; fixed: number } {
  const texts: string[] = []
  let fixed = PER_REQUEST
  const content = (value: unknown) => {
    if (typeof value === 'string') texts.push(value)
    else if (Array.isArray(value))
      for (const part of value) {
        if (!isObject(part)) continue
        if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text)
        else if (part.type === 'image_url') fixed += PER_IMAGE
        else if (part.type === 'file') fixed += PER_FILE
      }
  }
  if (Array.isArray(chat.messages))
    for (const message of chat.messages) {
      if (!isObject(message)) continue
      fixed += PER_MESSAGE
      content(message.content)
      if (Array.isArray(message.tool_calls))
        for (const call of message.tool_calls) {
          const fn = isObject(call) && isObject(call.function) ? call.function : undefined
          if (!fn) continue
          fixed += PER_TOOL
          texts.push(`${fn.name ?? ''}${typeof fn.arguments === 'string' ? fn.arguments : ''}`)
        }
    }
  if (Array.isArray(chat.tools))
    for (const tool of chat.tools) {
      const fn = isObject(tool) && isObject(tool.function) ? tool.function : undefined
      if (!fn) continue
      fixed += PER_TOOL
      texts.push(`${fn.name ?? ''}\n${typeof fn.description === 'string' ? fn.description : ''}`)
      if (fn.parameters !== undefined) texts.push(JSON.stringify(fn.parameters))
    }
  return { texts, fixed }
}

/**
 * The tokens of `texts`: the first EXACT_CHARS characters counted by `count` (the tokenizer thread), the
 * rest estimated at the rate of the part counted (4 characters a token when nothing was), so one request
 * holds the tokenizer some 15 ms at most (counting runs at ~40 MB/s, sliced: ~16 ns a character on long runs).
 */
export async function countCapped(
  texts: readonly string[],
  count: (texts: string[]) => Promise<number[]>,
  exactChars = EXACT_CHARS,
): Promise<number> {
  const heads: string[] = []
  let counted = 0
  let rest = 0
  for (const text of texts) {
    if (!text) continue
    const room = exactChars - counted
    if (room <= 0) {
      rest += text.length
      continue
    }
    const head = text.length > room ? text.slice(0, room) : text
    heads.push(head)
    counted += head.length
    rest += text.length - head.length
  }
  const tokens = heads.length ? (await count(heads)).reduce((sum, n) => sum + n, 0) : 0
  if (rest === 0) return tokens
  const perChar = counted > 0 && tokens > 0 ? tokens / counted : 1 / 4
  return tokens + Math.ceil(rest * perChar)
}

// --- internal ---

/** Framing per message (its role included) and per request, as OpenAI counts a chat prompt (as usage-estimate.ts). */
const PER_MESSAGE = 4
const PER_REQUEST = 3
/** Framing per tool definition and per tool call, around their counted texts. */
const PER_TOOL = 8
/**
 * An image, whatever its size (the body does not say it): a 1024×1024 image at high detail on OpenAI's
 * 4o models, 85 + 4 tiles × 170 (https://platform.openai.com/docs/guides/images-vision#calculating-costs).
 */
const PER_IMAGE = 765
/**
 * A PDF, whatever its length: Anthropic's lower figure for one page of text and image
 * (https://docs.anthropic.com/en/docs/build-with-claude/pdf-support#estimate-your-costs: 1,500-3,000).
 */
const PER_FILE = 1500
/** The characters counted with the tokenizer; the rest are estimated (countCapped). */
const EXACT_CHARS = 512 * 1024

const ESTIMATE_HEADERS = { 'content-type': 'application/json', [TOKEN_COUNT_HEADER]: 'estimate' }
