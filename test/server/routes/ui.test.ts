// GET /ui and its two assets, in-process (bundled from source on first use): the page loads only
// same-origin assets under a strict Content-Security-Policy, the assets are served as bundled, gzipped
// when asked, and cached for a year only under their content-hash URL. The browser side, against the
// compiled binary, is in dashboard.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { bundleUi, UI_PATH, UI_SCRIPT_PATH, UI_STYLE_PATH, uiAssets } from '../../../src/ui'
import { startGateway, type TestGateway } from '../../support/gateway'

const ADMIN = 'admin-token-ui-0123456789abcdef'

let gw: TestGateway
beforeAll(async () => {
  gw = await startGateway(
    `admin_token = "${ADMIN}"\n[providers.local]\nkind = "echo"\nmodels = ["echo"]\n[extensions.audit]\n`,
  )
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  expect(gw.errors()).toEqual([])
})

describe('GET /ui', () => {
  test('is an HTML shell that loads the script and stylesheet from this gateway only, by content hash', async () => {
    const assets = await uiAssets()
    expect(assets.origin).toBe('bundled')
    const res = await gw.fetch(UI_PATH)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    const csp = res.headers.get('content-security-policy')!
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-frame-options')).toBe('DENY')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    const html = await res.text()
    const sources = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1])
    expect(sources).toEqual([
      'data:,',
      `${UI_STYLE_PATH}?v=${assets.style.hash}`,
      `${UI_SCRIPT_PATH}?v=${assets.script.hash}`,
    ])
    expect(html).toContain('<div id="app"></div>')
    // No inline script (the CSP would refuse it anyway).
    expect(html.match(/<script\b[^>]*>([^<]*)<\/script>/)![1]).toBe('')
  })

  test('needs no token: the page holds no data (the admin API it calls checks the token)', async () => {
    const res = await gw.fetch(UI_PATH, { headers: { authorization: 'Bearer nonsense' } })
    expect(res.status).toBe(200)
  })

  test('HEAD and other methods: HEAD works, POST is 405', async () => {
    expect((await gw.fetch(UI_PATH, { method: 'HEAD' })).status).toBe(200)
    const post = await gw.fetch(UI_PATH, { method: 'POST' })
    expect(post.status).toBe(405)
  })
})

describe('GET /ui/app.js and /ui/app.css', () => {
  test('serve the bundle as built, cached for a year under the hash URL, revalidated without it', async () => {
    const assets = await uiAssets()
    for (const [path, asset, type] of [
      [UI_SCRIPT_PATH, assets.script, 'text/javascript; charset=utf-8'],
      [UI_STYLE_PATH, assets.style, 'text/css; charset=utf-8'],
    ] as const) {
      const res = await gw.fetch(`${path}?v=${asset.hash}`, { headers: { 'accept-encoding': 'identity' } })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe(type)
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(asset.bytes)
      const unversioned = await gw.fetch(path)
      expect(unversioned.headers.get('cache-control')).toBe('no-cache')
      await unversioned.arrayBuffer()
      const gzipped = await fetch(`${gw.url}${path}`, {
        headers: { 'accept-encoding': 'gzip' },
        decompress: false,
      } as RequestInit)
      expect(gzipped.headers.get('content-encoding')).toBe('gzip')
      expect(Bun.gunzipSync(new Uint8Array(await gzipped.arrayBuffer()))).toEqual(asset.bytes)
    }
  })

  test('the bundle is small and refers to no other origin', async () => {
    const { script, style } = await bundleUi()
    expect(script.byteLength).toBeLessThan(120_000)
    expect(Bun.gzipSync(script).byteLength).toBeLessThan(40_000)
    expect(style.byteLength).toBeLessThan(30_000)
    const text = new TextDecoder().decode(script) + new TextDecoder().decode(style)
    // XML namespaces (Preact's SVG and MathML) and a form's example placeholder are not fetched.
    const urls = [...text.matchAll(/https?:\/\/[^"'`\s)]*/g)].map((m) => m[0])
    expect(urls.filter((u) => !/^http:\/\/www\.w3\.org\/|^https:\/\/api\.example\.com\//.test(u))).toEqual([])
    expect(/@import|url\(/.test(text)).toBe(false)
    // The API calls it makes are the documented admin routes.
    for (const path of ['/v1/admin/stats', '/v1/admin/keys', '/v1/admin/providers', '/v1/admin/logs', '/v1/budget'])
      expect(text.includes(path), path).toBe(true)
  })
})
