// GET {base_url}/models for Anthropic: {"data":[{"id"}],"has_more","last_id"}, paged with after_id.
// https://docs.anthropic.com/en/api/models-list
import type { ProviderConfig } from '../../config/schema'
import { joinUrl } from '../http'
import { getListing, MAX_MODEL_PAGES, namesIn } from '../list-models'
import { fromAnthropicError } from './errors'

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1'
/** The API version the gateway speaks (a client's own anthropic-version wins on /v1/messages). */
export const ANTHROPIC_VERSION = '2023-06-01'

export async function listAnthropicModels(config: ProviderConfig, signal: AbortSignal): Promise<string[]> {
  const url = joinUrl(config.base_url!, 'models?limit=1000')
  const headers = { 'x-api-key': config.api_key ?? '', 'anthropic-version': ANTHROPIC_VERSION }
  const names: string[] = []
  let after: string | undefined
  for (let page = 0; page < MAX_MODEL_PAGES; page++) {
    const listing = await getListing(
      after ? `${url}&after_id=${encodeURIComponent(after)}` : url,
      headers,
      signal,
      fromAnthropicError,
    )
    names.push(...namesIn(listing.data, 'id', 'data'))
    if (listing.has_more !== true || typeof listing.last_id !== 'string') break
    after = listing.last_id
  }
  return names
}
