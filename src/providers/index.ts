// kind → factory: the only file that lists every provider kind. A kind not listed here, with a
// base_url, is an OpenAI-compatible custom provider.
import type { ProviderConfig } from '../config/schema'
import { anthropicKind } from './anthropic'
import { azureKind } from './azure'
import { bedrockKind } from './bedrock'
import { echoKind } from './echo'
import { googleKind } from './google'
import { customKind, ollamaKind, openaiKind } from './openai'
import type { Provider, ProviderConfigIssue, ProviderKind } from './provider'

export type { Endpoint, Provider, ProviderConfigIssue, UpstreamCall } from './provider'

const KINDS: Record<string, ProviderKind> = {
  openai: openaiKind,
  azure: azureKind,
  anthropic: anthropicKind,
  ollama: ollamaKind,
  echo: echoKind,
  google: googleKind,
  gemini: googleKind,
  bedrock: bedrockKind,
}

export const KNOWN_PROVIDER_KINDS = Object.keys(KINDS)

function kindOf(config: ProviderConfig): ProviderKind {
  return Object.hasOwn(KINDS, config.kind) ? KINDS[config.kind]! : customKind
}

/** Kind defaults (base_url, models) applied; then checked by the kind. */
export function normalizeProvider(config: ProviderConfig): { config: ProviderConfig; issue?: ProviderConfigIssue } {
  const kind = kindOf(config)
  const normalized = kind.normalize ? kind.normalize(config) : config
  return { config: normalized, issue: kind.check?.(normalized) }
}

export function createProvider(name: string, config: ProviderConfig): Provider {
  return kindOf(config).create(name, config)
}
