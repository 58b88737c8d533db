// The OpenAPI document: valid OpenAPI 3.1 (checked by a real validator), complete (every route the app
// registers is documented, and every documented route exists), served as generated, and rendered by a
// /docs page that loads nothing from another origin. The binary's side is in test/e2e/openapi.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import type { Static } from '@sinclair/typebox'
import pkg from '../../package.json' with { type: 'json' }
import type { ProviderView } from '../../src/admin/providers'
import type { AnthropicErrorBody } from '../../src/anthropic-messages/errors'
import type { AnthropicMessage } from '../../src/anthropic-messages/response'
import { openapiOutput } from '../../src/cli/commands/openapi'
import { parseConfig } from '../../src/config/load'
import type { ErrorBody } from '../../src/core/errors'
import { memoryLogger } from '../../src/core/log'
import type { LogPage } from '../../src/extensions/audit/query'
import type { BudgetRow } from '../../src/extensions/budget'
import type { UsageRow } from '../../src/extensions/usage/index'
import { openApiDocument } from '../../src/openapi/document'
import { docsPage, inlineScript } from '../../src/openapi/page'
import { SCALAR_VERSION, scalarScriptText } from '../../src/openapi/scalar'
import { PROVIDER_RULES } from '../../src/providers'
import { createApp } from '../../src/server/app'
import { createContext } from '../../src/server/context'
import { SCALAR_PATH } from '../../src/server/routes/docs'
import type { CreatedKey, CreatedKeySchema, KeyView, KeyViewSchema, ProviderViewSchema } from '../../src/wire/admin'
import type { AnthropicErrorBodySchema, ErrorBodySchema } from '../../src/wire/error'
import type { AuditRecordSchema, BudgetRowSchema, LogPageSchema, UsageRowSchema } from '../../src/wire/extensions'
import type { AnthropicMessageSchema } from '../../src/wire/messages'
import { startGateway, type TestGateway } from '../support/gateway'

const ADMIN = 'admin-token-openapi-0123456789'
const KEY = 'sk-openapi-key-0123456789abcdef'

/** Every extension on and the admin API enabled: the most routes createApp can register. */
const FULL = `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${KEY}"
[providers.local]
kind = "echo"
models = ["echo-1"]
[extensions.cache]
[extensions.rate_limit]
requests_per_minute = 1000
[extensions.usage]
[extensions.budget]
default_budget = 10
[extensions.logging]
[extensions.audit]
`

const document = openApiDocument({ version: pkg.version })
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** What the gateway's own code produces must fit what the document says (checked by tsc). */
type Fits<Actual, Documented> = Actual extends Documented ? true : false
const typeChecks: [
  Fits<ErrorBody, Static<typeof ErrorBodySchema>>,
  Fits<AnthropicErrorBody, Static<typeof AnthropicErrorBodySchema>>,
  Fits<AnthropicMessage, Static<typeof AnthropicMessageSchema>>,
  Fits<UsageRow, Static<typeof UsageRowSchema>>,
  Fits<BudgetRow, Static<typeof BudgetRowSchema>>,
  Fits<LogPage['data'][number], Static<typeof AuditRecordSchema>>,
  Fits<LogPage, Static<typeof LogPageSchema>>,
  Fits<KeyView, Static<typeof KeyViewSchema>>,
  Fits<CreatedKey, Static<typeof CreatedKeySchema>>,
  Fits<ProviderView, Static<typeof ProviderViewSchema>>,
] = [true, true, true, true, true, true, true, true, true, true]

