// Load against a running gateway: a fast OpenAI-compatible upstream (Bun.serve; records nothing, so it
// can run for minutes) and a closed-loop load generator that tags every request with its own
// x-request-id and sorts the outcomes: complete 200 answers (a JSON body read whole, a stream read to
// its [DONE]), other statuses with their error code, and transport failures. Used by the durability
// and Redis-outage e2e tests and by scripts/soak.ts.

export interface LoadUpstreamOptions {
  /** Each answer waits a uniformly random delay in [minDelayMs, maxDelayMs] first (model latency). */
  minDelayMs?: number
  maxDelayMs?: number
}

export interface LoadUpstream extends AsyncDisposable {
  readonly url: string
  /** Requests answered so far. */
  readonly answered: number
  stop(): Promise<void>
}

const encoder = new TextEncoder()

/** Chat completions (JSON, or SSE with a usage chunk when asked) and embeddings, OpenAI-shaped. */
export function startLoadUpstream(options: LoadUpstreamOptions = {}): LoadUpstream {
  const min = options.minDelayMs ?? 0
  const max = options.maxDelayMs ?? min
  let answered = 0
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 60,
    async fetch(request) {
      const path = new URL(request.url).pathname
      const body = (await request.json()) as Record<string, any>
      const delay = min + Math.random() * (max - min)
      if (delay > 0) await Bun.sleep(delay)
      answered++
      if (path.endsWith('/embeddings')) {
        const inputs: unknown[] = Array.isArray(body.input) ? body.input : [body.input]
        const tokens = inputs.reduce<number>((n, i) => n + tokensOf(String(i)), 0)
        return Response.json({
          object: 'list',
          model: body.model,
          data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3, 0.4] })),
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        })
      }
      const last = body.messages?.at?.(-1)?.content
      const prompt = tokensOf(typeof last === 'string' ? last : JSON.stringify(body.messages ?? ''))
      const words = ['the', 'answer', 'is', String(prompt)]
      const usage = { prompt_tokens: prompt, completion_tokens: words.length, total_tokens: prompt + words.length }
      const id = `chatcmpl-${answered}`
      if (!body.stream) {
        return Response.json({
          id,
          object: 'chat.completion',
          created: 1,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop' }],
          usage,
        })
      }
      const chunk = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
      let sse = chunk({ role: 'assistant', content: '' }, null)
      for (const w of words) sse += chunk({ content: `${w} ` }, null)
      sse += chunk({}, 'stop')
      if (body.stream_options?.include_usage)
        sse += `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage })}\n\n`
      sse += 'data: [DONE]\n\n'
      return new Response(encoder.encode(sse), { headers: { 'content-type': 'text/event-stream' } })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    get answered() {
      return answered
    },
    stop: () => server.stop(true),
    [Symbol.asyncDispose]: () => server.stop(true),
  }
}

/** One request the load sends: where, and the JSON body. */
export interface LoadRequest {
  path: '/v1/chat/completions' | '/v1/embeddings'
  body: Record<string, unknown>
}

/** A chat request (JSON), a stream (`stream: true`) or an embeddings request, by index: a steady mix. */
export function mixedRequest(model: string, embeddingModel: string | undefined, i: number): LoadRequest {
  const content = `question ${i}: ${'why '.repeat(i % 13)}?`
  if (embeddingModel && i % 4 === 3) return { path: '/v1/embeddings', body: { model: embeddingModel, input: content } }
  if (i % 4 === 1)
    return { path: '/v1/chat/completions', body: { model, stream: true, messages: [{ role: 'user', content }] } }
  return { path: '/v1/chat/completions', body: { model, messages: [{ role: 'user', content }] } }
}

export interface LoadOptions {
  /** The gateway's base URL. */
  url: string
  key: string
  workers: number
  /** Prefix of the x-request-id of each request (`${idPrefix}-${n}`). */
  idPrefix: string
  /** The n-th request (default: a chat completion of model `m`). */
  request?: (n: number) => LoadRequest
  /** Pace the whole load to about this many requests per second (default: as fast as answers come). */
  ratePerSecond?: number
  /** Keep every id and result (default true); false keeps only `counts` (a long soak). */
  keep?: boolean
}

