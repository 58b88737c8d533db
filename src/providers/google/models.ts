// GET {base_url}/models for Gemini: {"models":[{"name":"models/…","supportedGenerationMethods"}],
// "nextPageToken"}, paged with pageToken. Only models that chat or embed are kept, without "models/".
// https://ai.google.dev/api/models#method:-models.list
import type { ProviderConfig } from '../../config/schema'
import { joinUrl } from '../http'
import { getListing, MAX_MODEL_PAGES, namesIn } from '../list-models'
import { fromGeminiError } from './errors'

/** Methods behind the endpoints the gateway serves (chat, streamed chat, embeddings). */
const SERVED_METHODS = ['generateContent', 'streamGenerateContent', 'embedContent', 'batchEmbedContents']

export async function listGoogleModels(config: ProviderConfig, signal: AbortSignal): Promise<string[]> {
  const url = joinUrl(config.base_url!, 'models?pageSize=1000')
  const headers = { 'x-goog-api-key': config.api_key ?? '' }
  const names: string[] = []
  let token: string | undefined
  for (let page = 0; page < MAX_MODEL_PAGES; page++) {
    const listing = await getListing(
      token ? `${url}&pageToken=${encodeURIComponent(token)}` : url,
      headers,
      signal,
      fromGeminiError,
    )
    const models = Array.isArray(listing.models) ? listing.models.filter(serves) : listing.models
    names.push(...namesIn(models, 'name', 'models').map((name) => name.replace(/^models\//, '')))
    if (typeof listing.nextPageToken !== 'string' || !listing.nextPageToken) break
    token = listing.nextPageToken
  }
  return names
}

/** A model that does not say what it supports is kept. */
function serves(model: unknown): boolean {
  const methods =
    typeof model === 'object' && model !== null
      ? (model as { supportedGenerationMethods?: unknown }).supportedGenerationMethods
      : undefined
  return !Array.isArray(methods) || methods.some((m) => SERVED_METHODS.includes(m as string))
}
