// GET /ui (the dashboard's page), GET /ui/app.js and GET /ui/app.css (its script and stylesheet, from
// the binary; gzipped when the client accepts it, cached for a year under their content-hash URL).
// No auth here: the page holds no data; it asks for the admin token and sends it with every call to
// the admin API, which is where access is checked.
import type { Elysia } from 'elysia'
import { GatewayError } from '../../core/errors'
import { requestIdOf } from '../../core/request-id'
import { type UiAsset, uiAssets } from '../../ui/assets'
import { UI_PAGE_HEADERS, UI_PATH, UI_SCRIPT_PATH, UI_STYLE_PATH, uiPage } from '../../ui/page'
import type { AppContext } from '../context'

export function uiRoutes(ctx: AppContext) {
  let html: string | undefined
  const load = async (request: Request) => {
    try {
      return await uiAssets()
    } catch (err) {
      ctx.log.error('the dashboard is unavailable', {
        request_id: requestIdOf(request),
        error: err instanceof Error ? err.message : String(err),
      })
      throw new GatewayError(
        503,
        'server_error',
        'dashboard_unavailable',
        'The dashboard is not available in this build of the gateway.',
      )
    }
  }
  return (app: Elysia) =>
    app
      .get(UI_PATH, async ({ request }) => {
        const assets = await load(request)
        html ??= uiPage({ script: assets.script.hash, style: assets.style.hash })
        return new Response(html, { headers: UI_PAGE_HEADERS })
      })
      .get(UI_SCRIPT_PATH, async ({ request }) =>
        serve(request, (await load(request)).script, 'text/javascript; charset=utf-8'),
      )
      .get(UI_STYLE_PATH, async ({ request }) => serve(request, (await load(request)).style, 'text/css; charset=utf-8'))
}

// --- internal ---

function serve(request: Request, asset: UiAsset, type: string): Response {
  const version = new URL(request.url, 'http://invalid-host').searchParams.get('v')
  const headers: Record<string, string> = {
    'content-type': type,
    // The page asks for ?v=<content hash>: that URL never changes meaning. Without it, revalidate.
    'cache-control': version === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
  }
  if (!/\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')) return new Response(asset.bytes, { headers })
  return new Response(asset.gzipped, { headers: { ...headers, 'content-encoding': 'gzip' } })
}
