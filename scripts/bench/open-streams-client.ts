// The open-streams client: opens N streaming requests at once, reads every one to its end, and prints
// one JSON line (OpenStreamsClientResult). It runs as its own process because Bun's fetch keeps at most
// 256 requests in flight per process unless BUN_CONFIG_MAX_HTTP_REQUESTS is set before the process
// starts (setting it at run time has no effect; measured on Bun 1.4.5), and so that its work does not
// share a thread with the bench. open-streams.ts spawns it with that variable raised.
// Usage: `bun scripts/bench/open-streams-client.ts '<OpenStreamsClientSpec as JSON>'`.
import { type Summary, summarize } from './load'

export interface OpenStreamsClientSpec {
  url: string
  headers: Record<string, string>
  /** The request body, as text. */
  body: string
  streams: number
  /** An answer of another length counts as an error. */
  expectBytes: number
  /** Each stream gives up after this long. */
  timeoutMs: number
}

export interface OpenStreamsClientResult {
  streams: number
  completed: number
  errors: number
  firstError?: string
  /** From the first request sent to the last stream finished. */
  wallMs: number
  /** Per stream: request sent → first body byte, and → last body byte. */
  ttfb: Summary
  total: Summary
  /** Most streams that had their first byte and not yet their last, at one time, seen from the client. */
  peakOpen: number
}

export async function openStreams(spec: OpenStreamsClientSpec): Promise<OpenStreamsClientResult> {
  const body = new TextEncoder().encode(spec.body)
  const ttfb: number[] = []
  const total: number[] = []
  let errors = 0
  let firstError: string | undefined
  let open = 0
  let peakOpen = 0
  const started = Bun.nanoseconds()
  const one = async () => {
    const t0 = Bun.nanoseconds()
    let counted = false
    try {
      const response = await fetch(spec.url, {
        method: 'POST',
        headers: spec.headers,
        body,
        signal: AbortSignal.timeout(spec.timeoutMs),
      })
      if (response.status !== 200 || !response.body)
        throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`)
      let bytes = 0
      let first = 0
      for await (const chunk of response.body) {
        if (chunk.byteLength === 0) continue
        if (first === 0) {
          first = Bun.nanoseconds()
          open++
          counted = true
          if (open > peakOpen) peakOpen = open
        }
        bytes += chunk.byteLength
      }
      const t1 = Bun.nanoseconds()
      if (bytes !== spec.expectBytes) throw new Error(`expected a ${spec.expectBytes}-byte stream, got ${bytes} bytes`)
      ttfb.push((first - t0) / 1e6)
      total.push((t1 - t0) / 1e6)
    } catch (err) {
      errors++
      firstError ??= err instanceof Error ? err.message : String(err)
    } finally {
      if (counted) open--
    }
  }
  await Promise.all(Array.from({ length: spec.streams }, one))
  return {
    streams: spec.streams,
    completed: total.length,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    wallMs: (Bun.nanoseconds() - started) / 1e6,
    ttfb: summarize(ttfb),
    total: summarize(total),
    peakOpen,
  }
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '') as OpenStreamsClientSpec
  const result = await openStreams(spec)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
