// POST /v1/images/generations as it crosses the wire (OpenAI's shapes, open to fields added later).
// https://platform.openai.com/docs/api-reference/images/create
import { type Static, Type as T } from '@sinclair/typebox'

export const ImageGenerationRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1, description: 'A model or alias the key may use.' }),
    prompt: T.String({ description: 'What to draw.' }),
    n: T.Optional(T.Integer({ minimum: 1, maximum: 10 })),
    size: T.Optional(T.String({ description: '1024x1024, 1536x1024, 1024x1536, auto, …' })),
    quality: T.Optional(T.String({ description: 'standard, hd, low, medium, high or auto.' })),
    response_format: T.Optional(T.String({ description: 'url or b64_json.' })),
    style: T.Optional(T.String({ description: 'vivid or natural.' })),
    background: T.Optional(T.String()),
    output_format: T.Optional(T.String({ description: 'png, jpeg or webp.' })),
    stream: T.Optional(T.Boolean({ description: 'gpt-image-1: partial images as server-sent events.' })),
    partial_images: T.Optional(T.Integer({ minimum: 0, maximum: 3 })),
    user: T.Optional(T.String()),
  },
  {
    title: 'ImageGenerationRequest',
    description: 'Relayed unchanged to the upstream (only `model` is rewritten for an alias).',
  },
)
export type ImageGenerationRequest = Static<typeof ImageGenerationRequestSchema>

export const ImagesResponseSchema = T.Object(
  {
    created: T.Integer({ description: 'Unix seconds.' }),
    data: T.Array(
      T.Object({
        url: T.Optional(T.String()),
        b64_json: T.Optional(T.String()),
        revised_prompt: T.Optional(T.String()),
      }),
    ),
    usage: T.Optional(
      T.Object({
        input_tokens: T.Optional(T.Integer()),
        output_tokens: T.Optional(T.Integer()),
        total_tokens: T.Optional(T.Integer()),
      }),
    ),
  },
  { title: 'ImagesResponse' },
)
