// Live reconfiguration: the routing registry and the key table are rebuilt from the config file plus
// what the admin API stored, then swapped in one synchronous step. A request reads them once when it
// starts, so requests in flight finish on the old ones and new requests use the new ones.
// Other instances learn of a change through storage pub/sub (Redis) and, as a safety net, by polling
// the version counter; SIGHUP re-reads the config file.
import { ConfigError } from '../config/errors'
import { loadConfigFile } from '../config/load'
import type { Config } from '../config/schema'
import type { Logger } from '../log'
import { buildRegistry } from '../routing/registry'
import { createAuthenticator } from '../server/auth'
import type { AdminStore, ProviderRecord } from './store'
import { CHANGES_CHANNEL } from './store'

/** The parts of the context that live reconfiguration swaps. */
export interface Swappable {
  config: Config
  registry: ReturnType<typeof buildRegistry>
  auth: ReturnType<typeof createAuthenticator>
  log: Logger
}

export interface Live {
  /** Rebuilds from the config and storage, and swaps. */
  refresh(): Promise<void>
  /** After a change made through this instance: bump the version, rebuild, tell the others. */
  changed(): Promise<void>
  /** Re-reads the config file (SIGHUP). On a broken file the old config keeps serving; the error is returned. */
  reload(): Promise<ConfigError | undefined>
  /** Starts following other instances' changes (pub/sub and polling every `resyncMs`). */
  follow(resyncMs: number): Promise<void>
  stop(): Promise<void>
  /** The version counter this instance last built from. */
  readonly version: number
}

export function createLive(ctx: Swappable, admin: AdminStore, configPath?: string): Live {
  let version = -1
  let timer: ReturnType<typeof setInterval> | undefined
  let unsubscribe: (() => Promise<void>) | undefined
  let building: Promise<void> | undefined
  let again = false

  const build = async () => {
    const seen = await admin.version()
    const [keys, providers] = await Promise.all([admin.keys(), admin.providers()])
    const merged = withProviders(ctx.config, providers, ctx.log)
    const registry = buildRegistry(merged)
    const auth = createAuthenticator(ctx.config.keys, ctx.config.admin_token, keys.filter((k) => !ctx.config.keys.some((c) => c.name === k.name)))
    // The swap: one synchronous step.
    ctx.registry = registry
    ctx.auth = auth
    version = seen
  }

  /** One rebuild at a time; a request for another while one runs is folded into one more. */
  const refresh = async (): Promise<void> => {
    if (building) {
      again = true
      return building
    }
    building = (async () => {
      try {
        do {
          again = false
          await build()
        } while (again)
      } finally {
        building = undefined
      }
    })()
    return building
  }

  const live: Live = {
    get version() {
      return version
    },
    refresh,
    async changed() {
      await admin.bump()
      await refresh()
      await admin.store.publish?.(CHANGES_CHANNEL, String(version)).catch((err) => ctx.log.error('announcing an admin change failed', { error: String(err) }))
    },
    async reload() {
      if (!configPath) return undefined
      try {
        const { config } = await loadConfigFile(configPath)
        ctx.config = config
        await refresh()
        ctx.log.warn('config reloaded', { config: configPath, models: ctx.registry.models.length, providers: ctx.registry.providers.size })
        return undefined
      } catch (err) {
        const error = err instanceof ConfigError ? err : new ConfigError(configPath, '', (err as Error).message)
        ctx.log.error('config reload failed; the previous config keeps serving', { error: error.message })
        return error
      }
    },
    async follow(resyncMs) {
      const check = async () => {
        try {
          if ((await admin.version()) !== version) await refresh()
        } catch (err) {
          ctx.log.error('admin resync failed', { error: err instanceof Error ? err.message : String(err) })
        }
      }
      if (admin.store.subscribe) {
        try {
          unsubscribe = await admin.store.subscribe(CHANGES_CHANNEL, () => void check())
        } catch (err) {
          ctx.log.error('subscribing to admin changes failed; polling only', { error: String(err) })
        }
      }
      timer = setInterval(() => void check(), resyncMs)
      timer.unref?.()
    },
    async stop() {
      if (timer) clearInterval(timer)
      await unsubscribe?.()
    },
  }
  return live
}

/** The config with the API's providers added; the config file wins a name conflict. */
function withProviders(config: Config, records: readonly ProviderRecord[], log: Logger): Config {
  if (records.length === 0) return config
  const providers = { ...config.providers }
  for (const record of records) {
    if (Object.hasOwn(config.providers, record.name)) {
      log.warn('an API provider has the name of a config-file provider; the config file wins', { provider: record.name })
      continue
    }
    providers[record.name] = record.config
  }
  return { ...config, providers }
}
