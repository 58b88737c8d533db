// A fault-injecting upstream for the e2e fault tests, on real ports. Two servers route by the first path
// segment, so that one gateway can hold a provider per fault: a provider whose base_url is
// `${faults.http}/<fault>/v1` gets that fault on every request. HTTP-level faults (statuses, bad bodies,
// odd or huge streams) are answered by Bun.serve in OpenAI's chat wire format wherever the fault is not
// the format itself; connection-level faults (reset, silence, a cut stream, garbage) by a raw node:net
// server that writes HTTP/1.1 by hand. Every request is counted per fault, and a peer that leaves before
// the answer ended is recorded, so a test can assert what the gateway did upstream. A third server, the
// catcher (another port: another origin), records every request a redirect fault's Location would bring
// to it: a gateway that follows redirects shows up there with the credentials and the prompt.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server as NetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chatChunks, chatCompletion } from './mock-upstream'

/** Faults answered over HTTP by Bun.serve (the first path segment of the request). */
export type HttpFault =
  /** A normal chat answer, JSON or SSE as asked. */
  | 'ok'
  /** Always 503 with an OpenAI error body. */
  | 'status-503'
  /** Odd-numbered requests get 503, even-numbered ones a normal answer. */
  | 'flap'
  /** 503 while `FaultUpstream.toggleFailing` is true, else a normal answer. */
  | 'toggle'
  /** Always 429 with `Retry-After: 1`. */
  | 'retry-after'
  /** 200 application/json whose body is cut-off JSON. */
  | 'malformed-json'
  /** 200 text/html: a proxy's error page. */
  | 'html'
  /** A valid chat stream with comments, unknown fields, non-data lines and blank-line spam between events. */
  | 'garbage-sse'
  /** An Anthropic Messages stream with the same garbage between its events. */
  | 'garbage-anthropic-sse'
  /** An Anthropic Messages stream one of whose `data:` lines is not JSON. */
  | 'bad-json-anthropic-sse'
  /** A chat completion whose body is `FaultOptions.hugeBytes` long, streamed out in 64 KiB pieces. */
  | 'huge-json'
  /** A chat stream of `FaultOptions.hugeBytes`, then [DONE]; produced only as fast as it is read. */
  | 'huge-sse'
  /** One chat chunk, then nothing until the peer leaves (never ends). */
  | 'one-then-idle'
  /** 301/302/307/308 to the catcher (another port), for every method and path, with a key in the Location's query. */
  | RedirectFault
  /** 200 application/json, content-encoding gzip: `FaultOptions.bombBytes` of zeros in ~1/1000 of that. */
  | 'gzip-bomb'
  /** A chat stream that is one line: `data: ` and `FaultOptions.lineBytes` of "x", never a newline. */
  | 'long-line'
  /** A chat stream of `data:` lines that never end their event (no blank line), `FaultOptions.lineBytes` in all. */
  | 'partial-events'
  /** 401 whose message quotes the credential the request carried (as OpenAI's "Incorrect API key" does). */
  | 'echo-key'

export type RedirectFault = 'redirect-301' | 'redirect-302' | 'redirect-307' | 'redirect-308'

/** Faults acted out on a raw TCP connection (the first path segment of the request line). */
export type TcpFault =
  /** Reads the request, then resets the connection (RST) before any byte of an answer. */
  | 'reset'
  /** Sends a 200 status line and headers, then nothing until the peer leaves. */
  | 'silence'
  /** A chunked chat stream: two whole events, half of a third, then the connection is dropped. */
  | 'cut-mid-event'
  /** The same, but the body then ends cleanly (last chunk) in the middle of the third event. */
  | 'end-mid-event'
  /** Answers with bytes that are not HTTP, then closes. */
  | 'garbage'

export interface FaultOptions {
  /** Body size of huge-json and huge-sse (default 200 MiB). */
  hugeBytes?: number
  /**
   * Inflated size of gzip-bomb (default 2 GiB; whole multiples of 64 MiB). Given, the bomb is made at
   * start (about 0.1 s of this process's time, which would otherwise fall inside a test's measurements).
   */
  bombBytes?: number
  /** Body size of long-line and partial-events (default 100 MiB). */
  lineBytes?: number
}

/** A request that reached the catcher. */
export interface CaughtRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

