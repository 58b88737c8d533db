// POST /v1/embeddings under hostile input, through the real server in-process: OpenAI passthrough,
// Gemini translation, echo, an alias (the body is re-serialised) and a model whose provider has no
// embeddings, with and without extensions. Always a 2xx or a 4xx in OpenAI's error shape.
import { embeddingsBody, jsonCase } from './support/bodies'
import { EMBEDDING_MODELS, KEY, MAX_BODY } from './support/gateway'
import { fuzzJsonRoute } from './support/route'

fuzzJsonRoute({
  path: '/v1/embeddings',
  cases: 2000,
  shape: 'openai',
  generate: (rng) =>
    jsonCase(
      rng,
      embeddingsBody(rng, rng.pick(EMBEDDING_MODELS)),
      (key) => ({ authorization: `Bearer ${key}` }),
      KEY,
      MAX_BODY,
    ),
})
