// Stage 1 of the request path, identify: who is calling (401), the key's share of in-flight requests
// (429), and the extensions' say on the key alone (its request rate: 429), all before the body is read,
// so that a key over its limits costs the gateway no body read and one key's stalled bodies hold only
// that key's share.
import type { Admission } from './admit'
import type { Call, KeyedCall } from './call'
import type { RelayContext } from './context'

export async function identify(ctx: RelayContext, call: Call, admission: Admission): Promise<KeyedCall> {
  const principal = ctx.auth.authenticate(call.request)
  call.key = principal.name
  admission.holdKey(principal)
  if (!ctx.pipeline.active) return Object.assign(call, { principal, key: principal.name, early: undefined })
  const early = {
    requestId: call.requestId,
    key: principal.name,
    principal,
    model: '',
    requestedModel: '',
    surface: call.surface.endpoint,
    stream: false,
    json: EMPTY,
    request: call.request,
    started: call.started,
    startedAt: Date.now(),
    clientWantsUsage: false,
    headers: {},
  }
  const keyed = Object.assign(call, { principal, key: principal.name, early })
  try {
    await ctx.pipeline.onKey(early)
  } catch (err) {
    // Refused by an extension: the pipeline has seen the request (its onError records the refusal).
    keyed.hooks = early
    throw err
  }
  return keyed
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({})
