// POST /v1/chat/completions as it crosses the wire: OpenAI's request, answer and stream chunk.
// https://platform.openai.com/docs/api-reference/chat
// These document; they do not gate. The gateway reads only `model` and `stream` (src/relay/read.ts) and
// relays the rest byte for byte, so every object stays open (additionalProperties allowed) and fields
// OpenAI adds tomorrow pass through today.
import { type Static, Type as T } from '@sinclair/typebox'

const nullable = <S extends Parameters<typeof T.Union>[0][number]>(schema: S, options: { description?: string } = {}) =>
  T.Union([schema, T.Null()], options)

export const ContentPartSchema = T.Object(
  {
    type: T.String({ description: 'text, image_url, input_audio, file, refusal, …' }),
    text: T.Optional(T.String()),
    image_url: T.Optional(T.Object({ url: T.String(), detail: T.Optional(T.String()) })),
  },
  { title: 'ContentPart' },
)

export const ToolCallSchema = T.Object(
  {
    id: T.String(),
    type: T.String({ description: 'function (or custom).' }),
    function: T.Optional(
      T.Object({ name: T.String(), arguments: T.String({ description: 'JSON text of the arguments.' }) }),
    ),
  },
  { title: 'ToolCall' },
)
export type ToolCall = Static<typeof ToolCallSchema>

/**
 * Reasoning as chat carries it in and out of the gateway (core/reasoning.ts): the text in
 * `reasoning_content`, and the blocks whose signature (or redacted data) the next turn must send back.
 */
export const ThinkingBlockSchema = T.Union(
  [
    T.Object({
      type: T.Literal('thinking'),
      thinking: T.String({ description: 'Empty when the block only carries the signature of the answer.' }),
      signature: T.Optional(T.String()),
    }),
    T.Object({ type: T.Literal('redacted_thinking'), data: T.String() }),
  ],
  {
    title: 'ThinkingBlock',
    description:
      'A signed thinking block (Anthropic, Gemini thought signatures) or a redacted one, as anthropic and google deployments answer it.',
  },
)

const reasoningContent = (description: string) => T.Optional(nullable(T.String({ description })))

export const ChatMessageSchema = T.Object(
  {
    role: T.String({ description: 'system, developer, user, assistant or tool.' }),
    content: T.Optional(
      nullable(T.Union([T.String(), T.Array(ContentPartSchema)]), { description: 'Text, or content parts.' }),
    ),
    name: T.Optional(T.String()),
    tool_calls: T.Optional(T.Array(ToolCallSchema)),
    tool_call_id: T.Optional(T.String({ description: 'role "tool": the call this message answers.' })),
    reasoning_content: reasoningContent('role "assistant": the reasoning of an earlier answer.'),
    thinking_blocks: T.Optional(
      T.Array(ThinkingBlockSchema, {
        description:
          'role "assistant": the thinking blocks of an earlier answer, sent back as they came so that anthropic and google deployments continue the reasoning. Removed, with reasoning_content, before an OpenAI-family upstream.',
      }),
    ),
  },
  { title: 'ChatMessage' },
)

