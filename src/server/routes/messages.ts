// POST /v1/messages: Anthropic's Messages API (what Claude Code and @anthropic-ai/sdk speak), JSON or
// SSE. Relay route (H1): `{ request }`, parse: 'none', never writes `set`.
import type { Elysia } from 'elysia'
import { MESSAGES } from '../../relay/messages'
import type { AppContext } from '../context'
import { relayModelRequest } from '../../relay/relay'

export function messagesRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app.post('/v1/messages', ({ request, server }) => relayModelRequest(ctx, request, MESSAGES, server), {
      parse: 'none',
    })
}
