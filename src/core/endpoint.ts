// The model endpoints the gateway serves, as one union: the relay's surfaces, the providers' handlers,
// the extensions' view of a request and the metrics' route label all speak it.

/**
 * chat and embeddings are OpenAI's; messages is Anthropic's (served natively by anthropic-kind providers,
 * through chat by the others). images (generations), speech, transcriptions and translations are
 * OpenAI's media endpoints: only the OpenAI protocol family (openai, azure, ollama, custom) serves them.
 */
export type Endpoint = 'chat' | 'embeddings' | 'messages' | MediaEndpoint
export type MediaEndpoint = 'images' | 'speech' | 'transcriptions' | 'translations'
