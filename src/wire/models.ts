// GET /v1/models and GET /v1/models/{id}: OpenAI's model object and list, and Anthropic's (when the
// request carries anthropic-version), which src/server/routes/models.ts builds.
// https://platform.openai.com/docs/api-reference/models · https://docs.anthropic.com/en/api/models-list
import { type Static, Type as T } from '@sinclair/typebox'

export const ModelSchema = T.Object(
  {
    id: T.String({ description: 'A model name or an alias.' }),
    object: T.Literal('model'),
    created: T.Integer({ description: 'Unix seconds (when the gateway started).' }),
    owned_by: T.String({ description: 'The provider serving the model (the first, when several do).' }),
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
