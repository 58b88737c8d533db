// echo: a built-in provider with no network. It answers chat with the last user message (streamed in
// several chunks when asked) and embeddings with deterministic vectors, with token counts in `usage`.
// It exists for first runs, smoke tests and client integration tests.
import { badRequest } from '../../core/errors'
import { type Handler, type ProviderKind, type UpstreamCall, wantsUsageChunk } from '../provider'
import { buildReply, readMessages, toChunkFrames, toCompletion } from './chat'
import { ECHO_DIMENSIONS, readEmbeddingInput, toEmbeddingList } from './embeddings'

export const ECHO_MODELS = ['echo']

const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
const encoder = new TextEncoder()

export const echoKind: ProviderKind = {
  translatesChat: true,
  normalize: (config) => (config.models.length ? config : { ...config, models: [...ECHO_MODELS] }),
  // The echo kind is its own upstream: its 400s are the model server's answers, not refusals.
  create: () => ({ chat: answer, embeddings: answer }),
  listModels: async () => [...ECHO_MODELS],
}

// --- internal ---

const answer: Handler = async (call: UpstreamCall) => {
  if (call.endpoint === 'embeddings') {
    const input = readEmbeddingInput(call.json)
    if (!input.ok) return invalid(input.param, input.message)
    const dims = call.json.dimensions
    if (dims !== undefined && (!Number.isInteger(dims) || (dims as number) < 1 || (dims as number) > 4096))
      return invalid('dimensions', "'dimensions' must be an integer between 1 and 4096.")
    const format = call.json.encoding_format
    if (format !== undefined && format !== 'float' && format !== 'base64')
      return invalid('encoding_format', "'encoding_format' must be 'float' or 'base64'.")
    const body = toEmbeddingList(
      input.texts,
      call.model,
      (dims as number | undefined) ?? ECHO_DIMENSIONS,
      format === 'base64',
    )
    return new Response(JSON.stringify(body), { headers: JSON_HEADERS })
  }
  const input = readMessages(call.json)
  if (!input.ok) return invalid(input.param, input.message)
  const reply = buildReply(input.messages, call.model)
  if (!call.stream) return new Response(JSON.stringify(toCompletion(reply)), { headers: JSON_HEADERS })
  const frames = toChunkFrames(reply, wantsUsageChunk(call.json))
  let i = 0
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (call.signal.aborted) return controller.error(call.signal.reason)
      if (i < frames.length) controller.enqueue(encoder.encode(frames[i++]))
      else controller.close()
    },
  })
  return new Response(body, { headers: SSE_HEADERS })
}

/** A 400 as an OpenAI server answers it (echo plays the upstream). */
function invalid(param: string, message: string): Response {
  return badRequest(message, param).toResponse()
}
