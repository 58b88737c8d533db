// Cost from the model catalog through the gateway: gpt-4o (OpenAI), claude-sonnet-4-6 (Anthropic) and
// gemini-2.5-flash (Gemini) answered by mock upstreams in each provider's wire format, with cached and
// reasoning tokens, costed without any [models] entry, and checked against @pydantic/genai-prices' own
// calculation (the package the catalog is built from); a model with no price is visible as unpriced in
// the audit record (cost null, with the reason), the metric and one warning.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { calcPrice } from '@pydantic/genai-prices'
import OpenAI from 'openai'
import { provider, startGateway, type TestGateway } from '../support/gateway'
import { chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-catalog-cost-0123456789abcdef'
const ADMIN = 'admin-token-catalog-cost-0123456789'
let openaiUp: MockUpstream
let claudeUp: MockUpstream
let googleUp: MockUpstream
let gw: TestGateway
let client: OpenAI

beforeAll(async () => {
  openaiUp = await startMockUpstream()
  claudeUp = await startMockUpstream()
  googleUp = await startMockUpstream()
  gw = await startGateway(`
admin_token = "${ADMIN}"
[[keys]]
name = "app"
key = "${KEY}"
${provider('oai', openaiUp.url, ['gpt-4o', 'local-llm'])}
[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${claudeUp.url}/v1"
models = ["claude-sonnet-4-6"]
[providers.gem]
kind = "google"
api_key = "sk-google-upstream"
base_url = "${googleUp.url}/v1beta"
models = ["gemini-2.5-flash"]
[extensions.usage]
[extensions.budget]
[extensions.audit]
`)
  client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 })
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await openaiUp.close()
  await claudeUp.close()
  await googleUp.close()
})

/** The audit record of the last answer for `model` (the pipeline's writes flushed first). */
async function lastRecord(model: string): Promise<Record<string, any>> {
  await gw.ctx.pipeline.flush?.()
  const res = await gw.fetch(`/v1/admin/logs?model=${encodeURIComponent(model)}&limit=1`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  })
  const page = (await res.json()) as { data: Record<string, any>[] }
  return page.data.at(-1)!
}

/** genai-prices' price in USD, rounded up to a micro-dollar as the gateway charges. */
function expected(model: string, usage: Record<string, number>): number {
  const price = calcPrice(usage, model)
  if (!price) throw new Error(`genai-prices has no price for ${model}`)
  return Math.ceil(price.total_price * 1e6 - 1e-6) / 1e6
}

const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] })

test('gpt-4o: cached prompt tokens at the cache read rate, reasoning tokens as output', async () => {
  openaiUp.enqueue({
    json: {
      ...chatCompletion('ok', 'gpt-4o'),
      usage: {
        prompt_tokens: 12_000,
        completion_tokens: 800,
        total_tokens: 12_800,
        prompt_tokens_details: { cached_tokens: 10_000 },
        completion_tokens_details: { reasoning_tokens: 300 },
      },
    },
  })
  await ask('gpt-4o')
  const record = await lastRecord('gpt-4o')
  expect(record.reasoning_tokens).toBe(300)
  expect(record.cost_usd).toBe(
    expected('gpt-4o', { input_tokens: 12_000, cache_read_tokens: 10_000, output_tokens: 800 }),
  )
  expect(record.cost_usd).toBeGreaterThan(0)
})

test('claude-sonnet-4-6: cache reads and writes at their own rates (Anthropic counts them outside input_tokens)', async () => {
  claudeUp.enqueue({
    json: {
      id: 'msg_cost',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: 1_000,
        cache_read_input_tokens: 20_000,
        cache_creation_input_tokens: 4_000,
        output_tokens: 500,
      },
    },
  })
  await ask('claude-sonnet-4-6')
  const record = await lastRecord('claude-sonnet-4-6')
  expect(record.prompt_tokens).toBe(25_000)
  expect(record.cost_usd).toBe(
    expected('claude-sonnet-4-6', {
      input_tokens: 25_000,
      cache_read_tokens: 20_000,
      cache_write_tokens: 4_000,
      output_tokens: 500,
    }),
  )
})

test('gemini-2.5-flash: thoughts are billed as output and counted as reasoning', async () => {
  googleUp.enqueue({
    json: {
      candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: 5_000,
        cachedContentTokenCount: 2_000,
        candidatesTokenCount: 400,
        thoughtsTokenCount: 600,
        totalTokenCount: 6_000,
      },
      modelVersion: 'gemini-2.5-flash',
    },
  })
  await ask('gemini-2.5-flash')
  const record = await lastRecord('gemini-2.5-flash')
  expect(record.completion_tokens).toBe(1_000)
  expect(record.reasoning_tokens).toBe(600)
  const cached = record.prompt_tokens === 5_000 ? 2_000 : 0
  expect(record.cost_usd).toBe(
    expected('gemini-2.5-flash', { input_tokens: 5_000, cache_read_tokens: cached, output_tokens: 1_000 }),
  )
})

test('a model with no price: cost null with the reason, counted by the metric, one warning', async () => {
  openaiUp.enqueue({ json: chatCompletion('ok', 'local-llm') }, { json: chatCompletion('ok', 'local-llm') })
  await ask('local-llm')
  await ask('local-llm')
  const record = await lastRecord('local-llm')
  expect(record.cost_usd).toBeNull()
  expect(record.cost_reason).toContain('local-llm')
  const metrics = await (await gw.fetch('/metrics')).text()
  expect(metrics).toMatch(/crabllm_unpriced_answers_total\{[^}]*model="local-llm"[^}]*\} 2/)
  const warnings = gw.logs().filter((line) => line.includes('local-llm') && line.includes('"level":"warn"'))
  expect(warnings).toHaveLength(1)
})
