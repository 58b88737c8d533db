// Anthropic's Messages API as it crosses the wire: request params, content blocks, the Message answer,
// usage and stream events. The one definition: the OpenAPI document of POST /v1/messages, the Anthropic
// provider (OpenAI chat → Messages) and src/anthropic-messages (Messages → chat) all use these.
// https://docs.anthropic.com/en/api/messages · https://docs.anthropic.com/en/docs/build-with-claude/streaming
//
// Documentation, not a gate: anthropic deployments get the body bytes unchanged, and the translators check
// what they read field by field (a Static type is not a check). Objects stay open: fields Anthropic adds
// tomorrow pass through today.
import { type Static, Type as T } from '@sinclair/typebox'
import { AnthropicErrorBodySchema } from './error'

/** A JSON object of any shape (tool inputs, JSON Schemas): documented as `type: object`, typed as a record. */
const jsonObject = (description: string) => T.Unsafe<Record<string, unknown>>({ type: 'object', description })

const nullable = <S extends Parameters<typeof T.Union>[0][number]>(schema: S, options: { description?: string } = {}) =>
  T.Union([schema, T.Null()], options)

// --- content blocks a request sends ---

export const AnthropicTextBlockParamSchema = T.Object(
  { type: T.Literal('text'), text: T.String() },
  {
    title: 'AnthropicTextBlockParam',
  },
)
export type AnthropicTextBlockParam = Static<typeof AnthropicTextBlockParamSchema>

export const AnthropicImageBlockParamSchema = T.Object(
  {
    type: T.Literal('image'),
    source: T.Union([
      T.Object({
        type: T.Literal('base64'),
        media_type: T.String({ description: 'image/jpeg, image/png, image/gif or image/webp.' }),
        data: T.String({ description: 'The image bytes, base64.' }),
      }),
      T.Object({ type: T.Literal('url'), url: T.String() }),
    ]),
  },
  { title: 'AnthropicImageBlockParam' },
)
export type AnthropicImageBlockParam = Static<typeof AnthropicImageBlockParamSchema>

export const AnthropicDocumentBlockParamSchema = T.Object(
  {
    type: T.Literal('document'),
    source: T.Union([
      T.Object({
        type: T.Literal('base64'),
        media_type: T.String({ description: 'application/pdf.' }),
        data: T.String({ description: 'The PDF bytes, base64.' }),
      }),
      T.Object({ type: T.Literal('text'), media_type: T.Optional(T.String()), data: T.String() }),
      T.Object({
        type: T.Literal('content'),
        content: T.Union([T.String(), T.Array(AnthropicTextBlockParamSchema)]),
      }),
      T.Object({ type: T.Literal('url'), url: T.String() }),
    ]),
    title: T.Optional(T.String()),
  },
  { title: 'AnthropicDocumentBlockParam' },
)
export type AnthropicDocumentBlockParam = Static<typeof AnthropicDocumentBlockParamSchema>

export const AnthropicToolUseBlockParamSchema = T.Object(
  {
    type: T.Literal('tool_use'),
    id: T.String(),
    name: T.String(),
    input: jsonObject('The arguments the model called the tool with.'),
  },
  { title: 'AnthropicToolUseBlockParam' },
)
export type AnthropicToolUseBlockParam = Static<typeof AnthropicToolUseBlockParamSchema>

export const AnthropicToolResultBlockParamSchema = T.Object(
  {
    type: T.Literal('tool_result'),
    tool_use_id: T.String({ description: 'The tool_use block this result answers.' }),
    content: T.Optional(
      T.Union([
        T.String(),
        T.Array(
          T.Union([AnthropicTextBlockParamSchema, AnthropicImageBlockParamSchema, AnthropicDocumentBlockParamSchema]),
        ),
      ]),
    ),
    is_error: T.Optional(T.Boolean()),
  },
  { title: 'AnthropicToolResultBlockParam' },
)
export type AnthropicToolResultBlockParam = Static<typeof AnthropicToolResultBlockParamSchema>

export const AnthropicThinkingBlockSchema = T.Object(
  { type: T.Literal('thinking'), thinking: T.String(), signature: T.Optional(T.String()) },
  {
    title: 'AnthropicThinkingBlock',
    description:
      "The model's reasoning; send it back, signature included, in the assistant turn. On other kinds it travels through chat as reasoning_content and thinking_blocks, so the signature round-trips.",
  },
)

