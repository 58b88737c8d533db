// The passthrough handler: the client's bytes go upstream as they came (only `model` rewritten for an
// alias, `include_usage` spliced in; multipart with its own content type), and the upstream's answer
// comes back untouched, whatever its status. The OpenAI family serves every endpoint this way, and
// Anthropic serves /v1/messages.
import { type HttpTarget, postUpstream } from './http'
import type { Handler } from './provider'

export function passthroughHandler(target: HttpTarget): Handler {
  return (call) => postUpstream(target, call, call.body, call.contentType)
}
