// POST /v1/messages under hostile input, through the real server in-process: an Anthropic deployment
// (the client's bytes passed through) and OpenAI-format ones served by translation (OpenAI, Gemini,
// Bedrock, echo), with and without extensions. The answer is always a 2xx or a 4xx in Anthropic's
// error shape, never a 5xx or a hang, and no built-in prototype changes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type JsonCase, jsonCase, messagesBody, showJsonCase } from './support/bodies'
import { expectWellFormed, type FuzzGateways, KEY, MAX_BODY, MODELS, startFuzzGateways } from './support/gateway'
import { caseCount, fuzz, prototypeChanges, type PrototypeSnapshot, snapshotPrototypes } from './support/harness'

const MODELS_HERE = [MODELS.anthropic, MODELS.openai, MODELS.google, MODELS.bedrock, MODELS.echo, 'alias-claude', 'alias-chat', 'no-such-model']
const VERSIONS = ['2023-06-01', '', 'x'.repeat(300), '2023-01-01', '__proto__']

let gws: FuzzGateways
let before: PrototypeSnapshot

beforeAll(async () => {
  before = snapshotPrototypes()
  gws = await startFuzzGateways()
})
afterAll(async () => {
  await gws[Symbol.asyncDispose]()
})

describe('fuzz POST /v1/messages', () => {
  test('hostile bodies get a 2xx or a 4xx in Anthropic error shape, never a 5xx', async () => {
    await fuzz<JsonCase & { gateway: number }>('POST /v1/messages', {
      cases: caseCount(2500),
      concurrency: 8,
      generate(rng) {
        const auth = (key: string): Record<string, string> => (rng.chance(0.5) ? { 'x-api-key': key } : { authorization: `Bearer ${key}` })
        const c = jsonCase(rng, messagesBody(rng, rng.pick(MODELS_HERE)), auth, KEY, MAX_BODY)
        if (rng.chance(0.3)) c.headers['anthropic-version'] = rng.pick(VERSIONS)
        if (rng.chance(0.1)) c.headers['anthropic-beta'] = rng.pick(['prompt-caching-2024-07-31', 'x,y', ''])
        return { gateway: rng.int(2), ...c }
      },
      show: showJsonCase,
      async check(c) {
        const gw = gws.all[c.gateway]!
        const res = await gw.fetch('/v1/messages', { method: 'POST', headers: c.headers, body: c.body })
        return expectWellFormed(gw, res, 'anthropic', c.body.byteLength)
      },
    })
  }, 120_000)

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
