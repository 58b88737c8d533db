// OpenAI's Responses API as it crosses the wire: the POST /v1/responses request, the Response object,
// its stream events, and the stored side's answers (DELETE /v1/responses/{id}, GET …/input_items).
// https://platform.openai.com/docs/api-reference/responses · …/responses-streaming
// These document; they do not gate. openai, azure and custom deployments with `responses = true` get the
// body as it came (with previous_response_id expanded by the gateway, relay/conversation.ts); every
// other kind is translated through chat (src/responses-api), which checks what it reads field by field.
// Objects stay open: fields OpenAI adds tomorrow pass through today.
import { type Static, Type as T } from '@sinclair/typebox'

/** A JSON object of any shape (JSON Schemas): documented as `type: object`, typed as a record. */
const jsonObject = (description: string) => T.Unsafe<Record<string, unknown>>({ type: 'object', description })

const nullable = <S extends Parameters<typeof T.Union>[0][number]>(schema: S, options: { description?: string } = {}) =>
  T.Union([schema, T.Null()], options)

// --- input ---

export const ResponseContentPartSchema = T.Object(
  {
    type: T.String({ description: 'input_text, input_image, input_file, output_text, refusal, …' }),
    text: T.Optional(T.String()),
    image_url: T.Optional(nullable(T.String({ description: 'input_image: a URL or a data: URL.' }))),
    file_data: T.Optional(T.String({ description: 'input_file: the file, base64.' })),
    filename: T.Optional(T.String()),
  },
  { title: 'ResponseContentPart' },
)

const inputItemFields = {
  type: T.Optional(
    T.String({
      description:
        'message (the default for an item with a role), function_call, function_call_output, reasoning, item_reference, …',
    }),
  ),
  id: T.Optional(T.String()),
  role: T.Optional(T.String({ description: 'message: user, assistant, system or developer.' })),
  content: T.Optional(
    T.Union([T.String(), T.Array(ResponseContentPartSchema)], { description: 'message: text, or content parts.' }),
  ),
  call_id: T.Optional(T.String({ description: 'function_call and function_call_output: the call.' })),
  name: T.Optional(T.String({ description: 'function_call: the function.' })),
  arguments: T.Optional(T.String({ description: 'function_call: JSON text of the arguments.' })),
  output: T.Optional(
    T.Union([T.String(), T.Array(ResponseContentPartSchema)], { description: 'function_call_output: the result.' }),
  ),
}

export const ResponseInputItemSchema = T.Object(inputItemFields, {
  title: 'ResponseInputItem',
  description:
    "One item of `input`. An item_reference to an output item of a response this key stored is replaced by the item, so any deployment can take it; a reasoning item's encrypted_content written by the gateway carries the thinking blocks back.",
})

// --- the request ---

