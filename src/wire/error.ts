// The error bodies clients see: OpenAI's `{"error":{message,type,param,code}}` on every route but
// /v1/messages, which answers in Anthropic's `{"type":"error","error":{type,message}}`. Upstream errors
// are relayed with their own type and code, so both are open strings here; the gateway's own values are
// listed in the descriptions (src/core/errors.ts, src/anthropic-messages/errors.ts).
import { type Static, Type as T } from '@sinclair/typebox'

export const ErrorBodySchema = T.Object(
  {
    error: T.Object({
      message: T.String({ description: 'What went wrong, in words; names the field for bad input.' }),
      type: T.String({
        description:
          "OpenAI's error type: invalid_request_error, authentication_error, permission_error, not_found_error, requests or tokens (rate limits), insufficient_quota, timeout_error, server_error; an upstream's own type is passed through.",
      }),
      param: T.Union([T.String(), T.Null()], { description: 'The offending request field (dotted path), or null.' }),
      code: T.Union([T.String(), T.Null()], {
        description:
          'A stable code: invalid_json, missing_api_key, invalid_api_key, model_not_allowed, model_not_found, rate_limit_exceeded, budget_exceeded, upstream_timeout, …',
      }),
    }),
  },
  { title: 'ErrorBody', description: "Every failure outside /v1/messages, in OpenAI's shape." },
)
export type ErrorBodyWire = Static<typeof ErrorBodySchema>

export const AnthropicErrorBodySchema = T.Object(
  {
    type: T.Literal('error'),
    error: T.Object({
      type: T.String({
        description:
          'invalid_request_error, authentication_error, billing_error, permission_error, not_found_error, request_too_large, rate_limit_error, api_error, timeout_error or overloaded_error.',
      }),
      message: T.String(),
    }),
  },
  { title: 'AnthropicErrorBody', description: "Every failure on /v1/messages, in Anthropic's shape." },
)
export type AnthropicErrorBodyWire = Static<typeof AnthropicErrorBodySchema>