export const AnthropicRedactedThinkingBlockSchema = T.Object(
  { type: T.Literal('redacted_thinking'), data: T.String() },
  { title: 'AnthropicRedactedThinkingBlock' },
)

export const AnthropicContentBlockParamSchema = T.Union(
  [
    AnthropicTextBlockParamSchema,
    AnthropicImageBlockParamSchema,
    AnthropicDocumentBlockParamSchema,
    AnthropicToolUseBlockParamSchema,
    AnthropicToolResultBlockParamSchema,
    AnthropicThinkingBlockSchema,
    AnthropicRedactedThinkingBlockSchema,
  ],
  {
    title: 'AnthropicContentBlockParam',
    description:
      'A block of a message. Other types pass through to anthropic deployments; elsewhere search_result and tool_reference blocks become text, and the rest (server tool blocks, URL and file-id documents) are refused with a 400 naming the block.',
  },
)
export type AnthropicContentBlockParam = Static<typeof AnthropicContentBlockParamSchema>

export const AnthropicMessageParamSchema = T.Object(
  {
    role: T.Union([T.Literal('user'), T.Literal('assistant'), T.Literal('system')], {
      description:
        'user or assistant; system for a system turn among the messages (Claude Code sends them), text only: a system message in its place on non-Anthropic deployments.',
    }),
    content: T.Union([T.String(), T.Array(AnthropicContentBlockParamSchema)]),
  },
  { title: 'AnthropicMessageParam' },
)
export type AnthropicMessageParam = Static<typeof AnthropicMessageParamSchema>

// --- tools ---

export const AnthropicToolSchema = T.Object(
  {
    type: T.Optional(
      T.String({ description: 'custom (the default), or an Anthropic-defined tool such as web_search_20250305.' }),
    ),
    name: T.String(),
    description: T.Optional(T.String()),
    input_schema: T.Optional(jsonObject('A JSON Schema of the tool input (custom tools).')),
  },
  { title: 'AnthropicTool' },
)
export type AnthropicTool = Static<typeof AnthropicToolSchema>

const parallel = { disable_parallel_tool_use: T.Optional(T.Boolean()) }

export const AnthropicToolChoiceSchema = T.Union(
  [
    T.Object({ type: T.Literal('auto'), ...parallel }),
    T.Object({ type: T.Literal('any'), ...parallel }),
    T.Object({ type: T.Literal('tool'), name: T.String(), ...parallel }),
    T.Object({ type: T.Literal('none') }),
  ],
  { title: 'AnthropicToolChoice', description: 'auto, any, tool (with its name) or none.' },
)
export type AnthropicToolChoice = Static<typeof AnthropicToolChoiceSchema>

// --- the request ---

export const AnthropicThinkingConfigSchema = T.Object(
  {
    type: T.String({ description: 'enabled (with budget_tokens), adaptive or disabled.' }),
    budget_tokens: T.Optional(
      T.Integer({ minimum: 1, description: 'enabled: thinking tokens (Anthropic: 1024 or more).' }),
    ),
  },
  {
    title: 'AnthropicThinkingConfig',
    description:
      'Extended thinking. On non-Anthropic deployments it becomes reasoning_effort: output_config.effort when sent, else by budget (below 4096 low, below 16384 medium, else high), adaptive medium; disabled, no reasoning_effort.',
  },
)

const outputFormat = (description: string) =>
  T.Object(
    { type: T.Literal('json_schema'), schema: jsonObject('The JSON Schema the answer text must match.') },
    { description },
  )

