// The bench scenarios: which endpoint, streamed or not, how many connections (or open streams), the exact
// request body each one sends, and which of the mock's answers must come back. Also the targets a
// request can go to (the mock itself, crabllm, the bare relay, a baseline crabllm binary, a peer
// gateway) and the check of every target's answers: byte for byte for a passthrough, field by field
// for an answer the gateway translated (answerMismatches).
import {
  type AnswerCheck,
  BODIES,
  type Dialect,
  ENDPOINT_PATHS,
  type Endpoint,
  FAMILIES,
  type Family,
  SLOW_BODY,
  type UpstreamKind,
  type WireRequest,
} from './bodies'
import type { LoadRequest } from './load'
import { ANTHROPIC_VERSION, type AnswerKind, BENCH_REPLY, type BenchAnswers } from './mock-upstream'

interface ScenarioBase {
  name: string
  description: string
  /** The client's request (what the gateways get): its API, how it carries the key, its body. */
  endpoint: Endpoint
  dialect: Dialect
  body: Uint8Array
  stream: boolean
  /** The mock's answer to the direct request; with `check: 'bytes'`, every target's answer. */
  answer: AnswerKind
  /** How a gateway's answer is checked (bodies.ts AnswerCheck). */
  check: AnswerCheck
  /** The kind of deployment crabllm routes the request to (a peer is routed there too, see Target.headersFor). */
  upstream: UpstreamKind
  /** The direct target's request when it differs from the client's (a translated scenario). */
  direct?: WireRequest
}

/** Closed-loop load at a fixed number of connections. */
export interface LoadScenario extends ScenarioBase {
  kind: 'load'
  /** `<family>-c<concurrency>`. */
  family: string
  concurrency: number
}

/** N slow streams opened at once and held until they end. */
export interface OpenStreamsScenario extends ScenarioBase {
  kind: 'open-streams'
  /** `open-streams-<streams>`. */
  family: 'open-streams'
  endpoint: 'chat'
  stream: true
  streams: number
  answer: 'slowStream'
}

export type Scenario = LoadScenario | OpenStreamsScenario

/** A crabllm started with `--workers N` beside the first one (`--workers 1,2`): one target per count. */
export type WorkersTargetName = `crabllm-w${number}`

/**
 * Who answers: the mock itself (direct), or a gateway in front of it. `baseline` is another crabllm
 * binary (--baseline, e.g. the build before a change), run with crabllm's config and environment.
 * With `--workers A,B,…`, `crabllm` runs with A workers and `crabllm-wB`, … with the other counts.
 */
export type TargetName = 'direct' | 'crabllm' | 'baseline' | 'bare' | 'peer' | WorkersTargetName

/** crabllm itself or one of its `--workers` variants: the targets the targets are judged on. */
export function isCrabllmTarget(name: string): name is 'crabllm' | WorkersTargetName {
  return name === 'crabllm' || /^crabllm-w\d+$/.test(name)
}

export interface Target {
  name: TargetName
  /** For tables and the chart: "crabllm", "crabllm (2 workers)", "baseline (crabllm-before)", "bare relay", "portkey 1.15.2". */
  label: string
  /** Origin, `http://127.0.0.1:PORT`. */
  url: string
  /**
   * Headers every request to this target carries besides content-type: the key (as a bearer token; an
   * Anthropic-dialect request moves it to x-api-key), and routing headers for a peer.
   */
  headers: Record<string, string>
  /** A peer's routing headers per kind of deployment, when a scenario's differ from `headers` (the provider it names). */
  headersFor?: Partial<Record<UpstreamKind, Record<string, string>>>
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

/**
 * The request a target gets for a scenario: the client's, or for direct in a translated scenario the
 * equivalent upstream request. `expected` gives the answer length the load checks where the answer is the
 * mock's own bytes; elsewhere (a gateway's translated answer) `answerBytes`, the length verifyScenario saw.
 */
export function scenarioRequest(
  scenario: Scenario,
  target: Target,
  expected?: BenchAnswers,
  answerBytes?: number,
): LoadRequest {
  const wire: WireRequest = target.name === 'direct' && scenario.direct ? scenario.direct : scenario
  const exact = target.name === 'direct' || scenario.check === 'bytes'
  const expectBytes = exact ? expected?.[scenario.answer]?.byteLength : answerBytes
  return {
    url: target.url + ENDPOINT_PATHS[wire.endpoint],
    headers: {
      'content-type': 'application/json',
      ...dialectHeaders(wire.dialect, target.headersFor?.[scenario.upstream] ?? target.headers),
    },
    body: wire.body,
    stream: scenario.stream,
    ...(expectBytes !== undefined ? { expectBytes } : {}),
  }
}

/**
 * Sends the scenario's request once to the target and checks the answer: a 200 of the right content type
 * whose bytes are exactly what the mock sends (direct, and every target of a passthrough scenario: a
 * gateway must relay the answer unchanged), or, for a gateway's translated answer, one whose fields say
 * what the mock's answer says (answerMismatches). Returns the answer's length; throws on a mismatch.
 */
export async function verifyScenario(scenario: Scenario, target: Target, expected: BenchAnswers): Promise<number> {
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
  if (target.name === 'direct' || scenario.check === 'bytes') {
    if (!Buffer.from(got).equals(Buffer.from(want)))
      throw new Error(`${where} answered ${got.byteLength} bytes that differ from the upstream's ${want.byteLength}`)
    return got.byteLength
  }
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(got))
  } catch {
    throw new Error(`${where} answered ${got.byteLength} bytes that are not JSON`)
  }
  const mismatches = answerMismatches(scenario.check, json)
  if (mismatches.length)
    throw new Error(`${where} answered a ${scenario.check} that differs from the upstream's: ${mismatches.join('; ')}`)
  return got.byteLength
}

