// Anthropic: OpenAI chat completions are translated to the Messages API and back through the one
// exchange (request.ts, response.ts, stream.ts, errors.ts); /v1/messages and its count_tokens calls go
// upstream as the client's own bytes and come back untouched (count-tokens.ts). Embeddings do not exist on Anthropic.
// https://docs.anthropic.com/en/api/messages
import type { ProviderConfig } from '../../config/schema'
import { type Translation, translatingHandler } from '../exchange'
import { type HttpTarget, joinUrl, postUpstream } from '../http'
import { passthroughHandler } from '../passthrough'
import type { Handlers, ProviderKind, UpstreamCall } from '../provider'
import { anthropicCountTokens } from './count-tokens'
import { fromAnthropicError } from './errors'
import { ANTHROPIC_BASE_URL, ANTHROPIC_VERSION, listAnthropicModels } from './models'
import { toAnthropicRequest } from './request'
import { fromAnthropicResponse } from './response'
import { AnthropicStreamTranslator } from './stream'

export { ANTHROPIC_BASE_URL, ANTHROPIC_VERSION } from './models'

export const anthropicKind: ProviderKind = {
  translatesChat: true,
  normalize: (config) => ({ ...config, base_url: config.base_url ?? ANTHROPIC_BASE_URL }),
  check: (config) =>
    config.api_key
      ? undefined
      : { field: 'api_key', problem: 'is required for kind "anthropic"', fix: 'api_key = "${ANTHROPIC_API_KEY}"' },
  create: createAnthropic,
  listModels: listAnthropicModels,
}

/** OpenAI chat completions ⇄ Anthropic Messages. */
const CHAT: Translation = {
  format: 'openai',
  answer: 'an Anthropic message',
  toRequest: (call) => toAnthropicRequest(call.json, call.model),
  fromResponse: fromAnthropicResponse,
  streamTranslator: (meta) => new AnthropicStreamTranslator(meta),
  fromError: (status, text) => fromAnthropicError(status, text),
}

/** Client headers Anthropic's API reads on /v1/messages that are not credentials. */
const FORWARDED = ['anthropic-version', 'anthropic-beta'] as const

function createAnthropic(name: string, config: ProviderConfig): Handlers {
  const url = joinUrl(config.base_url ?? ANTHROPIC_BASE_URL, 'messages')
  const headers: Record<string, string> = {
    'x-api-key': config.api_key ?? '',
    'anthropic-version': ANTHROPIC_VERSION,
    'content-type': 'application/json',
    'accept-encoding': 'identity',
  }
  const streamHeaders = { ...headers, accept: 'text/event-stream' }
  const target: HttpTarget = { url: () => url, headers: (call) => (call.stream ? streamHeaders : headers) }
  // The client's anthropic-version wins over ours; anthropic-beta opts into features we do not know.
  const messagesHeaders = (call: UpstreamCall): Readonly<Record<string, string>> => {
    const base: Readonly<Record<string, string>> = call.stream ? streamHeaders : headers
    const client = call.clientHeaders
    if (!client || !FORWARDED.some((h) => client[h])) return base
    const out: Record<string, string> = { ...base }
    for (const h of FORWARDED) if (client[h]) out[h] = client[h]
    return out
  }
  return {
    chat: translatingHandler(name, CHAT, (call, body) => postUpstream(target, call, body)),
    // The client's query goes along (Claude Code calls /v1/messages?beta=true).
    messages: passthroughHandler({ url: (call) => (call.query ? url + call.query : url), headers: messagesHeaders }),
    count_tokens: anthropicCountTokens(config.base_url ?? ANTHROPIC_BASE_URL, messagesHeaders),
  }
}
