// POST /v1/audio/transcriptions and /v1/audio/translations with hostile multipart/form-data, through
// the real server in-process (the relay reads the body, an alias splices the new model into the
// client's bytes). Always a 2xx or a 4xx in OpenAI's error shape, never a 5xx or a hang.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  AUDIO_MODELS,
  expectWellFormed,
  type FuzzGateways,
  KEY,
  MAX_BODY,
  MODELS,
  startFuzzGateways,
} from './support/gateway'
import {
  caseCount,
  fuzz,
  type PrototypeSnapshot,
  preview,
  prototypeChanges,
  snapshotPrototypes,
} from './support/harness'
import { type MultipartCase, multipartCase } from './support/multipart'

let gws: FuzzGateways
let before: PrototypeSnapshot

beforeAll(async () => {
  before = snapshotPrototypes()
  gws = await startFuzzGateways()
})
afterAll(async () => {
  await gws[Symbol.asyncDispose]()
})

type Case = MultipartCase & { gateway: number; path: string; auth: boolean; requestId: string }

/**
 * What reached the upstream for an answered request: the client's bytes as they came, or (after an
 * alias) the same parts in the same order with only `model` changed.
 */
async function expectForwardedIntact(gws: FuzzGateways, c: Case): Promise<void> {
  const sent = gws.mock.requests.find((r) => r.headers['x-request-id'] === c.requestId)
  if (!sent) throw new Error('answered 2xx but nothing reached the upstream')
  const client = await new Response(c.body, { headers: { 'content-type': c.contentType ?? '' } }).formData()
  const model = client.get('model')
  if (typeof model === 'string' && gws.plain.ctx.registry.resolve(model) === model) {
    expect(Buffer.from(sent.body).equals(Buffer.from(c.body))).toBe(true)
    return
  }
  expect(model).toBe('alias-whisper')
  const upstream = await new Response(sent.body, {
    headers: { 'content-type': sent.headers['content-type'] ?? '' },
  }).formData()
  const entries = async (form: typeof client, replaceModel: boolean) => {
    const out: [string, string][] = []
    let replaced = false
    for (const [name, value] of form) {
      if (typeof value !== 'string')
        out.push([name, `file ${value.name} ${Buffer.from(await value.arrayBuffer()).toString('hex')}`])
      else if (name === 'model' && replaceModel && !replaced) {
        replaced = true
        out.push([name, MODELS.whisper])
      } else out.push([name, value])
    }
    return out
  }
  expect(await entries(upstream, false)).toEqual(await entries(client, true))
}

describe('fuzz POST /v1/audio (multipart)', () => {
  test('hostile multipart bodies get a 2xx or a 4xx in OpenAI error shape, never a 5xx', async () => {
    await fuzz<Case>('POST /v1/audio/* (multipart)', {
      cases: caseCount(2000),
      concurrency: 8,
      generate: (rng) => ({
        gateway: rng.int(2),
        path: rng.chance(0.7) ? '/v1/audio/transcriptions' : '/v1/audio/translations',
        auth: rng.chance(0.97),
        requestId: `fuzz-audio-${rng.u32()}-${rng.u32()}`,
        ...multipartCase(rng, AUDIO_MODELS, MAX_BODY),
      }),
      show: (c) =>
        `${c.path} ${c.notes.join(', ')} content-type=${JSON.stringify(c.contentType?.slice(0, 100))} ${preview(c.body)}`,
      async check(c) {
        const gw = gws.all[c.gateway]!
        const headers: Record<string, string> = {
          'x-request-id': c.requestId,
          ...(c.auth ? { authorization: `Bearer ${KEY}` } : {}),
        }
        if (c.contentType !== undefined) headers['content-type'] = c.contentType
        const res = await gw.fetch(c.path, { method: 'POST', headers, body: c.body })
        const status = await expectWellFormed(gw, res, 'openai', c.body.byteLength)
        if (typeof status === 'number' && status < 300) await expectForwardedIntact(gws, c)
        return status
      },
    })
  }, 120_000)

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
