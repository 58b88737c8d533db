// The scripted upstream behind the gateway for scripts/agents.ts: one Bun.serve on 127.0.0.1 speaking
// OpenAI chat completions, OpenAI Responses, Anthropic Messages and Gemini generateContent (JSON, and SSE
// in each vendor's documented event sequence), recording every request. The current script decides the
// answer: a tool call while the request carries the script's tool and no tool result yet, else text.
// Side calls (titles, quota probes) get text; token counts get a count.
// https://platform.openai.com/docs/api-reference/responses-streaming · https://docs.anthropic.com/en/api/messages-streaming
// https://platform.openai.com/docs/api-reference/chat-streaming · https://ai.google.dev/api/generate-content
import { type AddressInfo, createServer } from 'node:net'

export interface Script {
  /** The final answer (and every side call's). */
  text: string
  /** The tool to call first: the first of `names` the request carries, with `args(name)`. */
  tool?: { names: string[]; args: (name: string) => Record<string, unknown> }
}

export interface Recorded {
  path: string
  stream: boolean
  tools: string[]
  /** Every tool result in the request, as JSON text. */
  toolResults: string[]
  /** What was answered: `tool:<name>`, `text`, `count` or `404`. */
  answer: string
  /** The reasoning the request asked for, as it reached the upstream (reasoning_effort, thinking, …). */
  reasoning: string
}

export interface Mock {
  url: string
  script: Script
  requests: Recorded[]
  stop(): void
}

type Dialect = 'chat' | 'responses' | 'messages' | 'gemini'
type Reply = { kind: 'tool'; name: string; args: string } | { kind: 'text'; text: string }
type Obj = Record<string, unknown>

export function startMock(): Mock {
  const mock: Mock = { url: '', script: { text: 'ok' }, requests: [], stop: () => server.stop(true) }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 120,
    async fetch(req) {
      const { pathname, search } = new URL(req.url)
      const body = ((await req.json().catch(() => null)) ?? {}) as Obj
      const dialect = dialectOf(pathname)
      const rec: Recorded = {
        path: pathname + search,
        stream: body.stream === true || pathname.endsWith(':streamGenerateContent'),
        tools: dialect ? toolsOf(dialect, body) : [],
        toolResults: dialect ? toolResultsOf(dialect, body) : [],
        answer: 'count',
        reasoning: reasoningOf(body),
      }
      mock.requests.push(rec)
      if (pathname.endsWith(':countTokens')) return Response.json({ totalTokens: 42 })
      if (pathname.endsWith('/input_tokens'))
        return Response.json({ object: 'response.input_tokens', input_tokens: 42 })
      if (pathname.endsWith('/count_tokens')) return Response.json({ input_tokens: 42 })
      if (!dialect) {
        rec.answer = '404'
        return Response.json({ error: { message: `mock: no route ${pathname}` } }, { status: 404 })
      }
      const tool = mock.script.tool
      const name = tool?.names.find((n) => rec.tools.includes(n))
      const reply: Reply =
        tool && name && rec.toolResults.length === 0
          ? { kind: 'tool', name, args: JSON.stringify(tool.args(name)) }
          : { kind: 'text', text: mock.script.text }
      rec.answer = reply.kind === 'tool' ? `tool:${reply.name}` : 'text'
      const model = String(body.model ?? pathname.match(/models\/([^:]+)/)?.[1])
      if (!rec.stream) return Response.json(JSONS[dialect](reply, model))
      return sse(EVENTS[dialect](reply, model), dialect === 'chat')
    },
  })
  mock.url = `http://127.0.0.1:${server.port}`
  return mock
}

function dialectOf(path: string): Dialect | undefined {
  if (path.endsWith('/chat/completions')) return 'chat'
  if (path.endsWith('/responses')) return 'responses'
  if (path.endsWith('/messages')) return 'messages'
  if (/:(streamG|g)enerateContent$/.test(path)) return 'gemini'
  return undefined
}

const list = (x: unknown): Obj[] => (Array.isArray(x) ? x.filter((v) => v && typeof v === 'object') : [])

function toolsOf(d: Dialect, body: Obj): string[] {
  const tools = list(body.tools)
  if (d === 'gemini') return tools.flatMap((t) => list(t.functionDeclarations).map((f) => String(f.name)))
  return tools.map((t) => String((d === 'chat' ? (t.function as Obj | undefined)?.name : t.name) ?? t.type))
}

