// OpenAI embeddings ↔ Gemini batchEmbedContents (pure), both directions: one request per input text,
// answers in input order. https://ai.google.dev/api/embeddings#method:-models.batchembedcontents
// https://platform.openai.com/docs/api-reference/embeddings/create
import { badRequest } from '../../core/errors'
import { isObject, type JsonObject } from '../../core/json'

export interface GeminiEmbedRequest {
  requests: { model: string; content: { parts: { text: string }[] }; outputDimensionality?: number }[]
}

export interface GeminiEmbedResponse {
  embeddings?: { values?: number[] }[]
}

/** `input` (a string or strings) and `dimensions` → the batch request. Token arrays have no Gemini form. */
export function toGeminiEmbedRequest(json: Readonly<JsonObject>, model: string): GeminiEmbedRequest {
  const input = json.input
  let texts: string[]
  if (typeof input === 'string') texts = [input]
  else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string'))
    texts = input as string[]
  else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'number' || Array.isArray(x)))
    throw badRequest("'input' as token arrays is not supported by Gemini embeddings; send text.", 'input')
  else throw badRequest("'input' must be a string or a non-empty array of strings.", 'input')

  const dimensions = json.dimensions
  if (dimensions !== undefined && dimensions !== null && (!Number.isInteger(dimensions) || (dimensions as number) < 1))
    throw badRequest("'dimensions' must be a positive integer.", 'dimensions')
  const format = json.encoding_format
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64')
    throw badRequest("'encoding_format' must be 'float' or 'base64'.", 'encoding_format')

  const name = `models/${model}`
  return {
    requests: texts.map((text) => ({
      model: name,
      content: { parts: [{ text }] },
      ...(typeof dimensions === 'number' ? { outputDimensionality: dimensions } : {}),
    })),
  }
}

/**
 * The batch answer → OpenAI's embedding list. `base64` encodes each vector as little-endian float32,
 * as OpenAI does. Gemini reports no token usage for embeddings, so usage is zero.
 */
export function fromGeminiEmbedResponse(body: GeminiEmbedResponse, model: string, base64: boolean) {
  const embeddings = Array.isArray(body.embeddings) ? body.embeddings : []
  return {
    object: 'list' as const,
    data: embeddings.map((e, index) => {
      // An entry or a value of another type (a broken upstream) reads as empty, or as 0: never text.
      const given: unknown = isObject(e) ? e.values : undefined
      const values = Array.isArray(given) ? given.map((v) => (typeof v === 'number' ? v : 0)) : []
      return { object: 'embedding' as const, index, embedding: base64 ? toBase64(values) : values }
    }),
    model,
    usage: { prompt_tokens: 0, total_tokens: 0 },
  }
}

// --- internal ---

function toBase64(values: number[]): string {
  const bytes = new Uint8Array(values.length * 4)
  const view = new DataView(bytes.buffer)
  values.forEach((v, i) => {
    view.setFloat32(i * 4, v, true)
  })
  return Buffer.from(bytes).toString('base64')
}
