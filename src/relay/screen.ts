// Stage 4 of the request path, screen: the extensions' say once the body is read and before any provider
// is called. Decision hooks (budget and token reservations) may refuse the request; the cache may answer
// it. Skipped entirely when no extension is configured (the pipeline is then inactive: no hook object).

import { wantsUsageChunk } from '../providers'
import type { ReadCall } from './call'
import type { RelayContext } from './context'
import { estimateTokens } from './estimate'

/** Runs the decision hooks and the cache lookup; resolves with the cached answer on a hit. */
export async function screen(ctx: RelayContext, call: ReadCall): Promise<Response | undefined> {
  const hooks = call.early
  if (!hooks) return undefined
  // The early view (identify) becomes the whole one: the body is read.
  hooks.model = call.model
  hooks.requestedModel = call.requestedModel
  hooks.stream = call.mode !== 'buffered'
  hooks.json = call.json
  hooks.clientWantsUsage = wantsUsageChunk(call.json)
  call.hooks = hooks
  // Token counting costs nothing: no budget or token reservation can refuse it, and no cache holds it.
  if (call.surface.billed === false) return undefined
  if (ctx.pipeline.reserves) hooks.estimate = estimateTokens(call.surface.endpoint, call.json)
  await ctx.pipeline.onRequest(hooks)
  return ctx.pipeline.onCacheLookup(hooks)
}
