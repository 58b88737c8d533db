// /v1/admin/providers: list, create, show, update, delete (src/admin/providers.ts does the work).
// Admin token only; JSON in and out; every failure in OpenAI's error shape.
import type { Elysia } from 'elysia'
import { readJsonBody } from '../../server/body'
import type { AppContext } from '../../server/context'
import { GatewayError } from '../../server/errors'
import { requestIdOf, unexpected } from '../../server/relay'
import { requireAdmin } from '../auth'
import { addProvider, changeProvider, listProviders, removeProvider, showProvider } from '../providers'

const PATH = '/v1/admin/providers'

export function adminProviderRoutes(ctx: AppContext) {
  const handle =
    (answer: (request: Request, name: string) => Promise<Response>) =>
    async ({ request, params }: { request: Request; params?: Record<string, string | undefined> }) => {
      try {
        requireAdmin(ctx, request)
        return await answer(request, params?.name ?? '')
      } catch (err) {
        return (err instanceof GatewayError ? err : unexpected(ctx, err, requestIdOf(request))).toResponse()
      }
    }
  const body = async (request: Request) => (await readJsonBody(request, ctx.config.max_body_size)).json
  return (app: Elysia) =>
    app
      .get(PATH, handle(async () => Response.json({ object: 'list', data: await listProviders(ctx) })))
      .post(PATH, handle(async (request) => Response.json(await addProvider(ctx, await body(request)), { status: 201 })), { parse: 'none' })
      .get(`${PATH}/:name`, handle(async (_, name) => Response.json(await showProvider(ctx, name))))
      .patch(`${PATH}/:name`, handle(async (request, name) => Response.json(await changeProvider(ctx, name, await body(request)))), { parse: 'none' })
      .delete(
        `${PATH}/:name`,
        handle(async (_, name) => {
          await removeProvider(ctx, name)
          return Response.json({ name, deleted: true })
        }),
        { parse: 'none' },
      )
}
