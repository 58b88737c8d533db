// A recording mock of an OpenAI-compatible upstream on a real port (node:http, so that a test can cut a
// socket mid-stream). It records every request and answers from a script: status, JSON, SSE frames, a
// cut after N frames, a delay, or a hold until released. Unscripted requests get OpenAI-shaped answers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: Uint8Array
  text(): string
  json(): any
}

export interface MockReply {
  status?: number
  headers?: Record<string, string>
  /** JSON body (content-type application/json). */
  json?: unknown
  /** Raw body. */
  body?: string | Uint8Array
  /**
   * Stream frames, written one write() each and sent as-is: SSE text (end each with "\n\n") or binary
   * frames (AWS event-stream). Content type text/event-stream unless `headers` says otherwise.
   */
  sse?: (string | Uint8Array)[]
  /** Destroy the socket after this many SSE frames (or, without sse, right after the headers). */
  cutAfter?: number
  /** Destroy the socket before sending anything. */
  reset?: boolean
  /** Wait before the status line. */
  delayMs?: number
  /** Wait for this before the status line. */
  hold?: Promise<unknown>
  /** Wait for this before each SSE frame after the first `holdFramesAfter` frames. */
  holdFrames?: Promise<unknown>
  holdFramesAfter?: number
}

export interface MockUpstream extends AsyncDisposable {
  readonly url: string
  readonly port: number
  readonly requests: RecordedRequest[]
  /** Queue replies; each request takes the next one, then falls back to `fallback`. */
  enqueue(...replies: MockReply[]): void
  /** Answer every unscripted request with this (default: OpenAI-shaped success). */
  fallback: (request: RecordedRequest) => MockReply
  /** Resolves when the n-th request (1-based) has arrived. */
  waitForRequest(n: number): Promise<RecordedRequest>
  /** Resolves when a client aborted a response (socket closed before the reply finished). */
  readonly aborted: Promise<void>
  close(): Promise<void>
}

/**
 * Sends `m` requests at once with `send` while `mock` holds every answer (`json`) until each request is
 * decided: refused (its answer came back) or admitted (it reached the mock, which holds it). Then lets
 * the answers go and resolves with every status, in order. So all `m` are in flight together however
 * the machine schedules them: the case where concurrent requests each check a limit nothing has
 * charged yet. The mock's fallback is restored afterwards.
 */
export async function heldBurst(mock: MockUpstream, m: number, json: unknown, send: () => Promise<Response>) {
  const gate = Promise.withResolvers<void>()
  const fallback = mock.fallback
  mock.fallback = () => ({ json, hold: gate.promise })
  try {
    const before = mock.requests.length
    let returned = 0
    const decided = Promise.withResolvers<void>()
    const check = () => {
      if (returned + (mock.requests.length - before) >= m) decided.resolve()
    }
    const statuses = Array.from({ length: m }, () =>
      send().then((r) => {
        returned++
        check()
        return r.status
      }),
    )
    void (async () => {
      for (let n = before + 1; n <= before + m; n++) {
        await mock.waitForRequest(n)
        check()
      }
    })()
    await decided.promise
    gate.resolve()
    return await Promise.all(statuses)
  } finally {
    gate.resolve()
    mock.fallback = fallback
  }
}

