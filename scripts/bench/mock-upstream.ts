// The bench's upstream: a Bun.serve mock of OpenAI's chat completions, embeddings and Responses API and
// of Anthropic's Messages API that answers from fixed, precomputed bytes with zero model latency, except
// for the deliberately slow stream. On /v1/chat/completions the answer is chosen by the request's model
// name (BENCH_MODELS), so one process serves every scenario. /v1/responses answers one Response object
// and /v1/messages one Message (after checking the x-api-key and anthropic-version headers, as Anthropic
// does), both with the same text and token counts as the chat completion (BENCH_REPLY), so that a
// translated answer can be checked against them. It does not record or script anything;
// test/support/mock-upstream.ts is the mock for tests.
// Run as a process: `bun scripts/bench/mock-upstream.ts [--port N] [--chunks N] [--long-chunks N]
// [--slow-chunks N] [--slow-interval-ms MS]` prints `mock listening on URL`.
import { responseObject } from '../../test/support/responses-wire'

export interface BenchUpstreamOptions {
  /** 0 (default) picks a free port. */
  port?: number
  /** `chat.completion.chunk` events per `bench-model` stream, before the finish and usage events and `[DONE]` (default 20). */
  chunks?: number
  /** Content chunks per `bench-long` stream (default 500). */
  longChunks?: number
  /** Content chunks per `bench-slow` stream (default 20). */
  slowChunks?: number
  /** Wait before each content chunk of a `bench-slow` stream, in ms (default 50). */
  slowIntervalMs?: number
  /** Floats per embedding vector (default 1536, like text-embedding-3-small). */
  dimensions?: number
}

/** The exact bytes of each answer the mock gives. */
export interface BenchAnswers {
  /** Non-stream `chat.completion` (any model but bench-tools). */
  chat: Uint8Array
  /** Non-stream `chat.completion` with 1 tool call (model bench-tools). */
  tools: Uint8Array
  /** SSE stream of `chunks` content chunks (bench-model, bench-tools). */
  stream: Uint8Array
  /** SSE stream of `longChunks` content chunks (bench-long). */
  longStream: Uint8Array
  /** SSE stream of `slowChunks` content chunks, `slowIntervalMs` apart (bench-slow). */
  slowStream: Uint8Array
  /** `/v1/embeddings` list with one vector. */
  embeddings: Uint8Array
  /** `/v1/responses`: a `response` object (OpenAI's Responses API) with one output_text message. */
  responses: Uint8Array
  /** `/v1/messages`: an Anthropic Message with one text block. */
  message: Uint8Array
}
export type AnswerKind = keyof BenchAnswers

