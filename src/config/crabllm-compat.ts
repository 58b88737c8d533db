// crabllm's config shapes (the Rust gateway this one reimplements) mapped onto ours, on the parsed and
// expanded TOML before the schema check: a provider without `kind` (or with crabllm's `standard` field,
// or its old kind names), [pricing.<model>] (crabllm up to 0.0.15), and a one-line refusal naming the
// difference for the crabllm fields that have no equivalent here. Knows no provider kind:
// rules.defaultKind decides what an omitted kind means.
import type { ConfigNote, ProviderRules, SemanticIssue } from './semantics'

export interface CrabllmMapping {
  issue?: SemanticIssue
  /** Fields the mapping moved: [prefix now, prefix in the file], so errors name what the file says. */
  moved: [string, string][]
}

/**
 * Rewrites crabllm's shapes in `raw` (mutated: it is the fresh object interpolation built) into ours.
 * Returns the first crabllm field that has no equivalent here as an issue; `notes` gets each default
 * that decided something the file left open (an omitted kind).
 */
export function fromCrabllm(
  raw: unknown,
  rules: Pick<ProviderRules, 'defaultKind'>,
  notes?: ConfigNote[],
): CrabllmMapping {
  const moved: [string, string][] = []
  if (!isTable(raw)) return { moved }
  if (isTable(raw.providers)) {
    for (const [name, table] of Object.entries(raw.providers)) {
      if (!isTable(table)) continue
      const issue = providerFieldIssue(table) ?? mapKind(name, table, rules, notes, moved)
      if (issue) return { issue: { ...issue, field: `providers.${name}.${issue.field}` }, moved }
    }
  }
  if (isTable(raw.extensions)) {
    for (const [extension, fields] of Object.entries(EXTENSION_FIELDS)) {
      const table = raw.extensions[extension]
      if (!isTable(table)) continue
      const issue = refusalIn(table, fields)
      if (issue) return { issue: { ...issue, field: `extensions.${extension}.${issue.field}` }, moved }
    }
  }
  const issue = movePricing(raw, moved)
  return issue ? { issue, moved } : { moved }
}

/**
 * A crabllm provider field this gateway has no equivalent for, as an issue relative to the provider
 * (also the admin API's check, so a crabllm provider posted as JSON is refused the same way).
 */
export function providerFieldIssue(table: unknown): SemanticIssue | undefined {
  return isTable(table) ? refusalIn(table, PROVIDER_FIELDS) : undefined
}

/** `field` as the file wrote it, when the mapping moved it (`models.x.…` written as `pricing.x.…`). */
export function fieldInFile(field: string, moved: readonly [string, string][]): string {
  for (const [now, before] of moved)
    if (field === now || field.startsWith(`${now}.`)) return before + field.slice(now.length)
  return field
}

// --- internal ---

interface Refusal {
  problem: string
  fix: (value: unknown) => string
}

const LLAMA_CPP: Refusal = {
  problem: "is crabllm's llama.cpp setting; this gateway starts no local model server",
  fix: () => 'run llama-server yourself and serve it as kind = "openai" with base_url = "http://127.0.0.1:8080/v1"',
}

/** crabllm ProviderConfig fields (crabllm-core config.rs) with no meaning here. */
const PROVIDER_FIELDS: Record<string, Refusal> = {
  retry_deadline: {
    problem: "crabllm's time limit on one provider's retries is not supported",
    fix: () => 'remove it: retries stop after max_retries, and each attempt after timeout seconds',
  },
  model_path: LLAMA_CPP,
  n_gpu_layers: LLAMA_CPP,
  n_ctx: LLAMA_CPP,
  n_threads: LLAMA_CPP,
}

/**
 * Extension fields crabllm's configuration page shows but crabllm itself never read (its extensions
 * read ttl_seconds, requests_per_minute and default_budget, crabllm-proxy src/ext/*.rs).
 */
