// The cost of every answer: usage read from each route's answer shape (reasoning tokens, gpt-image-1
// images, gpt-4o-transcribe transcriptions; whisper-1 and text to speech carry none), priced from the
// catalog with [models] over it, and never a silent 0: an answer that cannot be priced has cost_usd
// null with its reason in the audit record and counts in crabllm_unpriced_answers_total.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { buildCatalog } from '../../src/catalog'
import { parseConfig } from '../../src/config/load'
import { createPricer } from '../../src/extensions/pricing'
import type { RequestContext, Usage } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import { usageOf, usageOfBody } from '../../src/relay/usage-tap'
import { jsonOf, provider, startGateway } from '../support/gateway'
import { chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const ADMIN = 'admin-token-pricing-0123456789'

let mock: MockUpstream
beforeAll(async () => {
  mock = await startMockUpstream()
})
afterAll(async () => {
  await mock.close()
})

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

describe('usage of each answer shape', () => {
  test('reasoning tokens: chat completion_tokens_details and Responses output_tokens_details', () => {
    const chat = {
      ...chatCompletion(),
      usage: { ...chatCompletion().usage, completion_tokens_details: { reasoning_tokens: 3 } },
    }
    expect(usageOfBody(bytes(chat))).toEqual({
      prompt_tokens: 9,
      completion_tokens: 4,
      total_tokens: 13,
      reasoning_tokens: 3,
    })
    const responses = {
      usage: {
        input_tokens: 20,
        input_tokens_details: { cached_tokens: 5 },
        output_tokens: 30,
        output_tokens_details: { reasoning_tokens: 12 },
        total_tokens: 50,
      },
    }
    expect(usageOf(responses)).toEqual({
      prompt_tokens: 20,
      completion_tokens: 30,
      total_tokens: 50,
      cache_read_tokens: 5,
      reasoning_tokens: 12,
    })
    // No reasoning reported, or 0: no field.
    expect(
      usageOf({
        usage: { prompt_tokens: 1, completion_tokens: 1, completion_tokens_details: { reasoning_tokens: 0 } },
      }),
    ).toEqual({
      prompt_tokens: 1,
      completion_tokens: 1,
      total_tokens: 2,
    })
  })

  test('gpt-image-1 and gpt-4o-transcribe carry token usage; whisper-1 (a duration) and speech carry none', () => {
    const image = {
      created: 1_700_000_000,
      data: [{ b64_json: 'aGVsbG8=' }],
      usage: {
        total_tokens: 4210,
        input_tokens: 50,
        output_tokens: 4160,
        input_tokens_details: { text_tokens: 50, image_tokens: 0 },
      },
    }
    expect(usageOfBody(bytes(image))).toEqual({ prompt_tokens: 50, completion_tokens: 4160, total_tokens: 4210 })
    const transcription = {
      text: 'hello',
      usage: {
        type: 'tokens',
        input_tokens: 100,
        output_tokens: 20,
        total_tokens: 120,
        input_token_details: { audio_tokens: 100 },
      },
    }
    expect(usageOfBody(bytes(transcription))).toEqual({ prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 })
    expect(usageOfBody(bytes({ text: 'hello', usage: { type: 'duration', seconds: 3 } }))).toBeUndefined()
    expect(usageOfBody(new Uint8Array([0xff, 0xfb, 0x90, 0x00]))).toBeUndefined()
  })
})

describe('createPricer', () => {
  const config = parseConfig(
    `[providers.up]\nkind = "ollama"\nmodels = ["local", "gpt-4o-mini", "gpt-image-1", "gpt-4o-transcribe", "whisper-1"]\n[providers.echo]\nkind = "echo"\nmodels = ["echo"]\n[aliases]\nfast = "local"\n[models.fast]\nprompt_cost_per_million = 3\ncompletion_cost_per_million = 6\n`,
    'test.toml',
    PROVIDER_RULES,
    {},
  )
  const pricer = createPricer(buildCatalog(config))
  const ctx = (model: string, usage?: Usage, extra: Partial<RequestContext> = {}) =>
    ({ model, requestedModel: model, usage, ...extra }) as RequestContext
  const use = (prompt: number, completion: number, extra: Partial<Usage> = {}): Usage => ({
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...extra,
  })

  test.each([
    // gpt-image-1 at the catalog's $5 / $40 per million: 50 × 5 + 4160 × 40 µ$.
    ['an image', 'gpt-image-1', use(50, 4160), { micros: 166_650 }],
    // gpt-4o-transcribe at $2.5 / $10: 100 × 2.5 + 20 × 10.
    ['a transcription', 'gpt-4o-transcribe', use(100, 20), { micros: 450 }],
    // Reasoning tokens are completion tokens, priced as output: no extra charge. gpt-4o-mini: $0.15 / $0.6.
    ['reasoning', 'gpt-4o-mini', use(1000, 1000, { reasoning_tokens: 800 }), { micros: 750 }],
    ['an answer without usage', 'whisper-1', undefined, { micros: null, reason: 'the answer carried no usage' }],
    [
      'a model nobody prices',
      'local',
      use(10, 10),
      { micros: null, reason: 'no price for model local in the catalog or [models]' },
    ],
    // The built-in echo calls no one: its own models are priced at 0, not unpriced.
    ['a model only echo serves', 'echo', use(10, 10), { micros: 0 }],
  ])('%s', (_name, model, usage, cost) => {
    expect(pricer.costOf(ctx(model, usage))).toEqual(cost)
  })

  test('an alias priced in [models] prices its canonical model; a cache hit costs 0; a failure has a reason', () => {
    expect(pricer.costOf(ctx('local', use(10, 10), { requestedModel: 'fast' }))).toEqual({ micros: 90 })
    expect(pricer.costOf(ctx('local', undefined, { cached: true }))).toEqual({ micros: 0 })
    expect(pricer.costOf(ctx('gpt-4o-mini', undefined), true)).toEqual({ micros: null, reason: 'the request failed' })
  })
})

describe('through the gateway', () => {
  test('images and transcriptions are priced in the audit record; whisper-1 and speech have cost_usd null and why, and count as unpriced', async () => {
    const toml = `admin_token = "${ADMIN}"
${provider('up', mock.url, ['gpt-image-1', 'gpt-4o-transcribe', 'whisper-1', 'tts-1'])}
[extensions.audit]
`
    await using gw = await startGateway(toml)
    const admin = { authorization: `Bearer ${ADMIN}` }
    const post = async (path: string, body: string | FormData, contentType?: string) => {
      const res = await gw.fetch(path, {
        method: 'POST',
        headers: { ...admin, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
      })
      await res.arrayBuffer()
      expect(res.status).toBe(200)
    }
    const audio = (model: string) => {
      const form = new FormData()
      form.append('file', new File([new Uint8Array(64)], 'clip.wav', { type: 'audio/wav' }))
      form.append('model', model)
      return form
    }
    mock.enqueue({
      json: {
        created: 1,
        data: [{ b64_json: 'aGk=' }],
        usage: { total_tokens: 4210, input_tokens: 50, output_tokens: 4160 },
      },
    })
    await post('/v1/images/generations', JSON.stringify({ model: 'gpt-image-1', prompt: 'a crab' }), 'application/json')
    mock.enqueue({
      json: { text: 'hi', usage: { type: 'tokens', input_tokens: 100, output_tokens: 20, total_tokens: 120 } },
    })
    await post('/v1/audio/transcriptions', audio('gpt-4o-transcribe'))
    mock.enqueue({ json: { text: 'hi', usage: { type: 'duration', seconds: 2 } } })
    await post('/v1/audio/transcriptions', audio('whisper-1'))
    mock.enqueue({ body: new Uint8Array(32), headers: { 'content-type': 'audio/mpeg' } })
    await post('/v1/audio/speech', JSON.stringify({ model: 'tts-1', input: 'hi', voice: 'alloy' }), 'application/json')

    await gw.ctx.pipeline.flush()
    const page = await jsonOf(await gw.fetch('/v1/admin/logs', { headers: admin }))
    const byModel = Object.fromEntries(
      (page.data as { model: string; cost_usd: number | null; cost_reason?: string }[]).map((r) => [
        r.model,
        [r.cost_usd, r.cost_reason],
      ]),
    )
    expect(byModel).toEqual({
      'gpt-image-1': [0.16665, undefined],
      'gpt-4o-transcribe': [0.00045, undefined],
      'whisper-1': [null, 'the answer carried no usage'],
      'tts-1': [null, 'the answer carried no usage'],
    })
    const metrics = await (await gw.fetch('/metrics')).text()
    expect(metrics).toContain('crabllm_unpriced_answers_total{model="whisper-1"} 1')
    expect(metrics).toContain('crabllm_unpriced_answers_total{model="tts-1"} 1')
    expect(metrics).toContain('crabllm_cost_usd_total{model="gpt-image-1"} 0.16665')
    // One warning per model, with the reason.
    const warned = gw.logs().filter((l) => l.includes('has no cost'))
    expect(warned.map((l) => JSON.parse(l).model).sort()).toEqual(['tts-1', 'whisper-1'])
  })
})

test('a price that depends on the time is taken at each answer (DeepSeek off-peak), not remembered', () => {
  let now = Date.parse('2026-12-03T10:00:00Z')
  const config = parseConfig(
    '[providers.ds]\nkind = "deepseek"\nmodels = ["deepseek-chat"]\n',
    'test.toml',
    PROVIDER_RULES,
    {},
  )
  const pricer = createPricer(buildCatalog(config, { now: () => now }))
  const usage: Usage = { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000 }
  const ctx = { model: 'deepseek-chat', requestedModel: 'deepseek-chat', usage } as RequestContext
  expect(pricer.costOf(ctx)).toEqual({ micros: 270_000 })
  now = Date.parse('2026-12-03T20:00:00Z')
  expect(pricer.costOf(ctx)).toEqual({ micros: 135_000 })
})
