// A Catalog: the config's [models] entries (and its cloud_models file) over the catalog compiled into
// the binary. Built once per config (a SIGHUP reload builds a new one); a lookup is memoized per name,
// and a scheduled price is chosen at each call (it may change at a date or an hour).
import { dirname, isAbsolute, resolve } from 'node:path'
import { ConfigError } from '../config/errors'
import { entryPrice, type ModelEntry, modelsIssue } from '../config/model-entry'
import type { Config } from '../config/schema'
import { readCloudModels } from './cloud-models'
import { type CatalogData, EMBEDDED } from './data'
import { type CatalogHit, createLookup } from './lookup'
import { priceAt } from './schedule'
import type { Catalog, ModelFacts, ModelPrice } from './types'

export interface CatalogOptions {
  /**
   * The config file: named in errors, and a relative cloud_models path is read beside it. Absent:
   * "config", and the path is relative to the working directory.
   */
  configFile?: string
  /** The clock for scheduled prices (ms since the epoch). */
  now?: () => number
  /** The catalog data (tests); the embedded one by default. */
  data?: CatalogData
}

/** What a catalog reads of a config: its [models] and cloud_models. */
export type CatalogConfig = Pick<Config, 'models' | 'cloud_models'> & Partial<Pick<Config, 'providers'>>

/** The catalog for `config`; throws ConfigError for a bad [models] entry or cloud_models file. */
export function buildCatalog(config: CatalogConfig, options: CatalogOptions = {}): Catalog {
  const data = options.data ?? EMBEDDED
  const now = options.now ?? Date.now
  const lookup = createLookup(data)
  const entries = configEntries(config, options.configFile)
  const free = echoOnly(config)

  const factsOf = (name: string | undefined, entry: ModelEntry | undefined, hit: CatalogHit | undefined) => {
    const price: ModelPrice | undefined = (entry && entryPrice(entry)) ?? (hit && priceAt(hit.model, now()))
    const model = hit?.model
    const facts: ModelFacts = {
      id: entry && name !== undefined ? name : model!.id,
      ...(hit && { provider: hit.provider.id }),
      ...defined('context_length', entry?.context_length ?? model?.context_length),
      ...defined('max_output', entry?.max_output ?? model?.max_output),
      ...defined('vision', entry?.vision ?? model?.vision),
      ...defined('tools', entry?.tools ?? model?.tools),
      ...defined('reasoning', entry?.reasoning ?? model?.reasoning),
      ...(price && { price }),
      source: entry && hit ? 'both' : entry ? 'config' : 'catalog',
    }
    return facts
  }

  return {
    facts(model, requestedModel) {
      const asked = requestedModel !== undefined && requestedModel !== model ? requestedModel : undefined
      const name = entries.has(model) ? model : asked !== undefined && entries.has(asked) ? asked : undefined
      const entry = name !== undefined ? entries.get(name) : undefined
      const hit = lookup(model) ?? (asked !== undefined ? lookup(asked) : undefined)
      if (!entry && !hit)
        return free.has(model) ? { id: model, provider: 'echo', price: FREE, source: 'config' } : undefined
      return factsOf(name, entry, hit)
    },
    list() {
      const out: ModelFacts[] = []
      const covered = new Set<string>()
      for (const [name, entry] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const hit = lookup(name)
        if (hit) covered.add(`${hit.provider.id}\n${hit.model.id}`)
        out.push(factsOf(name, entry, hit))
      }
      for (const provider of data.providers)
        for (const model of provider.models)
          if (!covered.has(`${provider.id}\n${model.id}`)) out.push(factsOf(undefined, undefined, { provider, model }))
      return out
    },
  }
}

/**
 * The catalog of `config`, built on first use and kept as long as the config object lives (a reload's
 * new config gets its own). A relative cloud_models path is read from the working directory: serve
 * resolves it beside the config file when loading.
 */
export function catalogOf(config: CatalogConfig): Catalog {
  let catalog = BUILT.get(config)
  if (!catalog) BUILT.set(config, (catalog = buildCatalog(config)))
  return catalog
}

// --- internal ---

const BUILT = new WeakMap<CatalogConfig, Catalog>()

/** The cloud_models file's entries, then [models] over them field by field (a price replaces a price). */
const FREE: ModelPrice = { input: 0, output: 0 }

/**
 * The models only the built-in echo provider serves that nothing prices: they call no one, so they cost
 * nothing (priced at 0, not unpriced). A model echo stands in for (gpt-4o in a test) keeps its price.
 */
function echoOnly(config: CatalogConfig): Set<string> {
  const echo = new Set<string>()
  const elsewhere = new Set<string>()
  for (const provider of Object.values(config.providers ?? {}))
    for (const model of provider.models) (provider.kind === 'echo' ? echo : elsewhere).add(model)
  for (const model of elsewhere) echo.delete(model)
  return echo
}

function configEntries(config: CatalogConfig, configFile: string | undefined): Map<string, ModelEntry> {
  const file = configFile ?? 'config'
  const issue = modelsIssue(config.models)
  if (issue) throw new ConfigError(file, issue.field, issue.problem, issue.fix)
  const entries = new Map<string, ModelEntry>()
  if (config.cloud_models !== undefined) {
    const base = configFile ? dirname(resolve(configFile)) : process.cwd()
    const path = isAbsolute(config.cloud_models) ? config.cloud_models : resolve(base, config.cloud_models)
    for (const [name, entry] of Object.entries(readCloudModels(path))) entries.set(name, entry)
  }
  for (const [name, entry] of Object.entries(config.models)) {
    const under = entries.get(name)
    entries.set(name, under ? overlay(under, entry) : entry)
  }
  return entries
}

/** `top` over `under`, field by field; a price in `top` (either shape) replaces the price in `under`. */
function overlay(under: ModelEntry, top: ModelEntry): ModelEntry {
  const priced = entryPrice(top) !== undefined
  const { pricing, prompt_cost_per_million, completion_cost_per_million, ...rest } = under
  const base = priced ? rest : under
  return { ...base, ...Object.fromEntries(Object.entries(top).filter(([, v]) => v !== undefined)) }
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
