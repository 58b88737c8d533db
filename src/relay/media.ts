// OpenAI's media endpoints as relay Surfaces: image generation, speech, transcriptions and translations.
// Only deployments whose kind serves the endpoint are called (the OpenAI family: openai, azure, ollama,
// custom); a model with none answers 400 unsupported_endpoint. These calls are not idempotent and are
// billed, so a deployment is never called twice for one request: a transient failure falls back to the
// next deployment instead of retrying.
// https://platform.openai.com/docs/api-reference/images/create
// https://platform.openai.com/docs/api-reference/audio
import { type MediaEndpoint, supportsEndpoint } from '../providers'
import type { Deployment } from '../routing/registry'
import { unsupportedEndpoint, upstreamStreamFailed } from '../core/errors'
import type { Surface } from './relay'

/** JSON in, JSON out; `stream: true` (gpt-image-1's partial images) is passed through as it arrives. */
export const IMAGES: Surface = mediaSurface('images', '/v1/images/generations', { streams: true, raw: 'stream' })

/** JSON in, audio out (audio/mpeg, …), relayed as it arrives with the upstream's content type. */
export const SPEECH: Surface = mediaSurface('speech', '/v1/audio/speech', { streams: false, raw: 'always' })

/** multipart in (file, model, …); JSON or text out by response_format; `stream=true` passed through. */
export const TRANSCRIPTIONS: Surface = mediaSurface('transcriptions', '/v1/audio/transcriptions', {
  streams: true,
  raw: 'stream',
  multipart: ['file'],
})

/** multipart in (file, model, …); English text out, JSON or text by response_format. */
export const TRANSLATIONS: Surface = mediaSurface('translations', '/v1/audio/translations', {
  streams: false,
  multipart: ['file'],
})

// --- internal ---

function mediaSurface(
  endpoint: MediaEndpoint,
  path: string,
  shape: Pick<Surface, 'streams' | 'raw' | 'multipart'>,
): Surface {
  const serving = new WeakMap<readonly Deployment[], readonly Deployment[]>()
  return {
    path,
    endpoint,
    ...shape,
    retry: false,
    // Computed once per registry list (H5), not per request.
    deployments(list) {
      let out = serving.get(list)
      if (!out) serving.set(list, (out = list.filter((d) => supportsEndpoint(d.provider, endpoint))))
      if (out.length === 0) {
        const first = list[0]!.provider
        throw unsupportedEndpoint(first.name, first.kind, path)
      }
      return out
    },
    errorResponse: (error, headers) => error.toResponse(headers),
    streamFailure: upstreamStreamFailed,
  }
}
