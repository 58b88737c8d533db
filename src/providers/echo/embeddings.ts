// echo: embeddings as deterministic unit vectors derived from SHA-256 of each input, in OpenAI's
// list shape, float or base64 (little-endian float32). https://platform.openai.com/docs/api-reference/embeddings
import { countTokens } from './tokens'

export const ECHO_DIMENSIONS = 16

export type EmbeddingInput = { ok: true; texts: string[] } | { ok: false; param: string; message: string }

/** `input` may be a string, a list of strings, a token list, or a list of token lists. */
export function readEmbeddingInput(json: Readonly<Record<string, unknown>>): EmbeddingInput {
  const input = json.input
  const bad = (param: string) => ({
    ok: false as const,
    param,
    message: `'${param}' must be a string, an array of strings, an array of integers, or an array of integer arrays.`,
  })
  if (typeof input === 'string') return { ok: true, texts: [input] }
  if (!Array.isArray(input) || input.length === 0) return bad('input')
  if (input.every((x) => typeof x === 'string')) return { ok: true, texts: input as string[] }
  if (input.every((x) => Number.isInteger(x))) return { ok: true, texts: [(input as number[]).join(' ')] }
  if (input.every((x) => Array.isArray(x) && x.every((y) => Number.isInteger(y))))
    return { ok: true, texts: (input as number[][]).map((t) => t.join(' ')) }
  return bad('input')
}

export function toEmbeddingList(texts: string[], model: string, dimensions: number, base64: boolean) {
  let tokens = 0
  const data = texts.map((text, index) => {
    tokens += countTokens(text)
    const vector = embed(text, dimensions)
    return { object: 'embedding', index, embedding: base64 ? toBase64(vector) : Array.from(vector) }
  })
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }
}

// --- internal ---

function embed(text: string, dimensions: number): Float32Array {
  const out = new Float32Array(dimensions)
  let block: Uint8Array = new Uint8Array(0)
  let counter = 0
  for (let i = 0; i < dimensions; i++) {
    const offset = (i * 2) % 32
    if (offset === 0) block = new Bun.CryptoHasher('sha256').update(`${counter++}:${text}`).digest() as Uint8Array
    out[i] = ((block[offset]! << 8) | block[offset + 1]!) / 32767.5 - 1
  }
  let norm = 0
  for (const v of out) norm += v * v
  norm = Math.sqrt(norm) || 1
  for (let i = 0; i < dimensions; i++) out[i] = out[i]! / norm
  return out
}

function toBase64(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
}
