// POST /v1/messages/count_tokens on an anthropic deployment: the client's bytes to Anthropic's own
// counting endpoint with the headers of the kind's /v1/messages passthrough (the key, our
// anthropic-version unless the client sent its own, anthropic-beta) and its query string; the answer
// comes back untouched.
// https://docs.anthropic.com/en/api/messages-count-tokens
import { joinUrl } from '../http'
import { passthroughHandler } from '../passthrough'
import type { Handler, UpstreamCall } from '../provider'

/** The count_tokens handler of an anthropic provider at `baseUrl`; `headers` are its /v1/messages headers. */
export function anthropicCountTokens(
  baseUrl: string,
  headers: (call: UpstreamCall) => Readonly<Record<string, string>>,
): Handler {
  const url = joinUrl(baseUrl, 'messages/count_tokens')
  // The answer is one JSON object, never a stream, whatever the body says.
  return passthroughHandler({
    // The client's query goes along, as on /v1/messages (Claude Code's ?beta=true).
    url: (call) => (call.query ? url + call.query : url),
    headers: (call) => headers(call.stream ? { ...call, stream: false } : call),
  })
}
