// POST /v1/chat/completions: JSON, or SSE when `stream: true`. Relay route (H1): takes `{ request }`,
// parse: 'none', never writes `set`; every header is on the Response it returns.
import type { Elysia } from 'elysia'
import type { AppContext } from '../context'
import { CHAT, relayModelRequest } from '../../relay/relay'

export function chatRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app.post('/v1/chat/completions', ({ request, server }) => relayModelRequest(ctx, request, CHAT, server), {
      parse: 'none',
    })
}
