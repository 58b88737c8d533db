// Live reconfiguration: the registry and key table are rebuilt from the config file plus the admin store
// and swapped in one synchronous step (requests in flight finish on the old ones); other instances follow
// through pub/sub and version polling; SIGHUP re-reads the file. A reload that would empty or open the
// gateway is refused unless it sets allow_unsafe_reload, and a revoked key stays refused when storage goes
// back to an older state (a snapshot restore, Redis restarted without AOF).
//
// A re-read file also rebuilds the extensions ([extensions.*]) and the model catalog ([models] prices),
// in the same step: the reload is refused as a whole when they cannot be built. [storage] is not
// reloaded (the open store keeps serving; a change is reported and applies at the next restart).
// The first build moves the counters an older release kept under key names to key ids (once:
// extensions/key-identity.ts), before the gateway serves.
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs'
import { createAuthenticator } from '../auth'
import { ConfigError } from '../config/errors'
import { loadConfigFile, validateProvider } from '../config/load'
import type { Config } from '../config/schema'
import type { Logger } from '../core/log'
import { migrateToKeyIds, type Pipeline } from '../extensions'
import { PROVIDER_RULES } from '../providers'
import { buildRegistry } from '../routing/registry'
import type { Store } from '../storage/store'
import type { AdminStore, KeyRecord, ProviderRecord } from './store'
import { CHANGES_CHANNEL, MAX_RECORDS } from './store'

/** The parts of the context that live reconfiguration swaps. */
export interface Swappable {
  config: Config
  registry: ReturnType<typeof buildRegistry>
  auth: ReturnType<typeof createAuthenticator>
  log: Logger
  /** The storage (counters move from key names to ids at the first build). */
  readonly store: Store
  /** The extensions; a re-read file rebuilds them (Pipeline.prepare) with the registry and keys. */
  readonly pipeline?: Pick<Pipeline, 'prepare'>
}

export interface Live {
  /** Rebuilds from the config and storage, and swaps. */
  refresh(): Promise<void>
  /**
   * After a change made through this instance: bump the version, rebuild, tell the others. `revoked`: the
   * digest of a key it deleted, remembered before anything else.
   */
  changed(change?: { revoked?: string }): Promise<void>
  /**
   * Re-reads the config file (SIGHUP). On a broken file, or one the reload guard refuses, the old config
   * keeps serving; the error is returned.
   */
  reload(): Promise<ConfigError | undefined>
  /** Starts following other instances' changes (pub/sub and polling every `resyncMs`). */
  follow(resyncMs: number): Promise<void>
  stop(): Promise<void>
  /** The version counter this instance last built from. */
  readonly version: number
  /** Digests of the API keys this instance knows were revoked: refused even if storage brings them back. */
  readonly revoked: ReadonlySet<string>
  /**
   * Keeps the revoked digests in `file` too (read now, appended to as keys are revoked), so that a gateway
   * restarted after storage went back to an older state still refuses them. A file it cannot write is
   * reported once (warn) and the digests are kept in memory only.
   */
  keepRevocations(file: string): void
}

/** What `keepRevocations` writes first into a new file. */
const REVOCATIONS_HEADER =
  '# crabllm: SHA-256 digests (base64) of revoked API keys, one a line. A key listed here stays refused even\n' +
  '# if storage is restored from an older state. Not secrets; keep the file, deleting it forgets revocations.\n'
const DIGEST = /^[A-Za-z0-9+/]{43}=$/

