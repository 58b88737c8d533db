// model → deployments, aliases and the order to try deployments in. Built once per config (load or
// reload), never per request (H5).
import { isIP } from 'node:net'
import { dns } from 'bun'
import type { Config } from '../config/schema'
import { type AnswerLimits, type Scrub, secretScrubber } from '../core/upstream-error'
import { createProvider, type Provider } from '../providers'
import { Breaker } from './breaker'

/** One provider serving one model. */
export interface Deployment {
  readonly provider: Provider
  /** The provider's circuit breaker (shared by every model it serves). */
  readonly breaker: Breaker
  readonly weight: number
  readonly maxRetries: number
  /** 0 = no timeout. */
  readonly timeoutMs: number
  /** A started stream with no upstream byte for this long is ended (0 = never). */
  readonly streamIdleMs: number
  /** How much of an answer is held (max_answer_size, max_sse_event_size); absent: the schema's defaults. */
  readonly limits: AnswerLimits
  /** Masks the provider's own secrets in its upstream's error bodies; absent when it has none. */
  readonly scrub?: Scrub
}

export interface Registry {
  /** Alias → canonical name (one hop); other names unchanged. */
  resolve(model: string): string
  /**
   * The deployments of a canonical model, highest weight first (weight 0, fallback only, last, in
   * config order); undefined when no provider serves it.
   */
  deployments(model: string): readonly Deployment[] | undefined
  /** Canonical model names, sorted. */
  readonly models: readonly string[]
  readonly aliases: Readonly<Record<string, string>>
  readonly providers: ReadonlyMap<string, Provider>
  /** Each provider's circuit breaker, by provider name. */
  readonly breakers: ReadonlyMap<string, Breaker>
  /** Owner shown in /v1/models: the first provider serving the model. */
  ownerOf(model: string): string
}

/** Builds the registry; `previous` hands its breakers' state to the providers that keep their name. */
export function buildRegistry(config: Config, previous?: Registry): Registry {
  const providers = new Map<string, Provider>()
  const breakers = new Map<string, Breaker>()
  const byModel = new Map<string, Deployment[]>()
  // One object for every deployment: the limits are the gateway's, not a provider's.
  const limits: AnswerLimits = { answerBytes: config.max_answer_size, eventBytes: config.max_sse_event_size }
  for (const [name, providerConfig] of Object.entries(config.providers)) {
    const provider = createProvider(name, providerConfig)
    providers.set(name, provider)
    if (providerConfig.base_url) prefetchDns(providerConfig.base_url)
    // Stored providers written before these settings existed have none: the schema defaults apply.
    const threshold = providerConfig.cooldown_failures ?? 5
    const cooldownMs = Math.round((providerConfig.cooldown_seconds ?? 30) * 1000)
    let breaker = previous?.breakers.get(name)
    if (breaker) breaker.configure(threshold, cooldownMs)
    else breaker = new Breaker(threshold, cooldownMs)
    breakers.set(name, breaker)
    const deployment: Deployment = {
      provider,
      breaker,
      weight: providerConfig.weight,
      maxRetries: providerConfig.max_retries,
      timeoutMs: Math.round(providerConfig.timeout * 1000),
      streamIdleMs: Math.round((providerConfig.stream_idle_timeout ?? 60) * 1000),
      limits,
      scrub: secretScrubber([
        providerConfig.api_key,
        providerConfig.access_key,
        providerConfig.secret_key,
        providerConfig.session_token,
      ]),
    }
    for (const model of providerConfig.models) {
      let list = byModel.get(model)
      if (!list) byModel.set(model, (list = []))
      list.push(deployment)
    }
  }
  for (const list of byModel.values()) list.sort((a, b) => b.weight - a.weight)
  const aliases = new Map(Object.entries(config.aliases))
  return {
    resolve: (model) => aliases.get(model) ?? model,
    deployments: (model) => byModel.get(model),
    models: [...byModel.keys()].sort(),
    aliases: Object.freeze({ ...config.aliases }),
    providers,
    breakers,
    ownerOf: (model) => byModel.get(model)?.[0]?.provider.name ?? 'crabllm',
  }
}

/**
 * The order to try deployments in: one picked by weighted random, then the rest in descending weight
 * (`list` is already sorted that way). A weight-0 deployment is fallback only, as in crabllm (providers
 * registry.rs dispatch_list): never picked, so it is tried after every weighted one; when every
 * deployment weighs 0 they are tried in config order.
 */
export function orderDeployments(
  list: readonly Deployment[],
  random: () => number = Math.random,
): readonly Deployment[] {
  if (list.length < 2) return list
  let total = 0
  let weighted = 0
  for (const d of list) {
    total += d.weight
    if (d.weight > 0) weighted++
  }
  if (weighted < 2) return list
  let point = random() * total
  // Rounding can leave the point past the total: then the lightest weighted deployment.
  let picked = weighted - 1
  for (let i = 0; i < weighted; i++) {
    point -= list[i]!.weight
    if (point < 0) {
      picked = i
      break
    }
  }
  if (picked === 0) return list
  return [list[picked]!, ...list.slice(0, picked), ...list.slice(picked + 1)]
}

/**
 * Starts resolving an upstream's host name when the registry is built, so that the first request does
 * not wait for DNS. After that Bun's fetch reuses pooled keep-alive connections and its DNS cache.
 */
function prefetchDns(baseUrl: string): void {
  try {
    const url = new URL(baseUrl)
    const host = url.hostname
    if (!host || isIP(host.replace(/^\[|\]$/g, ''))) return
    dns.prefetch(host, Number(url.port) || (url.protocol === 'https:' ? 443 : 80))
  } catch {
    // A bad URL is the config check's business; DNS prefetch is only a head start.
  }
}