export interface FaultUpstream extends AsyncDisposable {
  /** Base of the HTTP faults: http://127.0.0.1:PORT (append `/<fault>/v1`). */
  readonly http: string
  /** Base of the TCP faults: http://127.0.0.1:PORT (append `/<fault>/v1`). */
  readonly tcp: string
  /** What the `toggle` fault does: fail (503) while true. */
  toggleFailing: boolean
  /** Requests received for a fault. */
  hits(fault: HttpFault | TcpFault): number
  /** Arrival times (Date.now()) of the requests for a fault. */
  arrivals(fault: HttpFault | TcpFault): readonly number[]
  /** Answers of a fault that the peer abandoned before they ended (connection closed, stream cancelled). */
  abandoned(fault: HttpFault | TcpFault): number
  /** Resolves once `abandoned(fault)` reaches `n`. */
  waitAbandoned(fault: HttpFault | TcpFault, n: number): Promise<void>
  /** Streams of a fault that started and have neither ended nor been abandoned. */
  open(fault: HttpFault | TcpFault): number
  /** Body bytes handed to the socket so far for a fault (huge-sse, huge-json, long-line, partial-events). */
  bytesOut(fault: HttpFault | TcpFault): number
  /** Base of the catcher, where the redirect faults point: http://127.0.0.1:PORT. */
  readonly catcher: string
  /** Every request that reached the catcher. */
  caught(): readonly CaughtRequest[]
  close(): Promise<void>
}

export async function startFaultUpstream(options: FaultOptions = {}): Promise<FaultUpstream> {
  const hugeBytes = options.hugeBytes ?? 200 * 1024 * 1024
  const lineBytes = options.lineBytes ?? 100 * 1024 * 1024
  const bombBytes = options.bombBytes ?? 2 * 1024 * 1024 * 1024
  if (options.bombBytes) gzipBomb(bombBytes)
  const caught: CaughtRequest[] = []
  const catcher = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      caught.push({
        method: request.method,
        path: new URL(request.url).pathname,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      })
      return Response.json(chatCompletion('an answer from the wrong host'))
    },
  })
  const catcherUrl = `http://127.0.0.1:${catcher.port}`
  const stats = new Map<string, FaultStats>()
  const statsOf = (fault: string): FaultStats => {
    let s = stats.get(fault)
    if (!s) stats.set(fault, (s = { arrivals: [], abandoned: 0, open: 0, bytesOut: 0, waiters: [] }))
    return s
  }
  const abandon = (s: FaultStats) => {
    s.abandoned++
    for (const w of s.waiters.filter((w) => w.n <= s.abandoned)) {
      s.waiters.splice(s.waiters.indexOf(w), 1)
      w.resolve()
    }
  }
  /** One answer stream's bookkeeping: open until it ends or its peer leaves, counted once either way. */
  const track = (s: FaultStats, signal: AbortSignal) => {
    let settled = false
    s.open++
    const settle = (abandoned: boolean) => {
      if (settled) return
      settled = true
      s.open--
      if (abandoned) abandon(s)
    }
    signal.addEventListener('abort', () => settle(true), { once: true })
    return { ended: () => settle(false), abandoned: () => settle(true) }
  }

  const http = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const fault = new URL(request.url).pathname.split('/')[1] ?? ''
      const s = statsOf(fault)
      s.arrivals.push(Date.now())
      const body = await request.text()
      const stream = /"stream"\s*:\s*true/.test(body)
      const failing = fault === 'toggle' && upstream.toggleFailing
      return answerHttp(fault as HttpFault, {
        s,
        stream,
        hits: s.arrivals.length,
        hugeBytes,
        lineBytes,
        bombBytes,
        catcher: catcherUrl,
        path: new URL(request.url).pathname,
        credential: credentialOf(request.headers),
        signal: request.signal,
        track,
        failing,
      })
    },
  })

  const sockets = new Set<Socket>()
  const tcp: NetServer = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    readRequest(socket, (path, body) => {
      const fault = path.split('/')[1] ?? ''
      const s = statsOf(fault)
      s.arrivals.push(Date.now())
      actTcp(fault as TcpFault, socket, /"stream"\s*:\s*true/.test(body), s, abandon)
    })
  })
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
  const tcpPort = (tcp.address() as { port: number }).port

  const upstream: FaultUpstream = {
    http: `http://127.0.0.1:${http.port}`,
    tcp: `http://127.0.0.1:${tcpPort}`,
    toggleFailing: false,
    hits: (fault) => statsOf(fault).arrivals.length,
    arrivals: (fault) => statsOf(fault).arrivals,
    abandoned: (fault) => statsOf(fault).abandoned,
    waitAbandoned(fault, n) {
      const s = statsOf(fault)
      if (s.abandoned >= n) return Promise.resolve()
      const { promise, resolve } = Promise.withResolvers<void>()
      s.waiters.push({ n, resolve })
      return promise
    },
    open: (fault) => statsOf(fault).open,
    bytesOut: (fault) => statsOf(fault).bytesOut,
    catcher: catcherUrl,
    caught: () => caught,
    async close() {
      for (const socket of sockets) socket.destroy()
      await Promise.all([
        http.stop(true),
        catcher.stop(true),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ])
    },
    async [Symbol.asyncDispose]() {
      await upstream.close()
    },
  }
  return upstream
}

