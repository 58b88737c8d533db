// The HTML page at /ui: an empty shell that loads the dashboard's script and stylesheet from this
// gateway (each URL carries its content hash), and the headers that keep it to that: a Content
// Security Policy allowing only this origin (no CDN, no inline script), no framing, no referrer.
export const UI_PATH = '/ui'
export const UI_SCRIPT_PATH = '/ui/app.js'
export const UI_STYLE_PATH = '/ui/app.css'

export const UI_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

export function uiPage(hashes: { script: string; style: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<title>crabllm dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${UI_STYLE_PATH}?v=${hashes.style}">
<script type="module" src="${UI_SCRIPT_PATH}?v=${hashes.script}"></script>
</head>
<body>
<noscript>The crabllm dashboard needs JavaScript.</noscript>
<div id="app"></div>
</body>
</html>
`
}
