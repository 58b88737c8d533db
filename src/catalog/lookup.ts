// Finding a model of the catalog by the name a client or a config uses for it. Real names come in many
// forms: exact ids (gpt-4o), dated ids (claude-sonnet-4-5-20250929), provider-prefixed ids
// (openai/gpt-4o, vertex_ai/claude-…), Bedrock ids and inference profiles
// (anthropic.claude-3-5-sonnet-20240620-v1:0, us.anthropic.…, an ARN), Gemini's models/… and Vertex
// paths. genai-prices' own match rules decide (match.ts); the order of the attempts makes it
// deterministic, first hit wins:
//   1. a model whose id is the name (groq's openai/gpt-oss-120b is groq's, not OpenAI's gpt-oss-120b);
//   2. the provider the name points at (its prefix, a Bedrock shape), then that provider's fallbacks;
//   3. the providers whose model_match takes the name (claude → anthropic), as genai-prices picks one;
//   4. every provider in the catalog's order (groq's llama-3.3-70b-versatile names no provider);
//   5. the same once more with a trailing date dropped (gpt-5-mini-2026-01-01 → gpt-5-mini).
import type { CatalogData, ModelData, ProviderData } from './data'
import { dashDates, matches } from './match'

export interface CatalogHit {
  provider: ProviderData
  model: ModelData
}

export type Lookup = (name: string) => CatalogHit | undefined

/** A lookup over `data`, memoized per name (up to MEMO_LIMIT names; past that, looked up each time). */
export function createLookup(data: CatalogData): Lookup {
  const byId = new Map<string, CatalogHit>()
  for (const provider of data.providers)
    for (const model of provider.models) {
      const id = model.id.toLowerCase()
      if (!byId.has(id)) byId.set(id, { provider, model })
    }
  const providerById = new Map(data.providers.map((p) => [p.id, p]))
  const memo = new Map<string, CatalogHit | null>()

  /** genai-prices' provider for a name (a prefix): one of its ids, else the first whose provider_match takes it. */
  const providerNamed = (prefix: string): ProviderData | undefined =>
    data.providers.find((p) => p.prefixes.includes(prefix)) ??
    data.providers.find((p) => p.provider_match !== undefined && matches(p.provider_match, prefix))

  const inProvider = (provider: ProviderData, name: string, fallback: boolean): CatalogHit | undefined => {
    const model = modelIn(provider, name) ?? (dashDates(name) !== name ? modelIn(provider, dashDates(name)) : undefined)
    if (model) return { provider, model }
    if (!fallback) return undefined
    for (const id of provider.fallback ?? []) {
      const other = providerById.get(id)
      const hit = other && inProvider(other, name, false)
      // The price is the named provider's: genai-prices prices Azure's OpenAI models at OpenAI's rates.
      if (hit) return { provider, model: hit.model }
    }
    return undefined
  }

  const search = (name: string): CatalogHit | undefined => {
    const forms = formsOf(name, providerNamed, providerById)
    const bare = forms.filter((f) => !f.provider).map((f) => f.name)
    for (const candidate of bare) {
      const hit = byId.get(candidate)
      if (hit) return hit
    }
    for (const form of forms) {
      const hit = form.provider && inProvider(form.provider, form.name, true)
      if (hit) return hit
    }
    for (const candidate of bare)
      for (const provider of data.providers)
        if (provider.model_match && matches(provider.model_match, candidate)) {
          const hit = inProvider(provider, candidate, true)
          if (hit) return hit
        }
    for (const candidate of bare)
      for (const provider of data.providers) {
        const hit = inProvider(provider, candidate, false)
        if (hit) return hit
      }
    return undefined
  }

  return (raw) => {
    const name = raw.trim().toLowerCase()
    const known = memo.get(name)
    if (known !== undefined) return known ?? undefined
    const undated = name.replace(TRAILING_DATE, '')
    const hit = search(name) ?? (undated !== name && undated !== '' ? search(undated) : undefined)
    if (memo.size < MEMO_LIMIT) memo.set(name, hit ?? null)
    return hit
  }
}

// --- internal ---

/** Names looked up before the memo stops growing (model names come from the config and its aliases). */
const MEMO_LIMIT = 4096

/** -20250929, -2025-09-29 or @20250929 at the end of a name. */
const TRAILING_DATE = /(?:-20\d{2}-?\d{2}-?\d{2}|@20\d{6})$/

/** Bedrock model ids and inference profiles: [region.]vendor.model… */
const BEDROCK =
  /^(?:(?:us|us-gov|eu|apac|au|ca|jp|in|global)\.)?(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|qwen|openai|google|writer|nvidia|twelvelabs|stability|moonshot|minimax)\.[a-z0-9]/

interface Form {
  name: string
  /** The provider the name points at, if any. */
  provider?: ProviderData
}

/** The readings of a name: the provider it names (prefix, ARN, Bedrock shape) and what is left. */
function formsOf(
  name: string,
  providerNamed: (prefix: string) => ProviderData | undefined,
  providerById: ReadonlyMap<string, ProviderData>,
): Form[] {
  const forms: Form[] = [{ name }]
  const bedrock = providerById.get('amazon-bedrock')
  // arn:aws:bedrock:us-east-1:123:inference-profile/us.anthropic.claude-… (or foundation-model/…)
  if (name.startsWith('arn:') && name.includes('/')) {
    const id = name.slice(name.lastIndexOf('/') + 1)
    forms.push({ name: id, provider: bedrock }, { name: id })
    return forms
  }
  // Gemini's models/gemini-2.5-flash, Vertex's projects/…/publishers/google/models/gemini-2.5-pro
  const at = name.startsWith('models/') ? 0 : name.lastIndexOf('/models/') + 1
  if (at > 0 || name.startsWith('models/')) {
    forms.push({ name: name.slice(at + 'models/'.length) })
    return forms
  }
  const slash = name.indexOf('/')
  if (slash > 0) {
    const provider = providerNamed(name.slice(0, slash))
    if (provider) forms.push({ name: name.slice(slash + 1), provider })
  }
  if (BEDROCK.test(name) && bedrock) forms.push({ name, provider: bedrock })
  return forms
}

function modelIn(provider: ProviderData, name: string): ModelData | undefined {
  return provider.models.find((m) => matches(m.match, name))
}
