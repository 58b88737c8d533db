// Helpers of the security tests: a gateway whose log keeps every line down to trace, a raw HTTP/1.1
// request over a socket (so that a path reaches the server exactly as written, with `..`, `%2F` and an
// arbitrary Host, which fetch() would normalise), and a check that a text holds no secret.
import { expect } from 'bun:test'
import { parseConfig } from '../../src/config/load'
import { createLogger, type Logger } from '../../src/core/log'
import { PROVIDER_RULES } from '../../src/providers'
import { type AppContext, createContext } from '../../src/server/context'
import { type RunningServer, startServer } from '../../src/server/listen'
import type { Store } from '../../src/storage/store'
import { FAST_DISPATCH } from '../support/gateway'

export interface TraceGateway extends AsyncDisposable {
  readonly url: string
  readonly ctx: AppContext
  readonly server: RunningServer
  /** Every log line, trace level included (JSON lines). */
  lines(): string[]
  fetch(path: string, init?: RequestInit): Promise<Response>
}

/**
 * startGateway (test/support/gateway.ts) with the gateway's own log at trace, as `-vvv` runs it: JSON
 * lines, or with `text: true` the text format the binary writes by default. `lines()` are the writes.
 */
export async function startTraceGateway(
  toml: string,
  store?: Store,
  options: { text?: boolean } = {},
): Promise<TraceGateway> {
  const config = parseConfig(toml, 'security.toml', PROVIDER_RULES, {})
  const written: string[] = []
  const log: Logger = createLogger({ level: 'trace', json: !options.text, write: (line) => written.push(line) })
  const ctx = createContext(config, { log, dispatch: FAST_DISPATCH, store })
  await ctx.live.refresh()
  const server = startServer(ctx, { hostname: '127.0.0.1', port: 0 })
  return {
    url: server.url,
    ctx,
    server,
    lines: () => written,
    fetch: (path, init) => fetch(server.url + path, init),
    async [Symbol.asyncDispose]() {
      await ctx.live.stop()
      await server.shutdown(1000)
      await ctx.pipeline.flush()
    },
  }
}

export interface RawAnswer {
  status: number
  head: string
  body: string
}

/**
 * One HTTP/1.1 request written byte for byte on a new connection (`connection: close`). `host: null`
 * sends no Host line; the default is the server's own address.
 */
export async function rawRequest(
  port: number,
  method: string,
  target: string,
  options: { host?: string | null; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  const host = options.host === undefined ? `127.0.0.1:${port}` : options.host
  let head = `${method} ${target} HTTP/1.1\r\n`
  if (host !== null) head += `host: ${host}\r\n`
  for (const [k, v] of Object.entries(options.headers ?? {})) head += `${k}: ${v}\r\n`
  if (options.body !== undefined) head += `content-length: ${Buffer.byteLength(options.body)}\r\n`
  head += 'connection: close\r\n\r\n'
  const { promise, resolve, reject } = Promise.withResolvers<string>()
  const chunks: Buffer[] = []
  await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      open(socket) {
        socket.write(head + (options.body ?? ''))
      },
      data(_socket, data) {
        chunks.push(Buffer.from(data))
      },
      close() {
        resolve(Buffer.concat(chunks).toString('utf8'))
      },
      error(_socket, err) {
        reject(err)
      },
    },
  })
  const text = await promise
  const split = text.indexOf('\r\n\r\n')
  const statusLine = text.slice(0, text.indexOf('\r\n'))
  return {
    status: Number(statusLine.split(' ')[1]),
    head: text.slice(0, split),
    body: split === -1 ? '' : text.slice(split + 4),
  }
}

/** Length of the pieces of a secret's hidden middle that count as a leak. */
const PIECE = 12

/**
 * The parts of a secret that must never show: the whole of it, and every 12-character piece of its
 * middle (what a masked form such as "sk-AbCd…wxyz" hides), so that a partial leak is caught too.
 */
export function secretParts(secret: string): string[] {
  const middle = secret.slice(7, -4)
  const parts = [secret]
  for (let i = 0; i + PIECE <= middle.length; i++) parts.push(middle.slice(i, i + PIECE))
  return parts
}

/** Fails, naming the secret and the context, if `text` holds any part of any secret. */
export function expectNoSecret(text: string, secrets: Record<string, string>, where: string): void {
  for (const [name, secret] of Object.entries(secrets))
    for (const part of secretParts(secret))
      if (text.includes(part))
        expect(`${where} holds ${name}: …${excerpt(text, part)}…`).toBe(`${where} holds no ${name}`)
}

function excerpt(text: string, part: string): string {
  const at = text.indexOf(part)
  return text.slice(Math.max(0, at - 80), at + part.length + 40)
}
