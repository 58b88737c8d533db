// POST /v1/messages as it crosses the wire: Anthropic's Messages request, answer and stream events.
// https://docs.anthropic.com/en/api/messages · https://docs.anthropic.com/en/api/messages-streaming
// Documentation, not a gate: anthropic deployments get the body bytes unchanged, and the translation to
// chat completions (src/messages/request.ts) names any field it cannot serve. Objects stay open.
import { type Static, Type as T } from '@sinclair/typebox'

export const AnthropicContentBlockSchema = T.Object(
  {
    type: T.String({ description: 'text, image, document, tool_use, tool_result, thinking, …' }),
    text: T.Optional(T.String()),
    id: T.Optional(T.String()),
    name: T.Optional(T.String()),
    input: T.Optional(T.Object({})),
    tool_use_id: T.Optional(T.String()),
    content: T.Optional(T.Union([T.String(), T.Array(T.Object({ type: T.String() }))])),
    source: T.Optional(T.Object({ type: T.String({ description: 'base64, url, text, …' }) })),
  },
  { title: 'AnthropicContentBlock' },
)

export const AnthropicMessagesRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1, description: 'A model or alias the key may use.' }),
    max_tokens: T.Integer({ minimum: 1 }),
    messages: T.Array(
      T.Object({
        role: T.String({ description: 'user or assistant.' }),
        content: T.Union([T.String(), T.Array(AnthropicContentBlockSchema)]),
      }),
      { minItems: 1 },
    ),
    system: T.Optional(T.Union([T.String(), T.Array(T.Object({ type: T.String(), text: T.String() }))])),
    stream: T.Optional(
      T.Boolean({ description: 'true: answer as server-sent events (message_start … message_stop).' }),
    ),
    stop_sequences: T.Optional(T.Array(T.String())),
    temperature: T.Optional(T.Number({ minimum: 0, maximum: 1 })),
    top_p: T.Optional(T.Number()),
    top_k: T.Optional(T.Integer({ minimum: 0 })),
    tools: T.Optional(
      T.Array(
        T.Object({
          name: T.String(),
          description: T.Optional(T.String()),
          input_schema: T.Optional(T.Object({})),
          type: T.Optional(T.String()),
        }),
      ),
    ),
    tool_choice: T.Optional(
      T.Object({ type: T.String({ description: 'auto, any, tool or none.' }), name: T.Optional(T.String()) }),
    ),
    metadata: T.Optional(T.Object({ user_id: T.Optional(T.String()) })),
    thinking: T.Optional(T.Object({ type: T.String(), budget_tokens: T.Optional(T.Integer()) })),
  },
  {
    title: 'AnthropicMessagesRequest',
    description:
      "Anthropic's Messages request. Sent unchanged to anthropic deployments; translated to a chat completion for every other kind (top_k, thinking and cache_control are then dropped; server tools are refused with a 400).",
  },
)
export type AnthropicMessagesRequest = Static<typeof AnthropicMessagesRequestSchema>

export const AnthropicUsageSchema = T.Object(
  {
    input_tokens: T.Integer({ minimum: 0 }),
    output_tokens: T.Integer({ minimum: 0 }),
    cache_creation_input_tokens: T.Optional(T.Union([T.Integer({ minimum: 0 }), T.Null()])),
    cache_read_input_tokens: T.Optional(T.Union([T.Integer({ minimum: 0 }), T.Null()])),
  },
  { title: 'AnthropicUsage' },
)

export const AnthropicMessageSchema = T.Object(
  {
    id: T.String(),
    type: T.Literal('message'),
    role: T.Literal('assistant'),
    model: T.String(),
    content: T.Array(AnthropicContentBlockSchema),
    stop_reason: T.Union([
      T.String({ description: 'end_turn, max_tokens, stop_sequence, tool_use, refusal, …' }),
      T.Null(),
    ]),
    stop_sequence: T.Union([T.String(), T.Null()]),
    usage: AnthropicUsageSchema,
  },
  { title: 'AnthropicMessage', description: 'The answer to a request without `stream: true`.' },
)
export type AnthropicMessageWire = Static<typeof AnthropicMessageSchema>

export const AnthropicStreamEventSchema = T.Object(
  {
    type: T.String({
      description:
        'message_start, content_block_start, content_block_delta, content_block_stop, message_delta, message_stop, ping or error.',
    }),
    message: T.Optional(AnthropicMessageSchema),
    index: T.Optional(T.Integer({ minimum: 0 })),
    content_block: T.Optional(AnthropicContentBlockSchema),
    delta: T.Optional(
      T.Object({ type: T.Optional(T.String({ description: 'text_delta, input_json_delta, thinking_delta, …' })) }),
    ),
    usage: T.Optional(T.Object({ output_tokens: T.Optional(T.Integer({ minimum: 0 })) })),
  },
  {
    title: 'AnthropicStreamEvent',
    description:
      'The `data:` of one named event (`event: <type>`) of a streamed answer; a failure after the start is an `event: error` frame with an AnthropicErrorBody.',
  },
)
