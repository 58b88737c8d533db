// The bench scenarios: which endpoint, streamed or not, how many connections, and the exact request
// each one sends, both straight to the mock upstream ("direct") and through the gateway.
import type { LoadRequest } from './load'
import { BENCH_MODEL } from './mock-upstream'

export interface Scenario {
  name: string
  description: string
  endpoint: 'chat' | 'embeddings'
  stream: boolean
  concurrency: number
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'chat-c1', description: 'non-stream chat completion, 1 connection', endpoint: 'chat', stream: false, concurrency: 1 },
  { name: 'chat-c32', description: 'non-stream chat completion, 32 connections', endpoint: 'chat', stream: false, concurrency: 32 },
  { name: 'stream-c1', description: 'streaming chat completion (SSE), 1 connection', endpoint: 'chat', stream: true, concurrency: 1 },
  { name: 'stream-c32', description: 'streaming chat completion (SSE), 32 connections', endpoint: 'chat', stream: true, concurrency: 32 },
  { name: 'embeddings-c1', description: 'embeddings (1536 floats back), 1 connection', endpoint: 'embeddings', stream: false, concurrency: 1 },
]

/** Where a request goes: the mock itself, or the gateway in front of it. */
export interface Target {
  /** Origin, `http://127.0.0.1:PORT`. */
  url: string
  /** The bearer secret this target accepts. */
  key: string
}

/** What the mock answers, to check each answer's length and, once, its bytes. */
export interface ExpectedBodies {
  chat: Uint8Array
  stream: Uint8Array
  embeddings: Uint8Array
}

export function scenarioRequest(scenario: Scenario, target: Target, expected?: ExpectedBodies): LoadRequest {
  const path = scenario.endpoint === 'chat' ? '/v1/chat/completions' : '/v1/embeddings'
  const body = scenario.endpoint === 'chat' ? chatBody(scenario.stream) : EMBEDDINGS_BODY
  const expectedBody = expected ? expectedFor(scenario, expected) : undefined
  return {
    url: target.url + path,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.key}` },
    body,
    stream: scenario.stream,
    ...(expectedBody ? { expectBytes: expectedBody.byteLength } : {}),
  }
}

export function expectedFor(scenario: Scenario, expected: ExpectedBodies): Uint8Array {
  if (scenario.endpoint === 'embeddings') return expected.embeddings
  return scenario.stream ? expected.stream : expected.chat
}

/**
 * Sends the scenario's request once to each target and checks that each answer is a 200 whose bytes
 * are exactly what the mock sends: the gateway must relay the answer unchanged. Throws on a mismatch.
 */
export async function verifyScenario(scenario: Scenario, targets: readonly Target[], expected: ExpectedBodies): Promise<void> {
  const want = expectedFor(scenario, expected)
  for (const target of targets) {
    const request = scenarioRequest(scenario, target)
    const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body })
    const got = new Uint8Array(await response.arrayBuffer())
    if (response.status !== 200)
      throw new Error(`${scenario.name}: ${request.url} answered ${response.status}: ${new TextDecoder().decode(got).slice(0, 300)}`)
    const contentType = response.headers.get('content-type') ?? ''
    const wantType = scenario.stream ? 'text/event-stream' : 'application/json'
    if (!contentType.includes(wantType)) throw new Error(`${scenario.name}: ${request.url} answered content-type "${contentType}", expected ${wantType}`)
    if (!Buffer.from(got).equals(Buffer.from(want)))
      throw new Error(`${scenario.name}: ${request.url} answered ${got.byteLength} bytes that differ from the upstream's ${want.byteLength}`)
  }
}

// --- internal ---

const encoder = new TextEncoder()

function chatBody(stream: boolean): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      model: BENCH_MODEL,
      messages: [
        { role: 'system', content: 'You are a concise assistant. Answer in one sentence.' },
        { role: 'user', content: 'In one sentence, what does an LLM gateway add to a request?' },
      ],
      temperature: 0.2,
      max_tokens: 64,
      // The mock's stream always ends with a usage chunk, as OpenAI's does for a client that asks for
      // it; asking keeps the gateway from hiding that chunk when extensions count tokens.
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  )
}

const EMBEDDINGS_BODY = encoder.encode(JSON.stringify({ model: BENCH_MODEL, input: 'The quick brown fox jumps over the lazy dog.', encoding_format: 'float' }))
