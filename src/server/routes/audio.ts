// POST /v1/audio/speech (JSON in, audio streamed out), /v1/audio/transcriptions and /v1/audio/translations
// (multipart in, JSON or text out). Relay routes (H1): `{ request }`, parse: 'none' (the multipart body
// is read once by the relay, whose bytes go upstream as sent), never write `set`.
import type { Elysia } from 'elysia'
import type { AppContext } from '../context'
import { SPEECH, TRANSCRIPTIONS, TRANSLATIONS } from '../../relay/media'
import { relayModelRequest } from '../../relay/relay'

export function audioRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app
      .post('/v1/audio/speech', ({ request, server }) => relayModelRequest(ctx, request, SPEECH, server), {
        parse: 'none',
      })
      .post(
        '/v1/audio/transcriptions',
        ({ request, server }) => relayModelRequest(ctx, request, TRANSCRIPTIONS, server),
        { parse: 'none' },
      )
      .post('/v1/audio/translations', ({ request, server }) => relayModelRequest(ctx, request, TRANSLATIONS, server), {
        parse: 'none',
      })
}