export interface LoadResult {
  /** Request id, its status (0 = transport failure), error code, when it was sent and how long it took (ms, performance.now()). */
  id: string
  status: number
  code: string | null
  sent: number
  ms: number
  /** x-ratelimit-remaining-requests, when the answer had it (the rate limiter could count the request). */
  remaining: number | null
}

export interface Load {
  /** Every request sent, by id. */
  readonly attempted: Set<string>
  /** Requests that got a complete 200 answer. */
  readonly answered: Set<string>
  /** Every finished request, in the order they finished. */
  readonly results: LoadResult[]
  /** Finished requests by outcome: `200`, `503 storage_unavailable`, `0 ECONNREFUSED`, `200 incomplete`, … */
  readonly counts: Map<string, number>
  /** Resolves once `n` more requests finished with a result matching `match` (from the time of the call). */
  waitFor(match: (r: LoadResult) => boolean, n?: number): Promise<LoadResult>
  /** Stops sending and waits for the requests in flight (they succeed or fail on their own). */
  stop(): Promise<void>
}

/** Starts `workers` loops, each sending one request at a time until stop(). */
export function startLoad(options: LoadOptions): Load {
  const attempted = new Set<string>()
  const answered = new Set<string>()
  const results: LoadResult[] = []
  const counts = new Map<string, number>()
  const keep = options.keep ?? true
  const waiters = new Set<{ match: (r: LoadResult) => boolean; left: number; resolve: (r: LoadResult) => void }>()
  const request =
    options.request ??
    ((n: number): LoadRequest => ({
      path: '/v1/chat/completions',
      body: { model: 'm', messages: [{ role: 'user', content: `q${n}` }] },
    }))
  const intervalMs = options.ratePerSecond ? (1000 * options.workers) / options.ratePerSecond : 0
  let stopped = false
  let n = 0

  const finish = (r: LoadResult) => {
    const outcome = r.code === null ? String(r.status) : `${r.status} ${r.code}`
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
    if (keep) results.push(r)
    for (const w of waiters) {
      if (!w.match(r) || --w.left > 0) continue
      waiters.delete(w)
      w.resolve(r)
    }
  }
  const once = async () => {
    const i = n++
    const id = `${options.idPrefix}-${i}`
    const { path, body } = request(i)
    if (keep) attempted.add(id)
    const sent = performance.now()
    let status = 0
    let code: string | null = null
    let remaining: number | null = null
    try {
      const res = await fetch(options.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json', 'x-request-id': id },
        body: JSON.stringify(body),
      })
      status = res.status
      const header = res.headers.get('x-ratelimit-remaining-requests')
      if (header !== null) remaining = Number(header)
      const text = await res.text()
      if (status === 200) {
        // Complete: a JSON body that parses, or a stream that reached its [DONE].
        if (body.stream === true ? text.trimEnd().endsWith('data: [DONE]') : isJson(text)) {
          if (keep) answered.add(id)
        } else code = 'incomplete'
      } else {
        code = errorCode(text)
      }
    } catch (err) {
      status = 0
      code = (err as { code?: string }).code ?? (err as Error).name
    }
    finish({ id, status, code, sent, ms: performance.now() - sent, remaining })
  }
  const worker = async (w: number) => {
    // Paced workers start spread over one interval so that the load is even.
    let next = performance.now() + (intervalMs * w) / options.workers
    while (!stopped) {
      if (intervalMs) {
        const wait = next - performance.now()
        if (wait > 0) await Bun.sleep(wait)
        next = Math.max(next + intervalMs, performance.now() - intervalMs)
        if (stopped) break
      }
      await once()
    }
  }
  const running = Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w)))
  return {
    attempted,
    answered,
    results,
    counts,
    waitFor(match, count = 1) {
      const { promise, resolve } = Promise.withResolvers<LoadResult>()
      waiters.add({ match, left: count, resolve })
      return promise
    },
    async stop() {
      stopped = true
      await running
    },
  }
}

// --- internal ---

function tokensOf(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4))
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function errorCode(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { code?: string | null; type?: string } }
    return body.error?.code ?? body.error?.type ?? null
  } catch {
    return null
  }
}