export const ResponsesRequestSchema = T.Object(
  {
    model: T.String({ minLength: 1, description: 'A model or alias the key may use (GET /v1/models lists them).' }),
    input: T.Optional(
      T.Union([T.String(), T.Array(ResponseInputItemSchema)], {
        description: 'Text (one user message), or input items.',
      }),
    ),
    instructions: T.Optional(
      nullable(
        T.String({
          description: 'System instructions for this request; previous_response_id does not carry them over.',
        }),
      ),
    ),
    tools: T.Optional(
      T.Array(
        T.Object({
          type: T.String({
            description:
              'function. Hosted tools (web_search, file_search, code_interpreter, mcp, …) reach openai, azure and custom deployments with `responses = true` only; every other kind refuses them with a 400.',
          }),
          name: T.Optional(T.String()),
          description: T.Optional(nullable(T.String())),
          parameters: T.Optional(nullable(jsonObject('function: a JSON Schema of the arguments.'))),
          strict: T.Optional(nullable(T.Boolean())),
        }),
      ),
    ),
    tool_choice: T.Optional(
      T.Union([
        T.String({ description: 'none, auto or required.' }),
        T.Object(
          { type: T.String({ description: 'function (with name) or allowed_tools (with mode and tools).' }) },
          { description: 'A tool to call, or the tools allowed.' },
        ),
      ]),
    ),
    text: T.Optional(
      T.Object({
        format: T.Optional(
          T.Object({
            type: T.String({ description: 'text, json_object or json_schema.' }),
            name: T.Optional(T.String({ description: 'json_schema: the schema name.' })),
            schema: T.Optional(jsonObject('json_schema: the JSON Schema the answer must match.')),
            strict: T.Optional(nullable(T.Boolean())),
            description: T.Optional(T.String()),
          }),
        ),
        verbosity: T.Optional(nullable(T.String({ description: 'low, medium or high.' }))),
      }),
    ),
    reasoning: T.Optional(
      nullable(
        T.Object({
          effort: T.Optional(
            nullable(T.String({ description: 'none, minimal, low, medium or high (reasoning models).' })),
          ),
          summary: T.Optional(nullable(T.String({ description: 'auto, concise or detailed.' }))),
        }),
      ),
    ),
    max_output_tokens: T.Optional(nullable(T.Integer({ minimum: 1 }))),
    temperature: T.Optional(nullable(T.Number({ minimum: 0, maximum: 2 }))),
    top_p: T.Optional(nullable(T.Number({ minimum: 0, maximum: 1 }))),
    parallel_tool_calls: T.Optional(nullable(T.Boolean())),
    store: T.Optional(
      nullable(
        T.Boolean({
          description:
            'Default true: the gateway keeps the answer for `[responses] retention_days` (default 30), for GET /v1/responses/{id} and previous_response_id. false: nothing is kept.',
        }),
      ),
    ),
    previous_response_id: T.Optional(
      nullable(
        T.String({
          description:
            "A response this key stored: its input and output go before this request's input, whichever deployment serves it. Unknown: 404 `previous_response_not_found`.",
        }),
      ),
    ),
    metadata: T.Optional(nullable(T.Record(T.String(), T.String()))),
    stream: T.Optional(
      nullable(
        T.Boolean({
          description:
            'true: answer as server-sent events (ResponseStreamEvent), ended by response.completed, .incomplete or .failed.',
        }),
      ),
    ),
    include: T.Optional(
      nullable(
        T.Array(T.String(), {
          description: 'Extra output: reasoning.encrypted_content, message.output_text.logprobs, …',
        }),
      ),
    ),
    user: T.Optional(T.String()),
  },
  {
    title: 'ResponsesRequest',
    description:
      "OpenAI's Responses request. Sent as it came to openai, azure and custom deployments with `responses = true`; translated through chat completions for every other kind, where hosted tools, background, conversation and prompt are refused with a 400 naming the field. Fields not listed here are passed through.",
  },
)
export type ResponsesRequest = Static<typeof ResponsesRequestSchema>

// --- the answer ---

export const ResponseOutputItemSchema = T.Object(
  {
    type: T.String({ description: 'message, reasoning, function_call, or a hosted tool call (passthrough only).' }),
    id: T.String(),
    status: T.Optional(T.String({ description: 'in_progress, completed or incomplete.' })),
    role: T.Optional(T.Literal('assistant')),
    content: T.Optional(
      T.Array(
        T.Object({
          type: T.String({ description: 'output_text or refusal.' }),
          text: T.Optional(T.String()),
          refusal: T.Optional(T.String()),
        }),
        { description: 'message: the answer.' },
      ),
    ),
    summary: T.Optional(
      T.Array(T.Object({ type: T.String(), text: T.String() }), { description: "reasoning: the model's reasoning." }),
    ),
    encrypted_content: T.Optional(
      nullable(
        T.String({
          description:
            "reasoning: what the next turn needs to continue the reasoning. From OpenAI with include reasoning.encrypted_content; on translated deployments always, when there are signed thinking blocks (opaque, the gateway's own).",
        }),
      ),
    ),
    call_id: T.Optional(T.String()),
    name: T.Optional(T.String()),
    arguments: T.Optional(T.String({ description: 'function_call: JSON text of the arguments.' })),
  },
  { title: 'ResponseOutputItem' },
)

export const ResponseUsageSchema = T.Object(
  {
    input_tokens: T.Integer({ minimum: 0 }),
    input_tokens_details: T.Object({ cached_tokens: T.Integer({ minimum: 0 }) }),
    output_tokens: T.Integer({ minimum: 0 }),
    output_tokens_details: T.Object({ reasoning_tokens: T.Integer({ minimum: 0 }) }),
    total_tokens: T.Integer({ minimum: 0 }),
  },
  { title: 'ResponseUsage' },
)

