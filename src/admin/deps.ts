// What the admin API reads of the gateway: a narrow view of the server's AppContext (the config in force,
// the breakers, the key table, the admin store, live reconfiguration and the live gauges), so that
// admin/ depends on the floors below it and not on the shell that assembles them.
import type { Authenticator } from '../auth'
import type { Config } from '../config/schema'
import type { Logger } from '../core/log'
import type { Registry } from '../routing/registry'
import type { WorkerSnapshot } from '../storage/shared'
import type { Store } from '../storage/store'
import type { Live } from './live'
import type { AdminStore } from './store'

export interface AdminDeps {
  /** The config file in force (keys and providers listed read-only, aliases, admin_token). */
  readonly config: Config
  /** Each provider's circuit breaker, for the provider views. */
  readonly registry: Pick<Registry, 'breakers'>
  readonly auth: Authenticator
  /** Keys and providers made through the admin API. */
  readonly admin: AdminStore
  /** After every change: store the version, rebuild, tell the other instances. */
  readonly live: Pick<Live, 'changed'>
  readonly log: Logger
  /** The audit records the stats read (the audit extension's namespace). */
  readonly store: Pick<Store, 'namespace'>
  /** The extensions configured, by name (stats says which are on). */
  /** The extensions by name; flush() writes what they hold back (refusals the audit log aggregates). */
  readonly pipeline: { readonly names: readonly string[]; flush(): Promise<void> }
  /** Live gauges for the stats: requests in flight, streams open. */
  readonly inflight: { readonly count: number }
  readonly metrics?: { openStreams(): number }
  /** In a worker of a multi-worker gateway: every worker's live gauges (the stats add them up). */
  readonly cluster?: { gather(): Promise<WorkerSnapshot[]> }
}
