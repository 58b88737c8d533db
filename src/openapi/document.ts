// The OpenAPI 3.1 document of every route the gateway serves, built from the TypeBox schemas of
// src/wire/ and src/wire/admin.ts (components.ts). A pure function of the version: the same
// document is served at /openapi.json, rendered at /docs and printed by `crabllm openapi`. Routes that
// an extension or a setting turns on (cache, usage, budget, audit, metrics, the admin API) are always
// listed, each saying what enables it, so that one document describes every gateway.
// test/openapi/document.test.ts validates it and checks that every route createApp registers is here.
import { components, type JsonObject, RATE_LIMIT_HEADER_NAMES, ref } from './components'
import { json, type Operation, operations } from './operations'

export interface DocumentOptions {
  /** The gateway's version (package.json), shown as info.version. */
  version: string
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
}

function render(op: Operation): JsonObject {
  const errorBody =
    op.errorShape === 'anthropic'
      ? ref('AnthropicErrorBody')
      : op.errorShape === 'either'
        ? { oneOf: [ref('ErrorBody'), ref('AnthropicErrorBody')] }
        : ref('ErrorBody')
  const headers = (names: string[]) =>
    Object.fromEntries(names.map((n) => [n === 'RequestId' ? 'x-request-id' : n, headerRef(n)]))
  const responses: JsonObject = {
    [String(op.ok.status ?? 200)]: {
      description: op.ok.description,
      headers: headers(op.ok.headers ?? ['RequestId']),
      ...(op.ok.content ? { content: op.ok.content } : {}),
    },
  }
  for (const [status, when] of Object.entries(op.errors ?? {}) as [string, string][]) {
    const extra = status === '429' ? ['RetryAfter', ...RATE_LIMIT_HEADER_NAMES] : []
    responses[status] = {
      description: status === 'default' ? when : `${STATUS_TEXT[Number(status)] ?? 'Error'}: ${when}`,
      headers: headers(['RequestId', ...extra]),
      content: json(errorBody),
    }
  }
  if (op.id === 'health')
    responses['503'] = {
      description: 'Draining for shutdown.',
      headers: headers(['RequestId']),
      content: json(ref('Health')),
    }
  return {
    operationId: op.id,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security: op.security,
    parameters: [...(op.parameters ?? []), { $ref: '#/components/parameters/RequestId' }],
    ...(op.body ? { requestBody: { required: true, content: op.body.content } } : {}),
    responses,
  }
}

function headerRef(name: string): JsonObject {
  if (name === 'x-crabllm-truncated')
    return { description: '"true" when rows were left out (more than 10 000).', schema: { type: 'string' } }
  if (name === 'RetryAfter') return { $ref: '#/components/headers/RetryAfter' }
  return { $ref: `#/components/headers/${name}` }
}

export function openApiDocument(options: DocumentOptions): JsonObject {
  const paths: JsonObject = {}
  for (const [path, methods] of Object.entries(operations()))
    paths[path] = Object.fromEntries(Object.entries(methods).map(([method, op]) => [method, render(op)]))
  return {
    openapi: '3.1.0',
    info: {
      title: 'crabllm',
      version: options.version,
      description:
        'A high-performance LLM API gateway: the OpenAI API (and Anthropic Messages) in front of every configured provider, with virtual keys, retries and fallback, caching, rate limits, usage, budgets and audit logs.\n\nEvery failure is JSON in OpenAI\'s shape `{"error":{"message","type","param","code"}}` (Anthropic\'s on /v1/messages and /v1/messages/count_tokens, and on /v1/models when the client sends anthropic-version). Every answer carries `x-request-id`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'OpenAI', description: 'The OpenAI-compatible API.' },
      { name: 'Anthropic', description: 'The Anthropic Messages API.' },
      { name: 'Extensions', description: 'Routes served when their extension is configured.' },
      { name: 'Admin', description: 'Live management, with the admin token (`admin_token`).' },
      { name: 'Operations', description: 'Health, metrics and this documentation.' },
      {
        name: 'Dashboard',
        description: 'The web dashboard at /ui, served from the binary; its data comes from the admin API.',
      },
    ],
    paths,
    components: components(),
  }
}
