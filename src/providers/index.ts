// kind → factory: the only file that lists every provider kind. A kind not listed here, with a
// base_url, is an OpenAI-compatible custom provider. createProvider turns a kind's handlers into the
// Provider routing calls; a kind that chats but has no native /v1/messages serves it through chat,
// and one with no counting API answers /v1/messages/count_tokens with its own estimate.
import type { ProviderConfig } from '../config/schema'
import type { ProviderRules } from '../config/semantics'
import type { Endpoint } from '../core/endpoint'
import { badRequest, GatewayError, unsupportedEndpoint, upstreamTimeout, upstreamUnreachable } from '../core/errors'
import { anthropicKind } from './anthropic'
import { azureKind } from './azure'
import { bedrockKind } from './bedrock'
import { countTokensLocally } from './count-tokens-locally'
import { echoKind } from './echo'
import { googleKind } from './google'
import { messagesViaChat } from './messages-via-chat'
import { COMPAT_BASE_URLS, customKind, isOpenAiUrl, ollamaKind, openaiKind } from './openai'
import { reasoningWhereItIsUnderstood, withoutGatewayFields } from './openai-chat-fields'
import type { Provider, ProviderConfigIssue, ProviderKind } from './provider'
import { responsesViaChat } from './responses-via-chat'

export { TOKEN_COUNT_HEADER } from './count-tokens-locally'
export type {
  Endpoint,
  Handler,
  Handlers,
  MediaEndpoint,
  Provider,
  ProviderConfigIssue,
  UpstreamCall,
} from './provider'
export { supportsEndpoint, wantsUsageChunk } from './provider'

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

/**
 * Kind defaults (base_url, models) applied, after an endpoint path pasted at the end of base_url is
 * stripped (crabllm strips the OpenAI ones: providers lib.rs normalize_base_url); then checked by the kind.
 */
export function normalizeProvider(config: ProviderConfig): { config: ProviderConfig; issue?: ProviderConfigIssue } {
  const kind = kindOf(config)
  const stripped = withoutEndpointPath(config)
  const normalized = kind.normalize ? kind.normalize(stripped) : stripped
  return { config: normalized, issue: kind.check?.(normalized) }
}

/**
 * crabllm's kind for a [providers.<name>] table without one: the section name when it names a kind
 * (crabllm's provider docs: `[providers.deepseek]` is kind deepseek), else openai (crabllm-core's
 * default kind), which a base_url elsewhere than OpenAI's makes a custom OpenAI-compatible provider,
 * and one on an Anthropic host makes anthropic (crabllm's effective_kind).
 */
export function defaultKind(name: string, baseUrl: string | undefined): string {
  if (Object.hasOwn(KINDS, name) || Object.hasOwn(COMPAT_BASE_URLS, name)) return name
  if (baseUrl === undefined) return 'openai'
  if (baseUrl.includes('anthropic')) return 'anthropic'
  return isOpenAiUrl(baseUrl) ? 'openai' : 'custom'
}

export function createProvider(name: string, config: ProviderConfig): Provider {
  const kind = kindOf(config)
  const handlers = { ...kind.create(name, config) }
  // Through chat: a translating kind reads the gateway's reasoning fields; an OpenAI-compatible one gets none.
  const chat =
    handlers.chat &&
    reasoningWhereItIsUnderstood(kind.translatesChat ? handlers.chat : withoutGatewayFields(handlers.chat))
  if (chat && !handlers.messages) handlers.messages = messagesViaChat(name, chat)
  if (chat && !handlers.responses) handlers.responses = responsesViaChat(name, chat)
  // A kind that chats and has no counting API counts /v1/messages/count_tokens itself (an estimate).
  if (handlers.chat && !handlers.count_tokens) handlers.count_tokens = countTokensLocally
  const endpoints = new Set(Object.keys(handlers) as Endpoint[])
  return {
    name,
    kind: config.kind,
    endpoints,
    send(call) {
      const handler = handlers[call.endpoint]
      return handler ? handler(call) : Promise.reject(unsupportedEndpoint(name, config.kind, call.endpoint))
    },
  }
}

/** How long model discovery waits for the upstream, all pages together. */
export const DISCOVERY_TIMEOUT_MS = 10_000

/**
 * The models a (normalized) provider's upstream lists, deduplicated, for a provider created without
 * `models`. Fails with a GatewayError: 400 when the kind cannot list, the upstream's status and message
 * when it answered an error, 502 when unreachable, 504 on timeout.
 */
export async function discoverModels(
  name: string,
  config: ProviderConfig,
  timeoutMs = DISCOVERY_TIMEOUT_MS,
): Promise<string[]> {
  const kind = kindOf(config)
  if (!kind.listModels)
    throw badRequest(
      `models is required for kind ${config.kind}: its upstream cannot list the models it serves.`,
      'models',
    )
  try {
    return [...new Set(await kind.listModels(config, AbortSignal.timeout(timeoutMs)))]
  } catch (err) {
    if (err instanceof GatewayError)
      throw new GatewayError(
        err.status,
        err.type,
        err.code,
        `Provider '${name}' could not list its models: ${err.message}`,
        err.param,
      )
    if ((err as Error | undefined)?.name === 'TimeoutError') throw upstreamTimeout(name, timeoutMs)
    throw upstreamUnreachable(name, err)
  }
}

/** The kinds' defaults and checks, as config loading takes them (config/ knows no kind). */
export const PROVIDER_RULES: ProviderRules = { normalize: normalizeProvider, defaultKind }

// --- internal ---

/** The endpoint paths the OpenAI family adds to base_url (and /models, its listing). */
const OPENAI_ENDPOINT =
  /\/(?:chat\/completions|completions|embeddings|responses|images\/generations|audio\/(?:speech|transcriptions|translations)|models)$/

/**
 * What a base_url pasted with its endpoint ends with, per kind: the path the kind adds itself. Azure's
 * base is the resource: everything from /openai on (and the query) is the kind's. A kind not listed
 * here (a custom one) is the OpenAI family's.
 */
const ENDPOINT_PATH: Readonly<Record<string, RegExp>> = {
  openai: OPENAI_ENDPOINT,
  ollama: OPENAI_ENDPOINT,
  azure: /\/openai(?:\/.*)?$/,
  anthropic: /\/(?:messages(?:\/count_tokens)?|models)$/,
  google: /\/models(?:\/[^/]+)?$/,
  gemini: /\/models(?:\/[^/]+)?$/,
}

function withoutEndpointPath(config: ProviderConfig): ProviderConfig {
  const base = config.base_url
  if (!base || config.kind === 'bedrock' || config.kind === 'echo') return config
  let url: URL
  try {
    url = new URL(base)
  } catch {
    return config // not a URL: the config check names it
  }
  const azure = config.kind === 'azure'
  // A query belongs to the endpoint only on azure (?api-version=…); elsewhere the URL is left as given.
  if ((url.search || url.hash) && !azure) return config
  const pattern = Object.hasOwn(ENDPOINT_PATH, config.kind) ? ENDPOINT_PATH[config.kind]! : OPENAI_ENDPOINT
  const path = url.pathname.replace(/\/+$/, '')
  const stripped = path.replace(pattern, '')
  if (stripped === path && !(azure && (url.search || url.hash))) return config
  url.pathname = stripped || '/'
  url.search = ''
  url.hash = ''
  return { ...config, base_url: url.href.replace(/\/+$/, '') }
}
