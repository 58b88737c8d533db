// AppContext: everything a request needs, passed explicitly (no module singletons), so that a test
// can run two gateways in one process.
import type { Config } from '../config/schema'
import { buildPipeline, type Pipeline } from '../extensions'
import type { Logger } from '../log'
import { abortableSleep, type DispatchOptions } from '../routing/dispatch'
import { buildRegistry, type Registry } from '../routing/registry'
import { memoryStore } from '../storage/memory'
import type { Store } from '../storage/store'
import { type Authenticator, createAuthenticator } from './auth'

export interface AppContext {
  readonly config: Config
  readonly registry: Registry
  readonly auth: Authenticator
  readonly log: Logger
  readonly dispatch: DispatchOptions
  /** Counts requests in flight (streams until they end), for graceful shutdown. */
  readonly inflight: { count: number }
  readonly store: Store
  readonly pipeline: Pipeline
}

export interface ContextOptions {
  log: Logger
  dispatch?: Partial<DispatchOptions>
  /** The storage backend (serve opens the configured one); in memory when absent. */
  store?: Store
  /** Replaces the pipeline built from config.extensions (tests drive hooks with their own). */
  pipeline?: Pipeline
}

export const DEFAULT_DISPATCH: DispatchOptions = {
  backoffBaseMs: 100,
  retryAfterCapMs: 10_000,
  random: Math.random,
  sleep: abortableSleep,
}

export function createContext(config: Config, options: ContextOptions): AppContext {
  const store = options.store ?? memoryStore()
  return {
    store,
    pipeline: options.pipeline ?? buildPipeline(config, store, options.log),
    config,
    registry: buildRegistry(config),
    auth: createAuthenticator(config.keys, config.admin_token),
    log: options.log,
    dispatch: { ...DEFAULT_DISPATCH, ...options.dispatch },
    inflight: { count: 0 },
  }
}
