// One shape for the admin API's collections (/v1/admin/keys, /v1/admin/providers): list, create, show,
// update, delete, each behind the admin gate, JSON in and out, every failure in OpenAI's error shape.
import type { Elysia } from 'elysia'
import { requireAdmin } from '../../admin/auth'
import { readJsonBody } from '../../core/body'
import { GatewayError, unexpected } from '../../core/errors'
import { requestIdOf } from '../../core/request-id'
import type { AppContext } from '../context'

export interface Collection {
  path: string
  list(ctx: AppContext): Promise<unknown[]>
  create(ctx: AppContext, body: Record<string, unknown>): Promise<unknown>
  show(ctx: AppContext, name: string): Promise<unknown>
  update(ctx: AppContext, name: string, body: Record<string, unknown>): Promise<unknown>
  remove(ctx: AppContext, name: string): Promise<unknown>
}

export function crudRoutes(ctx: AppContext, c: Collection) {
  const handle =
    (answer: (request: Request, name: string) => Promise<Response>) =>
    async ({ request, params }: { request: Request; params?: Record<string, string | undefined> }) => {
      try {
        requireAdmin(ctx, request)
        return await answer(request, params?.name ?? '')
      } catch (err) {
        return (err instanceof GatewayError ? err : unexpected(ctx.log, err, requestIdOf(request))).toResponse()
      }
    }
  const body = async (request: Request) => (await readJsonBody(request, ctx.config.max_body_size)).json
  const one = `${c.path}/:name`
  return (app: Elysia) =>
    app
      .get(
        c.path,
        handle(async () => Response.json({ object: 'list', data: await c.list(ctx) })),
      )
      .post(
        c.path,
        handle(async (request) => Response.json(await c.create(ctx, await body(request)), { status: 201 })),
        { parse: 'none' },
      )
      .get(
        one,
        handle(async (_, name) => Response.json(await c.show(ctx, name))),
      )
      .patch(
        one,
        handle(async (request, name) => Response.json(await c.update(ctx, name, await body(request)))),
        { parse: 'none' },
      )
      .delete(
        one,
        handle(async (_, name) => {
          await c.remove(ctx, name)
          return Response.json({ name, deleted: true })
        }),
        { parse: 'none' },
      )
}
