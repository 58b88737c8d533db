// The gateway the HTTP fuzz tests drive: one in-process gateway per translating kind behind one mock
// upstream that answers every provider's success shape (OpenAI, Anthropic, Gemini, Bedrock, model
// listings), so that any 5xx the client sees comes from the gateway, not from the upstream. Two
// variants: no extensions (the passthrough path) and every extension on (the body is read by cache,
// usage, rate limit, budget, audit, logging).
import { message as anthropicMessage, textStream as anthropicStream } from '../../support/fixtures/anthropic'
import { textStream as bedrockStream } from '../../support/fixtures/bedrock'
import { geminiFrame, textAnswer, textStreamEvents } from '../../support/fixtures/google/gemini'
import { startGateway, type TestGateway } from '../../support/gateway'
import {
  chatChunks,
  chatCompletion,
  embeddingList,
  type MockReply,
  type MockUpstream,
  type RecordedRequest,
  startMockUpstream,
} from '../../support/mock-upstream'

export const KEY = 'sk-fuzz-0123456789abcdefghijklmnopqrstuvwxyzAB'
export const ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef'
export const MAX_BODY = 4 * 1024 * 1024

/** Served models by kind; `alias-*` resolve to one of them (the body is rewritten or spliced). */
export const MODELS = {
  openai: 'gpt-4o-mini',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.5-flash',
  bedrock: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
  echo: 'echo',
  embedOpenai: 'text-embedding-3-small',
  embedGoogle: 'text-embedding-004',
  whisper: 'whisper-1',
} as const

export const CHAT_MODELS = [
  MODELS.openai,
  MODELS.anthropic,
  MODELS.google,
  MODELS.bedrock,
  MODELS.echo,
  'alias-chat',
  'alias-claude',
  'no-such-model',
]
export const EMBEDDING_MODELS = [
  MODELS.embedOpenai,
  MODELS.embedGoogle,
  MODELS.echo,
  'alias-embed',
  MODELS.anthropic,
  'no-such-model',
]
export const AUDIO_MODELS = [MODELS.whisper, 'alias-whisper', MODELS.echo, MODELS.anthropic, 'no-such-model']

export interface FuzzGateways extends AsyncDisposable {
  mock: MockUpstream
  plain: TestGateway
  extended: TestGateway
  all: TestGateway[]
}

export async function startFuzzGateways(): Promise<FuzzGateways> {
  const mock = await startMockUpstream()
  mock.fallback = upstreamReply
  const plain = await startGateway(toml(mock.url, ''))
  const extended = await startGateway(toml(mock.url, EXTENSIONS))
  return {
    mock,
    plain,
    extended,
    all: [plain, extended],
    async [Symbol.asyncDispose]() {
      await plain[Symbol.asyncDispose]()
      await extended[Symbol.asyncDispose]()
      await mock.close()
    },
  }
}

// --- what a client may see ---

export type ErrorShape = 'openai' | 'anthropic'

const ANTHROPIC_TYPES = new Set([
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
])

/** Bun's own limit (server/listen.ts): above it Bun answers 413 with no body before the gateway runs. */
export const BUN_BODY_LIMIT = MAX_BODY + 64 * 1024

/**
 * The property every HTTP case checks: a 2xx or a 4xx, never a 5xx; a 4xx is JSON in the surface's
 * error shape; a 2xx is whole (JSON that parses, or a stream without an in-band error, since the
 * upstream is healthy); and nothing was logged as an unexpected error. The one exception: a body of
 * `sent` bytes over BUN_BODY_LIMIT gets Bun's bare 413 (reported; the fix belongs in server/listen.ts).
 */
export async function expectWellFormed(
  gw: TestGateway,
  res: Response,
  shape: ErrorShape,
  sent = 0,
): Promise<number | string> {
  const text = await res.text()
  if (res.status === 413 && text === '' && sent > BUN_BODY_LIMIT) return '413 from Bun'
  const where = `HTTP ${res.status} ${res.headers.get('content-type')}: ${text.slice(0, 600)}`
  if (res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400))
    throw new Error(`unexpected status: ${where}`)
  const type = res.headers.get('content-type') ?? ''
  if (res.status >= 400) {
    if (!type.includes('application/json')) throw new Error(`a 4xx that is not JSON: ${where}`)
    const body = parseOr(text, where)
    if (shape === 'openai') assertOpenAiError(body, where)
    else assertAnthropicError(body, where)
  } else if (type.includes('text/event-stream')) {
    if (/^event: error$/m.test(text) || /^data: \{"error"/m.test(text))
      throw new Error(`a stream with an in-band error from a healthy upstream: ${where}`)
  } else if (type.includes('json')) parseOr(text, where)
  const errors = newErrors(gw)
  if (errors.length) throw new Error(`unexpected errors logged: ${errors.join('\n').slice(0, 1500)}`)
  return res.status
}

const seenLines = new WeakMap<TestGateway, number>()