export const AnthropicMessagesRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1, description: 'A model or alias the key may use.' }),
    max_tokens: T.Integer({ minimum: 1 }),
    messages: T.Array(AnthropicMessageParamSchema, { minItems: 1 }),
    system: T.Optional(T.Union([T.String(), T.Array(AnthropicTextBlockParamSchema)])),
    stream: T.Optional(
      T.Boolean({ description: 'true: answer as server-sent events (message_start … message_stop).' }),
    ),
    stop_sequences: T.Optional(T.Array(T.String())),
    temperature: T.Optional(T.Number({ minimum: 0, maximum: 1 })),
    top_p: T.Optional(T.Number()),
    top_k: T.Optional(T.Integer({ minimum: 0 })),
    tools: T.Optional(T.Array(AnthropicToolSchema)),
    tool_choice: T.Optional(AnthropicToolChoiceSchema),
    metadata: T.Optional(T.Object({ user_id: T.Optional(T.String()) })),
    thinking: T.Optional(AnthropicThinkingConfigSchema),
    output_config: T.Optional(
      T.Object(
        {
          format: T.Optional(outputFormat('Structured output: the answer text is JSON matching the schema.')),
          effort: T.Optional(T.String({ description: 'low, medium, high, xhigh or max.' })),
        },
        {
          description:
            'Structured output and effort. On non-Anthropic deployments: format → a strict json_schema response_format, effort → reasoning_effort (xhigh and max → high); any other field is refused with a 400.',
        },
      ),
    ),
    output_format: T.Optional(
      outputFormat('The structured-outputs beta form of output_config.format (send one of the two).'),
    ),
    context_management: T.Optional(
      jsonObject(
        'Anthropic trims old tool results and thinking from the context (Claude Code sends it). Dropped on non-Anthropic deployments: the model reads the whole conversation.',
      ),
    ),
  },
  {
    title: 'AnthropicMessagesRequest',
    description:
      "Anthropic's Messages request. Sent unchanged to anthropic deployments; translated to a chat completion for every other kind: thinking and output_config.effort become reasoning_effort, output_config.format a json_schema response_format, and thinking blocks round-trip with their signatures. top_k, cache_control and context_management are then dropped; server tools, mcp_servers and fields nothing could honour are refused with a 400 naming the field.",
  },
)
export type AnthropicMessagesRequest = Static<typeof AnthropicMessagesRequestSchema>

// --- the answer ---

export const AnthropicUsageSchema = T.Object(
  {
    input_tokens: T.Integer({ minimum: 0, description: 'Input tokens not read from or written to the cache.' }),
    output_tokens: T.Integer({ minimum: 0 }),
    cache_creation_input_tokens: T.Optional(nullable(T.Integer({ minimum: 0 }))),
    cache_read_input_tokens: T.Optional(nullable(T.Integer({ minimum: 0 }))),
  },
  { title: 'AnthropicUsage' },
)
export type AnthropicUsage = Static<typeof AnthropicUsageSchema>

/** https://docs.anthropic.com/en/api/handling-stop-reasons */
export const AnthropicStopReasonSchema = T.Union(
  [
    T.Literal('end_turn'),
    T.Literal('max_tokens'),
    T.Literal('stop_sequence'),
    T.Literal('tool_use'),
    T.Literal('pause_turn'),
    T.Literal('refusal'),
    T.Literal('model_context_window_exceeded'),
  ],
  {
    description:
      'Why the model stopped: end_turn, max_tokens, stop_sequence, tool_use, pause_turn, refusal or model_context_window_exceeded.',
  },
)
export type AnthropicStopReason = Static<typeof AnthropicStopReasonSchema>

export const AnthropicTextBlockSchema = T.Object(
  { type: T.Literal('text'), text: T.String() },
  { title: 'AnthropicTextBlock' },
)

export const AnthropicToolUseBlockSchema = T.Object(
  {
    type: T.Literal('tool_use'),
    id: T.String(),
    name: T.String(),
    input: jsonObject('The arguments the model calls the tool with.'),
  },
  { title: 'AnthropicToolUseBlock' },
)

export const AnthropicContentBlockSchema = T.Union(
  [
    AnthropicTextBlockSchema,
    AnthropicToolUseBlockSchema,
    AnthropicThinkingBlockSchema,
    AnthropicRedactedThinkingBlockSchema,
  ],
  {
    title: 'AnthropicContentBlock',
    description: 'A block of the answer. Anthropic deployments may also answer server tool blocks, passed through.',
  },
)
export type AnthropicContentBlock = Static<typeof AnthropicContentBlockSchema>

export const AnthropicMessageSchema = T.Object(
  {
    id: T.String(),
    type: T.Literal('message'),
    role: T.Literal('assistant'),
    model: T.String(),
    content: T.Array(AnthropicContentBlockSchema),
    stop_reason: nullable(AnthropicStopReasonSchema, { description: 'null only in message_start.' }),
    stop_sequence: nullable(T.String({ description: 'The stop sequence that matched, with stop_sequence.' })),
    usage: AnthropicUsageSchema,
  },
  { title: 'AnthropicMessage', description: 'The answer to a request without `stream: true`.' },
)
export type AnthropicMessage = Static<typeof AnthropicMessageSchema>

// --- stream events: the `data:` of `event: <type>` ---

