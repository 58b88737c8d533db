// Reads token usage from answers as they pass, without slowing them: a JSON body (OpenAI or Anthropic
// shape) is parsed only when an extension needs usage, and in streams only the events that carry a
// usage object are decoded (a byte search first). For OpenAI-format streams the gateway may have asked
// for the usage chunk itself; that chunk is then removed before the client sees it.
import { concatBytes } from '../core/bytes'
import type { Usage } from '../extensions/types'
import { RESPONSE_END_EVENTS } from '../responses-api'
import { endOfEvent } from '../sse'

const decoder = new TextDecoder()
const encoder = new TextEncoder()

/**
 * Usage from a parsed answer: OpenAI's `usage` (chat, embeddings, responses, gpt-image-1 images,
 * gpt-4o-transcribe transcriptions) or Anthropic's (messages), with the cache reads and writes and the
 * reasoning tokens where the provider reports them. Answers that carry none (whisper-1's duration, text
 * to speech) have no usage.
 */
export function usageOf(value: unknown): Usage | undefined {
  if (!value || typeof value !== 'object') return undefined
  const usage = (value as { usage?: unknown }).usage
  if (!usage || typeof usage !== 'object') return undefined
  const u = usage as Record<string, unknown>
  if (typeof u.input_tokens === 'number' && typeof u.total_tokens === 'number') {
    // OpenAI Responses: input_tokens includes the cached ones (input_tokens_details.cached_tokens, and
    // the cache writes where the model bills them, cache_write_tokens).
    const prompt = num(u.input_tokens)
    const completion = num(u.output_tokens)
    const details = u.input_tokens_details as { cached_tokens?: unknown; cache_write_tokens?: unknown } | undefined
    return withReasoning(
      withCache(
        { prompt_tokens: prompt, completion_tokens: completion, total_tokens: u.total_tokens },
        num(details?.cached_tokens),
        num(details?.cache_write_tokens),
      ),
      u.output_tokens_details,
    )
  }
  if (typeof u.input_tokens === 'number' || typeof u.output_tokens === 'number') {
    // Anthropic: input_tokens excludes cache reads and writes.
    const read = num(u.cache_read_input_tokens)
    const write = num(u.cache_creation_input_tokens)
    const prompt = num(u.input_tokens) + read + write
    const completion = num(u.output_tokens)
    return withCache(
      { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      read,
      write,
    )
  }
  if (typeof u.prompt_tokens !== 'number' && typeof u.total_tokens !== 'number') return undefined
  const prompt = num(u.prompt_tokens)
  const completion = num(u.completion_tokens)
  const details = u.prompt_tokens_details as { cached_tokens?: unknown } | undefined
  return withReasoning(
    withCache(
      {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: typeof u.total_tokens === 'number' ? u.total_tokens : prompt + completion,
      },
      num(details?.cached_tokens ?? u.cache_read_input_tokens),
      num(u.cache_creation_input_tokens),
    ),
    u.completion_tokens_details,
  )
}

/**
 * Usage from a relayed JSON body; undefined when it carries none. The body is not parsed: the last
 * `"usage": {…}` object (where every provider puts the answer's usage, after the content) is cut out
 * with a string-aware brace scan and only it is parsed. A body whose usage cannot be cut out that way
 * is parsed whole.
 */
export function usageOfBody(body: Uint8Array): Usage | undefined {
  for (let at = lastUsageKey(body, body.length); at !== -1; at = lastUsageKey(body, at)) {
    const span = objectAfter(body, at + USAGE.length)
    if (span === undefined) continue
    if (span === null) return usageOfWholeBody(body)
    let usage: Usage | undefined
    try {
      usage = usageOf({ usage: JSON.parse(decoder.decode(body.subarray(span[0], span[1]))) })
    } catch {
      return usageOfWholeBody(body)
    }
    if (usage) return usage
  }
  // No "usage" key followed by an object: there is no usage to find.
  return undefined
}

function usageOfWholeBody(body: Uint8Array): Usage | undefined {
  try {
    return usageOf(JSON.parse(decoder.decode(body)))
  } catch {
    return undefined
  }
}

/**
 * Watches whole SSE events for usage. OpenAI chunks carry `usage` in the final chunk; Anthropic
 * events carry input tokens in message_start and output tokens in message_delta; Responses events in
 * the final response.completed (or .incomplete, .failed). With `strip`, the
 * usage-only chunk (`"choices":[]` plus usage) the gateway asked for is removed from the output.
 * Until the answer's own usage arrives, what the client was sent is kept (the same arrays, no copy, at
 * most RETAINED_BYTES), so that a stream that ends without it can be counted (usage-estimate.ts).
 */
export class StreamUsage {
  usage: Usage | undefined
  /** The answer's own usage arrived: OpenAI's usage chunk, or Anthropic's message_delta. */
  complete = false
  private anthropicInput: Usage | undefined
  private retained: Uint8Array[] | undefined = []
  private retainedBytes = 0
  private droppedBytes = 0

  constructor(private readonly strip: boolean) {}

  /** Returns the bytes to forward (the same array unless a chunk was stripped). */
  observe(events: Uint8Array): Uint8Array {
    const out = hasUsageObject(events) ? this.read(events) : events
    if (this.complete) this.retained = undefined
    else if (this.retained) {
      if (this.retainedBytes + out.byteLength <= RETAINED_BYTES) {
        this.retained.push(out)
        this.retainedBytes += out.byteLength
      } else this.droppedBytes += out.byteLength
    }
    return out
  }

  /**
   * What the client was sent, as kept, and the share of it that was kept (1 unless the stream passed
   * RETAINED_BYTES: the count of the kept part then stands for the whole in proportion).
   */
  delivered(): { events: readonly Uint8Array[]; share: number } {
    const events = this.retained ?? []
    const total = this.retainedBytes + this.droppedBytes
    return { events, share: total === 0 ? 1 : this.retainedBytes / total }
  }

  /** Reads the events that mention usage; returns the bytes to forward. */
  private read(events: Uint8Array): Uint8Array {
    // Event by event (sse/scan finds their ends); only those that mention usage are decoded.
    let kept: Uint8Array[] | undefined
    let from = 0
    for (let start = 0; start < events.length; ) {
      const end = endOfEvent(events, start)
      const stop = end === -1 ? events.length : end
      const event = events.subarray(start, stop)
      if (Buffer.from(event.buffer, event.byteOffset, event.byteLength).indexOf(USAGE) !== -1) {
        if (this.readEvent(decoder.decode(event)) && this.strip) {
          ;(kept ??= []).push(events.subarray(from, start))
          from = stop
        }
      }
      start = stop
    }
    if (!kept) return events
    kept.push(events.subarray(from))
    return concatBytes(...kept)
  }

  /** Reads one event; true when it is an OpenAI usage-only chunk. */
  private readEvent(event: string): boolean {
    const data = dataOf(event)
    if (!data || data === '[DONE]') return false
    let json: Record<string, unknown>
    try {
      json = JSON.parse(data) as Record<string, unknown>
    } catch {
      return false
    }
    if (typeof json.type === 'string' && RESPONSE_ENDS.has(json.type)) {
      // Responses: the final event carries the whole response, usage included.
      const usage = usageOf(json.response)
      if (!usage) return false
      this.usage = usage
      this.complete = true
      return false
    }
    if (json.type === 'message_start') {
      const start = usageOf(json.message)
      if (start) this.anthropicInput = start
      this.usage = this.anthropicInput
      return false
    }
    if (json.type === 'message_delta') {
      const delta = usageOf(json)
      if (!delta) return false
      this.complete = true
      // message_delta's usage is cumulative output (and, on some versions, input too).
      const input = this.anthropicInput
      const prompt = delta.prompt_tokens > 0 ? delta.prompt_tokens : (input?.prompt_tokens ?? 0)
      this.usage = withCache(
        {
          prompt_tokens: prompt,
          completion_tokens: delta.completion_tokens,
          total_tokens: prompt + delta.completion_tokens,
        },
        delta.cache_read_tokens ?? input?.cache_read_tokens ?? 0,
        delta.cache_write_tokens ?? input?.cache_write_tokens ?? 0,
      )
      return false
    }
    const usage = usageOf(json)
    if (!usage) return false
    this.usage = usage
    this.complete = true
    return Array.isArray(json.choices) && json.choices.length === 0
  }
}

// --- internal ---

const USAGE = encoder.encode('"usage"')
/** The Responses events that end a stream, each with the final response (and its usage). */
const RESPONSE_ENDS = new Set(RESPONSE_END_EVENTS)
/** The most of a stream kept to count it if its usage never arrives (4 MiB: a long answer's text, and more). */
const RETAINED_BYTES = 4 * 1024 * 1024

/** Byte search for `"usage"` followed by optional spaces and `:` and `{` (not `null`): native memmem per hit. */
function hasUsageObject(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = buffer.indexOf(USAGE); i !== -1; i = buffer.indexOf(USAGE, i + USAGE.length)) {
    let k = i + USAGE.length
    while (k < bytes.length && (bytes[k] === 32 || bytes[k] === 58)) k++
    if (bytes[k] === 123) return true
  }
  return false
}