/**
 * How a translated answer differs from the mock's (BENCH_REPLY), one line per field; [] when it says the
 * same. A translated answer cannot be compared byte for byte with fixed bytes: the chat completion crabllm
 * makes from a Message carries crabllm's own `created` time, and each translation adds fields of its own
 * (Anthropic's cache token counts in a Message's usage, OpenAI's prompt_tokens_details in a chat usage),
 * which a gateway may lay out as it likes. So the fields that carry the answer must match exactly: the
 * text, the stop/finish reason and the token counts, with the object's type and role (the ids and the
 * model name are the gateway's to set). The bare relay's answers (the mock's /v1/messages and chat
 * completions) pass the same checks.
 */
export function answerMismatches(check: Exclude<AnswerCheck, 'bytes'>, answer: unknown): string[] {
  const out: string[] = []
  const a = record(answer)
  const expect = (field: string, got: unknown, want: unknown) => {
    if (!Bun.deepEquals(got, want))
      out.push(`${field} is ${JSON.stringify(got) ?? 'missing'}, expected ${JSON.stringify(want)}`)
  }
  if (check === 'anthropic-message') {
    expect('type', a.type, 'message')
    expect('role', a.role, 'assistant')
    expect('content', a.content, [{ type: 'text', text: BENCH_REPLY.text }])
    expect('stop_reason', a.stop_reason, 'end_turn')
    expect('stop_sequence', a.stop_sequence, null)
    const usage = record(a.usage)
    expect('usage.input_tokens', usage.input_tokens, BENCH_REPLY.inputTokens)
    expect('usage.output_tokens', usage.output_tokens, BENCH_REPLY.outputTokens)
  } else {
    expect('object', a.object, 'chat.completion')
    const choices = Array.isArray(a.choices) ? a.choices : []
    expect('choices.length', choices.length, 1)
    const choice = record(choices[0])
    const message = record(choice.message)
    expect('choices[0].message.role', message.role, 'assistant')
    expect('choices[0].message.content', message.content, BENCH_REPLY.text)
    expect('choices[0].finish_reason', choice.finish_reason, 'stop')
    const usage = record(a.usage)
    expect('usage.prompt_tokens', usage.prompt_tokens, BENCH_REPLY.inputTokens)
    expect('usage.completion_tokens', usage.completion_tokens, BENCH_REPLY.outputTokens)
    expect('usage.total_tokens', usage.total_tokens, BENCH_REPLY.inputTokens + BENCH_REPLY.outputTokens)
  }
  return out
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
    dialect: b.dialect,
    stream: b.stream,
    concurrency,
    body: b.body,
    answer: b.answer,
    check: b.check,
    upstream: b.upstream,
    ...(b.direct ? { direct: b.direct } : {}),
  }
}

function openStreamsScenario(streams: number): OpenStreamsScenario {
  return {
    kind: 'open-streams',
    name: `open-streams-${streams}`,
    family: 'open-streams',
    description: `${streams} slow streams (20 chunks, 50 ms apart) open at once`,
    endpoint: 'chat',
    dialect: 'openai',
    stream: true,
    streams,
    body: SLOW_BODY,
    answer: 'slowStream',
    check: 'bytes',
    upstream: 'openai',
  }
}

/**
 * The key and version headers of a dialect. The target's headers carry its key as a bearer token; an
 * Anthropic client sends it as x-api-key instead, with anthropic-version.
 */
function dialectHeaders(dialect: Dialect, headers: Record<string, string>): Record<string, string> {
  if (dialect === 'openai') return headers
  const { authorization, ...rest } = headers
  const key = authorization === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(authorization)?.[1]
  return { ...rest, ...(key !== undefined ? { 'x-api-key': key } : {}), 'anthropic-version': ANTHROPIC_VERSION }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}
