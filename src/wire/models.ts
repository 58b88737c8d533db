// GET /v1/models and GET /v1/models/{id}: OpenAI's model object and list, and Anthropic's (when the
// request carries anthropic-version), which src/server/routes/models.ts builds.
// https://platform.openai.com/docs/api-reference/models · https://docs.anthropic.com/en/api/models-list
import { type Static, Type as T } from '@sinclair/typebox'

/** USD per token as a decimal string ("0.0000025"), as OpenRouter writes prices. */
const perToken = (description: string) => T.String({ pattern: '^\\d+(\\.\\d+)?$', description })

/**
 * OpenAI's four fields, then what the gateway's model catalog knows of the model, in OpenRouter's
 * field names (https://openrouter.ai/docs/api-reference/list-available-models) so that clients written
 * for OpenRouter read them: a field the catalog does not know is absent, never guessed.
 */
export const ModelSchema = T.Object(
  {
    id: T.String({ description: 'A model name or an alias.' }),
    object: T.Literal('model'),
    created: T.Integer({ description: 'Unix seconds (when the gateway started).' }),
    owned_by: T.String({ description: 'The provider serving the model (the first, when several do).' }),
    context_length: T.Optional(T.Integer({ description: 'Context window in tokens.' })),
    pricing: T.Optional(
      T.Object(
        {
          prompt: perToken('USD per prompt token.'),
          completion: perToken('USD per completion token (reasoning included).'),
          input_cache_read: T.Optional(perToken('USD per prompt token read from the provider cache.')),
          input_cache_write: T.Optional(perToken('USD per prompt token written to the provider cache.')),
        },
        {
          description:
            'The price the gateway charges budgets, per token (the base rate: a long-context tier is not shown).',
        },
      ),
    ),
    architecture: T.Optional(
      T.Object(
        {
          input_modalities: T.Array(T.String(), {
            description: '["text", "image"] when the model takes images, else ["text"].',
          }),
        },
        { description: 'Present when the catalog knows whether the model takes images.' },
      ),
    ),
    top_provider: T.Optional(
      T.Object(
        {
          context_length: T.Optional(T.Integer({ description: 'Context window in tokens.' })),
          max_completion_tokens: T.Optional(T.Integer({ description: 'Most tokens the model writes in one answer.' })),
        },
        { description: 'The limits of the model as served.' },
      ),
    ),
    supported_parameters: T.Optional(
      T.Array(T.String(), {
        description:
          'The capability parameters the model takes: tools and tool_choice (it calls tools), reasoning and include_reasoning (it reasons). Present only when the catalog knows both capabilities; the common ones (temperature, max_tokens, …) are not listed.',
      }),
    ),
  },
  { title: 'Model' },
)
export type ModelWire = Static<typeof ModelSchema>

export const ModelListSchema = T.Object(
  { object: T.Literal('list'), data: T.Array(ModelSchema) },
  { title: 'ModelList', description: "The models and aliases the caller's key may use." },
)
export type ModelList = Static<typeof ModelListSchema>

export const AnthropicModelInfoSchema = T.Object(
  {
    type: T.Literal('model'),
    id: T.String({ description: 'A model name or an alias.' }),
    display_name: T.String({ description: 'The id again: the gateway knows no other name.' }),
    created_at: T.String({ format: 'date-time', description: 'RFC 3339: when the gateway started.' }),
  },
  { title: 'AnthropicModelInfo' },
)
export type AnthropicModelInfo = Static<typeof AnthropicModelInfoSchema>

export const AnthropicModelListSchema = T.Object(
  {
    data: T.Array(AnthropicModelInfoSchema),
    has_more: T.Boolean({ description: 'More models after this page (before it, when paging with before_id).' }),
    first_id: T.Union([T.String(), T.Null()], {
      description: 'The first id of the page: before_id for the page before.',
    }),
    last_id: T.Union([T.String(), T.Null()], { description: 'The last id of the page: after_id for the next page.' }),
  },
  {
    title: 'AnthropicModelList',
    description: "The models and aliases the caller's key may use, one page, in Anthropic's list shape.",
  },
)
export type AnthropicModelList = Static<typeof AnthropicModelListSchema>
