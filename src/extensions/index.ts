// name → factory: the only file that lists every extension. The pipeline runs them in the order the
// config lists them; each gets its own storage namespace.
import type { Principal } from '../auth'
import { catalogOf } from '../catalog'
import type { Config, ExtensionsConfig } from '../config/schema'
import type { Logger } from '../core/log'
import type { Store } from '../storage/store'
import { auditExtension } from './audit'
import { budgetExtension } from './budget'
import { cacheExtension } from './cache'
import { loggingExtension } from './logging'
import { createPipeline, type Generation, livePipeline, PendingWrites, type Pipeline } from './pipeline'
import { createPricer } from './pricing'
import { rateLimitExtension } from './rate-limit'
import type { Extension, ExtensionFactory } from './types'
import { usageExtension } from './usage/index'

export { migrateToKeyIds } from './key-identity'
export type { Pipeline } from './pipeline'
export type { Cost, Extension, ExtensionRoute, RequestContext, TokenEstimate, Usage } from './types'

type Factories = { [K in keyof ExtensionsConfig]-?: ExtensionFactory<NonNullable<ExtensionsConfig[K]>> }

const FACTORIES: Factories = {
  audit: auditExtension,
  logging: loggingExtension,
  usage: usageExtension,
  budget: budgetExtension,
  cache: cacheExtension,
  rate_limit: rateLimitExtension,
}

/**
 * The pipeline of `config`'s extensions, which a reload rebuilds (Pipeline.prepare) from the new config
 * with the same storage, log and key listing. `internal` extensions (metrics) run first, before those
 * the config lists, in every generation.
 */
export function buildPipeline(
  config: Config,
  store: Store,
  log: Logger,
  principals: () => readonly Principal[] = () => [],
  internal: readonly Extension[] = [],
): Pipeline {
  const pending = new PendingWrites(log)
  const warned = new Set<string>()
  const build = (config: Config): Generation => {
    // One catalog per config (built once, shared with the model routes): prices for every extension
    // and the pipeline's cost of each answer.
    const catalog = catalogOf(config)
    const extensions = [...internal]
    try {
      for (const [name, options] of Object.entries(config.extensions ?? {})) {
        // The schema only lets known names through, so every name has a factory.
        const factory = FACTORIES[name as keyof Factories] as ExtensionFactory<unknown>
        if (options === undefined) continue
        extensions.push(
          factory({
            options,
            config,
            catalog,
            store: store.namespace(name),
            log,
            defer: (work) => pending.defer(work, name),
            principals,
          }),
        )
      }
    } catch (err) {
      // Those built so far stop their timers: the reload that asked for them is refused.
      for (const ext of extensions.slice(internal.length)) void ext.flush?.().catch(() => {})
      throw err
    }
    return createPipeline(extensions, log, pending, { pricer: createPricer(catalog), warned })
  }
  return livePipeline(build(config), build, pending, log)
}
