// Azure OpenAI: the deployment (our model name) is in the path, api-version in the query, and the
// key goes in the `api-key` header. The body and answers are OpenAI's, so the openai/ handlers are reused.
// https://learn.microsoft.com/azure/ai-services/openai/reference
import { joinUrl } from '../http'
import { OPENAI_PATHS, openAiHandlers } from '../openai'
import type { ProviderKind } from '../provider'

/** crabllm's api-version when a provider sets none (crabllm providers lib.rs, RemoteProvider::new). */
export const AZURE_DEFAULT_API_VERSION = '2024-02-15-preview'

export const azureKind: ProviderKind = {
  normalize: (config) => (config.api_version ? config : { ...config, api_version: AZURE_DEFAULT_API_VERSION }),
  check(config) {
    if (!config.base_url)
      return {
        field: 'base_url',
        problem: 'is required for kind "azure"',
        fix: 'base_url = "https://<resource>.openai.azure.com"',
      }
    if (!config.api_key)
      return { field: 'api_key', problem: 'is required for kind "azure"', fix: 'api_key = "${AZURE_OPENAI_API_KEY}"' }
    return undefined
  },
  create(_name, config) {
    const base = config.base_url!
    const query = `?api-version=${encodeURIComponent(config.api_version!)}`
    // The Responses API has no per-deployment path: it is served by the v1 API, the deployment named in `model`.
    const responses = joinUrl(base, 'openai/v1/responses')
    return openAiHandlers(
      (endpoint, model) =>
        endpoint === 'responses'
          ? responses
          : `${joinUrl(base, `openai/deployments/${encodeURIComponent(model)}`)}/${OPENAI_PATHS[endpoint]}${query}`,
      { 'api-key': config.api_key! },
      true,
    )
  },
}