export const AnthropicMessageStartEventSchema = T.Object(
  {
    type: T.Literal('message_start'),
    message: AnthropicMessageSchema,
  },
  { title: 'AnthropicMessageStartEvent', description: 'The message with empty content and stop_reason null.' },
)
export type AnthropicMessageStartEvent = Static<typeof AnthropicMessageStartEventSchema>

export const AnthropicContentBlockStartEventSchema = T.Object(
  {
    type: T.Literal('content_block_start'),
    index: T.Integer({ minimum: 0 }),
    content_block: AnthropicContentBlockSchema,
  },
  { title: 'AnthropicContentBlockStartEvent' },
)
export type AnthropicContentBlockStartEvent = Static<typeof AnthropicContentBlockStartEventSchema>

export const AnthropicContentBlockDeltaSchema = T.Union(
  [
    T.Object({ type: T.Literal('text_delta'), text: T.String() }),
    T.Object({ type: T.Literal('input_json_delta'), partial_json: T.String() }),
    T.Object({ type: T.Literal('thinking_delta'), thinking: T.String() }),
    T.Object({ type: T.Literal('signature_delta'), signature: T.String() }),
  ],
  { title: 'AnthropicContentBlockDelta' },
)
export type AnthropicContentBlockDelta = Static<typeof AnthropicContentBlockDeltaSchema>

export const AnthropicContentBlockDeltaEventSchema = T.Object(
  {
    type: T.Literal('content_block_delta'),
    index: T.Integer({ minimum: 0 }),
    delta: AnthropicContentBlockDeltaSchema,
  },
  { title: 'AnthropicContentBlockDeltaEvent' },
)
export type AnthropicContentBlockDeltaEvent = Static<typeof AnthropicContentBlockDeltaEventSchema>

export const AnthropicContentBlockStopEventSchema = T.Object(
  { type: T.Literal('content_block_stop'), index: T.Integer({ minimum: 0 }) },
  { title: 'AnthropicContentBlockStopEvent' },
)
export type AnthropicContentBlockStopEvent = Static<typeof AnthropicContentBlockStopEventSchema>

export const AnthropicMessageDeltaUsageSchema = T.Object(
  {
    output_tokens: T.Integer({ minimum: 0 }),
    input_tokens: T.Optional(nullable(T.Integer({ minimum: 0 }))),
    cache_creation_input_tokens: T.Optional(nullable(T.Integer({ minimum: 0 }))),
    cache_read_input_tokens: T.Optional(nullable(T.Integer({ minimum: 0 }))),
  },
  { title: 'AnthropicMessageDeltaUsage', description: 'Cumulative counts for the whole message.' },
)
export type AnthropicMessageDeltaUsage = Static<typeof AnthropicMessageDeltaUsageSchema>

export const AnthropicMessageDeltaEventSchema = T.Object(
  {
    type: T.Literal('message_delta'),
    delta: T.Object({ stop_reason: nullable(AnthropicStopReasonSchema), stop_sequence: nullable(T.String()) }),
    usage: AnthropicMessageDeltaUsageSchema,
  },
  { title: 'AnthropicMessageDeltaEvent' },
)
export type AnthropicMessageDeltaEvent = Static<typeof AnthropicMessageDeltaEventSchema>

export const AnthropicMessageStopEventSchema = T.Object(
  { type: T.Literal('message_stop') },
  { title: 'AnthropicMessageStopEvent' },
)
export type AnthropicMessageStopEvent = Static<typeof AnthropicMessageStopEventSchema>

export const AnthropicPingEventSchema = T.Object({ type: T.Literal('ping') }, { title: 'AnthropicPingEvent' })

export const AnthropicStreamEventSchema = T.Union(
  [
    AnthropicMessageStartEventSchema,
    AnthropicContentBlockStartEventSchema,
    AnthropicContentBlockDeltaEventSchema,
    AnthropicContentBlockStopEventSchema,
    AnthropicMessageDeltaEventSchema,
    AnthropicMessageStopEventSchema,
    AnthropicPingEventSchema,
    AnthropicErrorBodySchema,
  ],
  {
    title: 'AnthropicStreamEvent',
    description:
      'The `data:` of one named event (`event: <type>`, the same as its `type`) of a streamed answer; a failure after the start is an `event: error` frame with an AnthropicErrorBody. Anthropic may add event types: clients skip the ones they do not know.',
  },
)
export type AnthropicStreamEvent = Static<typeof AnthropicStreamEventSchema>
