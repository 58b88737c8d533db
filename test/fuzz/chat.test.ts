// POST /v1/chat/completions under hostile input, through the real server in-process: every provider
// kind (OpenAI passthrough, Anthropic, Gemini and Bedrock translation, echo), aliases (the body is
// re-serialised), with and without extensions. The answer is always a 2xx or a 4xx in OpenAI's error
// shape, never a 5xx or a hang, and no built-in prototype changes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chatBody, type JsonCase, jsonCase, showJsonCase } from './support/bodies'
import { CHAT_MODELS, expectWellFormed, type FuzzGateways, KEY, MAX_BODY, startFuzzGateways } from './support/gateway'
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

describe('fuzz POST /v1/chat/completions', () => {
  test('hostile bodies get a 2xx or a 4xx in OpenAI error shape, never a 5xx', async () => {
    await fuzz<JsonCase & { gateway: number }>('POST /v1/chat/completions', {
      cases: caseCount(2500),
      concurrency: 8,
      generate: (rng) => ({
        gateway: rng.int(2),
        ...jsonCase(rng, chatBody(rng, rng.pick(CHAT_MODELS)), (key) => ({ authorization: `Bearer ${key}` }), KEY, MAX_BODY),
      }),
      show: showJsonCase,
      async check(c) {
        const gw = gws.all[c.gateway]!
        const res = await gw.fetch('/v1/chat/completions', { method: 'POST', headers: c.headers, body: c.body })
        return expectWellFormed(gw, res, 'openai', c.body.byteLength)
      },
    })
  }, 120_000)

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
