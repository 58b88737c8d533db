// AppContext: everything a request needs, passed explicitly (no module singletons), so that a test
// can run two gateways in one process.
import { createLive, type Live } from '../admin/live'
import { AdminStore } from '../admin/store'
import { type Authenticator, createAuthenticator } from '../auth'
import type { Config } from '../config/schema'
import type { Logger } from '../core/log'
import { buildPipeline, type Pipeline } from '../extensions'
import { createMetrics, type Metrics } from '../metrics'
import type { Inflight } from '../relay/admit'
import { abortableSleep, type DispatchOptions } from '../routing/dispatch'
import { buildRegistry, type Registry } from '../routing/registry'
import { memoryStore } from '../storage/memory'
import type { WorkerSnapshot } from '../storage/shared'
import type { Store } from '../storage/store'

/** A worker process's view of the whole gateway (`workers = N`): every worker's snapshot. */
export interface Cluster {
  /** This worker's number (1…workers). */
  readonly worker: number
  gather(): Promise<WorkerSnapshot[]>
}

export interface AppContext {
  /** The config file as loaded (replaced on SIGHUP). */
  config: Config
  /** Swapped as a whole by live reconfiguration (src/admin/live.ts); read once per request. */
  registry: Registry
  auth: Authenticator
  readonly log: Logger
  readonly dispatch: DispatchOptions
  /** Model requests in flight (streams until they end): for graceful shutdown and the max_inflight caps. */
  readonly inflight: Inflight
  readonly store: Store
  /** The storage's `responses` namespace: stored Responses (relay/conversation.ts). */
  readonly responses: Store
  readonly pipeline: Pipeline
  /** Prometheus metrics; absent when `metrics = false`. */
  readonly metrics?: Metrics
  /** Keys and providers made through the admin API. */
  readonly admin: AdminStore
  readonly live: Live
  /** Present in a worker of a multi-worker gateway: /metrics and the stats answer for every worker. */
  readonly cluster?: Cluster
}

export interface ContextOptions {
  log: Logger
  dispatch?: Partial<DispatchOptions>
  /** The storage backend (serve opens the configured one); in memory when absent. */
  store?: Store
  /** Replaces the pipeline built from config.extensions (tests drive hooks with their own). */
  pipeline?: Pipeline
  /** The config file, for SIGHUP reloads. */
  configPath?: string
  /** Set in a worker process of a multi-worker gateway. */
  cluster?: Cluster
}

export const DEFAULT_DISPATCH: DispatchOptions = {
  backoffBaseMs: 100,
  retryAfterCapMs: 10_000,
  random: Math.random,
  sleep: abortableSleep,
}

export function createContext(config: Config, options: ContextOptions): AppContext {
  const store = options.store ?? memoryStore()
  const admin = new AdminStore(store.namespace('admin'))
  // The swappable part first: metrics, the pipeline and live reconfiguration read it at request time,
  // and live swaps its config, registry and keys in place. The rest is added to the same object.
  const base = {
    config,
    registry: buildRegistry(config),
    auth: createAuthenticator(config.keys, config.admin_token),
    log: options.log,
    inflight: { count: 0, byKey: new Map<string, number>() },
    store,
    admin,
    responses: store.namespace('responses'),
  }
  const metrics = config.metrics === false ? undefined : createMetrics(base)
  const dispatch = { ...DEFAULT_DISPATCH, ...options.dispatch, ...(metrics && { observer: metrics.observer }) }
  const pipeline =
    options.pipeline ??
    buildPipeline(config, store, options.log, () => base.auth.principals, metrics ? [metrics.extension] : [])
  return Object.assign(base, {
    metrics,
    dispatch,
    pipeline,
    live: createLive(base, admin, options.configPath),
    cluster: options.cluster,
  })
}
