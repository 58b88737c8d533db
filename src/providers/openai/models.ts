// GET {base_url}/models for the OpenAI-compatible family (openai, ollama, custom): {"data":[{"id"}]}.
// https://platform.openai.com/docs/api-reference/models/list
import type { ProviderConfig } from '../../config/schema'
import { type ErrorBody, errorTypeForStatus } from '../../core/errors'
import { joinUrl } from '../http'
import { getListing, namesIn } from '../list-models'

export async function listOpenAiModels(config: ProviderConfig, signal: AbortSignal): Promise<string[]> {
  const headers: Record<string, string> = config.api_key ? { authorization: `Bearer ${config.api_key}` } : {}
  const listing = await getListing(joinUrl(config.base_url!, 'models'), headers, signal, toOpenAiErrorBody)
  return namesIn(listing.data, 'id', 'data')
}

/** An error answer as OpenAI's body: its own when it is one, else one made from the status and text. */
export function toOpenAiErrorBody(status: number, text: string): ErrorBody {
  let error: Record<string, unknown> | undefined
  try {
    const parsed = JSON.parse(text) as { error?: unknown }
    if (typeof parsed.error === 'object' && parsed.error !== null) error = parsed.error as Record<string, unknown>
    else if (typeof parsed.error === 'string') error = { message: parsed.error } // ollama: {"error":"…"}
  } catch {
    error = undefined
  }
  const detail = text.trim().slice(0, 500)
  const message =
    typeof error?.message === 'string' && error.message ? error.message : `HTTP ${status}${detail ? `: ${detail}` : ''}`
  return {
    error: {
      message,
      type: errorTypeForStatus(status),
      param: typeof error?.param === 'string' ? error.param : null,
      code: typeof error?.code === 'string' ? error.code : null,
    },
  }
}
