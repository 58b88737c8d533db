// What the request path reads of the gateway: a narrow view of the server's AppContext, so that relay/
// depends on the floors below it and not on the shell that assembles them.
import type { Authenticator } from '../auth'
import type { Config } from '../config/schema'
import type { GatewayError } from '../core/errors'
import type { Logger } from '../core/log'
import type { Pipeline } from '../extensions'
import type { DispatchOptions } from '../routing/dispatch'
import type { Registry } from '../routing/registry'
import type { Store } from '../storage/store'
import type { Inflight } from './admit'

export interface RelayContext {
  /** Read per request: a SIGHUP or an admin change swaps these (src/admin/live.ts). */
  readonly config: Config
  readonly registry: Registry
  readonly auth: Authenticator
  readonly log: Logger
  readonly dispatch: DispatchOptions
  readonly inflight: Inflight
  /** `durable()`: an answer leaves once its records are committed (wait_for_commit). */
  readonly store: Pick<Store, 'durable'>
  readonly pipeline: Pipeline
  /** Where stored Responses live (the storage's `responses` namespace; relay/conversation.ts). */
  readonly responses: Pick<Store, 'get' | 'set' | 'delete'>
  /** Counts the requests refused before the pipeline saw them (metrics on). */
  readonly metrics?: { refused(route: string, model: string | undefined, error: GatewayError, started: number): void }
}
