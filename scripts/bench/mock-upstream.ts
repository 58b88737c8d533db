// The bench's upstream: a Bun.serve OpenAI-compatible mock that answers as fast as it can with fixed,
// precomputed bytes (a chat.completion, an SSE stream of N chunks flushed one by one, an embedding).
// It does not record or script anything; test/support/mock-upstream.ts is the mock for tests.
// Run as a process: `bun scripts/bench/mock-upstream.ts [--port N] [--chunks N]` prints `mock listening on URL`.

export interface BenchUpstreamOptions {
  /** 0 (default) picks a free port. */
  port?: number
  /** `chat.completion.chunk` events per stream, before the final usage event and `[DONE]` (default 20). */
  chunks?: number
  /** Floats per embedding vector (default 1536, like text-embedding-3-small). */
  dimensions?: number
}

export interface BenchUpstream extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string
  readonly port: number
  /** The exact bytes each answer carries, so that callers can check what they got. */
  readonly bodies: { chat: Uint8Array; stream: Uint8Array; embeddings: Uint8Array }
  stop(): Promise<void>
}

export const BENCH_MODEL = 'bench-model'

export function startBenchUpstream(options: BenchUpstreamOptions = {}): BenchUpstream {
  const frames = streamFrames(options.chunks ?? 20)
  const chat = encoder.encode(JSON.stringify(chatCompletion()))
  const embeddings = encoder.encode(JSON.stringify(embeddingResponse(options.dimensions ?? 1536)))
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    // Keep-alive connections stay up between bench rounds.
    idleTimeout: 255,
    routes: {
      '/v1/chat/completions': {
        async POST(request) {
          const text = await request.text()
          if (!STREAM_TRUE.test(text)) return new Response(chat, { headers: JSON_HEADERS })
          return new Response(sseBody(frames), { headers: SSE_HEADERS })
        },
      },
      '/v1/embeddings': {
        async POST(request) {
          await request.arrayBuffer()
          return new Response(embeddings, { headers: JSON_HEADERS })
        },
      },
    },
    fetch: () => new Response('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}', { status: 404, headers: JSON_HEADERS }),
  })
  const port = server.port!
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bodies: { chat, stream: concatAll(frames), embeddings },
    stop: () => server.stop(true),
    [Symbol.asyncDispose]: () => server.stop(true),
  }
}

// --- internal ---

const encoder = new TextEncoder()
const STREAM_TRUE = /"stream"\s*:\s*true/
const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }
const CREATED = 1_730_000_000

/** Each frame is written and flushed on its own, as a real model emits tokens one at a time. */
function sseBody(frames: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'direct',
    async pull(controller) {
      for (const frame of frames) {
        controller.write(frame)
        await controller.flush()
        // Yield to the event loop so that each frame leaves in its own write (no timer: no added wait).
        await new Promise<void>((resolve) => setImmediate(resolve))
      }
      controller.close()
    },
  }) as ReadableStream<Uint8Array>
}

function chatCompletion() {
  return {
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion',
    created: CREATED,
    model: BENCH_MODEL,
    system_fingerprint: 'fp_bench',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Latency is the time between asking and getting an answer; a gateway should add as little of it as it can.',
          refusal: null,
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 24, completion_tokens: 24, total_tokens: 48 },
  }
}

function streamFrames(chunks: number): Uint8Array[] {
  const base = { id: 'chatcmpl-bench0000000000000000000000', object: 'chat.completion.chunk', created: CREATED, model: BENCH_MODEL, system_fingerprint: 'fp_bench' }
  const frame = (value: unknown) => encoder.encode(`data: ${JSON.stringify(value)}\n\n`)
  const out: Uint8Array[] = [frame({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] })]
  for (let i = 0; i < chunks; i++)
    out.push(frame({ ...base, choices: [{ index: 0, delta: { content: ` token${i}` }, logprobs: null, finish_reason: null }] }))
  out.push(frame({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }))
  out.push(frame({ ...base, choices: [], usage: { prompt_tokens: 24, completion_tokens: chunks, total_tokens: 24 + chunks } }))
  out.push(encoder.encode('data: [DONE]\n\n'))
  return out
}

function embeddingResponse(dimensions: number) {
  // Deterministic values with realistic width (≈10 characters each).
  const embedding = Array.from({ length: dimensions }, (_, i) => Math.round(Math.sin(i + 1) * 1e8) / 1e9)
  return { object: 'list', data: [{ object: 'embedding', index: 0, embedding }], model: BENCH_MODEL, usage: { prompt_tokens: 8, total_tokens: 8 } }
}

function concatAll(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

if (import.meta.main) {
  const flag = (name: string) => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? Number(process.argv[i + 1]) : undefined
  }
  const upstream = startBenchUpstream({ port: flag('port') ?? 0, chunks: flag('chunks') ?? 20 })
  process.stdout.write(`mock listening on ${upstream.url}\n`)
  const stop = () => void upstream.stop().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