const EXTENSION_FIELDS: Record<string, Record<string, Refusal>> = {
  cache: {
    ttl: {
      problem: "crabllm's docs write ttl, but crabllm reads ttl_seconds (it ignored ttl and kept answers 300 s)",
      fix: (value) => `rename it: ttl_seconds = ${typeof value === 'number' ? value : 300}`,
    },
  },
  rate_limit: {
    rpm: {
      problem: "crabllm's docs write rpm, but crabllm reads requests_per_minute (it refused a table without it)",
      fix: (value) => `rename it: requests_per_minute = ${typeof value === 'number' ? value : 60}`,
    },
    tpm: {
      problem: 'crabllm reads tokens_per_minute, not tpm',
      fix: (value) => `rename it: tokens_per_minute = ${typeof value === 'number' ? value : 100000}`,
    },
  },
  budget: {
    default_limit: {
      problem:
        "crabllm's docs write default_limit, but crabllm reads default_budget, in USD (it refused a table without it)",
      fix: () => 'default_budget = 10.0 (USD per key)',
    },
  },
}

function refusalIn(table: Record<string, unknown>, fields: Record<string, Refusal>): SemanticIssue | undefined {
  for (const key of Object.keys(table)) {
    if (!Object.hasOwn(fields, key)) continue
    const refusal = fields[key]!
    return { field: key, problem: refusal.problem, fix: refusal.fix(table[key]) }
  }
  return undefined
}

/**
 * crabllm's kind rules (ProviderKind in crabllm-core config.rs): `standard` is an old name of the field,
 * "openai_compat" an old name of openai, "llama_cpp" of llamacpp; an omitted kind is decided by
 * rules.defaultKind (crabllm: the section name when it names a kind, else openai).
 */
function mapKind(
  name: string,
  table: Record<string, unknown>,
  rules: Pick<ProviderRules, 'defaultKind'>,
  notes: ConfigNote[] | undefined,
  moved: [string, string][],
): SemanticIssue | undefined {
  if (Object.hasOwn(table, 'standard')) {
    if (Object.hasOwn(table, 'kind'))
      return {
        field: 'standard',
        problem: "is crabllm's old name for kind, and kind is set too",
        fix: 'remove standard',
      }
    table.kind = table.standard
    delete table.standard
    moved.push([`providers.${name}.kind`, `providers.${name}.standard`])
  }
  const baseUrl = typeof table.base_url === 'string' ? table.base_url : undefined
  if (table.kind === undefined) {
    const kind = rules.defaultKind(name, baseUrl)
    table.kind = kind
    notes?.push({ message: 'provider has no kind; using the default', fields: { provider: name, kind } })
  } else if (table.kind === 'openai_compat') {
    // crabllm's old name of openai; whether the URL is OpenAI's decides as for an omitted kind.
    const kind = rules.defaultKind('', baseUrl)
    table.kind = kind
    notes?.push({ message: 'kind "openai_compat" is crabllm\'s old name for openai', fields: { provider: name, kind } })
  } else if (table.kind === 'llama_cpp') table.kind = 'llamacpp'
  return undefined
}

/**
 * crabllm's top-level [pricing.<model>] (crabllm-core up to 0.0.15; prompt_cost_per_million,
 * completion_cost_per_million) is the `pricing` table of [models.<model>] here, as in later crabllm.
 */
function movePricing(raw: Record<string, unknown>, moved: [string, string][]): SemanticIssue | undefined {
  if (!Object.hasOwn(raw, 'pricing')) return undefined
  const pricing = raw.pricing
  if (!isTable(pricing))
    return { field: 'pricing', problem: 'expected a table', fix: 'write one [pricing."<model>"] table per model' }
  if (raw.models === undefined) raw.models = {}
  const models = raw.models
  // A `models` of the wrong shape is the schema check's to name.
  if (!isTable(models)) return undefined
  for (const [model, entry] of Object.entries(pricing)) {
    if (!Object.hasOwn(models, model)) models[model] = {}
    const target = models[model]
    if (!isTable(target)) continue
    if (['pricing', 'prompt_cost_per_million', 'completion_cost_per_million'].some((f) => Object.hasOwn(target, f)))
      return {
        field: `pricing.${model}`,
        problem: `is also priced in [models."${model}"]`,
        fix: `keep one: crabllm's [pricing."<model>"] is [models."<model>".pricing] here`,
      }
    target.pricing = entry
    moved.push([`models.${model}.pricing`, `pricing.${model}`])
  }
  delete raw.pricing
  return undefined
}

function isTable(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
}
