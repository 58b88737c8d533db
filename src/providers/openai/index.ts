// The OpenAI-compatible family: `openai`, `ollama`, and any unknown kind with a base_url (custom).
// Requests go upstream as the client's bytes; answers come back as they are.
import type { ProviderConfig } from '../../config/schema'
import type { ProviderKind } from '../provider'
import { listOpenAiModels } from './models'
import { joinUrl, OPENAI_PATHS, openAiUpstream } from './upstream'

export { joinUrl, OPENAI_PATHS, openAiUpstream } from './upstream'

export const OPENAI_BASE_URL = 'https://api.openai.com/v1'
export const OLLAMA_BASE_URL = 'http://localhost:11434/v1'

function createOpenAiCompatible(name: string, config: ProviderConfig) {
  const base = config.base_url!
  return openAiUpstream({
    name,
    kind: config.kind,
    url: (endpoint) => joinUrl(base, OPENAI_PATHS[endpoint]),
    headers: config.api_key ? { authorization: `Bearer ${config.api_key}` } : {},
  })
}

export const openaiKind: ProviderKind = {
  normalize: (config) => ({ ...config, base_url: config.base_url ?? OPENAI_BASE_URL }),
  check: (config) =>
    config.api_key
      ? undefined
      : { field: 'api_key', problem: 'is required for kind "openai"', fix: 'api_key = "${OPENAI_API_KEY}"' },
  create: createOpenAiCompatible,
  listModels: listOpenAiModels,
}

export const ollamaKind: ProviderKind = {
  normalize: (config) => ({ ...config, base_url: config.base_url ?? OLLAMA_BASE_URL }),
  create: createOpenAiCompatible,
  listModels: listOpenAiModels,
}

/** Any kind the gateway does not know, served over the OpenAI protocol at `base_url`. */
export const customKind: ProviderKind = {
  check: (config) =>
    config.base_url
      ? undefined
      : {
          field: 'kind',
          problem: `unknown provider kind "${config.kind}"`,
          fix: 'use a known kind, or set base_url to serve it as an OpenAI-compatible custom provider',
        },
  create: createOpenAiCompatible,
  listModels: listOpenAiModels,
}
