// Builds a gateway in-process on an ephemeral port from a TOML config (the same loader the binary
// uses), and collects unexpected errors so that tests can fail on them.
import { parseConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/core/log'
import { createPipeline, PendingWrites } from '../../src/extensions/pipeline'
import type { Extension } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import type { DispatchOptions } from '../../src/routing/dispatch'
import { type AppContext, createContext } from '../../src/server/context'
import { type RunningServer, startServer } from '../../src/server/listen'
import type { Store } from '../../src/storage/store'

export interface TestGateway extends AsyncDisposable {
  readonly url: string
  readonly ctx: AppContext
  readonly server: RunningServer
  /** Log lines at error level (unexpected failures). */
  errors(): string[]
  logs(): string[]
  fetch(path: string, init?: RequestInit): Promise<Response>
  chat(body: unknown, init?: { key?: string; headers?: Record<string, string> }): Promise<Response>
}

export interface GatewayOptions {
  env?: Record<string, string>
  dispatch?: Partial<DispatchOptions>
  /** The storage extensions use (test/support/stores.ts opens each backend); memory when absent. */
  store?: Store
  /** Extensions to run instead of those in the TOML (to observe hooks). */
  extensions?: Extension[]
  /** Follow other instances' admin changes (pub/sub and polling every this many ms). */
  followMs?: number
  /** The config file, for SIGHUP-style reloads (ctx.live.reload()). */
  configPath?: string
}

/** Fast backoff so retry tests do not wait 100 ms per retry; the jitter rule itself is unit-tested. */
export const FAST_DISPATCH: Partial<DispatchOptions> = { backoffBaseMs: 1, retryAfterCapMs: 50 }

export async function startGateway(toml: string, options: GatewayOptions = {}): Promise<TestGateway> {
  const config = parseConfig(toml, 'test.toml', PROVIDER_RULES, options.env ?? {})
  const log = memoryLogger('info')
  const pipeline = options.extensions ? createPipeline(options.extensions, log, new PendingWrites(log)) : undefined
  const ctx = createContext(config, {
    log,
    dispatch: { ...FAST_DISPATCH, ...options.dispatch },
    store: options.store,
    pipeline,
    configPath: options.configPath,
  })
  await ctx.live.refresh()
  if (options.followMs) await ctx.live.follow(options.followMs)
  const server = startServer(ctx, { hostname: '127.0.0.1', port: 0 })
  const gateway: TestGateway = {
    url: server.url,
    ctx,
    server,
    errors: () => log.lines.filter((l) => JSON.parse(l).level === 'error'),
    logs: () => log.lines,
    fetch: (path, init) => fetch(server.url + path, init),
    chat: (body, init = {}) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
          ...init.headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    async [Symbol.asyncDispose]() {
      await ctx.live.stop()
      await server.shutdown(1000)
      await ctx.pipeline.flush()
    },
  }
  return gateway
}

/** A TOML provider table pointing at a mock upstream. */
export function provider(name: string, url: string, models: string[], extra = ''): string {
  return `[providers.${name}]\nkind = "openai"\napi_key = "sk-upstream-${name}"\nbase_url = "${url}/v1"\nmodels = ${JSON.stringify(models)}\n${extra}\n`
}

/** Reads an SSE body into its `data:` payloads. */
export async function readSse(response: Response): Promise<string[]> {
  const text = await response.text()
  return text
    .split('\n\n')
    .filter((f) => f.trim())
    .map((f) => f.replace(/^data: /, ''))
}

/** A response's JSON body, untyped (tests assert on its shape). */
export function jsonOf(response: Response): Promise<any> {
  return response.json() as Promise<any>
}