export const ResponseSchema = T.Object(
  {
    id: T.String({ description: 'resp_…: the id GET /v1/responses/{id} and previous_response_id take.' }),
    object: T.Literal('response'),
    created_at: T.Integer({ description: 'Unix seconds.' }),
    status: T.Optional(T.String({ description: 'completed, incomplete, in_progress or failed.' })),
    model: T.String(),
    output: T.Array(ResponseOutputItemSchema),
    usage: T.Optional(nullable(ResponseUsageSchema)),
    error: nullable(T.Object({ code: T.Optional(nullable(T.String())), message: T.String() })),
    incomplete_details: nullable(
      T.Object({ reason: T.Optional(T.String({ description: 'max_output_tokens or content_filter.' })) }),
    ),
    instructions: nullable(T.Union([T.String(), T.Array(ResponseInputItemSchema)])),
    metadata: nullable(T.Record(T.String(), T.Unknown())),
    parallel_tool_calls: T.Boolean(),
    temperature: nullable(T.Number()),
    top_p: nullable(T.Number()),
    tool_choice: T.Unknown({ description: "The request's, echoed." }),
    tools: T.Array(T.Unknown(), { description: "The request's, echoed." }),
    previous_response_id: T.Optional(nullable(T.String())),
    store: T.Optional(T.Boolean()),
    max_output_tokens: T.Optional(nullable(T.Integer())),
    reasoning: T.Optional(nullable(T.Object({}))),
    text: T.Optional(T.Object({})),
  },
  {
    title: 'Response',
    description:
      'The answer to a request without `stream: true`, and what GET /v1/responses/{id} returns. The settings of the request are echoed.',
  },
)
export type ResponseWire = Static<typeof ResponseSchema>

// --- stream events: the `data:` of `event: <type>` ---

export const ResponseStreamEventSchema = T.Union(
  [
    T.Object(
      {
        type: T.String({
          description:
            'response.created, response.in_progress, response.output_item.added, response.content_part.added, response.output_text.delta, response.function_call_arguments.delta, response.reasoning_summary_text.delta, their .done events, then response.completed, response.incomplete or response.failed.',
        }),
        sequence_number: T.Integer({ minimum: 0 }),
        response: T.Optional(ResponseSchema),
        output_index: T.Optional(T.Integer({ minimum: 0 })),
        item_id: T.Optional(T.String()),
        content_index: T.Optional(T.Integer({ minimum: 0 })),
        item: T.Optional(ResponseOutputItemSchema),
        delta: T.Optional(T.String()),
      },
      { title: 'ResponseEvent' },
    ),
    T.Object(
      {
        type: T.Literal('error'),
        code: nullable(T.String()),
        message: T.String(),
        param: nullable(T.String()),
        sequence_number: T.Optional(T.Integer({ minimum: 0 })),
      },
      {
        title: 'ResponseErrorEvent',
        description: 'A failure after the stream started (`event: error`); the stream ends there.',
      },
    ),
  ],
  {
    title: 'ResponseStreamEvent',
    description:
      'The `data:` of one named event (`event: <type>`, the same as its `type`) of a streamed answer. Clients skip the types they do not know.',
  },
)
export type ResponseStreamEvent = Static<typeof ResponseStreamEventSchema>

// --- the stored side ---

export const ResponseDeletedSchema = T.Object(
  { id: T.String(), object: T.Literal('response'), deleted: T.Literal(true) },
  { title: 'ResponseDeleted' },
)
export type ResponseDeleted = Static<typeof ResponseDeletedSchema>

export const ResponseInputItemListSchema = T.Object(
  {
    object: T.Literal('list'),
    data: T.Array(
      T.Object({ ...inputItemFields, type: T.String(), id: T.String() }, { title: 'ResponseListedInputItem' }),
      {
        description:
          'Every item has a type and an id (made up when the input had none); a string input is a user message of input_text.',
      },
    ),
    first_id: nullable(T.String()),
    last_id: nullable(T.String({ description: 'The `after` of the next page.' })),
    has_more: T.Boolean(),
  },
  {
    title: 'ResponseInputItemList',
    description:
      "The input a stored response answered: earlier turns' input and output (with previous_response_id), then its own.",
  },
)
export type ResponseInputItemList = Static<typeof ResponseInputItemListSchema>