describe('the document', () => {
  test('is valid OpenAPI 3.1 (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(document) as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  test('is plain JSON: no TypeBox symbols or $id survive, and every $ref resolves', () => {
    const text = JSON.stringify(document)
    expect(JSON.parse(text)).toEqual(document)
    expect(text).not.toContain('"$id"')
    const refs = [...text.matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!)
    expect(refs.length).toBeGreaterThan(50)
    for (const ref of new Set(refs)) {
      let node: unknown = document
      for (const part of ref.split('/')) node = (node as Record<string, unknown> | undefined)?.[part]
      expect(node, ref).toBeDefined()
    }
    expect(typeChecks.every(Boolean)).toBe(true)
  })

  test('is a pure function of the version', () => {
    expect(openApiDocument({ version: pkg.version })).toEqual(document)
    expect((openApiDocument({ version: '9.9.9' }).info as { version: string }).version).toBe('9.9.9')
  })

  test('every route createApp registers is documented, and every documented route is registered', () => {
    const config = parseConfig(FULL, 'full.toml', PROVIDER_RULES, {})
    const app = createApp(createContext(config, { log: memoryLogger('error') }))
    // ALL routes are the admin API's catch-alls (401/404 for unknown admin paths), not endpoints. The
    // one trailing wildcard (GET /v1/models/*: model ids hold '/') is documented as its path parameter.
    const registered = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL')
        .map(
          (r) =>
            `${r.method.toUpperCase()} ${r.path.replace(/:(\w+)/g, '{$1}').replace(/^\/v1\/models\/\*$/, '/v1/models/{id}')}`,
        ),
    )
    const documented = new Set(
      Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      ),
    )
    expect([...registered].filter((r) => !documented.has(r)).sort()).toEqual([])
    expect([...documented].filter((d) => !registered.has(d)).sort()).toEqual([])
    expect(registered.size).toBeGreaterThan(25)
  })

  test('documents request, answer and error bodies, and the security of each route', () => {
    const paths = document.paths as Record<string, Record<string, Record<string, any>>>
    const chat = paths['/v1/chat/completions']!.post!
    expect(chat.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ChatCompletionRequest',
    })
    expect(chat.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ChatCompletion',
    })
    expect(chat.responses['200'].content['text/event-stream']).toBeDefined()
    expect(chat.responses['429'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorBody' })
    expect(chat.security).toEqual([{ apiKey: [] }, { apiKeyHeader: [] }])
    expect(paths['/v1/messages']!.post!.responses['400'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/AnthropicErrorBody',
    })
    expect(paths['/v1/admin/keys']!.post!.security).toEqual([{ adminToken: [] }])
    expect(paths['/v1/admin/keys']!.post!.responses['201']).toBeDefined()
    expect(paths['/health']!.get!.security).toEqual([])
    const transcription = paths['/v1/audio/transcriptions']!.post!.requestBody.content
    expect(Object.keys(transcription)).toEqual(['multipart/form-data'])
    const schemes = (document.components as Record<string, Record<string, unknown>>).securitySchemes!
    expect(Object.keys(schemes).sort()).toEqual(['adminToken', 'apiKey', 'apiKeyHeader', 'metricsToken'])
    expect(schemes.apiKeyHeader).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' })
    // Every operation has an id (unique), a 2xx answer and the x-request-id parameter.
    const ids = new Set<string>()
    for (const item of Object.values(paths))
      for (const op of Object.values(item)) {
        expect(ids.has(op.operationId)).toBe(false)
        ids.add(op.operationId)
        expect(Object.keys(op.responses).some((s) => s.startsWith('2'))).toBe(true)
        expect(op.parameters).toContainEqual({ $ref: '#/components/parameters/RequestId' })
      }
  })

  test('wire schemas stay open: fields the gateway does not know are allowed', () => {
    const schemas = (document.components as Record<string, Record<string, Record<string, unknown>>>).schemas!
    for (const name of [
      'ChatCompletionRequest',
      'EmbeddingsRequest',
      'AnthropicMessagesRequest',
      'ImageGenerationRequest',
      'SpeechRequest',
    ])
      expect(schemas[name]!.additionalProperties, name).toBeUndefined()
  })
})