export async function startMockUpstream(): Promise<MockUpstream> {
  const requests: RecordedRequest[] = []
  const queue: MockReply[] = []
  const waiters: { n: number; resolve: (r: RecordedRequest) => void }[] = []
  const abortedSignal = Promise.withResolvers<void>()
  const sockets = new Set<import('node:net').Socket>()
  const mock: MockUpstream = {
    url: '',
    port: 0,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    fallback: defaultReply,
    waitForRequest(n) {
      if (requests.length >= n) return Promise.resolve(requests[n - 1]!)
      const { promise, resolve } = Promise.withResolvers<RecordedRequest>()
      waiters.push({ n, resolve })
      return promise
    },
    aborted: abortedSignal.promise,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
    async [Symbol.asyncDispose]() {
      await mock.close()
    },
  }
  const server = createServer(async (req, res) => {
    const recorded = await record(req)
    requests.push(recorded)
    for (const w of waiters.filter((w) => w.n <= requests.length)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(requests[w.n - 1]!)
    }
    const reply = queue.shift() ?? mock.fallback(recorded)
    res.on('close', () => {
      if (!res.writableFinished) abortedSignal.resolve()
    })
    await answer(res, reply)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  Object.assign(mock, { port, url: `http://127.0.0.1:${port}` })
  return mock
}

/** A port with nothing listening on it (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

// --- canned OpenAI answers (https://platform.openai.com/docs/api-reference/chat/object) ---

export function chatCompletion(content = 'Hello from upstream', model = 'gpt-4o-mini') {
  return {
    id: 'chatcmpl-mock123',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
    system_fingerprint: 'fp_mock',
  }
}

/** SSE frames of a streamed chat completion, `[DONE]` included. */
export function chatChunks(pieces: string[] = ['Hel', 'lo', ' there'], model = 'gpt-4o-mini', usage = false): string[] {
  const base = {
    id: 'chatcmpl-mock123',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    system_fingerprint: 'fp_mock',
  }
  const frame = (o: object) => `data: ${JSON.stringify({ ...base, ...o })}\n\n`
  const frames = [
    frame({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }),
  ]
  for (const p of pieces)
    frames.push(frame({ choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }] }))
  frames.push(frame({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] }))
  if (usage)
    frames.push(
      frame({
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: pieces.length, total_tokens: 9 + pieces.length },
      }),
    )
  frames.push('data: [DONE]\n\n')
  return frames
}

export function embeddingList(n = 1, model = 'text-embedding-3-small') {
  return {
    object: 'list',
    data: Array.from({ length: n }, (_, index) => ({ object: 'embedding', index, embedding: [0.1, -0.2, 0.3] })),
    model,
    usage: { prompt_tokens: 2, total_tokens: 2 },
  }
}

export function openAiError(
  status: number,
  message: string,
  type = 'invalid_request_error',
  code: string | null = null,
): MockReply {
  return { status, json: { error: { message, type, param: null, code } } }
}

// --- internal ---

function defaultReply(request: RecordedRequest): MockReply {
  if (request.path.endsWith('/embeddings')) return { json: embeddingList() }
  let body: any
  try {
    body = request.json()
  } catch {
    return openAiError(400, 'bad json')
  }
  return body?.stream ? { sse: chatChunks() } : { json: chatCompletion() }
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = new Uint8Array(Buffer.concat(chunks))
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
  const text = () => new TextDecoder().decode(body)
  return { method: req.method ?? '', path: req.url ?? '', headers, body, text, json: () => JSON.parse(text()) }
}

/**
 * The pause of a cut between the last bytes sent and the socket's end: the fixture's model of a
 * connection that dies after its last bytes arrived, not a wait for an event. Bun's fetch client (the
 * gateway's) drops body bytes that arrive together with the close: measured on Bun 1.4.5, 300 cuts
 * right after the writes lost frames in 279 (in 253 after awaiting the writes' callbacks, in 183 to 186
 * with end() instead of destroy()), while a raw socket client got every byte each time. The mock cannot see
 * when its peer has read them, so the cut comes 25 ms after them, as on a real dying connection (5 ms
 * was not always enough on a loaded 2-core machine: a cut before the first byte is retried).
 */
function cutPause(): Promise<void> {
  return new Promise((r) => setTimeout(r, 25))
}

async function answer(res: ServerResponse, reply: MockReply): Promise<void> {
  if (reply.hold) await reply.hold
  // A slow upstream is the reply's scripted behaviour (the fixture), not a test waiting for something.
  if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs))
  if (reply.reset) {
    res.socket?.destroy()
    return
  }
  const status = reply.status ?? 200
  if (reply.sse) {
    res.writeHead(status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers })
    res.flushHeaders()
    for (let i = 0; i < reply.sse.length; i++) {
      if (reply.cutAfter !== undefined && i >= reply.cutAfter) {
        await cutPause()
        res.socket?.destroy()
        return
      }
      if (reply.holdFrames && i >= (reply.holdFramesAfter ?? 0)) await reply.holdFrames
      if (res.destroyed) return
      res.write(reply.sse[i])
    }
    res.end()
    return
  }
  const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.body ?? '')
  res.writeHead(status, {
    'content-type': reply.json !== undefined ? 'application/json' : 'text/plain',
    ...reply.headers,
  })
  if (reply.cutAfter !== undefined) {
    res.flushHeaders()
    res.write(typeof body === 'string' ? body.slice(0, 5) : body.subarray(0, 5))
    await cutPause()
    res.socket?.destroy()
    return
  }
  res.end(body)
}
