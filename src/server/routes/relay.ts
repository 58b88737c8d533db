// Every model endpoint (chat, embeddings, messages, images, audio): one POST route per surface of the
// relay's table (src/relay/surfaces.ts). Relay routes (H1): `{ request }`, parse: 'none' (the relay
// reads the body once), never write `set`; every header is on the Response the relay builds.
import type { Elysia } from 'elysia'
import { relay } from '../../relay/relay'
import { SURFACES } from '../../relay/surfaces'
import type { AppContext } from '../context'

export function relayRoutes(ctx: AppContext) {
  return (app: Elysia) => {
    for (const surface of SURFACES)
      app.post(surface.path, ({ request, server }) => relay(ctx, surface, request, server), { parse: 'none' })
    return app
  }
}
