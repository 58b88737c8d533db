// POST /v1/embeddings under hostile input, through the real server in-process: OpenAI passthrough,
// Gemini translation, echo, an alias (the body is re-serialised) and a model whose provider has no
// embeddings, with and without extensions. Always a 2xx or a 4xx in OpenAI's error shape.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { embeddingsBody, type JsonCase, jsonCase, showJsonCase } from './support/bodies'
import { EMBEDDING_MODELS, expectWellFormed, type FuzzGateways, KEY, MAX_BODY, startFuzzGateways } from './support/gateway'
import { caseCount, fuzz, prototypeChanges, type PrototypeSnapshot, snapshotPrototypes } from './support/harness'

let gws: FuzzGateways
let before: PrototypeSnapshot

beforeAll(async () => {
  before = snapshotPrototypes()
  gws = await startFuzzGateways()
})
afterAll(async () => {
  await gws[Symbol.asyncDispose]()
})

describe('fuzz POST /v1/embeddings', () => {
  test('hostile bodies get a 2xx or a 4xx in OpenAI error shape, never a 5xx', async () => {
    await fuzz<JsonCase & { gateway: number }>('POST /v1/embeddings', {
      cases: caseCount(2000),
      concurrency: 8,
      generate: (rng) => ({
        gateway: rng.int(2),
        ...jsonCase(rng, embeddingsBody(rng, rng.pick(EMBEDDING_MODELS)), (key) => ({ authorization: `Bearer ${key}` }), KEY, MAX_BODY),
      }),
      show: showJsonCase,
      async check(c) {
        const gw = gws.all[c.gateway]!
        const res = await gw.fetch('/v1/embeddings', { method: 'POST', headers: c.headers, body: c.body })
        return expectWellFormed(gw, res, 'openai', c.body.byteLength)
      },
    })
  }, 120_000)

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
