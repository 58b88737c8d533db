// The stored side of OpenAI's Responses API: GET and DELETE /v1/responses/{id} and GET
// /v1/responses/{id}/input_items, from what the gateway keeps (relay/conversation.ts). Only the key that
// made a response sees it; another key gets the same 404 as an id that never existed.
// https://platform.openai.com/docs/api-reference/responses/get
import type { Elysia } from 'elysia'
import type { Principal } from '../../auth'
import { badRequest, GatewayError } from '../../core/errors'
import { conversationsOf, forget, listedInputItems, load, responseNotFound } from '../../relay/conversation'
import type { AppContext } from '../context'

export function responsesRoutes(ctx: AppContext) {
  const answer = async (request: Request, run: (owner: string) => Promise<Response>): Promise<Response> => {
    try {
      const principal: Principal = ctx.auth.authenticate(request)
      return await run(principal.id)
    } catch (err) {
      if (err instanceof GatewayError) return err.toResponse()
      throw err
    }
  }
  const conversations = () => conversationsOf(ctx.responses, ctx.config.responses)
  return (app: Elysia) =>
    app
      .get('/v1/responses/:id', ({ request, params }) =>
        answer(request, async (owner) => {
          const stored = await load(conversations(), params.id, owner)
          if (!stored) throw responseNotFound(params.id)
          return Response.json(stored.response)
        }),
      )
      .delete('/v1/responses/:id', ({ request, params }) =>
        answer(request, async (owner) => {
          if (!(await forget(conversations(), params.id, owner))) throw responseNotFound(params.id)
          return Response.json({ id: params.id, object: 'response', deleted: true })
        }),
      )
      .get('/v1/responses/:id/input_items', ({ request, params }) =>
        answer(request, async (owner) => {
          const page = pageOf(new URL(request.url).searchParams)
          const stored = await load(conversations(), params.id, owner)
          if (!stored) throw responseNotFound(params.id)
          const items = listedInputItems(stored)
          if (page.order === 'desc') items.reverse()
          let from = 0
          if (page.after !== undefined) {
            const at = items.findIndex((item) => item.id === page.after)
            from = at === -1 ? items.length : at + 1
          }
          const data = items.slice(from, from + page.limit)
          return Response.json({
            object: 'list',
            data,
            first_id: data[0]?.id ?? null,
            last_id: data.at(-1)?.id ?? null,
            has_more: from + page.limit < items.length,
          })
        }),
      )
}

/** `limit` (1–100, default 20), `order` (asc | desc, default desc), `after` (an item id), as OpenAI takes them. */
function pageOf(query: URLSearchParams): { limit: number; order: 'asc' | 'desc'; after: string | undefined } {
  const rawLimit = query.get('limit')
  const limit = rawLimit === null ? 20 : Number(rawLimit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw badRequest("'limit' must be an integer between 1 and 100.", 'limit')
  const order = query.get('order') ?? 'desc'
  if (order !== 'asc' && order !== 'desc') throw badRequest("'order' must be 'asc' or 'desc'.", 'order')
  return { limit, order, after: query.get('after') ?? undefined }
}
