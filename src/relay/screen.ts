// Stage 3 of the request path, screen: the extensions' say before any provider is called. Decision hooks
// (rate limit, budget) may refuse the request; the cache may answer it. Skipped entirely when no
// extension is configured (the pipeline is then inactive: no hook object is built).
import type { RequestContext } from '../extensions'
import { wantsUsageChunk } from '../providers'
import type { ReadCall } from './call'
import type { RelayContext } from './context'

/** Runs the decision hooks and the cache lookup; resolves with the cached answer on a hit. */
export async function screen(ctx: RelayContext, call: ReadCall): Promise<Response | undefined> {
  const { pipeline } = ctx
  if (!pipeline.active) return undefined
  const hooks: RequestContext = {
    requestId: call.requestId,
    key: call.key,
    principal: call.principal,
    model: call.model,
    requestedModel: call.requestedModel,
    surface: call.surface.endpoint,
    stream: call.mode !== 'buffered',
    json: call.json,
    request: call.request,
    started: call.started,
    startedAt: Date.now(),
    clientWantsUsage: wantsUsageChunk(call.json),
    headers: {},
  }
  call.hooks = hooks
  await pipeline.onRequest(hooks)
  return pipeline.onCacheLookup(hooks)
}
