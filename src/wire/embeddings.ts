// POST /v1/embeddings as it crosses the wire (OpenAI's shapes, open to fields added later).
// https://platform.openai.com/docs/api-reference/embeddings
import { type Static, Type as T } from '@sinclair/typebox'

export const EmbeddingsRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1, description: 'A model or alias the key may use.' }),
    input: T.Union([T.String(), T.Array(T.String()), T.Array(T.Integer()), T.Array(T.Array(T.Integer()))], {
      description: 'Text, texts, or token arrays to embed.',
    }),
    encoding_format: T.Optional(T.String({ description: 'float (default) or base64.' })),
    dimensions: T.Optional(T.Integer({ minimum: 1 })),
    user: T.Optional(T.String()),
  },
  {
    title: 'EmbeddingsRequest',
    description: 'Relayed unchanged to the upstream (only `model` is rewritten for an alias).',
  },
)
export type EmbeddingsRequest = Static<typeof EmbeddingsRequestSchema>

export const EmbeddingsResponseSchema = T.Object(
  {
    object: T.Literal('list'),
    data: T.Array(
      T.Object({
        object: T.Literal('embedding'),
        index: T.Integer({ minimum: 0 }),
        embedding: T.Union([
          T.Array(T.Number()),
          T.String({ description: 'base64 of little-endian float32s (encoding_format "base64").' }),
        ]),
      }),
    ),
    model: T.String(),
    usage: T.Optional(T.Object({ prompt_tokens: T.Integer({ minimum: 0 }), total_tokens: T.Integer({ minimum: 0 }) })),
  },
  { title: 'EmbeddingsResponse' },
)
export type EmbeddingsResponse = Static<typeof EmbeddingsResponseSchema>