export const ChatCompletionRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1, description: 'A model or alias the key may use (GET /v1/models lists them).' }),
    messages: T.Array(ChatMessageSchema, { description: 'The conversation so far.' }),
    stream: T.Optional(
      nullable(T.Boolean(), {
        description: 'true: answer as server-sent events (ChatCompletionChunk), ended by `data: [DONE]`.',
      }),
    ),
    stream_options: T.Optional(
      nullable(T.Object({ include_usage: T.Optional(T.Boolean({ description: 'Send a last chunk with usage.' })) })),
    ),
    max_tokens: T.Optional(nullable(T.Integer({ minimum: 1 }))),
    max_completion_tokens: T.Optional(nullable(T.Integer({ minimum: 1 }))),
    temperature: T.Optional(nullable(T.Number({ minimum: 0, maximum: 2 }))),
    top_p: T.Optional(nullable(T.Number({ minimum: 0, maximum: 1 }))),
    n: T.Optional(nullable(T.Integer({ minimum: 1 }))),
    stop: T.Optional(nullable(T.Union([T.String(), T.Array(T.String())]))),
    presence_penalty: T.Optional(nullable(T.Number())),
    frequency_penalty: T.Optional(nullable(T.Number())),
    logit_bias: T.Optional(nullable(T.Record(T.String(), T.Number()))),
    logprobs: T.Optional(nullable(T.Boolean())),
    top_logprobs: T.Optional(nullable(T.Integer({ minimum: 0 }))),
    seed: T.Optional(nullable(T.Integer())),
    tools: T.Optional(
      T.Array(
        T.Object({
          type: T.String({ description: 'function (or custom).' }),
          function: T.Optional(
            T.Object({
              name: T.String(),
              description: T.Optional(T.String()),
              parameters: T.Optional(T.Object({})),
              strict: T.Optional(nullable(T.Boolean())),
            }),
          ),
        }),
      ),
    ),
    tool_choice: T.Optional(
      T.Union([T.String({ description: 'none, auto or required.' }), T.Object({ type: T.String() })]),
    ),
    parallel_tool_calls: T.Optional(T.Boolean()),
    response_format: T.Optional(
      T.Object(
        {
          type: T.String({ description: 'text, json_object or json_schema.' }),
          json_schema: T.Optional(
            T.Object({
              name: T.String(),
              schema: T.Optional(T.Object({}, { description: 'The JSON Schema the answer must match.' })),
              strict: T.Optional(nullable(T.Boolean())),
              description: T.Optional(T.String()),
            }),
          ),
        },
        {
          description:
            'json_schema is served natively on anthropic (output_config.format) and google (responseJsonSchema; responseSchema before Gemini 2.5) deployments; bedrock ones take text only.',
        },
      ),
    ),
    reasoning_effort: T.Optional(
      nullable(
        T.String({
          description:
            'none, minimal, low, medium or high (reasoning models). anthropic deployments turn it into a thinking budget (adaptive thinking on the models that take only that), google ones into thinkingConfig; none turns thinking off where the model allows it.',
        }),
      ),
    ),
    thinking: T.Optional(
      T.Object(
        {
          type: T.String({ description: 'enabled (with budget_tokens), adaptive or disabled.' }),
          budget_tokens: T.Optional(T.Integer({ minimum: 1, description: 'enabled: thinking tokens.' })),
        },
        {
          description:
            'Anthropic-style thinking, accepted on chat as LiteLLM does; wins over reasoning_effort. Read by anthropic (sent as it is) and google (thinkingConfig) deployments; removed before an OpenAI-family upstream.',
        },
      ),
    ),
    user: T.Optional(T.String()),
    metadata: T.Optional(nullable(T.Record(T.String(), T.String()))),
  },
  {
    title: 'ChatCompletionRequest',
    description:
      "OpenAI's chat completion request. Relayed unchanged to OpenAI-format upstreams (only `model` is rewritten for an alias, and the gateway's reasoning fields thinking, reasoning_content and thinking_blocks are removed); translated for anthropic, google and bedrock. Fields not listed here are passed through.",
  },
)
export type ChatCompletionRequest = Static<typeof ChatCompletionRequestSchema>

export const UsageSchema = T.Object(
  {
    prompt_tokens: T.Integer({ minimum: 0 }),
    completion_tokens: T.Integer({ minimum: 0 }),
    total_tokens: T.Integer({ minimum: 0 }),
    prompt_tokens_details: T.Optional(nullable(T.Object({ cached_tokens: T.Optional(T.Integer({ minimum: 0 })) }))),
    completion_tokens_details: T.Optional(
      nullable(T.Object({ reasoning_tokens: T.Optional(T.Integer({ minimum: 0 })) })),
    ),
  },
  { title: 'Usage' },
)
export type Usage = Static<typeof UsageSchema>

