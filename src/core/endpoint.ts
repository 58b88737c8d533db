// The model endpoints the gateway serves, as one union: the relay's surfaces, the providers' handlers,
// the extensions' view of a request and the metrics' route label all speak it.

/**
 * chat, embeddings and responses are OpenAI's (responses: natively by openai, azure and custom providers
 * with `responses = true`, through chat by the others); messages and count_tokens are Anthropic's
 * (natively by anthropic-kind providers, through chat or the kind's own counting API by the others). images (generations), speech, transcriptions and translations are
 * OpenAI's media endpoints: only the OpenAI protocol family (openai, azure, ollama, custom) serves them.
 */
export type Endpoint = 'chat' | 'embeddings' | 'responses' | 'messages' | 'count_tokens' | MediaEndpoint
export type MediaEndpoint = 'images' | 'speech' | 'transcriptions' | 'translations'
