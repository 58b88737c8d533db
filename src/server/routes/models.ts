// GET /v1/models and GET /v1/models/{id}: the models and aliases the caller's key may use, in OpenAI's
// shape with what the model catalog knows beside it (context, prices, capabilities, in OpenRouter's
// field names: wire/models.ts), or in Anthropic's (paged with limit, after_id, before_id) when the
// request carries anthropic-version, as Anthropic's SDKs send it on every call. A model the key may not
// use is not found (404, never 403: the list does not reveal what else the gateway serves).
// https://platform.openai.com/docs/api-reference/models · https://docs.anthropic.com/en/api/models-list
import type { Elysia } from 'elysia'
import { anthropicErrorBody } from '../../anthropic-messages'
import { allows, type Principal } from '../../auth'
import { type Catalog, catalogOf, type ModelFacts } from '../../catalog'
import { badRequest, echo, GatewayError, modelNotFound } from '../../core/errors'
import type { Registry } from '../../routing/registry'
import type { AnthropicModelInfo, AnthropicModelList, ModelList, ModelWire } from '../../wire/models'
import type { AppContext } from '../context'

const STARTED = Math.floor(Date.now() / 1000)
/** RFC 3339, whole seconds: Anthropic's created_at. */
const STARTED_AT = new Date(STARTED * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
const PREFIX = '/v1/models/'

export function modelsRoutes(ctx: AppContext) {
  return (app: Elysia) =>
    app
      .get('/v1/models', ({ request }) =>
        answer(ctx, request, (principal, anthropic) => {
          const ids = visibleModels(ctx.registry, principal)
          if (!anthropic) {
            const catalog = catalogOf(ctx.config)
            return Response.json({
              object: 'list',
              data: ids.map((id) => openAiModel(ctx.registry, catalog, id)),
            } satisfies ModelList)
          }
          return Response.json(anthropicPage(ids, new URL(request.url, 'http://invalid-host').searchParams))
        }),
      )
      // The id is the rest of the path: model names and aliases hold '/' and ':' (openai/gpt-4o), sent
      // as they are or percent-encoded (the SDKs encode '/' as %2F).
      .get(`${PREFIX}*`, ({ request }) =>
        answer(ctx, request, (principal, anthropic) => {
          const id = modelIdOf(request)
          if (id === undefined || !isVisible(ctx.registry, principal, id)) throw modelNotFound(id ?? '')
          return Response.json(anthropic ? anthropicModel(id) : openAiModel(ctx.registry, catalogOf(ctx.config), id))
        }),
      )
}

/**
 * One page of `ids` by Anthropic's cursor params: `limit` (1–1000, default 20), then the ids after
 * `after_id` or before `before_id` (the ones nearest it). 400 for a bad limit, both cursors, or a cursor
 * that is not in the list (a model removed by a reload while paging: the client starts over).
 */
export function anthropicPage(ids: readonly string[], query: URLSearchParams): AnthropicModelList {
  const limit = limitOf(query.get('limit'))
  const after = query.get('after_id')
  const before = query.get('before_id')
  if (after !== null && before !== null) throw badRequest('Send after_id or before_id, not both.', 'before_id')
  let page: readonly string[]
  let hasMore: boolean
  if (before !== null) {
    const end = cursor(ids, before, 'before_id')
    const start = Math.max(0, end - limit)
    page = ids.slice(start, end)
    hasMore = start > 0
  } else {
    const start = after === null ? 0 : cursor(ids, after, 'after_id') + 1
    page = ids.slice(start, start + limit)
    hasMore = start + limit < ids.length
  }
  return {
    data: page.map(anthropicModel),
    has_more: hasMore,
    first_id: page[0] ?? null,
    last_id: page[page.length - 1] ?? null,
  }
}

// --- internal ---

/**
 * Authenticates, then answers with `build`; every failure in the request's dialect: Anthropic's
 * `{"type":"error",…}` when it carries anthropic-version, OpenAI's otherwise.
 */
function answer(
  ctx: AppContext,
  request: Request,
  build: (principal: Principal, anthropic: boolean) => Response,
): Response {
  const anthropic = request.headers.has('anthropic-version')
  try {
    return build(ctx.auth.authenticate(request), anthropic)
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err
    if (!anthropic) return err.toResponse()
    return new Response(JSON.stringify(anthropicErrorBody(err.status, err.message)), {
      status: err.status,
      headers: { ...err.headers, 'content-type': 'application/json' },
    })
  }
}

/** The models, then the aliases, the key may use (an alias when its target is allowed). */
function visibleModels(registry: Registry, principal: Principal): string[] {
  const ids = registry.models.filter((id) => allows(principal, id))
  for (const [alias, target] of Object.entries(registry.aliases)) if (allows(principal, target)) ids.push(alias)
  return ids
}

function isVisible(registry: Registry, principal: Principal, id: string): boolean {
  if (registry.models.includes(id)) return allows(principal, id)
  const target = Object.hasOwn(registry.aliases, id) ? registry.aliases[id] : undefined
  return target !== undefined && allows(principal, target)
}

function openAiModel(registry: Registry, catalog: Catalog, id: string): ModelWire {
  const target = Object.hasOwn(registry.aliases, id) ? registry.aliases[id]! : id
  const base: ModelWire = { id, object: 'model', created: STARTED, owned_by: registry.ownerOf(target) }
  const facts = catalog.facts(target, id)
  return facts ? { ...base, ...catalogFields(facts) } : base
}

/** What the catalog knows, in OpenRouter's names (see ModelSchema); unknown fields are left out. */
function catalogFields(facts: ModelFacts): Omit<Partial<ModelWire>, 'id' | 'object' | 'created' | 'owned_by'> {
  const out: Omit<Partial<ModelWire>, 'id' | 'object' | 'created' | 'owned_by'> = {}
  if (facts.context_length !== undefined) out.context_length = facts.context_length
  const price = facts.price
  if (price)
    out.pricing = {
      prompt: perToken(price.input),
      completion: perToken(price.output),
      ...(price.cache_read !== undefined && { input_cache_read: perToken(price.cache_read) }),
      ...(price.cache_write !== undefined && { input_cache_write: perToken(price.cache_write) }),
    }
  if (facts.vision !== undefined) out.architecture = { input_modalities: facts.vision ? ['text', 'image'] : ['text'] }
  if (facts.context_length !== undefined || facts.max_output !== undefined)
    out.top_provider = {
      ...(facts.context_length !== undefined && { context_length: facts.context_length }),
      ...(facts.max_output !== undefined && { max_completion_tokens: facts.max_output }),
    }
  if (facts.tools !== undefined && facts.reasoning !== undefined)
    out.supported_parameters = [
      ...(facts.tools ? ['tools', 'tool_choice'] : []),
      ...(facts.reasoning ? ['reasoning', 'include_reasoning'] : []),
    ]
  return out
}

/**
 * USD per million tokens as USD per token, in decimal (2.5 → "0.0000025", 0.075 → "0.000000075"):
 * the decimal point moved six places in the number's own digits, so no float noise is printed.
 */
export function perToken(perMillion: number): string {
  const [whole = '0', fraction = ''] = perMillion.toFixed(10).split('.')
  const digits = whole.padStart(7, '0')
  const text = `${digits.slice(0, -6)}.${digits.slice(-6)}${fraction}`.replace(/^0+(?=\d)/, '').replace(/\.?0+$/, '')
  return text === '' ? '0' : text
}

function anthropicModel(id: string): AnthropicModelInfo {
  return { type: 'model', id, display_name: id, created_at: STARTED_AT }
}

/** The model id of a GET /v1/models/{id} request, percent-decoded; undefined when empty or malformed. */
function modelIdOf(request: Request): string | undefined {
  const path = new URL(request.url, 'http://invalid-host').pathname
  const raw = path.slice(path.indexOf(PREFIX) + PREFIX.length)
  try {
    return decodeURIComponent(raw) || undefined
  } catch {
    return undefined
  }
}

function limitOf(value: string | null): number {
  if (value === null) return DEFAULT_LIMIT
  const limit = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN
  if (!(limit >= 1 && limit <= MAX_LIMIT))
    throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}; got '${echo(value)}'.`, 'limit')
  return limit
}

function cursor(ids: readonly string[], id: string, param: string): number {
  const at = ids.indexOf(id)
  if (at < 0) throw badRequest(`${param} '${echo(id)}' is not a model in this list.`, param)
  return at
}

const DEFAULT_LIMIT = 20
const MAX_LIMIT = 1000
