// GET /v1/models: the models and aliases the caller's key may use, in OpenAI's list shape.
// https://platform.openai.com/docs/api-reference/models/list
import type { Elysia } from 'elysia'
import { allows, type Principal } from '../../auth'
import { GatewayError } from '../../core/errors'
import type { AppContext } from '../context'

const STARTED = Math.floor(Date.now() / 1000)

export function modelsRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app.get('/v1/models', ({ request }) => {
      let principal: Principal
      try {
        principal = ctx.auth.authenticate(request)
      } catch (err) {
        if (err instanceof GatewayError) return err.toResponse()
        throw err
      }
      const { registry } = ctx
      const data: { id: string; object: 'model'; created: number; owned_by: string }[] = []
      for (const id of registry.models)
        if (allows(principal, id)) data.push({ id, object: 'model', created: STARTED, owned_by: registry.ownerOf(id) })
      for (const [alias, target] of Object.entries(registry.aliases))
        if (allows(principal, target))
          data.push({ id: alias, object: 'model', created: STARTED, owned_by: registry.ownerOf(target) })
      return Response.json({ object: 'list', data })
    })
}
