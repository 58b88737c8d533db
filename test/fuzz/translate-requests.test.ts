// The pure request translators, called directly with hostile already-parsed bodies (what readJsonBody
// lets through: a JSON object nested at most MAX_JSON_DEPTH deep): OpenAI chat → Anthropic Messages,
// Gemini and Bedrock Converse; Anthropic Messages → OpenAI chat; OpenAI embeddings → Gemini. Each
// either returns a translation that serialises or throws a 400 GatewayError (invalid_request_error,
// naming the field): one convention; never a TypeError, RangeError or any other exception.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { toChatRequest } from '../../src/anthropic-messages'
import { MAX_JSON_DEPTH } from '../../src/core/body'
import { GatewayError } from '../../src/core/errors'
import { toAnthropicRequest } from '../../src/providers/anthropic/request'
import { toBedrockRequest } from '../../src/providers/bedrock/request'
import { toGeminiEmbedRequest } from '../../src/providers/google/embeddings'
import { toGeminiRequest } from '../../src/providers/google/request'
import { chatBody, embeddingsBody, messagesBody } from './support/bodies'
import {
  caseCount,
  fuzz,
  type PrototypeSnapshot,
  preview,
  prototypeChanges,
  snapshotPrototypes,
} from './support/harness'
import { mutate, render } from './support/json'
import type { Rng } from './support/rng'

let before: PrototypeSnapshot
beforeAll(() => {
  before = snapshotPrototypes()
})
afterAll(() => {})

/** A hostile body as the routes would hand it over, or undefined when readJsonBody would refuse it. */
function parsedBody(rng: Rng, base: Record<string, unknown>): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(render(rng.chance(0.95) ? mutate(rng, base, 4, { deepest: 200 }) : base))
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth(value) > MAX_JSON_DEPTH)
    return undefined
  return value as Record<string, unknown>
}

function depth(value: unknown, limit = MAX_JSON_DEPTH + 1): number {
  if (typeof value !== 'object' || value === null || limit === 0) return 0
  let max = 0
  for (const item of Object.values(value)) max = Math.max(max, depth(item, limit - 1))
  return max + 1
}

/** Runs a translator: 'returned' (an object that serialises) or 'GatewayError 400' (naming a field). */
function outcome(run: () => unknown): string {
  let result: unknown
  try {
    result = run()
  } catch (err) {
    if (
      err instanceof GatewayError &&
      err.status === 400 &&
      err.type === 'invalid_request_error' &&
      err.message &&
      typeof err.param === 'string' &&
      err.param
    )
      return `GatewayError ${err.status}`
    throw err
  }
  expect(typeof JSON.parse(JSON.stringify(result))).toBe('object')
  return 'returned'
}

type BodyCase = Record<string, unknown> | undefined

const surfaces: [string, (rng: Rng) => Record<string, unknown>, (body: Record<string, unknown>) => unknown][] = [
  [
    'toChatRequest (Anthropic Messages → OpenAI chat)',
    (rng) => messagesBody(rng, 'claude-x'),
    (b) => toChatRequest(b, { model: 'gpt-4o', maxTokensField: 'max_completion_tokens' }),
  ],
  [
    'toAnthropicRequest (OpenAI chat → Anthropic)',
    (rng) => chatBody(rng, 'claude-sonnet-4-5'),
    (b) => toAnthropicRequest(b, 'claude-sonnet-4-5'),
  ],
  ['toGeminiRequest (OpenAI chat → Gemini)', (rng) => chatBody(rng, 'gemini-2.5-flash'), (b) => toGeminiRequest(b)],
  ['toBedrockRequest (OpenAI chat → Bedrock Converse)', (rng) => chatBody(rng, 'm'), (b) => toBedrockRequest(b)],
  [
    'toGeminiEmbedRequest (OpenAI embeddings → Gemini)',
    (rng) => embeddingsBody(rng, 'text-embedding-004'),
    (b) => toGeminiEmbedRequest(b, 'text-embedding-004'),
  ],
]

describe('fuzz the request translators', () => {
  test.each(surfaces)(
    '%s returns or throws a 400 GatewayError, never another exception',
    async (name, base, translate) => {
      await fuzz<BodyCase>(name, {
        cases: caseCount(2000),
        generate: (rng) => parsedBody(rng, base(rng)),
        show: (b) => preview(b, 800),
        check: (b) => (b === undefined ? 'refused by readJsonBody' : outcome(() => translate(b))),
      })
    },
    120_000,
  )

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