export interface BenchUpstream extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`; the OpenAI base URL is `${url}/v1`. */
  readonly url: string
  readonly port: number
  readonly bodies: BenchAnswers
  /** Slow streams open right now, and the most open at once since the last reset. */
  openStreams(): { open: number; peak: number }
  stop(): Promise<void>
}

/** The model names that choose the answer. Every gateway under test must route all of them to the mock. */
export const BENCH_MODELS = {
  chat: 'bench-model',
  tools: 'bench-tools',
  long: 'bench-long',
  slow: 'bench-slow',
} as const
export const BENCH_MODEL = BENCH_MODELS.chat
/** The model of the bench's anthropic-kind deployment (its own provider, processes.ts), and of the mock's Message. */
export const BENCH_ANTHROPIC_MODEL = 'bench-anthropic'

/**
 * What the assistant says in the non-stream answers (chat completion, Response, Message) and what it
 * costs: the same in every format, so that a gateway's translation of one can be checked against the other.
 */
export const BENCH_REPLY = {
  text: 'Latency is the time between asking and getting an answer; a gateway should add as little of it as it can.',
  inputTokens: 24,
  outputTokens: 24,
} as const

/** The header Anthropic's API requires on every call (and the version crabllm speaks). */
export const ANTHROPIC_VERSION = '2023-06-01'

/** `GET` reads `{open, peak}` for slow streams; `DELETE` resets the peak to what is open now. */
export const OPEN_STREAMS_PATH = '/bench/open-streams'

export function startBenchUpstream(options: BenchUpstreamOptions = {}): BenchUpstream {
  const slowIntervalMs = options.slowIntervalMs ?? 50
  const frames = streamFrames(options.chunks ?? 20)
  const longFrames = streamFrames(options.longChunks ?? 500)
  const slowFrames = streamFrames(options.slowChunks ?? 20)
  const chat = encoder.encode(JSON.stringify(chatCompletion()))
  const tools = encoder.encode(JSON.stringify(toolCallCompletion()))
  const embeddings = encoder.encode(JSON.stringify(embeddingResponse(options.dimensions ?? 1536)))
  const responses = encoder.encode(JSON.stringify(benchResponse()))
  const message = encoder.encode(JSON.stringify(anthropicMessage()))
  const slow = { open: 0, peak: 0 }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    // Keep-alive connections stay up between bench rounds.
    idleTimeout: 255,
    routes: {
      '/v1/chat/completions': {
        async POST(request) {
          const text = await request.text()
          const model = MODEL.exec(text)?.[1]
          if (!STREAM_TRUE.test(text))
            return new Response(model === BENCH_MODELS.tools ? tools : chat, { headers: JSON_HEADERS })
          if (model === BENCH_MODELS.slow)
            return new Response(slowSseBody(slowFrames, slowIntervalMs, slow), { headers: SSE_HEADERS })
          return new Response(sseBody(model === BENCH_MODELS.long ? longFrames : frames), { headers: SSE_HEADERS })
        },
      },
      '/v1/embeddings': {
        async POST(request) {
          await request.arrayBuffer()
          return new Response(embeddings, { headers: JSON_HEADERS })
        },
      },
      '/v1/responses': {
        async POST(request) {
          await request.arrayBuffer()
          return new Response(responses, { headers: JSON_HEADERS })
        },
      },
      '/v1/messages': {
        async POST(request) {
          await request.arrayBuffer()
          // Anthropic's API refuses a call without its key header or its version header.
          if (!request.headers.get('x-api-key'))
            return anthropicError(401, 'authentication_error', 'x-api-key header is required')
          if (!request.headers.get('anthropic-version'))
            return anthropicError(400, 'invalid_request_error', 'anthropic-version: header is required')
          return new Response(message, { headers: JSON_HEADERS })
        },
      },
      [OPEN_STREAMS_PATH]: {
        GET: () => Response.json({ open: slow.open, peak: slow.peak }),
        DELETE: () => {
          slow.peak = slow.open
          return Response.json({ open: slow.open, peak: slow.peak })
        },
      },
    },
    fetch: () =>
      new Response('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}', {
        status: 404,
        headers: JSON_HEADERS,
      }),
  })
  const port = server.port!
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    bodies: {
      chat,
      tools,
      stream: concatAll(frames),
      longStream: concatAll(longFrames),
      slowStream: concatAll(slowFrames),
      embeddings,
      responses,
      message,
    },
    openStreams: () => ({ ...slow }),
    stop: () => server.stop(true),
    [Symbol.asyncDispose]: () => server.stop(true),
  }
}

// --- internal ---

const encoder = new TextEncoder()
/** The bench's bodies put `model` first, so this stops within the first few bytes. */
const MODEL = /"model"\s*:\s*"([^"]*)"/
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

/**
 * A model that takes its time: the role frame at once, then each content chunk `intervalMs` after the
 * previous one, then the finish, usage and `[DONE]` frames. Counts how many such streams are open.
 */
function slowSseBody(
  frames: readonly Uint8Array[],
  intervalMs: number,
  count: { open: number; peak: number },
): ReadableStream<Uint8Array> {
  const content = frames.length - TAIL_FRAMES
  return new ReadableStream({
    type: 'direct',
    async pull(controller) {
      count.open++
      if (count.open > count.peak) count.peak = count.open
      try {
        for (let i = 0; i < frames.length; i++) {
          if (i >= 1 && i < content) await Bun.sleep(intervalMs)
          controller.write(frames[i]!)
          await controller.flush()
        }
        controller.close()
      } finally {
        count.open--
      }
    },
  }) as ReadableStream<Uint8Array>
}

/** After the content chunks: finish, usage, [DONE]. */
const TAIL_FRAMES = 3

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
        message: { role: 'assistant', content: BENCH_REPLY.text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: BENCH_REPLY.inputTokens,
      completion_tokens: BENCH_REPLY.outputTokens,
      total_tokens: BENCH_REPLY.inputTokens + BENCH_REPLY.outputTokens,
    },
  }
}

/**
 * A Response object as OpenAI's Responses API answers a non-stream `POST /v1/responses`: the tests'
 * documented shape (test/support/responses-wire.ts), with the bench's reply and counts.
 */
function benchResponse() {
  return responseObject({
    id: 'resp_bench0000000000000000000000000000000000000000000',
    model: BENCH_MODEL,
    text: BENCH_REPLY.text,
    usage: { input: BENCH_REPLY.inputTokens, output: BENCH_REPLY.outputTokens },
  })
}

/** A Message as Anthropic's Messages API answers a non-stream `POST /v1/messages` (https://docs.anthropic.com/en/api/messages). */
function anthropicMessage() {
  return {
    id: 'msg_bench0000000000000000000',
    type: 'message',
    role: 'assistant',
    model: BENCH_ANTHROPIC_MODEL,
    content: [{ type: 'text', text: BENCH_REPLY.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: BENCH_REPLY.inputTokens, output_tokens: BENCH_REPLY.outputTokens },
  }
}

/** An error in Anthropic's shape (https://docs.anthropic.com/en/api/errors). */
function anthropicError(status: number, type: string, message: string): Response {
  return Response.json({ type: 'error', error: { type, message } }, { status })
}

function toolCallCompletion() {
  return {
    id: 'chatcmpl-bench0000000000000000000001',
    object: 'chat.completion',
    created: CREATED,
    model: BENCH_MODELS.tools,
    system_fingerprint: 'fp_bench',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_bench000000000000000000',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Lisbon","unit":"celsius"}' },
            },
          ],
          refusal: null,
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: 812, completion_tokens: 19, total_tokens: 831 },
  }
}

function streamFrames(chunks: number): Uint8Array[] {
  const base = {
    id: 'chatcmpl-bench0000000000000000000000',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: BENCH_MODEL,
    system_fingerprint: 'fp_bench',
  }
  const frame = (value: unknown) => encoder.encode(`data: ${JSON.stringify(value)}\n\n`)
  const out: Uint8Array[] = [
    frame({
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    }),
  ]
  for (let i = 0; i < chunks; i++)
    out.push(
      frame({
        ...base,
        choices: [{ index: 0, delta: { content: ` token${i}` }, logprobs: null, finish_reason: null }],
      }),
    )
  // TAIL_FRAMES: these three.
  out.push(frame({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null }))
  out.push(
    frame({ ...base, choices: [], usage: { prompt_tokens: 24, completion_tokens: chunks, total_tokens: 24 + chunks } }),
  )
  out.push(encoder.encode('data: [DONE]\n\n'))
  return out
}

function embeddingResponse(dimensions: number) {
  // Deterministic values with realistic width (≈10 characters each).
  const embedding = Array.from({ length: dimensions }, (_, i) => Math.round(Math.sin(i + 1) * 1e8) / 1e9)
  return {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding }],
    model: BENCH_MODEL,
    usage: { prompt_tokens: 8, total_tokens: 8 },
  }
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
  const upstream = startBenchUpstream({
    port: flag('port') ?? 0,
    chunks: flag('chunks') ?? 20,
    longChunks: flag('long-chunks') ?? 500,
    slowChunks: flag('slow-chunks') ?? 20,
    slowIntervalMs: flag('slow-interval-ms') ?? 50,
  })
  process.stdout.write(`mock listening on ${upstream.url}\n`)
  const stop = () => void upstream.stop().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