export function createLive(ctx: Swappable, admin: AdminStore, configPath?: string): Live {
  let version = -1
  let timer: ReturnType<typeof setInterval> | undefined
  let unsubscribe: (() => Promise<void>) | undefined
  let building: Promise<void> | undefined
  let again = false
  /** A re-read config file waiting to be swapped in with the registry and keys built from it. */
  let pendingConfig: Config | undefined
  /** Digests of the API keys in storage at the last build (none before the first). */
  let stored: ReadonlySet<string> | undefined
  const revoked = new Set<string>()
  let revocationsFile: string | undefined
  /** Set by changed() when its bump did not take the counter past the version built from. */
  let counterWentBack = false
  /** Whether the first build has run the key-id migration. */
  let migrated = false

  /** A digest gone from storage while the version moved forward was deleted: the key was revoked. */
  const remember = (hash: string) => {
    if (revoked.has(hash)) return
    revoked.add(hash)
    if (!revocationsFile) return
    try {
      appendDurably(revocationsFile, `${hash}\n`)
    } catch (err) {
      ctx.log.error('recording a revoked key in the revocations file failed; it is kept in memory', {
        file: revocationsFile,
        error: (err as Error).message,
      })
    }
  }

  const build = async () => {
    const config = pendingConfig ?? ctx.config
    const seen = await admin.version()
    const [records, providers] = await Promise.all([admin.keys(), admin.providers()])
    const digests = new Set(records.flatMap((k) => (typeof k?.hash === 'string' ? [k.hash] : [])))
    // The counter only grows, so a lower one means storage lost changes: what went missing since was not
    // necessarily deleted (keys made after the restored state are simply lost), so nothing is learnt from it.
    const wentBack = counterWentBack || (version >= 0 && seen < version)
    if (wentBack)
      ctx.log.error('admin storage went back to an older state: keys and providers changed since are lost', {
        version: seen,
        applied: version,
        revoked_kept: revoked.size,
        fix: 'turn on Redis AOF (appendonly yes, appendfsync everysec); revoked keys stay refused',
      })
    // A listing cut at its bound drops keys that are still there: nothing is learnt from it either.
    else if (stored && records.length < MAX_RECORDS) for (const hash of stored) if (!digests.has(hash)) remember(hash)
    const returned = records.filter((k) => revoked.has(k?.hash))
    const keys = usableKeys(
      config,
      records.filter((k) => !revoked.has(k?.hash)),
      ctx.log,
    )
    const merged = withProviders(config, providers, ctx.log)
    const registry = buildRegistry(merged, ctx.registry)
    const auth = createAuthenticator(config.keys, config.admin_token, keys)
    if (!migrated) {
      migrated = true
      await migrateToKeyIds(ctx.store, auth.principals, ctx.log).catch((err: unknown) =>
        ctx.log.error('moving counters from key names to key ids failed; the next start tries again', {
          error: err instanceof Error ? err.message : String(err),
        }),
      )
    }
    // A re-read file's extensions and prices, built last (nothing after can fail): throws to refuse the reload.
    const swapExtensions = pendingConfig === config ? ctx.pipeline?.prepare?.(config) : undefined
    // The swap: one synchronous step (the config file with what was built from it).
    if (pendingConfig === config) pendingConfig = undefined
    ctx.config = config
    ctx.registry = registry
    ctx.auth = auth
    swapExtensions?.()
    version = seen
    stored = digests
    counterWentBack = false
    if (returned.length > 0) await deleteAgain(returned)
  }

  /**
   * Deletes again the records of revoked keys that storage brought back, so that an instance which never
   * saw the revocation (one started since) refuses them too, and tells the others.
   */
  const deleteAgain = async (records: readonly KeyRecord[]) => {
    let deleted = 0
    for (const record of records) {
      // Only the record with the revoked digest: the name may belong to a new key by now.
      if ((await admin.key(record.name))?.hash !== record.hash || !(await admin.deleteKey(record.name))) continue
      deleted++
      ctx.log.error('a revoked API key came back in storage; it stays refused and was deleted again', {
        key: record.name,
      })
    }
    if (deleted === 0) return
    const bumped = await admin.bump()
    // Rebuilt from the storage as it is now, once this build's turn ends.
    again = true
    await announce(bumped)
  }

  const announce = (n: number) =>
    admin.store
      .publish?.(CHANGES_CHANNEL, String(n))
      .catch((err) => ctx.log.error('announcing an admin change failed', { error: String(err) }))

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

  /** What `next` would do that a cut or empty file does, judged with the same storage on both sides. */
  const unsafeChanges = async (next: Config): Promise<string[]> => {
    const [records, providers] = await Promise.all([admin.keys(), admin.providers()])
    const usable = records.filter((k) => !revoked.has(k?.hash))
    return judgeReload(postureOf(ctx.config, usable, providers), postureOf(next, usable, providers))
  }

  const live: Live = {
    get version() {
      return version
    },
    get revoked() {
      return revoked
    },
    refresh,
    async changed(change) {
      if (change?.revoked) remember(change.revoked)
      const before = version
      const bumped = await admin.bump()
      if (before >= 0 && bumped <= before) counterWentBack = true
      await refresh()
      await announce(version)
    },
    async reload() {
      if (!configPath) return undefined
      let config: Config | undefined
      try {
        config = (await loadConfigFile(configPath, PROVIDER_RULES)).config
        const unsafe = await unsafeChanges(config)
        if (unsafe.length > 0 && !config.allow_unsafe_reload) {
          const refused = new ConfigError(
            configPath,
            '',
            `reload refused: the new file would ${sentence(unsafe)} (an empty or cut file does this)`,
            'if this is intended, set allow_unsafe_reload = true in the new file and send SIGHUP again',
          )
          ctx.log.error('config reload refused; the previous config keeps serving', { error: refused.message })
          return refused
        }
        if (JSON.stringify(config.storage) !== JSON.stringify(ctx.config.storage))
          ctx.log.warn('config reload: [storage] changes apply at the next restart; the open storage keeps serving', {
            config: configPath,
          })
        // Applied only together with the registry, keys and extensions built from it: if that fails, the
        // old config keeps serving, and a later resync does not half-apply the reported file.
        pendingConfig = config
        await refresh()
        if (pendingConfig === config) throw new Error('the new config was not applied')
        ctx.log.warn('config reloaded', {
          config: configPath,
          models: ctx.registry.models.length,
          providers: ctx.registry.providers.size,
          ...(unsafe.length > 0 ? { allow_unsafe_reload: sentence(unsafe) } : {}),
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
    keepRevocations(file) {
      try {
        if (existsSync(file))
          for (const line of readFileSync(file, 'utf8').split('\n')) {
            const hash = line.trim()
            if (DIGEST.test(hash)) revoked.add(hash)
          }
        // Opened now, so that a file the gateway cannot write is reported at start, not at a revocation.
        const fd = openSync(file, 'a', 0o600)
        try {
          if (fstatSync(fd).size === 0) writeSync(fd, REVOCATIONS_HEADER)
        } finally {
          closeSync(fd)
        }
        revocationsFile = file
      } catch (err) {
        ctx.log.warn('the revocations file cannot be used; revoked keys are kept in memory only', {
          file,
          error: (err as Error).message,
          fix: 'let the gateway write that file: a gateway restarted after Redis lost data could accept a revoked key',
        })
      }
    },
  }
  return live
}

/** What the reload guard compares: the config file merged with what the admin API stored. */
interface Posture {
  providers: number
  /** Config-file keys and usable API keys (the admin token is not a key). */
  keys: number
  auth: boolean
  /** Config-file keys by name: true when the key may use every model. */
  everyModel: ReadonlyMap<string, boolean>
}

function postureOf(config: Config, keys: readonly KeyRecord[], providers: readonly ProviderRecord[]): Posture {
  const count = config.keys.length + usableKeys(config, keys).length
  return {
    providers: Object.keys(withProviders(config, providers).providers).length,
    keys: count,
    auth: count > 0 || config.admin_token !== undefined,
    everyModel: new Map(config.keys.map((k) => [k.name, k.models.includes('*')])),
  }
}

/**
 * The reload guard's rule; each part is what an empty or cut file does: every provider gone (nothing
 * left to serve), every key gone where there were keys, auth from on to off (an open relay on the
 * providers' keys), a config key that keeps its name but loses its model list (a table cut before its
 * `models` line: the default is every model). Fewer providers or keys, narrower keys, or a key's limits
 * removed are ordinary edits and are applied.
 */
function judgeReload(before: Posture, after: Posture): string[] {
  const unsafe: string[] = []
  if (before.providers > 0 && after.providers === 0) unsafe.push('remove every provider')
  if (before.keys > 0 && after.keys === 0) unsafe.push('remove every key')
  if (before.auth && !after.auth) unsafe.push('turn auth off')
  for (const [name, every] of after.everyModel)
    if (every && before.everyModel.get(name) === false) unsafe.push(`give key '${name}' every model`)
  return unsafe
}

/** "a, b and c". */
function sentence(parts: readonly string[]): string {
  return parts.length < 2 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`
}

/** Appends `text` and waits for the disk: a revocation must not be lost with the machine. */
function appendDurably(file: string, text: string): void {
  const fd = openSync(file, 'a', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * The API's keys, minus those a config-file key's name shadows and records that are not keys (reported
 * when `log` is given).
 */
function usableKeys(config: Config, records: readonly KeyRecord[], log?: Logger): KeyRecord[] {
  return records.filter((k) => {
    if (config.keys.some((c) => c.name === k?.name)) return false
    const valid =
      k && typeof k.hash === 'string' && Array.isArray(k.models) && k.models.every((m) => typeof m === 'string')
    if (!valid) log?.error('a stored API key is invalid and is not accepted', { key: String(k?.name) })
    return valid
  })
}

/**
 * The config with the API's providers added; the config file wins a name conflict. A record that is
 * not a valid provider (written by another version, or by hand) is skipped and reported (when `log` is
 * given), so that it cannot block every other change, a key's revocation included, on every instance.
 */
function withProviders(config: Config, records: readonly ProviderRecord[], log?: Logger): Config {
  if (records.length === 0) return config
  const providers = { ...config.providers }
  for (const record of records) {
    if (Object.hasOwn(config.providers, record.name)) {
      log?.warn('an API provider has the name of a config-file provider; the config file wins', {
        provider: record.name,
      })
      continue
    }
    const checked = validateProvider(record.config, PROVIDER_RULES)
    if (!checked.ok) {
      const { field, problem } = checked.issue
      log?.error('a stored API provider is invalid and is not served', {
        provider: record.name,
        error: `${field ? `${field}: ` : ''}${problem}`,
      })
      continue
    }
    providers[record.name] = checked.config
  }
  return { ...config, providers }
}
