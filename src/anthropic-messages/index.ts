// The /v1/messages ⇄ chat completions translators, the folder's face: a Messages request to chat
// (request.ts, with its messages and tools in request-messages.ts and request-tools.ts, its 400s in
// params.ts), a chat answer, stream and error back to Messages (response.ts, stream.ts, errors.ts).
export {
  type AnthropicErrorBody,
  type AnthropicErrorType,
  anthropicErrorBody,
  anthropicErrorFrame,
  anthropicErrorType,
  fromChatError,
} from './errors'
export { type ToChatOptions, toChatRequest } from './request'
export { type AnthropicMessage, type AnthropicUsage, fromChatResponse, type StopReason } from './response'
export { ChatStreamTranslator } from './stream'
