// The /docs page: the OpenAPI document rendered by Scalar, with nothing fetched from another origin.
// The script is either referenced on the gateway (/docs/scalar.js, served from the binary) or inlined
// (`crabllm openapi --format html`, one self-contained file). The document is inlined in both. Scalar is
// told not to load its web fonts (fonts.scalar.com) and to leave out its hosted extras (agent, developer
// tools, MCP, telemetry), so the page works with no internet access.
import type { JsonObject } from './components'

export type PageScript = { src: string } | { inline: string }

/** Scalar's configuration: offline, and the document given inline. */
export function scalarConfiguration(document: JsonObject): JsonObject {
  return {
    content: document,
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: 'never',
    documentDownloadType: 'json',
    authentication: { preferredSecurityScheme: 'apiKey' },
  }
}

export function docsPage(document: JsonObject, script: PageScript): string {
  const info = document.info as { title?: string; version?: string } | undefined
  const title = escapeHtml(`${info?.title ?? 'API'} ${info?.version ?? ''} API reference`.trim())
  const scriptTag =
    'src' in script
      ? `<script src="${escapeHtml(script.src)}"></script>`
      : `<script>${inlineScript(script.inline)}</script>`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}</style>
</head>
<body>
<div id="app"></div>
${scriptTag}
<script>Scalar.createApiReference('#app', ${scriptJson(scalarConfiguration(document))})</script>
</body>
</html>
`
}

/** JSON inside a <script> element: `<` escaped, so that no `</script>` or `<!--` can end or bend it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

/**
 * JavaScript source inside a <script> element. The HTML parser ends the element at `</script` and
 * changes state on `<!--` … `<script`; in this bundle those only occur in strings, templates and
 * regular expressions, where `\x3C` means the same `<`.
 */
export function inlineScript(source: string): string {
  return source.replace(/<(?=\/?script|!--)/gi, '\\x3C')
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
