// The bench scenarios: which endpoint, streamed or not, how many connections (or open streams), the exact
// request body each one sends, and which of the mock's answers must come back. Also the targets a
// request can go to (the mock itself, crabllm, the bare relay, a baseline crabllm binary, a peer
// gateway) and the byte-for-byte check of every target's answers.
import { BODIES, FAMILIES, type Family, SLOW_BODY } from './bodies'
import type { LoadRequest } from './load'
import type { AnswerKind, BenchAnswers } from './mock-upstream'

/** Closed-loop load at a fixed number of connections. */
export interface LoadScenario {
  kind: 'load'
  /** `<family>-c<concurrency>`. */
  name: string
  family: string
  description: string
  endpoint: 'chat' | 'embeddings'
  stream: boolean
  concurrency: number
  body: Uint8Array
  answer: AnswerKind
}

/** N slow streams opened at once and held until they end. */
export interface OpenStreamsScenario {
  kind: 'open-streams'
  /** `open-streams-<streams>`. */
  name: string
  family: 'open-streams'
  description: string
  endpoint: 'chat'
  stream: true
  streams: number
  body: Uint8Array
  answer: 'slowStream'
}

export type Scenario = LoadScenario | OpenStreamsScenario

/**
 * Who answers: the mock itself (direct), or a gateway in front of it. `baseline` is another crabllm
 * binary (--baseline, e.g. the build before a change), run with crabllm's config and environment.
 */
export type TargetName = 'direct' | 'crabllm' | 'baseline' | 'bare' | 'peer'

export interface Target {
  name: TargetName
  /** For tables and the chart: "crabllm", "baseline (crabllm-before)", "bare relay", "portkey 1.15.2". */
  label: string
  /** Origin, `http://127.0.0.1:PORT`. */
  url: string
  /** Headers every request to this target carries besides content-type: the key, and routing headers for a peer. */
  headers: Record<string, string>
}

/** Every scenario the bench knows, in report order. `bun run bench` runs a subset (see options.ts). */
export { FAMILIES }
export const CONNECTIONS = [1, 32] as const
export const OPEN_STREAM_COUNTS = [100, 500, 1000] as const

export const SCENARIOS: readonly Scenario[] = [
  ...FAMILIES.flatMap((family) => CONNECTIONS.map((c) => loadScenario(family, c))),
  ...OPEN_STREAM_COUNTS.map(openStreamsScenario),
]

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name)
}

/** Scenarios by exact name or by family (`chat-minimal` = both connection counts, `open-streams` = all counts). */
export function selectScenarios(names: readonly string[]): Scenario[] {
  const out: Scenario[] = []
  for (const name of names) {
    const found = SCENARIOS.filter((s) => s.name === name || s.family === name)
    if (found.length === 0)
      throw new Error(
        `unknown scenario "${name}"; known: ${[...FAMILIES, 'open-streams'].join(', ')} (all), or ${SCENARIOS.map((s) => s.name).join(', ')}`,
      )
    for (const s of found) if (!out.includes(s)) out.push(s)
  }
  return SCENARIOS.filter((s) => out.includes(s))
}

export function scenarioRequest(scenario: Scenario, target: Target, expected?: BenchAnswers): LoadRequest {
  const expectedBody = expected?.[scenario.answer]
  return {
    url: target.url + (scenario.endpoint === 'chat' ? '/v1/chat/completions' : '/v1/embeddings'),
    headers: { 'content-type': 'application/json', ...target.headers },
    body: scenario.body,
    stream: scenario.stream,
    ...(expectedBody ? { expectBytes: expectedBody.byteLength } : {}),
  }
}

/**
 * Sends the scenario's request once to the target and checks that the answer is a 200 whose bytes are
 * exactly what the mock sends: a gateway must relay the answer unchanged. Throws on a mismatch.
 */
export async function verifyScenario(scenario: Scenario, target: Target, expected: BenchAnswers): Promise<void> {
  const want = expected[scenario.answer]
  const request = scenarioRequest(scenario, target)
  const response = await fetch(request.url, { method: 'POST', headers: request.headers, body: request.body })
  const got = new Uint8Array(await response.arrayBuffer())
  const where = `${scenario.name}: ${target.label} (${request.url})`
  if (response.status !== 200)
    throw new Error(`${where} answered ${response.status}: ${new TextDecoder().decode(got).slice(0, 300)}`)
  const contentType = response.headers.get('content-type') ?? ''
  const wantType = scenario.stream ? 'text/event-stream' : 'application/json'
  if (!contentType.includes(wantType))
    throw new Error(`${where} answered content-type "${contentType}", expected ${wantType}`)
  if (!Buffer.from(got).equals(Buffer.from(want)))
    throw new Error(`${where} answered ${got.byteLength} bytes that differ from the upstream's ${want.byteLength}`)
}

// --- internal ---

function loadScenario(family: Family, concurrency: number): LoadScenario {
  const b = BODIES[family]
  const conns = concurrency === 1 ? '1 connection' : `${concurrency} connections`
  return {
    kind: 'load',
    name: `${family}-c${concurrency}`,
    family,
    description: `${b.description}, ${conns}`,
    endpoint: b.endpoint,
    stream: b.stream,
    concurrency,
    body: b.body,
    answer: b.answer,
  }
}

function openStreamsScenario(streams: number): OpenStreamsScenario {
  return {
    kind: 'open-streams',
    name: `open-streams-${streams}`,
    family: 'open-streams',
    description: `${streams} slow streams (20 chunks, 50 ms apart) open at once`,
    endpoint: 'chat',
    stream: true,
    streams,
    body: SLOW_BODY,
    answer: 'slowStream',
  }
}
