// Stage 2 of the request path, read: the body (read once, parsed once), the model (alias resolved,
// served, allowed for the key), and the deployments that serve this surface. Every refusal here is the
// client's: 400, 403, 404, 413.
import { assertAllowed } from '../auth'
import { readJsonBody } from '../core/body'
import { badRequest, echo, modelNotFound, unsupportedEndpoint } from '../core/errors'
import { typeName } from '../core/json'
import { supportsEndpoint } from '../providers'
import type { Deployment } from '../routing/registry'
import { answerMode, type KeyedCall, type ReadCall } from './call'
import type { RelayContext } from './context'
import { readMultipartBody } from './multipart'
import type { Surface } from './surfaces'

export async function readCall(ctx: RelayContext, call: KeyedCall): Promise<ReadCall> {
  const { surface, request, principal } = call
  const limit = ctx.config.max_body_size
  const form = surface.body === 'multipart' ? await readMultipartBody(request, limit, surface.files ?? []) : undefined
  const { bytes, json } = form ?? (await readJsonBody(request, limit))
  const envelope = form ? form.envelope : readEnvelope(json)
  const { registry } = ctx
  const model = registry.resolve(envelope.model)
  const served = registry.deployments(model)
  // The access line names the model asked for; an unknown one is the client's text, so only its start.
  call.model = served ? model : echo(model)
  if (!served) throw modelNotFound(envelope.model)
  assertAllowed(principal, model)
  return Object.assign(call, {
    model,
    requestedModel: envelope.model,
    json,
    bytes,
    form,
    stream: envelope.stream,
    mode: answerMode(surface, envelope.stream),
    deployments: deploymentsFor(surface, served),
  })
}

/** The envelope every model endpoint shares: `model` (non-empty string) and `stream` (boolean). */
export function readEnvelope(json: Record<string, unknown>): { model: string; stream: boolean } {
  const model = json.model
  if (model === undefined)
    throw badRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter')
  if (typeof model !== 'string')
    throw badRequest(
      `Invalid type for 'model': expected a string, but got ${typeName(model)}.`,
      'model',
      'invalid_type',
    )
  if (model.length === 0) throw badRequest("'model' must not be empty.", 'model')
  const stream = json.stream
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw badRequest(
      `Invalid type for 'stream': expected a boolean, but got ${typeName(stream)}.`,
      'stream',
      'invalid_type',
    )
  return { model, stream: stream === true }
}

/**
 * The deployments of a model that serve the surface's endpoint; 400 unsupported_endpoint naming the
 * first provider when none does (an anthropic model on /v1/embeddings, a gemini one on /v1/images/…).
 * Computed once per registry list and surface (H5), not per request.
 */
export function deploymentsFor(surface: Surface, list: readonly Deployment[]): readonly Deployment[] {
  let bySurface = serving.get(list)
  if (!bySurface) serving.set(list, (bySurface = new Map()))
  let out = bySurface.get(surface)
  if (!out) {
    const filtered = list.filter((d) => supportsEndpoint(d.provider, surface.endpoint))
    bySurface.set(surface, (out = filtered.length === list.length ? list : filtered))
  }
  if (out.length === 0) {
    const first = list[0]!.provider
    throw unsupportedEndpoint(first.name, first.kind, surface.path)
  }
  return out
}

// --- internal ---

const serving = new WeakMap<readonly Deployment[], Map<Surface, readonly Deployment[]>>()
