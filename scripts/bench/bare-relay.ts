// The bench's floor for this runtime: the least a Bun HTTP relay can do. Bun.serve + fetch forwards the
// method, path, query, headers and body bytes to one upstream and streams the answer's body back as it
// comes. No routing, auth, parsing, limits or logging: whatever crabllm adds beyond this is its own code.
// Run as a process: `bun scripts/bench/bare-relay.ts --upstream URL [--port N]` prints
// `bare relay listening on URL`.

export interface BareRelayOptions {
  /** Origin to forward to, `http://127.0.0.1:PORT`. */
  upstream: string
  /** 0 (default) picks a free port. */
  port?: number
}

export interface BareRelay extends AsyncDisposable {
  readonly url: string
  stop(): Promise<void>
}

export function startBareRelay(options: BareRelayOptions): BareRelay {
  const origin = options.upstream.replace(/\/+$/, '')
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    idleTimeout: 255,
    async fetch(request) {
      const url = request.url
      // request.url is absolute; keep its path and query.
      const path = url.slice(url.indexOf('/', url.indexOf('//') + 2))
      const headers = new Headers(request.headers)
      for (const name of REQUEST_HOP_BY_HOP) headers.delete(name)
      const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
      const upstream = await fetch(origin + path, {
        method: request.method,
        headers,
        body: hasBody ? await request.arrayBuffer() : undefined,
        // Cancel the upstream call when the client goes away.
        signal: request.signal,
      })
      const out = new Headers(upstream.headers)
      // fetch hands over a decoded body: its length is no longer the upstream's content-length.
      if (out.has('content-encoding')) out.delete('content-length')
      for (const name of RESPONSE_HOP_BY_HOP) out.delete(name)
      return new Response(upstream.body, { status: upstream.status, headers: out })
    },
  })
  const stop = () => server.stop(true)
  return { url: `http://127.0.0.1:${server.port}`, stop, [Symbol.asyncDispose]: stop }
}

// --- internal ---

/** RFC 9110 §7.6.1 connection-specific fields, plus host (fetch sets it) and content-length (fetch recomputes it). */
const REQUEST_HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]
/** Connection-specific fields, and content-encoding: fetch decoded the body it hands over. */
const RESPONSE_HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'content-encoding']

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const upstream = arg('upstream')
  if (!upstream) {
    console.error('usage: bun scripts/bench/bare-relay.ts --upstream URL [--port N]')
    process.exit(2)
  }
  const relay = startBareRelay({ upstream, port: Number(arg('port') ?? 0) })
  process.stdout.write(`bare relay listening on ${relay.url}\n`)
  const stop = () => void relay.stop().then(() => process.exit(0))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
