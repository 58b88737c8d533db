// The compiled binary's documentation: `crabllm openapi --format json|html` and /docs served from the
// assets embedded in the binary (no network, no node_modules beside it).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import pkg from '../../package.json' with { type: 'json' }
import { openApiDocument } from '../../src/openapi/document'
import { inlineScript } from '../../src/openapi/page'
import { SCALAR_VERSION, scalarScriptText } from '../../src/openapi/scalar'
import { crabllmBin, runCrabllm, spawnCrabllm } from '../support/binary'

let dir: string
beforeAll(() => {
  crabllmBin()
  dir = mkdtempSync(join(tmpdir(), 'crabllm-openapi-'))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('crabllm openapi (binary)', () => {
  test('--format json prints a valid OpenAPI 3.1 document, the one the sources generate', async () => {
    const r = await runCrabllm(['openapi', '--format', 'json'], { cwd: dir })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const document = JSON.parse(r.stdout)
    const result = await new Validator().validate(document)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(document).toEqual(openApiDocument({ version: pkg.version }))
  })

  test('--format html prints a self-contained page with the Scalar script inlined', async () => {
    const r = await runCrabllm(['openapi', '--format', 'html'], { cwd: dir })
    expect(r.code).toBe(0)
    expect(r.stdout).toStartWith('<!doctype html>')
    expect(r.stdout.includes(`<script>${inlineScript(scalarScriptText())}</script>`)).toBe(true)
    expect(r.stdout).toContain(`"openapi":"3.1.0"`)
  })
})

test('the binary serves /openapi.json, /docs and the embedded /docs/scalar.js', async () => {
  const config = join(dir, 'crabllm.toml')
  writeFileSync(config, 'listen = "127.0.0.1:0"\n[providers.local]\nkind = "echo"\n')
  await using child = spawnCrabllm(['serve', '--config', config], { cwd: dir })
  await child.ready()
  const json = await child.fetch('/openapi.json')
  expect(json.status).toBe(200)
  expect(await json.json()).toEqual(openApiDocument({ version: pkg.version }))
  const html = await (await child.fetch('/docs')).text()
  const src = html.match(/<script src="([^"]+)"><\/script>/)?.[1]
  expect(src).toBe(`/docs/scalar.js?v=${SCALAR_VERSION}`)
  const script = await child.fetch(src!)
  expect(script.status).toBe(200)
  expect(script.headers.get('cache-control')).toContain('immutable')
  expect((await script.text()) === scalarScriptText()).toBe(true)
})