/** Error-level log lines since the last call (only new lines are parsed: the log grows with every request). */
function newErrors(gw: TestGateway): string[] {
  const lines = gw.logs()
  const from = seenLines.get(gw) ?? 0
  seenLines.set(gw, lines.length)
  const out: string[] = []
  for (let i = from; i < lines.length; i++) if (lines[i]!.includes('"level":"error"')) out.push(lines[i]!)
  return out
}

export function assertOpenAiError(body: unknown, where: string): void {
  const error = (body as { error?: Record<string, unknown> } | null)?.error
  const ok =
    typeof error === 'object' &&
    error !== null &&
    typeof error.message === 'string' &&
    error.message.length > 0 &&
    typeof error.type === 'string' &&
    error.type.length > 0 &&
    (error.param === null || typeof error.param === 'string') &&
    (error.code === null || typeof error.code === 'string')
  if (!ok) throw new Error(`not OpenAI's error shape: ${where}`)
}

export function assertAnthropicError(body: unknown, where: string): void {
  const b = body as { type?: unknown; error?: { type?: unknown; message?: unknown } } | null
  const ok =
    b?.type === 'error' &&
    typeof b.error?.type === 'string' &&
    ANTHROPIC_TYPES.has(b.error.type) &&
    typeof b.error.message === 'string' &&
    b.error.message.length > 0
  if (!ok) throw new Error(`not Anthropic's error shape: ${where}`)
}

// --- internal ---

const EXTENSIONS = `
[extensions.cache]
ttl_seconds = 60
[extensions.rate_limit]
requests_per_minute = 100000000
tokens_per_minute = 100000000000
[extensions.usage]
[extensions.budget]
default_budget = 1000000000
[extensions.audit]
[extensions.logging]
level = "debug"

[models."${MODELS.openai}"]
prompt_cost_per_million = 0.15
completion_cost_per_million = 0.6
`

function toml(url: string, extra: string): string {
  return `
admin_token = "${ADMIN_TOKEN}"
max_body_size = ${MAX_BODY}

[[keys]]
name = "fuzzer"
key = "${KEY}"

[providers.oai]
kind = "openai"
api_key = "sk-upstream"
base_url = "${url}/v1"
models = ["${MODELS.openai}", "${MODELS.embedOpenai}", "${MODELS.whisper}"]

[providers.claude]
kind = "anthropic"
api_key = "sk-ant-upstream"
base_url = "${url}/v1"
models = ["${MODELS.anthropic}"]

[providers.gem]
kind = "google"
api_key = "g-upstream"
base_url = "${url}/v1beta"
models = ["${MODELS.google}", "${MODELS.embedGoogle}"]

[providers.br]
kind = "bedrock"
region = "us-east-1"
access_key = "AKIDEXAMPLE"
secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
base_url = "${url}"
models = ["${MODELS.bedrock}"]

[providers.echo]
kind = "echo"

[aliases]
alias-chat = "${MODELS.openai}"
alias-claude = "${MODELS.anthropic}"
alias-embed = "${MODELS.embedOpenai}"
alias-whisper = "${MODELS.whisper}"
${extra}`
}

const EVENTSTREAM = { 'content-type': 'application/vnd.amazon.eventstream' }

/** A healthy upstream of every kind, chosen by path. */
function upstreamReply(request: RecordedRequest): MockReply {
  const path = request.path
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = request.json()
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>
  } catch {
    // bytes the gateway forwarded as they came: answer as for a plain request
  }
  if (request.method === 'GET' && path.includes('models')) return { json: LISTING }
  if (path.includes(':streamGenerateContent')) return { sse: textStreamEvents().map(geminiFrame) }
  if (path.includes(':generateContent')) return { json: textAnswer() }
  if (path.includes(':batchEmbedContents')) {
    const n = Array.isArray(body.requests) ? body.requests.length : 1
    return { json: { embeddings: Array.from({ length: n }, () => ({ values: [0.5, -0.25, 1] })) } }
  }
  if (path.endsWith('/converse-stream')) return { headers: EVENTSTREAM, sse: bedrockStream(['Hel', 'lo']) }
  if (path.endsWith('/converse'))
    return {
      json: {
        output: { message: { role: 'assistant', content: [{ text: 'Hello' }] } },
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
      },
    }
  if (path.endsWith('/messages'))
    return body.stream === true ? { sse: anthropicStream() } : { json: anthropicMessage() }
  if (path.endsWith('/embeddings')) return { json: embeddingList() }
  if (path.includes('/audio/')) return { json: { text: 'hello' } }
  const options = body.stream_options as { include_usage?: unknown } | undefined
  return body.stream === true
    ? { sse: chatChunks(['Hel', 'lo'], MODELS.openai, options?.include_usage === true) }
    : { json: chatCompletion() }
}

const LISTING = {
  object: 'list',
  data: [{ id: 'listed-model', type: 'model', object: 'model' }],
  models: [{ name: 'models/listed-model', supportedGenerationMethods: ['generateContent'] }],
  has_more: false,
}

function parseOr(text: string, where: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new Error(`a JSON answer that does not parse: ${where}`)
  }
}