const AssistantMessageSchema = T.Object({
  role: T.Literal('assistant'),
  content: nullable(T.String()),
  refusal: T.Optional(nullable(T.String())),
  tool_calls: T.Optional(T.Array(ToolCallSchema)),
  reasoning_content: reasoningContent(
    'The reasoning text: thinking (anthropic, bedrock), thought summaries (google), or what an OpenAI-compatible upstream (DeepSeek, vLLM) sends.',
  ),
  thinking_blocks: T.Optional(
    T.Array(ThinkingBlockSchema, {
      description: 'anthropic and google: the blocks to send back with this message on the next turn.',
    }),
  ),
})

/** https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices */
export const FinishReasonSchema = T.Union(
  [
    T.Literal('stop'),
    T.Literal('length'),
    T.Literal('tool_calls'),
    T.Literal('content_filter'),
    T.Literal('function_call'),
  ],
  { description: 'stop, length, tool_calls, content_filter or function_call.' },
)
export type FinishReason = Static<typeof FinishReasonSchema>

export const ChatCompletionSchema = T.Object(
  {
    id: T.String(),
    object: T.Literal('chat.completion'),
    created: T.Integer({ description: 'Unix seconds.' }),
    model: T.String(),
    choices: T.Array(
      T.Object({
        index: T.Integer({ minimum: 0 }),
        message: AssistantMessageSchema,
        finish_reason: nullable(FinishReasonSchema),
        logprobs: T.Optional(nullable(T.Object({}))),
      }),
    ),
    usage: T.Optional(UsageSchema),
    system_fingerprint: T.Optional(nullable(T.String())),
  },
  { title: 'ChatCompletion', description: 'The answer to a request without `stream: true`.' },
)
export type ChatCompletion = Static<typeof ChatCompletionSchema>

// What the translating providers (anthropic, bedrock; google adds its own fields) answer with: OpenAI's
// shapes, narrowed to the fields they always set.

/** A finish reason a translated answer can carry (function_call is never one). */
export type TranslatedFinishReason = Exclude<FinishReason, 'function_call'>

export interface TranslatedToolCall extends ToolCall {
  type: 'function'
  function: { name: string; arguments: string }
}

export interface TranslatedMessage extends Extract<ChatCompletion['choices'][number]['message'], object> {
  refusal: null
  tool_calls?: TranslatedToolCall[]
  /** Thinking or reasoning blocks' text, in the field DeepSeek and others use for it. */
  reasoning_content?: string
}

export const ChatCompletionChunkSchema = T.Object(
  {
    id: T.String(),
    object: T.Literal('chat.completion.chunk'),
    created: T.Integer({ description: 'Unix seconds.' }),
    model: T.String(),
    choices: T.Array(
      T.Object({
        index: T.Integer({ minimum: 0 }),
        delta: T.Object({
          role: T.Optional(T.String()),
          content: T.Optional(nullable(T.String())),
          refusal: T.Optional(nullable(T.String())),
          reasoning_content: reasoningContent('A piece of the reasoning text.'),
          thinking_blocks: T.Optional(
            T.Array(ThinkingBlockSchema, {
              description: "A block's signature once known (thinking empty), or a redacted block.",
            }),
          ),
          tool_calls: T.Optional(
            T.Array(
              T.Object({
                index: T.Integer({ minimum: 0 }),
                id: T.Optional(T.String()),
                type: T.Optional(T.String()),
                function: T.Optional(T.Object({ name: T.Optional(T.String()), arguments: T.Optional(T.String()) })),
              }),
            ),
          ),
        }),
        finish_reason: nullable(FinishReasonSchema),
        logprobs: T.Optional(nullable(T.Object({}))),
      }),
    ),
    usage: T.Optional(
      nullable(UsageSchema, {
        description: 'Only on the last chunk, when `stream_options.include_usage` is true (choices is then empty).',
      }),
    ),
    system_fingerprint: T.Optional(nullable(T.String())),
  },
  {
    title: 'ChatCompletionChunk',
    description:
      'One `data:` event of a streamed answer. The stream ends with `data: [DONE]`; a failure after the stream started is sent as a `data:` event holding an ErrorBody.',
  },
)
export type ChatCompletionChunk = Static<typeof ChatCompletionChunkSchema>
