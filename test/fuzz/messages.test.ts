// POST /v1/messages under hostile input, through the real server in-process: an Anthropic deployment
// (the client's bytes passed through) and OpenAI-format ones served by translation (OpenAI, Gemini,
// Bedrock, echo), with and without extensions. The answer is always a 2xx or a 4xx in Anthropic's
// error shape, never a 5xx or a hang, and no built-in prototype changes.
import { jsonCase, messagesBody } from './support/bodies'
import { KEY, MAX_BODY, MODELS } from './support/gateway'
import { fuzzJsonRoute } from './support/route'

const MODELS_HERE = [
  MODELS.anthropic,
  MODELS.openai,
  MODELS.google,
  MODELS.bedrock,
  MODELS.echo,
  'alias-claude',
  'alias-chat',
  'no-such-model',
]
const VERSIONS = ['2023-06-01', '', 'x'.repeat(300), '2023-01-01', '__proto__']

fuzzJsonRoute({
  path: '/v1/messages',
  cases: 2500,
  shape: 'anthropic',
  generate(rng) {
    const auth = (key: string): Record<string, string> =>
      rng.chance(0.5) ? { 'x-api-key': key } : { authorization: `Bearer ${key}` }
    const c = jsonCase(rng, messagesBody(rng, rng.pick(MODELS_HERE)), auth, KEY, MAX_BODY)
    if (rng.chance(0.3)) c.headers['anthropic-version'] = rng.pick(VERSIONS)
    if (rng.chance(0.1)) c.headers['anthropic-beta'] = rng.pick(['prompt-caching-2024-07-31', 'x,y', ''])
    return c
  },
})
