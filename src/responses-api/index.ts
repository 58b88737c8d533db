// The /v1/responses ⇄ chat completions translators, the folder's face: a Responses request to chat
// (request.ts, input.ts), a chat answer, stream and error back to the Responses format (response.ts,
// stream.ts, errors.ts); reasoning items carry signed thinking blocks across turns (encrypted-reasoning.ts);
// namespace tools travel as `<namespace>__<name>` functions (namespaces.ts).
export { SEAL_PREFIX, sealThinkingBlocks, unsealThinkingBlocks } from './encrypted-reasoning'
export { fromChatError } from './errors'
export { includes, type ToChatOptions, toChatRequest } from './request'
export { fromChatResponse, type ResponseContext } from './response'
export { ResponsesStreamTranslator } from './stream'
export type * from './types'

/** The events that end a Responses stream, each carrying the final response (its usage included). */
export const RESPONSE_END_EVENTS: readonly string[] = ['response.completed', 'response.incomplete', 'response.failed']
