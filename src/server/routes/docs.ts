// GET /openapi.json, GET /docs and GET /docs/scalar.js, when `openapi = true` (the default): the OpenAPI
// document, and Scalar's reference page whose script comes from the binary (no CDN). All three bodies
// are built once (the script's on first request); no auth, as they describe the API and hold no secrets.
import type { Elysia } from 'elysia'
import pkg from '../../../package.json' with { type: 'json' }
import { openApiDocument } from '../../openapi/document'
import { docsPage } from '../../openapi/page'
import { SCALAR_VERSION, scalarScript } from '../../openapi/scalar'
import type { AppContext } from '../context'

export const SCALAR_PATH = '/docs/scalar.js'

export function docsRoutes(ctx: AppContext) {
  return (app: Elysia) => {
    if (!ctx.config.openapi) return app
    const document = openApiDocument({ version: pkg.version })
    const json = JSON.stringify(document)
    const html = docsPage(document, { src: `${SCALAR_PATH}?v=${SCALAR_VERSION}` })
    let gzipped: Uint8Array | undefined
    return app
      .get('/openapi.json', () => new Response(json, { headers: { 'content-type': 'application/json' } }))
      .get('/docs', () => new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } }))
      .get(SCALAR_PATH, ({ request }) => {
        const headers: Record<string, string> = {
          'content-type': 'text/javascript; charset=utf-8',
          // The page asks for ?v=<bundle version>: a binary with another bundle asks for another URL.
          'cache-control': 'public, max-age=31536000, immutable',
          vary: 'accept-encoding',
        }
        if (!/\bgzip\b/.test(request.headers.get('accept-encoding') ?? ''))
          return new Response(scalarScript(), { headers })
        gzipped ??= Bun.gzipSync(scalarScript())
        return new Response(gzipped, { headers: { ...headers, 'content-encoding': 'gzip' } })
      })
  }
}