export interface TlsUpstream extends AsyncDisposable {
  /** https://127.0.0.1:PORT, served with a self-signed certificate made for this run. */
  readonly url: string
  hits(): number
  close(): Promise<void>
}

/** An HTTPS upstream whose certificate is self-signed (made with `openssl req -x509` in a temp dir). */
export async function startSelfSignedUpstream(): Promise<TlsUpstream> {
  const dir = mkdtempSync(join(tmpdir(), 'crabllm-tls-'))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  const made = Bun.spawnSync(
    [
      'openssl',
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`)
  let hits = 0
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls: { key: await Bun.file(key).text(), cert: await Bun.file(cert).text() },
    fetch() {
      hits++
      return Response.json(chatCompletion())
    },
  })
  const upstream: TlsUpstream = {
    url: `https://127.0.0.1:${server.port}`,
    hits: () => hits,
    async close() {
      await server.stop(true)
      rmSync(dir, { recursive: true, force: true })
    },
    async [Symbol.asyncDispose]() {
      await upstream.close()
    },
  }
  return upstream
}

// --- the answers ---

/** One chat.completion.chunk carrying `content` (https://platform.openai.com/docs/api-reference/chat-streaming). */
export function chunkFrame(content: string, model = 'gpt-4o-mini'): string {
  const chunk = {
    id: 'chatcmpl-fault',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
  }
  return `data: ${JSON.stringify(chunk)}\n\n`
}

/** Lines a sloppy or hostile SSE upstream sends between events; each block ends with a blank line. */
export const SSE_GARBAGE = [
  ': keep-alive comment\n\n',
  '\n\n\n\n\n\n',
  'retry: 1000\n\n',
  'id: 42\n\n',
  'event: ping\n\n',
  'this line has no colon at all\n\n',
  'foo: an unknown field\n\n',
  ':\n\n',
  '\r\n\r\n',
]

interface FaultStats {
  arrivals: number[]
  abandoned: number
  open: number
  bytesOut: number
  waiters: { n: number; resolve: () => void }[]
}

interface HttpContext {
  s: FaultStats
  stream: boolean
  hits: number
  hugeBytes: number
  lineBytes: number
  bombBytes: number
  /** Where the redirect faults point. */
  catcher: string
  /** The request's path. */
  path: string
  /** The credential the request carried (any kind's header), for echo-key. */
  credential: string
  signal: AbortSignal
  track: (s: FaultStats, signal: AbortSignal) => { ended(): void; abandoned(): void }
  failing: boolean
}

const encoder = new TextEncoder()
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }
const error503 = () =>
  Response.json(
    { error: { message: 'The server is overloaded.', type: 'server_error', param: null, code: null } },
    { status: 503 },
  )

function normal(stream: boolean): Response {
  return stream ? new Response(chatChunks().join(''), { headers: SSE_HEADERS }) : Response.json(chatCompletion())
}

