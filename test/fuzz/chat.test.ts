// POST /v1/chat/completions under hostile input, through the real server in-process: every provider
// kind (OpenAI passthrough, Anthropic, Gemini and Bedrock translation, echo), aliases (the body is
// re-serialised), with and without extensions. The answer is always a 2xx or a 4xx in OpenAI's error
// shape, never a 5xx or a hang, and no built-in prototype changes.
import { chatBody, jsonCase } from './support/bodies'
import { CHAT_MODELS, KEY, MAX_BODY } from './support/gateway'
import { fuzzJsonRoute } from './support/route'

fuzzJsonRoute({
  path: '/v1/chat/completions',
  cases: 2500,
  shape: 'openai',
  generate: (rng) =>
    jsonCase(rng, chatBody(rng, rng.pick(CHAT_MODELS)), (key) => ({ authorization: `Bearer ${key}` }), KEY, MAX_BODY),
})
