// AWS Bedrock through the Converse API: clients speak OpenAI chat completions; each call is translated
// (request.ts), signed with SigV4 (sign.ts) and sent to /model/{modelId}/converse or /converse-stream;
// answers come back translated (response.ts, stream.ts, errors.ts). Chat only: no embeddings, and
// /v1/messages reaches Bedrock as chat through src/messages.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import type { ProviderConfig } from '../../config/schema'
import { badRequest, GatewayError, unsupportedEndpoint } from '../../core/errors'
import { translateStream } from '../../sse/translate'
import { type Provider, type ProviderKind, type UpstreamCall, upstreamHeaders } from '../provider'
import { BedrockStreamException, toOpenAiErrorResponse } from './errors'
import { toConverseRequest } from './request'
import { type ConverseResponse, toChatCompletion } from './response'
import { createSigner, type Signer } from './sign'
import { BedrockStreamTranslator } from './stream'

export const BEDROCK_SERVICE = 'bedrock'

export function bedrockBaseUrl(region: string): string {
  return `https://bedrock-runtime.${region}.amazonaws.com`
}

const KIND = 'bedrock'
const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }
const encoder = new TextEncoder()

export const bedrockKind: ProviderKind = {
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
  create: createBedrockProvider,
}

function createBedrockProvider(name: string, config: ProviderConfig): Provider {
  const region = config.region!
  const base = (config.base_url ?? bedrockBaseUrl(region)).replace(/\/+$/, '')
  const signer = createSigner({
    accessKeyId: config.access_key!,
    secretAccessKey: config.secret_key!,
    sessionToken: config.session_token || undefined,
    region,
    service: BEDROCK_SERVICE,
  })
  const urls = new Map<string, string>()
  const urlFor = (model: string, stream: boolean) => {
    const key = `${stream ? 's' : 'c'} ${model}`
    let url = urls.get(key)
    if (url === undefined) {
      url = `${base}/model/${encodeURIComponent(model)}/${stream ? 'converse-stream' : 'converse'}`
      urls.set(key, url)
    }
    return url
  }
  return {
    name,
    kind: KIND,
    send: (call) => send(name, signer, urlFor(call.model, call.stream), call),
  }
}

async function send(name: string, signer: Signer, url: string, call: UpstreamCall): Promise<Response> {
  if (call.endpoint !== 'chat')
    return unsupportedEndpoint(name, KIND, call.endpoint === 'embeddings' ? 'embeddings' : '/v1/messages').toResponse()
  const translated = toConverseRequest(call.json)
  if (!translated.ok) return badRequest(translated.message, translated.param).toResponse()
  const body = encoder.encode(JSON.stringify(translated.request))
  const headers = await signer.sign({
    method: 'POST',
    url,
    headers: upstreamHeaders(
      {
        'content-type': 'application/json',
        accept: call.stream ? 'application/vnd.amazon.eventstream' : 'application/json',
      },
      call,
    ),
    body,
  })
  const response = await fetch(url, { method: 'POST', headers, body, signal: call.signal })
  if (!response.ok) return toOpenAiErrorResponse(response)
  const meta = { id: completionId(response), created: Math.floor(Date.now() / 1000), model: call.model }
  if (call.stream) {
    if (!response.body) return upstreamInvalid(name, 'an empty stream').toResponse()
    const includeUsage = (call.json.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true
    const translator = new BedrockStreamTranslator({ ...meta, includeUsage })
    return streamResponse(translateStream(response.body, translator), response.status)
  }
  const text = await response.text() // a read that fails rejects: no whole answer came
  let converse: ConverseResponse
  try {
    converse = JSON.parse(text) as ConverseResponse
  } catch {
    return upstreamInvalid(name, 'a body that is not JSON').toResponse()
  }
  return new Response(JSON.stringify(toChatCompletion(converse, meta)), {
    status: response.status,
    headers: JSON_HEADERS,
  })
}

/**
 * Reads until the first translated bytes: an exception event before them (throttling, validation)
 * answers as an HTTP error with its own status, so that dispatch retries or relays it like any other.
 */
async function streamResponse(translated: ReadableStream<Uint8Array>, status: number): Promise<Response> {
  const reader = translated.getReader()
  let first: Awaited<ReturnType<typeof reader.read>>
  try {
    first = await reader.read()
  } catch (err) {
    if (err instanceof BedrockStreamException) return err.toResponse()
    throw err
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close()
      else controller.enqueue(first.value)
    },
    async pull(controller) {
      const { done, value } = await reader.read()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return new Response(body, { status, headers: SSE_HEADERS })
}

/** Bedrock's request id makes a traceable completion id; a random one otherwise. */
function completionId(response: Response): string {
  return `chatcmpl-${response.headers.get('x-amzn-requestid') ?? crypto.randomUUID()}`
}

function upstreamInvalid(name: string, what: string): GatewayError {
  return new GatewayError(
    502,
    'server_error',
    'upstream_invalid_response',
    `Provider '${name}' (kind bedrock) answered with ${what}.`,
  )
}
