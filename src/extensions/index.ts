// name → factory: the only file that lists every extension. The pipeline runs them in the order the
// config lists them; each gets its own storage namespace.
import type { Principal } from '../auth'
import type { Config, ExtensionsConfig } from '../config/schema'
import type { Logger } from '../core/log'
import type { Store } from '../storage/store'
import { auditExtension } from './audit'
import { budgetExtension } from './budget'
import { cacheExtension } from './cache'
import { loggingExtension } from './logging'
import { createPipeline, PendingWrites, type Pipeline } from './pipeline'
import { rateLimitExtension } from './rate-limit'
import type { Extension, ExtensionFactory } from './types'
import { usageExtension } from './usage/index'

export type { Pipeline } from './pipeline'
export type { Extension, ExtensionRoute, RequestContext, TokenEstimate, Usage } from './types'

type Factories = { [K in keyof ExtensionsConfig]-?: ExtensionFactory<NonNullable<ExtensionsConfig[K]>> }

const FACTORIES: Factories = {
  audit: auditExtension,
  logging: loggingExtension,
  usage: usageExtension,
  budget: budgetExtension,
  cache: cacheExtension,
  rate_limit: rateLimitExtension,
}

/** `internal` extensions (metrics) run first, before those the config lists. */
export function buildPipeline(
  config: Config,
  store: Store,
  log: Logger,
  principals: () => readonly Principal[] = () => [],
  internal: readonly Extension[] = [],
): Pipeline {
  const pending = new PendingWrites(log)
  const extensions = [...internal]
  for (const [name, options] of Object.entries(config.extensions ?? {})) {
    // The schema only lets known names through, so every name has a factory.
    const factory = FACTORIES[name as keyof Factories] as ExtensionFactory<unknown>
    if (options === undefined) continue
    extensions.push(
      factory({
        options,
        config,
        store: store.namespace(name),
        log,
        defer: (work) => pending.defer(work, name),
        principals,
      }),
    )
  }
  return createPipeline(extensions, log, pending)
}
