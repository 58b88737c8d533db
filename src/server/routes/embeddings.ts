// POST /v1/embeddings. Relay route (H1), like chat.
import type { Elysia } from 'elysia'
import type { AppContext } from '../context'
import { EMBEDDINGS, relayModelRequest } from '../../relay/relay'

export function embeddingsRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app.post('/v1/embeddings', ({ request, server }) => relayModelRequest(ctx, request, EMBEDDINGS, server), {
      parse: 'none',
    })
}
