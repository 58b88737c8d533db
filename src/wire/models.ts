// GET /v1/models: OpenAI's model list, which src/server/routes/models.ts builds.
// https://platform.openai.com/docs/api-reference/models/list
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
