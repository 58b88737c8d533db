// Counters by key identity: usage, spend and rate-limit windows are kept under a key's id
// (Principal.id), not its name, so a key deleted and made again under the same name starts from zero.
// The previous release kept them under names; migrateToKeyIds moves those to the ids of the keys that
// have the names now, once, at start (admin/live.ts, the first build, before the gateway serves):
//
// - each counter moves in one atomic step (Store.move: one Lua script on Redis, one synchronous step on
//   SQLite), so gateways starting together on one Redis cannot both add the same counter, and a
//   migration cut short (a crash) is finished by the next start without counting anything twice;
// - the marker `migrations:key-ids` is set once it is done: from then on no name is read as a key's
//   again (counters a deleted key left under its name would otherwise go to a new key of that name);
// - counters under a name no key has at that moment stay where they are (listed under that name);
// - memory storage has nothing to migrate (it starts empty).
import type { Principal } from '../auth'
import type { Logger } from '../core/log'
import type { Store } from '../storage/store'
import { migrateBudget } from './budget'
import { migrateRateLimit } from './rate-limit'
import { migrateUsage } from './usage/index'

/** The marker, in the `migrations` namespace. */
export const KEY_IDS_MARKER = 'key-ids'

export interface Migrated {
  usage: number
  budget: number
  rate_limit: number
}

/**
 * Moves the counters kept under the names of `keys` to their ids, unless the marker says it was done.
 * Resolves with what was moved, or undefined when there was nothing to do.
 */
export async function migrateToKeyIds(
  store: Store,
  keys: readonly Pick<Principal, 'id' | 'name'>[],
  log: Logger,
): Promise<Migrated | undefined> {
  if (store.kind === 'memory') return undefined
  const markers = store.namespace('migrations')
  if ((await markers.get(KEY_IDS_MARKER)) !== undefined) return undefined
  // A name that is some key's id is left alone: its counters are that key's already.
  const taken = new Set(keys.map((k) => k.id))
  const ids = new Map<string, string>()
  for (const key of keys) if (!taken.has(key.name)) ids.set(key.name, key.id)
  const moved: Migrated = {
    usage: await migrateUsage(store.namespace('usage'), ids),
    budget: await migrateBudget(store.namespace('budget'), ids),
    rate_limit: await migrateRateLimit(store.namespace('rate_limit'), ids),
  }
  await markers.set(KEY_IDS_MARKER, JSON.stringify({ at: new Date().toISOString(), moved }))
  if (moved.usage + moved.budget + moved.rate_limit > 0)
    log.warn('counters moved from key names to key ids (once)', { ...moved, keys: ids.size })
  return moved
}
