// name → factory: the only file that lists every extension. The pipeline runs them in the order the
// config lists them; each gets its own storage namespace.
import type { Config, ExtensionsConfig } from '../config/schema'
import type { Logger } from '../log'
import type { Store } from '../storage/store'
import { createPipeline, PendingWrites, type Pipeline } from './pipeline'
import type { ExtensionFactory } from './types'

export type { Pipeline } from './pipeline'
export type { Extension, ExtensionRoute, RequestContext, Usage } from './types'

type Factories = { [K in keyof ExtensionsConfig]-?: ExtensionFactory<NonNullable<ExtensionsConfig[K]>> }

const FACTORIES: Partial<Factories> = {}

export const EXTENSION_NAMES = ['cache', 'rate_limit', 'usage', 'budget', 'logging', 'audit'] as const

export function buildPipeline(config: Config, store: Store, log: Logger): Pipeline {
  const pending = new PendingWrites(log)
  const extensions = []
  for (const [name, options] of Object.entries(config.extensions ?? {})) {
    const factory = FACTORIES[name as keyof Factories] as ExtensionFactory<unknown> | undefined
    if (!factory || options === undefined) continue
    extensions.push(
      factory({ options, config, store: store.namespace(name), log, defer: (work) => pending.defer(work, name) }),
    )
  }
  return createPipeline(extensions, log, pending)
}