function toolResultsOf(d: Dialect, body: Obj): string[] {
  const found =
    d === 'chat'
      ? list(body.messages).filter((m) => m.role === 'tool')
      : d === 'responses'
        ? list(body.input).filter((i) => String(i.type).endsWith('_call_output'))
        : d === 'messages'
          ? list(body.messages).flatMap((m) => list(m.content).filter((c) => c.type === 'tool_result'))
          : list(body.contents).flatMap((c) => list(c.parts).filter((p) => p.functionResponse))
  return found.map((x) => JSON.stringify(x))
}

/** Server-sent events (with `event:` lines when named), then `data: [DONE]` for chat completions. */
function sse(events: [string | undefined, object][], done: boolean): Response {
  let text = ''
  for (const [event, data] of events) text += `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`
  if (done) text += 'data: [DONE]\n\n'
  return new Response(text, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
}

const NOW = 1_760_000_000
const id = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 24)}`
/** A text in pieces, as a model's deltas come. */
const pieces = (s: string) => s.match(/.{1,8}/gs) ?? ['']

// --- OpenAI chat completions ---

function chatJson(r: Reply, model: string) {
  const call = r.kind === 'tool' && { id: id('call'), type: 'function', function: { name: r.name, arguments: r.args } }
  const message = call
    ? { role: 'assistant', content: null, refusal: null, tool_calls: [call] }
    : { role: 'assistant', content: r.kind === 'text' ? r.text : '', refusal: null }
  const finish_reason = call ? 'tool_calls' : 'stop'
  return {
    id: id('chatcmpl'),
    object: 'chat.completion',
    created: NOW,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason }],
    usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 },
  }
}

function chatEvents(r: Reply, model: string): [undefined, object][] {
  const base = { id: id('chatcmpl'), object: 'chat.completion.chunk', created: NOW, model }
  const chunk = (delta: object, finish_reason: string | null = null): [undefined, object] => [
    undefined,
    { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason }] },
  ]
  const out = [chunk({ role: 'assistant', content: '' })]
  if (r.kind === 'text') for (const p of pieces(r.text)) out.push(chunk({ content: p }))
  else {
    out.push(
      chunk({
        tool_calls: [{ index: 0, id: id('call'), type: 'function', function: { name: r.name, arguments: '' } }],
      }),
    )
    for (const p of pieces(r.args)) out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }))
  }
  out.push(chunk({}, r.kind === 'text' ? 'stop' : 'tool_calls'))
  out.push([undefined, { ...base, choices: [], usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28 } }])
  return out
}

// --- OpenAI Responses ---

const RESPONSE_USAGE = {
  input_tokens: 20,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 8,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 28,
}

function responseObject(model: string, status: string, output: object[], usage: object | null) {
  return {
    id: id('resp'),
    object: 'response',
    created_at: NOW,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    usage,
    metadata: {},
  }
}

function responseItem(r: Reply, itemId: string, done: boolean, callId: string) {
  const status = done ? 'completed' : 'in_progress'
  if (r.kind === 'tool')
    return { id: itemId, type: 'function_call', status, arguments: done ? r.args : '', call_id: callId, name: r.name }
  const content = done ? [{ type: 'output_text', text: r.text, annotations: [], logprobs: [] }] : []
  return { id: itemId, type: 'message', status, role: 'assistant', content }
}

function responsesJson(r: Reply, model: string) {
  const item = responseItem(r, id(r.kind === 'tool' ? 'fc' : 'msg'), true, id('call'))
  return responseObject(model, 'completed', [item], RESPONSE_USAGE)
}

function responsesEvents(r: Reply, model: string): [string, object][] {
  const [itemId, callId] = [id(r.kind === 'tool' ? 'fc' : 'msg'), id('call')]
  const started = responseObject(model, 'in_progress', [], null)
  const item = responseItem(r, itemId, true, callId)
  const at = { item_id: itemId, output_index: 0 }
  const events: [string, object][] = [
    ['response.created', { response: started }],
    ['response.in_progress', { response: started }],
    ['response.output_item.added', { output_index: 0, item: responseItem(r, itemId, false, callId) }],
  ]
  if (r.kind === 'text') {
    const part = { type: 'output_text', text: '', annotations: [], logprobs: [] }
    events.push(['response.content_part.added', { ...at, content_index: 0, part }])
    for (const delta of pieces(r.text))
      events.push(['response.output_text.delta', { ...at, content_index: 0, delta, logprobs: [] }])
    events.push(['response.output_text.done', { ...at, content_index: 0, text: r.text, logprobs: [] }])
    events.push(['response.content_part.done', { ...at, content_index: 0, part: { ...part, text: r.text } }])
  } else {
    for (const delta of pieces(r.args)) events.push(['response.function_call_arguments.delta', { ...at, delta }])
    events.push(['response.function_call_arguments.done', { ...at, name: r.name, arguments: r.args }])
  }
  events.push(['response.output_item.done', { output_index: 0, item }])
  const completed = { ...started, status: 'completed', output: [item], usage: RESPONSE_USAGE }
  events.push(['response.completed', { response: completed }])
  return events.map(([type, data], sequence_number) => [type, { type, sequence_number, ...data }])
}

// --- Anthropic Messages ---

function messagesJson(r: Reply, model: string) {
  const block =
    r.kind === 'text'
      ? { type: 'text', text: r.text }
      : { type: 'tool_use', id: id('toolu'), name: r.name, input: JSON.parse(r.args) }
  return {
    id: id('msg'),
    type: 'message',
    role: 'assistant',
    model,
    content: [block],
    stop_reason: r.kind === 'text' ? 'end_turn' : 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 20, output_tokens: 8, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  }
}

function messagesEvents(r: Reply, model: string): [string, object][] {
  const whole = messagesJson(r, model)
  const message = { ...whole, content: [], stop_reason: null, usage: { ...whole.usage, output_tokens: 1 } }
  const [block, delta] =
    r.kind === 'text'
      ? [{ type: 'text', text: '' }, (text: string) => ({ type: 'text_delta', text })]
      : [{ ...whole.content[0], input: {} }, (partial_json: string) => ({ type: 'input_json_delta', partial_json })]
  const events: [string, object][] = [
    ['message_start', { message }],
    ['content_block_start', { index: 0, content_block: block }],
    ...pieces(r.kind === 'text' ? r.text : r.args).map((p): [string, object] => [
      'content_block_delta',
      { index: 0, delta: delta(p) },
    ]),
    ['content_block_stop', { index: 0 }],
    ['message_delta', { delta: { stop_reason: whole.stop_reason, stop_sequence: null }, usage: { output_tokens: 8 } }],
    ['message_stop', {}],
  ]
  return events.map(([type, data]) => [type, { type, ...data }])
}

// --- Gemini ---

function geminiChunk(parts: object[], last: boolean, model: string) {
  const usageMetadata = { promptTokenCount: 20, candidatesTokenCount: 8, totalTokenCount: 28 }
  return {
    candidates: [{ content: { role: 'model', parts }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    ...(last ? { usageMetadata } : {}),
    modelVersion: model,
  }
}

const geminiParts = (r: Reply) =>
  r.kind === 'text' ? [{ text: r.text }] : [{ functionCall: { name: r.name, args: JSON.parse(r.args) } }]

function geminiEvents(r: Reply, model: string): [undefined, object][] {
  if (r.kind === 'tool') return [[undefined, geminiChunk(geminiParts(r), true, model)]]
  const ps = pieces(r.text)
  return ps.map((text, i) => [undefined, geminiChunk([{ text }], i === ps.length - 1, model)])
}

const JSONS: Record<Dialect, (r: Reply, model: string) => object> = {
  chat: chatJson,
  responses: responsesJson,
  messages: messagesJson,
  gemini: (r, model) => geminiChunk(geminiParts(r), true, model),
}

const EVENTS: Record<Dialect, (r: Reply, model: string) => [string | undefined, object][]> = {
  chat: chatEvents,
  responses: responsesEvents,
  messages: messagesEvents,
  gemini: geminiEvents,
}

export interface ProxyTrap {
  url: string
  /** Every host:port something asked the proxy for, in order. */
  seen: string[]
  stop(): void
}

/**
 * What HTTP(S)_PROXY points at: it records the host each request (CONNECT or absolute URL) was for and
 * refuses it at once, so an agent reaching for a vendor host fails fast and the report can say which.
 */
export async function startProxyTrap(): Promise<ProxyTrap> {
  const seen: string[] = []
  const server = createServer((socket) => {
    socket.on('error', () => {})
    socket.once('data', (head) => {
      const [method = '', target = ''] = head.toString('latin1').split(' ')
      seen.push(method === 'CONNECT' ? target : URL.parse(target)?.host || target)
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, seen, stop: () => server.close() }
}

/** What a request says about reasoning, in each API's own field; '-' when it says nothing. */
function reasoningOf(body: Obj): string {
  const config = body.generationConfig as Obj | undefined
  const found = [
    body.reasoning_effort !== undefined && `reasoning_effort=${JSON.stringify(body.reasoning_effort)}`,
    body.thinking !== undefined && `thinking=${JSON.stringify(body.thinking)}`,
    body.reasoning !== undefined && `reasoning=${JSON.stringify(body.reasoning)}`,
    config?.thinkingConfig !== undefined && `thinkingConfig=${JSON.stringify(config.thinkingConfig)}`,
  ].filter(Boolean)
  return found.length ? found.join(' ') : '-'
}
