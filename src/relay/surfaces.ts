// The model endpoints the relay serves, as one declarative table: where each is mounted, which endpoint
// it calls, how its body arrives, how its answer is relayed, whether a deployment may be called twice,
// and whose error dialect it speaks. Every branch of the request path reads these fields; none is a
// behaviour hook. https://platform.openai.com/docs/api-reference · https://docs.anthropic.com/en/api/messages
import type { Endpoint } from '../core/endpoint'

export interface Surface {
  readonly path: string
  readonly endpoint: Endpoint
  /** How the body arrives: a JSON object, or multipart/form-data carrying `files`. */
  readonly body: 'json' | 'multipart'
  /** The file fields a multipart body must carry. */
  readonly files?: readonly string[]
  /**
   * How the answer goes back: 'json' whole; 'sse' as server-sent events when the client streams (else
   * whole); 'raw' as bytes as they arrive (audio); 'raw-if-stream' the same when the client streams (the
   * image and transcription event streams, passed through as they are).
   */
  readonly answer: 'json' | 'sse' | 'raw' | 'raw-if-stream'
  /** false: a deployment is never called twice for one request (not idempotent, billed); fallback still applies. */
  readonly retry: boolean
  /** Whose error shape, in-band stream failure and end marker the surface speaks (relay/dialects.ts). */
  readonly dialect: 'openai' | 'responses' | 'anthropic'
  /**
   * false: the answer costs nothing (token counting): no budget or token reservation is taken and no
   * usage is charged; the request still counts against the key's request rate.
   */
  readonly billed?: false
  /** Client headers the provider may read: not credentials (anthropic-version, anthropic-beta). */
  readonly forward?: readonly string[]
  /** The client's query string goes to a passthrough upstream too (Anthropic's `?beta=true`). */
  readonly forwardQuery?: true
}

export const CHAT: Surface = {
  path: '/v1/chat/completions',
  endpoint: 'chat',
  body: 'json',
  answer: 'sse',
  retry: true,
  dialect: 'openai',
}

export const EMBEDDINGS: Surface = {
  path: '/v1/embeddings',
  endpoint: 'embeddings',
  body: 'json',
  answer: 'json',
  retry: true,
  dialect: 'openai',
}

/**
 * OpenAI's Responses API: bytes through to the deployments that speak it (openai, azure, custom with
 * `responses = true`), through chat on every other. The gateway keeps stored responses itself
 * (relay/conversation.ts), so `previous_response_id` works whichever deployment served the last turn.
 */
export const RESPONSES: Surface = {
  path: '/v1/responses',
  endpoint: 'responses',
  body: 'json',
  answer: 'sse',
  retry: true,
  dialect: 'responses',
}

/** Anthropic's Messages API: native on anthropic deployments, through chat on every other. */
export const MESSAGES: Surface = {
  path: '/v1/messages',
  endpoint: 'messages',
  body: 'json',
  answer: 'sse',
  retry: true,
  dialect: 'anthropic',
  forward: ['anthropic-version', 'anthropic-beta'],
  forwardQuery: true,
}

/**
 * Anthropic's token counting (messages.countTokens): a Messages request without max_tokens, answered
 * `{input_tokens}`. Native on anthropic deployments, the kind's counting API on google and bedrock, a
 * local estimate elsewhere (marked `x-crabllm-token-count: estimate`). Free, so safe to retry.
 */
export const COUNT_TOKENS: Surface = {
  path: '/v1/messages/count_tokens',
  endpoint: 'count_tokens',
  body: 'json',
  answer: 'json',
  retry: true,
  dialect: 'anthropic',
  billed: false,
  forward: ['anthropic-version', 'anthropic-beta'],
  forwardQuery: true,
}

// OpenAI's media endpoints: only the OpenAI family serves them; not idempotent and billed, so never retried.

/** JSON in, JSON out; `stream: true` (gpt-image-1's partial images) is passed through as it arrives. */
export const IMAGES: Surface = {
  path: '/v1/images/generations',
  endpoint: 'images',
  body: 'json',
  answer: 'raw-if-stream',
  retry: false,
  dialect: 'openai',
}

/** JSON in, audio out (audio/mpeg, …), relayed as it arrives with the upstream's content type. */
export const SPEECH: Surface = {
  path: '/v1/audio/speech',
  endpoint: 'speech',
  body: 'json',
  answer: 'raw',
  retry: false,
  dialect: 'openai',
}

/** multipart in (file, model, …); JSON or text out by response_format; `stream=true` passed through. */
export const TRANSCRIPTIONS: Surface = {
  path: '/v1/audio/transcriptions',
  endpoint: 'transcriptions',
  body: 'multipart',
  files: ['file'],
  answer: 'raw-if-stream',
  retry: false,
  dialect: 'openai',
}

/** multipart in (file, model, …); English text out, JSON or text by response_format. */
export const TRANSLATIONS: Surface = {
  path: '/v1/audio/translations',
  endpoint: 'translations',
  body: 'multipart',
  files: ['file'],
  answer: 'json',
  retry: false,
  dialect: 'openai',
}

/** Every surface, in the order the routes are mounted. */
export const SURFACES: readonly Surface[] = [
  CHAT,
  EMBEDDINGS,
  RESPONSES,
  MESSAGES,
  IMAGES,
  SPEECH,
  TRANSCRIPTIONS,
  TRANSLATIONS,
  COUNT_TOKENS,
]
