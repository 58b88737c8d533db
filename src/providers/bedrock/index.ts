// AWS Bedrock through the Converse API: clients speak OpenAI chat completions; each call is translated
// (request.ts), signed with SigV4 (sign.ts) and sent to /model/{modelId}/converse or /converse-stream
// through the one exchange; answers come back translated (response.ts, stream.ts over eventstream.ts,
// errors.ts). Chat only: no embeddings, and /v1/messages reaches Bedrock through chat;
// /v1/messages/count_tokens goes to the CountTokens API (count-tokens.ts).
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import type { ProviderConfig } from '../../config/schema'
import { type Translation, translatingHandler } from '../exchange'
import { type HttpTarget, postUpstream, urlCache } from '../http'
import type { Handlers, ProviderKind } from '../provider'
import { bedrockCountTokens } from './count-tokens'
import { bedrockStreamRefusal, fromBedrockError } from './errors'
import { toBedrockRequest } from './request'
import { fromBedrockResponse } from './response'
import { createSigner } from './sign'
import { BedrockStreamTranslator } from './stream'

export const BEDROCK_SERVICE = 'bedrock'

export function bedrockBaseUrl(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`
}

export const bedrockKind: ProviderKind = {
  translatesChat: true,
  normalize(config) {
    if (config.base_url) return { ...config, base_url: config.base_url.replace(/\/+$/, '') }
    return config.region ? { ...config, base_url: bedrockBaseUrl(config.region) } : config
  },
  check(config) {
    if (!config.region)
      return { field: 'region', problem: 'is required for kind "bedrock"', fix: 'region = "${AWS_REGION}"' }
    if (!config.access_key)
      return {
        field: 'access_key',
        problem: 'is required for kind "bedrock"',
        fix: 'access_key = "${AWS_ACCESS_KEY_ID}"',
      }
    if (!config.secret_key)
      return {
        field: 'secret_key',
        problem: 'is required for kind "bedrock"',
        fix: 'secret_key = "${AWS_SECRET_ACCESS_KEY}"',
      }
    return undefined
  },
  create: createBedrock,
}

/** OpenAI chat completions ⇄ Converse / ConverseStream. */
const CHAT: Translation = {
  format: 'openai',
  answer: 'a Converse response',
  toRequest: (call) => toBedrockRequest(call.json),
  fromResponse: fromBedrockResponse,
  streamTranslator: (meta) => new BedrockStreamTranslator(meta),
  fromError: fromBedrockError,
  fromStreamError: bedrockStreamRefusal,
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json' }
const STREAM_HEADERS = { 'content-type': 'application/json', accept: 'application/vnd.amazon.eventstream' }

function createBedrock(name: string, config: ProviderConfig): Handlers {
  const region = config.region!
  const base = (config.base_url ?? bedrockBaseUrl(region)).replace(/\/+$/, '')
  const signer = createSigner({
    accessKeyId: config.access_key!,
    secretAccessKey: config.secret_key!,
    sessionToken: config.session_token || undefined,
    region,
    service: BEDROCK_SERVICE,
  })
  const target: HttpTarget = {
    url: urlCache(
      (_endpoint, model, stream) =>
        `${base}/model/${encodeURIComponent(model)}/${stream ? 'converse-stream' : 'converse'}`,
    ),
    headers: (call) => (call.stream ? STREAM_HEADERS : HEADERS),
    sign: (request) => signer.sign({ method: 'POST', ...request }),
  }
  return {
    chat: translatingHandler(name, CHAT, (call, body) => postUpstream(target, call, body)),
    count_tokens: bedrockCountTokens(name, base, signer),
  }
}
