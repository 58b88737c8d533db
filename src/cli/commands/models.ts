// `crabllm models [--config PATH] [--json] [--all]`: what the gateway knows of the models it serves
// (each provider's models, then the aliases), or with --all of every model in its catalog: provider,
// context window, max output, prices per million tokens, capabilities, and where that came from (the
// catalog compiled into the binary, the config's [models], or both). Offline: the config file and the
// embedded catalog, no running gateway.
import { existsSync } from 'node:fs'
import { buildCatalog, type Catalog, type ModelFacts, type ModelPrice } from '../../catalog'
import { loadConfigFile } from '../../config/load'
import type { Config } from '../../config/schema'
import { PROVIDER_RULES } from '../../providers'
import type { FlagSpec, Flags } from '../args'
import { formatTable, NONE } from '../table'

export const modelsFlags: FlagSpec[] = [
  {
    name: 'config',
    short: 'c',
    value: true,
    placeholder: 'PATH',
    description: 'config file (default crabllm.toml; --all works without one)',
  },
  { name: 'json', value: false, description: 'print JSON (one object per model) instead of a table' },
  { name: 'all', value: false, description: 'every model of the built-in catalog, with the config over it' },
]

/** One model as printed: the facts, and how the config serves it. */
export interface ModelRow extends Partial<Omit<ModelFacts, 'id' | 'source'>> {
  /** The name clients send: a model a provider serves, an alias, or (with --all) the catalog's id. */
  model: string
  /** For an alias: the model it stands for. */
  alias_of?: string
  /** The config's providers serving it. */
  served_by?: string[]
  /** The catalog's id, when it differs from the name (claude-sonnet-4-5 for claude-sonnet-4-5-20250929). */
  catalog_id?: string
  /** null: neither the catalog nor [models] knows the model. */
  source: ModelFacts['source'] | null
}

/** The rows for a config: its served models, then its aliases; or every catalog model with `all`. */
export function modelRows(config: Pick<Config, 'providers' | 'aliases'>, catalog: Catalog, all = false): ModelRow[] {
  if (all) return catalog.list().map((facts) => row(facts.id, facts))
  const servedBy = new Map<string, string[]>()
  for (const [name, provider] of Object.entries(config.providers))
    for (const model of provider.models) servedBy.set(model, [...(servedBy.get(model) ?? []), name])
  const rows = [...servedBy.keys()].sort().map((model) => row(model, catalog.facts(model), servedBy.get(model)))
  for (const [alias, target] of Object.entries(config.aliases))
    rows.push(row(alias, catalog.facts(target, alias), servedBy.get(target), target))
  return rows
}

/** The text `crabllm models` prints for these flags. */
export async function modelsOutput(flags: Flags): Promise<string> {
  const all = flags.all === true
  const path = typeof flags.config === 'string' ? flags.config : 'crabllm.toml'
  // --all needs no config: the catalog alone, when no file is named and the default one is absent.
  const loaded =
    all && flags.config === undefined && !existsSync(path) ? undefined : await loadConfigFile(path, PROVIDER_RULES)
  const config: Pick<Config, 'models' | 'cloud_models' | 'providers' | 'aliases'> = loaded?.config ?? EMPTY
  const catalog = buildCatalog(config, loaded ? { configFile: loaded.file } : {})
  const rows = modelRows(config, catalog, all)
  if (flags.json === true) return `${JSON.stringify(rows, null, 2)}\n`
  return `${formatTable(HEADERS, rows.map(cells))}\n`
}

export async function runModels(flags: Flags): Promise<void> {
  process.stdout.write(await modelsOutput(flags))
}

// --- internal ---

/** The config --all uses without a file: no [models], no providers. */
const EMPTY: Pick<Config, 'models' | 'providers' | 'aliases'> = { models: {}, providers: {}, aliases: {} }

const HEADERS = [
  'MODEL',
  'PROVIDER',
  'CONTEXT',
  'MAX OUTPUT',
  'INPUT',
  'OUTPUT',
  'CACHE READ',
  'CACHE WRITE',
  'CAPABILITIES',
  'SOURCE',
]

function row(model: string, facts: ModelFacts | undefined, servedBy?: string[], aliasOf?: string): ModelRow {
  const head = { model, ...(aliasOf !== undefined && { alias_of: aliasOf }), ...(servedBy && { served_by: servedBy }) }
  if (!facts) return { ...head, source: null }
  const { id, source, ...rest } = facts
  return { ...head, ...(id !== model && { catalog_id: id }), ...rest, source }
}

function cells(r: ModelRow): string[] {
  const price = r.price
  return [
    r.alias_of !== undefined ? `${r.model} → ${r.alias_of}` : r.model,
    r.provider ?? NONE,
    tokens(r.context_length),
    tokens(r.max_output),
    rate(price, 'input'),
    rate(price, 'output'),
    rate(price, 'cache_read'),
    rate(price, 'cache_write'),
    capabilities(r),
    r.source ?? 'unknown',
  ]
}

/** 128000 → 128K, 131072 → 128K, 1048576 → 1M, 1050000 → 1.05M: binary sizes in binary units, as providers say them. */
function tokens(n: number | undefined): string {
  if (n === undefined) return NONE
  const [mega, kilo] = n % 1000 !== 0 && n % 1024 === 0 ? [1024 * 1024, 1024] : [1_000_000, 1000]
  if (n >= mega) return `${trim(n / mega)}M`
  if (n >= kilo) return `${trim(n / kilo)}K`
  return String(n)
}

function trim(n: number): string {
  return String(Math.round(n * 100) / 100)
}

/**
 * USD per million tokens: "$2.50"; a cache rate absent is the input rate ("= input"); a long-context
 * tier follows the base rate ("$1.25, $2.50 >200K").
 */
function rate(price: ModelPrice | undefined, key: 'input' | 'output' | 'cache_read' | 'cache_write'): string {
  if (!price) return NONE
  const base = price[key]
  if (base === undefined) return '= input'
  const tiers = (price.tiers ?? [])
    .map((t) => (t[key] ?? t.input) !== base && `${usd(t[key] ?? t.input)} >${tokens(t.above)}`)
    .filter((t): t is string => typeof t === 'string')
  return [usd(base), ...tiers].join(', ')
}

function usd(n: number): string {
  const text = String(n)
  const decimals = text.includes('.') ? text.split('.')[1]!.length : 0
  return `$${decimals < 2 ? n.toFixed(2) : text}`
}

/** The capabilities the catalog knows the model has; `x?` when it does not know; "?" when it knows none. */
function capabilities(r: ModelRow): string {
  const all = [
    ['vision', r.vision],
    ['tools', r.tools],
    ['reasoning', r.reasoning],
  ] as const
  if (all.every(([, v]) => v === undefined)) return r.source === null ? NONE : '?'
  const shown = all.filter(([, v]) => v !== false).map(([name, v]) => (v ? name : `${name}?`))
  return shown.length ? shown.join(', ') : NONE
}