describe('served', () => {
  let gateway: TestGateway
  beforeAll(async () => {
    gateway = await startGateway(FULL)
  })
  afterAll(async () => {
    await gateway[Symbol.asyncDispose]()
  })

  test('GET /openapi.json is the generated document, with no auth', async () => {
    const response = await gateway.fetch('/openapi.json')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toStartWith('application/json')
    expect(response.headers.get('x-request-id')).toBeTruthy()
    expect(await response.json()).toEqual(document)
  })

  test('GET /docs is an HTML page that loads only local assets', async () => {
    const response = await gateway.fetch('/docs')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await response.text()
    const sources = [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/g)].map((m) => m[1])
    expect(sources).toEqual([`${SCALAR_PATH}?v=${SCALAR_VERSION}`])
    expect(html).not.toMatch(/https?:\/\/cdn|jsdelivr|unpkg|fonts\.(googleapis|scalar)\.com/)
    expect(html).not.toMatch(/<link\b/)
    expect(html).toContain('"withDefaultFonts":false')
    expect(html).toContain("Scalar.createApiReference('#app'")
    expect(html).toContain('"openapi":"3.1.0"')
  })

  test('GET /docs/scalar.js is the embedded Scalar bundle, cached for a year, gzipped when asked', async () => {
    const response = await gateway.fetch(`${SCALAR_PATH}?v=${SCALAR_VERSION}`, {
      headers: { 'accept-encoding': 'identity' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    const script = await response.text()
    expect(script === scalarScriptText()).toBe(true)
    expect(script.length).toBeGreaterThan(1_000_000)
    expect(script).toContain('createApiReference')
    expect(script).not.toMatch(/https?:\/\/cdn\.|jsdelivr\.net|unpkg\.com/)

    const gzipped = await fetch(`${gateway.url}${SCALAR_PATH}`, {
      headers: { 'accept-encoding': 'gzip' },
      decompress: false,
    } as RequestInit)
    expect(gzipped.headers.get('content-encoding')).toBe('gzip')
    const bytes = new Uint8Array(await gzipped.arrayBuffer())
    expect(bytes.byteLength).toBeLessThan(script.length / 2)
    expect(new TextDecoder().decode(Bun.gunzipSync(bytes)) === scalarScriptText()).toBe(true)
  })

  test('openapi = false: /openapi.json, /docs and /docs/scalar.js are 404', async () => {
    await using off = await startGateway(`openapi = false\n${FULL}`)
    for (const path of ['/openapi.json', '/docs', SCALAR_PATH]) {
      const response = await off.fetch(path)
      expect(response.status, path).toBe(404)
      expect(((await response.json()) as ErrorBody).error.code).toBe('not_found')
    }
  })
})

describe('crabllm openapi', () => {
  test('--format json (the default) prints the document', () => {
    expect(JSON.parse(openapiOutput({}))).toEqual(document)
    expect(openapiOutput({ format: 'json' })).toBe(openapiOutput({}))
  })

  test('--format html prints a self-contained page: the script inlined, nothing loaded from elsewhere', () => {
    const html = openapiOutput({ format: 'html' })
    expect(html === docsPage(document, { inline: scalarScriptText() })).toBe(true)
    // Nothing in the inlined script can end its element early or put the parser in another state.
    const start = html.indexOf('<script>') + '<script>'.length
    const end = html.indexOf('</script>')
    const body = html.slice(start, end)
    expect(body === inlineScript(scalarScriptText())).toBe(true)
    expect(/<\/script|<!--|<script/i.test(body)).toBe(false)
    expect(html.match(/<\/script>/g)).toHaveLength(2)
    // The page around the script references nothing: no src, no href, no link.
    const page = html.slice(0, start) + html.slice(end)
    expect(/\b(?:src|href)\s*=|<link\b|@import|url\(/.test(page)).toBe(false)
    expect(page.includes('"withDefaultFonts":false')).toBe(true)
  })

  test('the escaped script is still the same program (it parses)', () => {
    expect(() => new Function(inlineScript(scalarScriptText()))).not.toThrow()
    expect(inlineScript('a = "</script>"; b = /<!--/')).toBe('a = "\\x3C/script>"; b = /\\x3C!--/')
  })

  test('an unknown --format is a usage error', () => {
    expect(() => openapiOutput({ format: 'yaml' })).toThrow('--format: expected json or html, got "yaml"')
  })
})