function answerHttp(fault: HttpFault, c: HttpContext): Response {
  switch (fault) {
    case 'ok':
      return normal(c.stream)
    case 'status-503':
      return error503()
    case 'toggle':
      return c.failing ? error503() : normal(c.stream)
    case 'flap':
      return c.hits % 2 === 1 ? error503() : normal(c.stream)
    case 'retry-after':
      return Response.json(
        {
          error: {
            message: 'Rate limit reached for requests.',
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          },
        },
        { status: 429, headers: { 'retry-after': '1' } },
      )
    case 'malformed-json':
      return new Response(
        '{"id":"chatcmpl-bad","object":"chat.completion","choices":[{"index":0,"message":{"role":"assis',
        {
          headers: { 'content-type': 'application/json' },
        },
      )
    case 'html':
      return new Response(
        '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>\n',
        {
          headers: { 'content-type': 'text/html' },
        },
      )
    case 'garbage-sse': {
      const [first, ...rest] = chatChunks(['Gar', 'bage', ' proof'])
      const body = [first!, ...rest.flatMap((frame, i) => [SSE_GARBAGE[i % SSE_GARBAGE.length]!, frame])].join('')
      return new Response(body, { headers: SSE_HEADERS })
    }
    case 'garbage-anthropic-sse':
      return new Response(anthropicStream(true).join(''), { headers: SSE_HEADERS })
    case 'bad-json-anthropic-sse': {
      const frames = anthropicStream(false)
      frames.splice(3, 0, 'event: content_block_delta\ndata: {"type":"content_block_delta", this is not json\n\n')
      return new Response(frames.join(''), { headers: SSE_HEADERS })
    }
    case 'huge-json':
      return new Response(hugeJson(c), { headers: { 'content-type': 'application/json' } })
    case 'huge-sse':
      return new Response(hugeSse(c), { headers: SSE_HEADERS })
    case 'one-then-idle':
      return new Response(oneThenIdle(c), { headers: SSE_HEADERS })
    case 'redirect-301':
    case 'redirect-302':
    case 'redirect-307':
    case 'redirect-308':
      return new Response('moved', {
        status: Number(fault.slice('redirect-'.length)),
        headers: { location: `${c.catcher}/stolen${c.path}?key=sk-in-the-location-query` },
      })
    case 'gzip-bomb':
      return new Response(gzipBomb(c.bombBytes), {
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      })
    case 'long-line':
      return new Response(longLine(c), { headers: SSE_HEADERS })
    case 'partial-events':
      return new Response(partialEvents(c), { headers: SSE_HEADERS })
    case 'echo-key': {
      const message = `Incorrect API key provided: ${c.credential}. You can find your API key at https://platform.openai.com/account/api-keys.`
      return Response.json(
        { type: 'error', error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
        { status: 401 },
      )
    }
    default:
      return Response.json(
        { error: { message: `no such fault: ${fault}`, type: 'invalid_request_error', param: null, code: null } },
        { status: 404 },
      )
  }
}

/** Anthropic's stream events for "Hello from Claude" (https://docs.anthropic.com/en/api/messages-streaming), optionally with garbage between them. */
function anthropicStream(garbage: boolean): string[] {
  const frame = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`
  const events = [
    frame('message_start', {
      message: {
        id: 'msg_fault',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5',
        content: [],
        stop_reason: null,
        usage: { input_tokens: 5, output_tokens: 1 },
      },
    }),
    frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    frame('ping', {}),
    frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
    frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: ' from Claude' } }),
    frame('content_block_stop', { index: 0 }),
    frame('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
    frame('message_stop', {}),
  ]
  if (!garbage) return events
  // An event type Anthropic may add later is ignored, as its docs ask clients to do.
  const extra = ['event: some_future_event\ndata: {"type":"some_future_event","x":1}\n\n', ...SSE_GARBAGE]
  return events.flatMap((e, i) => (i === 0 ? [e] : [extra[i % extra.length]!, e]))
}

const PIECE = 64 * 1024

/** Hands out `parts` one per pull: only as fast as the consumer reads (Bun.serve pulls as the socket drains). */
function pulled(c: HttpContext, parts: Iterator<Uint8Array>): ReadableStream<Uint8Array> {
  const t = c.track(c.s, c.signal)
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = parts.next()
        if (next.done) {
          controller.close()
          t.ended()
          return
        }
        c.s.bytesOut += next.value.byteLength
        controller.enqueue(next.value)
      },
      cancel() {
        t.abandoned()
      },
    },
    { highWaterMark: 0 },
  )
}

function hugeJson(c: HttpContext): ReadableStream<Uint8Array> {
  const head = encoder.encode(
    '{"id":"chatcmpl-huge","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"',
  )
  const tail = encoder.encode(
    '"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}',
  )
  const filler = new Uint8Array(PIECE).fill(120) // 'x'
  return pulled(
    c,
    (function* () {
      yield head
      for (let left = c.hugeBytes - head.byteLength - tail.byteLength; left > 0; left -= PIECE)
        yield filler.subarray(0, Math.min(PIECE, left))
      yield tail
    })(),
  )
}

function hugeSse(c: HttpContext): ReadableStream<Uint8Array> {
  // Four ~16 KiB chunk events per piece; the same bytes every time.
  const piece = encoder.encode(chunkFrame('x'.repeat(16 * 1024 - 200)).repeat(4))
  const tail = encoder.encode(`${chunkFrame('')}data: [DONE]\n\n`)
  return pulled(
    c,
    (function* () {
      for (let sent = 0; sent < c.hugeBytes; sent += piece.byteLength) yield piece
      yield tail
    })(),
  )
}

/** What a request presented as its credential: a bearer token, or an x-api-key / api-key / x-goog-api-key. */
function credentialOf(headers: Headers): string {
  const bearer = headers.get('authorization')?.replace(/^Bearer /, '')
  return bearer ?? headers.get('x-api-key') ?? headers.get('api-key') ?? headers.get('x-goog-api-key') ?? ''
}

const BOMB_MEMBER = 64 * 1024 * 1024
const bombs = new Map<number, Uint8Array>()

/**
 * A gzip body of `bytes` zeros: one gzip member of 64 MiB of zeros (65 KB at level 9) repeated, since a
 * gzip file may be several members one after the other (RFC 1952 §2.2), which fetch inflates as one body.
 */
function gzipBomb(bytes: number): Uint8Array {
  let bomb = bombs.get(bytes)
  if (!bomb) {
    const member = Bun.gzipSync(new Uint8Array(BOMB_MEMBER), { level: 9 })
    const count = Math.max(1, Math.round(bytes / BOMB_MEMBER))
    bomb = new Uint8Array(member.byteLength * count)
    for (let i = 0; i < count; i++) bomb.set(member, i * member.byteLength)
    bombs.set(bytes, bomb)
  }
  return bomb
}

function longLine(c: HttpContext): ReadableStream<Uint8Array> {
  const filler = new Uint8Array(PIECE).fill(120) // 'x'
  return pulled(
    c,
    (function* () {
      yield encoder.encode('data: ')
      for (let left = c.lineBytes; left > 0; left -= PIECE) yield filler.subarray(0, Math.min(PIECE, left))
    })(),
  )
}

function partialEvents(c: HttpContext): ReadableStream<Uint8Array> {
  // 64 KiB of whole `data:` lines, none of them followed by the blank line that would end an event.
  const line = `data: {"partial":"${'y'.repeat(1000)}"}\n`
  const piece = encoder.encode(line.repeat(Math.floor(PIECE / line.length)))
  return pulled(
    c,
    (function* () {
      for (let sent = 0; sent < c.lineBytes; sent += piece.byteLength) yield piece
    })(),
  )
}

function oneThenIdle(c: HttpContext): ReadableStream<Uint8Array> {
  const t = c.track(c.s, c.signal)
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(chunkFrame('first and last')))
    },
    pull() {
      // Never resolves: the stream stays open until the peer leaves.
      return new Promise<void>(() => {})
    },
    cancel() {
      t.abandoned()
    },
  })
}

// --- raw TCP ---

/** Reads one HTTP/1.1 request head (and its content-length body) off `socket`, then calls `done`. */
function readRequest(socket: Socket, done: (path: string, body: string) => void): void {
  let buffer = Buffer.alloc(0)
  const onData = (data: Buffer) => {
    buffer = Buffer.concat([buffer, data])
    const end = buffer.indexOf('\r\n\r\n')
    if (end === -1) return
    const head = buffer.subarray(0, end).toString('latin1')
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
    if (buffer.byteLength < end + 4 + length) return
    socket.off('data', onData)
    const path = head.split(' ')[1] ?? '/'
    done(path, buffer.subarray(end + 4, end + 4 + length).toString('utf8'))
  }
  socket.on('data', onData)
}

function actTcp(
  fault: TcpFault,
  socket: Socket,
  stream: boolean,
  s: FaultStats,
  abandon: (s: FaultStats) => void,
): void {
  const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`
  const sseHead =
    'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n'
  switch (fault) {
    case 'reset':
      socket.resetAndDestroy()
      return
    case 'silence': {
      s.open++
      socket.write(
        stream ? sseHead : 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n',
      )
      socket.once('close', () => {
        s.open--
        abandon(s)
      })
      return
    }
    case 'cut-mid-event':
    case 'end-mid-event': {
      const third = chunkFrame(' never')
      socket.write(sseHead)
      socket.write(chunk(chunkFrame('one')))
      socket.write(chunk(chunkFrame('two')))
      socket.write(chunk(third.slice(0, third.length >> 1)))
      // Let the bytes reach the gateway before the cut (a reset could overtake them).
      setTimeout(() => (fault === 'end-mid-event' ? socket.end('0\r\n\r\n') : socket.destroy()), 50)
      return
    }
    case 'garbage':
      socket.end('SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 this is not HTTP \xff\xfe\r\n\r\n')
      return
    default:
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n')
  }
}
