// POST /v1/images/generations: JSON in, JSON out. Relay route (H1): takes `{ request }`, parse: 'none',
// never writes `set`; every header is on the Response it returns.
import type { Elysia } from 'elysia'
import type { AppContext } from '../context'
import { IMAGES } from '../../relay/media'
import { relayModelRequest } from '../../relay/relay'

export function imagesRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app.post('/v1/images/generations', ({ request, server }) => relayModelRequest(ctx, request, IMAGES, server), {
      parse: 'none',
    })
}
