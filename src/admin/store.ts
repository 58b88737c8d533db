// What the admin API persists, in the shared storage (namespace "admin"): keys made through the API
// (their SHA-256 digest and display parts, never the secret), providers made through the API (their
// config, secrets included, since the gateway must call with them), and a version counter that
// every change bumps so that other instances notice.
import type { StoredKey } from '../auth'
import type { ProviderConfig } from '../config/schema'
import type { Store } from '../storage/store'

/** An API key as stored and listed: the digest plus what a listing may show. */
export interface KeyRecord extends StoredKey {
  /** The first characters of the secret ("sk-AbCd"), for recognising it in a listing. */
  prefix: string
  /** The last 4 characters of the secret. */
  last4: string
  created_at: string
  updated_at: string
}

export interface ProviderRecord {
  name: string
  config: ProviderConfig
  created_at: string
  updated_at: string
}

/** The channel instances announce changes on (storage namespaces prefix it). */
export const CHANGES_CHANNEL = 'changes'

/** Listing bound: more than any deployment needs; a listing says when it was cut. */
export const MAX_RECORDS = 10_000

export class AdminStore {
  constructor(readonly store: Store) {}

  async keys(): Promise<KeyRecord[]> {
    return (await this.store.list('key/', MAX_RECORDS)).map((e) => JSON.parse(e.value) as KeyRecord)
  }

  async key(name: string): Promise<KeyRecord | undefined> {
    const value = await this.store.get(`key/${name}`)
    return value === undefined ? undefined : (JSON.parse(value) as KeyRecord)
  }

  async putKey(record: KeyRecord): Promise<void> {
    await this.store.set(`key/${record.name}`, JSON.stringify(record))
  }

  /** Stores a new key; false when the name is taken (atomic, so two creates cannot both win). */
  async addKey(record: KeyRecord): Promise<boolean> {
    return this.store.add(`key/${record.name}`, JSON.stringify(record))
  }

  async deleteKey(name: string): Promise<boolean> {
    return this.store.delete(`key/${name}`)
  }

  async providers(): Promise<ProviderRecord[]> {
    return (await this.store.list('provider/', MAX_RECORDS)).map((e) => JSON.parse(e.value) as ProviderRecord)
  }

  async provider(name: string): Promise<ProviderRecord | undefined> {
    const value = await this.store.get(`provider/${name}`)
    return value === undefined ? undefined : (JSON.parse(value) as ProviderRecord)
  }

  async putProvider(record: ProviderRecord): Promise<void> {
    await this.store.set(`provider/${record.name}`, JSON.stringify(record))
  }

  /** Stores a new provider; false when the name is taken (atomic). */
  async addProvider(record: ProviderRecord): Promise<boolean> {
    return this.store.add(`provider/${record.name}`, JSON.stringify(record))
  }

  async deleteProvider(name: string): Promise<boolean> {
    return this.store.delete(`provider/${name}`)
  }

  /** The change counter: bumped after every change, read by every instance's resync. */
  async version(): Promise<number> {
    const value = await this.store.get('version')
    return value === undefined ? 0 : Number(value)
  }

  async bump(): Promise<number> {
    return this.store.increment('version', 1)
  }
}
