// Binds the app to a port (a port in use is an error unless reuse_port) and drains it on shutdown: stop
// accepting, let in-flight requests and streams finish for up to shutdown_timeout, then close the rest.
import type { Server } from 'bun'
import { createApp } from './app'
import type { AppContext } from './context'

export interface RunningServer {
  readonly url: string
  readonly hostname: string
  readonly port: number
  /** Graceful stop: resolves 'drained' when everything finished in time, else 'forced'. */
  shutdown(timeoutMs: number): Promise<'drained' | 'forced'>
}

/** Headroom over max_body_size for Bun's own limit, so our 413 (with a JSON body) answers first. */
const BODY_HEADROOM = 64 * 1024

export function startServer(
  ctx: AppContext,
  address: { hostname: string; port: number },
  options: { reusePort?: boolean } = {},
): RunningServer {
  const state = { draining: false }
  const app = createApp(ctx, state)
  app.listen({
    hostname: address.hostname,
    port: address.port,
    maxRequestBodySize: ctx.config.max_body_size + BODY_HEADROOM,
    // Applies to reading requests (slow or stalled headers and bodies) and idle keep-alive connections;
    // model routes lift it once the request is read (a model may be silent for longer).
    idleTimeout: ctx.config.client_idle_timeout ?? 60,
    // Elysia turns SO_REUSEPORT on; with it a second gateway on a taken port starts without a word and
    // the kernel splits new connections between the two. Off, a taken port fails here (EADDRINUSE).
    // A worker process (`workers = N`) always shares the port with its siblings.
    reusePort: options.reusePort ?? ctx.config.reuse_port === true,
  })
  const server = app.server as Server<unknown>
  const hostname = server.hostname ?? address.hostname
  const port = server.port ?? address.port
  const host = hostname.includes(':') ? `[${hostname}]` : hostname
  return {
    url: `http://${host}:${port}`,
    hostname,
    port,
    async shutdown(timeoutMs) {
      state.draining = true
      let timer: Timer | undefined
      const drained = server.stop(false).then(() => 'drained' as const)
      const deadline = new Promise<'forced'>((resolve) => {
        timer = setTimeout(() => resolve('forced'), timeoutMs)
      })
      const outcome = await Promise.race([drained, deadline])
      clearTimeout(timer)
      if (outcome === 'forced') await server.stop(true)
      return outcome
    },
  }
}
