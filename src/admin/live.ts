// Live reconfiguration: the routing registry and the key table are rebuilt from the config file plus
// what the admin API stored, then swapped in one synchronous step. A request reads them once when it
// starts, so requests in flight finish on the old ones and new requests use the new ones.
// Other instances learn of a change through storage pub/sub (Redis) and, as a safety net, by polling
// the version counter; SIGHUP re-reads the config file.
import { createAuthenticator } from '../auth'
import { ConfigError } from '../config/errors'
import { loadConfigFile, validateProvider } from '../config/load'
import type { Config } from '../config/schema'
import type { Logger } from '../core/log'
import { PROVIDER_RULES } from '../providers'
import { buildRegistry } from '../routing/registry'
import type { AdminStore, KeyRecord, ProviderRecord } from './store'
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
  /** A re-read config file waiting to be swapped in with the registry and keys built from it. */
  let pendingConfig: Config | undefined

  const build = async () => {
    const config = pendingConfig ?? ctx.config
    const seen = await admin.version()
    const [keys, providers] = await Promise.all([admin.keys(), admin.providers()])
    const merged = withProviders(config, providers, ctx.log)
    const registry = buildRegistry(merged, ctx.registry)
    const auth = createAuthenticator(config.keys, config.admin_token, usableKeys(config, keys, ctx.log))
    // The swap: one synchronous step (the config file with what was built from it).
    if (pendingConfig === config) pendingConfig = undefined
    ctx.config = config
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
      await admin.store
        .publish?.(CHANGES_CHANNEL, String(version))
        .catch((err) => ctx.log.error('announcing an admin change failed', { error: String(err) }))
    },
    async reload() {
      if (!configPath) return undefined
      let config: Config | undefined
      try {
        config = (await loadConfigFile(configPath, PROVIDER_RULES)).config
        // Applied only together with the registry and keys built from it: if that fails, the old
        // config keeps serving, and a later resync does not half-apply the reported file.
        pendingConfig = config
        await refresh()
        if (pendingConfig === config) throw new Error('the new config was not applied')
        ctx.log.warn('config reloaded', {
          config: configPath,
          models: ctx.registry.models.length,
          providers: ctx.registry.providers.size,
        })
        return undefined
      } catch (err) {
        if (config && pendingConfig === config) pendingConfig = undefined
        const error = err instanceof ConfigError ? err : new ConfigError(configPath, '', (err as Error).message)
        ctx.log.error('config reload failed; the previous config keeps serving', { error: error.message })
        return error
      }
    },
    async follow(resyncMs) {
      let lastFailure = 0
      const check = async () => {
        try {
          if ((await admin.version()) !== version) await refresh()
        } catch (err) {
          // At most one line per 10 s while storage is down.
          if (Date.now() - lastFailure >= 10_000) {
            lastFailure = Date.now()
            ctx.log.error('admin resync failed', { error: err instanceof Error ? err.message : String(err) })
          }
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

/** The API's keys, minus those a config-file key's name shadows and records that are not keys. */
function usableKeys(config: Config, records: readonly KeyRecord[], log: Logger): KeyRecord[] {
  return records.filter((k) => {
    if (config.keys.some((c) => c.name === k.name)) return false
    const valid =
      k && typeof k.hash === 'string' && Array.isArray(k.models) && k.models.every((m) => typeof m === 'string')
    if (!valid) log.error('a stored API key is invalid and is not accepted', { key: String(k?.name) })
    return valid
  })
}

/**
 * The config with the API's providers added; the config file wins a name conflict. A record that is
 * not a valid provider (written by another version, or by hand) is skipped and reported, so that it
 * cannot block every other change, a key's revocation included, on every instance.
 */
function withProviders(config: Config, records: readonly ProviderRecord[], log: Logger): Config {
  if (records.length === 0) return config
  const providers = { ...config.providers }
  for (const record of records) {
    if (Object.hasOwn(config.providers, record.name)) {
      log.warn('an API provider has the name of a config-file provider; the config file wins', {
        provider: record.name,
      })
      continue
    }
    const checked = validateProvider(record.config, PROVIDER_RULES)
    if (!checked.ok) {
      const { field, problem } = checked.issue
      log.error('a stored API provider is invalid and is not served', {
        provider: record.name,
        error: `${field ? `${field}: ` : ''}${problem}`,
      })
      continue
    }
    providers[record.name] = checked.config
  }
  return { ...config, providers }
}
