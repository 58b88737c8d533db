// Bun's fetch keeps at most BUN_CONFIG_MAX_HTTP_REQUESTS upstream requests in flight per process (256
// by default, read at start-up). `crabllm serve` re-executes itself with a higher limit, so that more
// than 256 streams are relayed at once; an operator's own value is kept.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UPSTREAM_REQUEST_LIMIT } from '../../src/cli/fetch-limit'
import { spawnCrabllm } from '../support/binary'

const STREAMS = 300
let dir: string
let upstream: ReturnType<typeof Bun.serve>
let open = 0
let maxOpen = 0
const release = Promise.withResolvers<void>()
const encoder = new TextEncoder()

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'crabllm-fetch-limit-'))
  // Each stream sends its first event, then waits until every stream is open (or 10 s passed).
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 30,
    fetch: () => {
      open++
      maxOpen = Math.max(maxOpen, open)
      if (open === STREAMS) release.resolve()
      const chunk = (content: string) =>
        `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode(chunk('a')))
          await Promise.race([release.promise, Bun.sleep(10_000)])
          controller.enqueue(encoder.encode(`${chunk('b')}data: [DONE]\n\n`))
          open--
          controller.close()
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    },
  })
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `listen = "127.0.0.1:0"\n[providers.up]\nkind = "openai"\napi_key = "k"\nbase_url = "http://127.0.0.1:${upstream.port}/v1"\nmodels = ["m"]\n`,
  )
})
afterAll(() => {
  release.resolve()
  upstream.stop(true)
  rmSync(dir, { recursive: true, force: true })
})

const environ = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')

/** One raw HTTP/1.1 stream request over its own socket (the test's own fetch has the 256 limit too). */
function rawStream(port: number): Promise<string> {
  const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  const request = `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`
  return new Promise((resolve, reject) => {
    let text = ''
    void Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        open: (socket) => void socket.write(request),
        data: (_socket, data) => void (text += data.toString()),
        close: () => resolve(text),
        error: (_socket, err) => reject(err),
      },
    }).catch(reject)
  })
}

test(`serve runs with BUN_CONFIG_MAX_HTTP_REQUESTS=${UPSTREAM_REQUEST_LIMIT} and relays ${STREAMS} streams at once`, async () => {
  await using gw = spawnCrabllm(['serve'], { cwd: dir, env: { BUN_CONFIG_MAX_HTTP_REQUESTS: '' } })
  const url = await gw.ready()
  // Same pid: the process re-executed itself (execve), so signals and supervisors still reach it.
  expect(environ(gw.proc.pid)).toContain(`BUN_CONFIG_MAX_HTTP_REQUESTS=${UPSTREAM_REQUEST_LIMIT}`)
  const port = Number(new URL(url).port)
  const answers = await Promise.all(Array.from({ length: STREAMS }, () => rawStream(port)))
  expect(maxOpen).toBe(STREAMS)
  for (const answer of answers) {
    expect(answer).toStartWith('HTTP/1.1 200')
    expect(answer).toContain('data: [DONE]')
  }
}, 30_000)

test("an operator's own BUN_CONFIG_MAX_HTTP_REQUESTS is kept", async () => {
  await using gw = spawnCrabllm(['serve'], { cwd: dir, env: { BUN_CONFIG_MAX_HTTP_REQUESTS: '512' } })
  await gw.ready()
  expect(environ(gw.proc.pid)).toContain('BUN_CONFIG_MAX_HTTP_REQUESTS=512')
})