/** The index of the last `"usage"` that starts before `before`, or -1. */
function lastUsageKey(bytes: Uint8Array, before: number): number {
  for (let i = bytes.lastIndexOf(34, before - 1); i !== -1; i = i === 0 ? -1 : bytes.lastIndexOf(34, i - 1)) {
    let j = 1
    while (j < USAGE.length && bytes[i + j] === USAGE[j]) j++
    if (j === USAGE.length) return i
  }
  return -1
}

/**
 * After a key, `: {…}`: the object's [start, end) span. undefined when the key is not followed by an
 * object (try an earlier one); null when the object never closes (the body is cut: parse it whole).
 */
function objectAfter(bytes: Uint8Array, from: number): [number, number] | null | undefined {
  let k = from
  while (k < bytes.length && (bytes[k] === 32 || bytes[k] === 9 || bytes[k] === 10 || bytes[k] === 13)) k++
  if (bytes[k] !== 58) return undefined
  k++
  while (k < bytes.length && (bytes[k] === 32 || bytes[k] === 9 || bytes[k] === 10 || bytes[k] === 13)) k++
  if (bytes[k] !== 123) return undefined
  let depth = 0
  let inString = false
  for (let j = k; j < bytes.length; j++) {
    const b = bytes[j]
    if (inString) {
      if (b === 92) j++
      else if (b === 34) inString = false
    } else if (b === 34) inString = true
    else if (b === 123) depth++
    else if (b === 125 && --depth === 0) return [k, j + 1]
  }
  return null
}

function dataOf(event: string): string | undefined {
  const lines: string[] = []
  for (const line of event.split(/\r?\n/)) if (line.startsWith('data:')) lines.push(line.slice(line[5] === ' ' ? 6 : 5))
  return lines.length ? lines.join('\n') : undefined
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0
}

/** The reasoning tokens of OpenAI's completion_tokens_details / output_tokens_details (part of the completion). */
function withReasoning(usage: Usage, details: unknown): Usage {
  const reasoning =
    details && typeof details === 'object' ? num((details as { reasoning_tokens?: unknown }).reasoning_tokens) : 0
  if (reasoning > 0) usage.reasoning_tokens = reasoning
  return usage
}

function withCache(usage: Usage, read: number, write: number): Usage {
  if (read) usage.cache_read_tokens = read
  if (write) usage.cache_write_tokens = write
  return usage
}
