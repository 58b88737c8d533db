// POST /v1/messages/count_tokens (Anthropic's messages.countTokens): a Messages request without
// max_tokens, answered with the number of input tokens. Documentation, not a gate, like messages.ts.
// https://docs.anthropic.com/en/api/messages-count-tokens
import { type Static, Type as T } from '@sinclair/typebox'
import { AnthropicMessagesRequestSchema } from './messages'

/** The Messages request's own fields that a count reads: one shape for both routes. */
export const AnthropicCountTokensRequestSchema = T.Pick(
  AnthropicMessagesRequestSchema,
  ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking'],
  {
    title: 'AnthropicCountTokensRequest',
    description:
      'What a Messages request would send, without max_tokens. Counted by Anthropic on anthropic deployments, by models.countTokens on google and by CountTokens on bedrock ones; estimated by the gateway (o200k_base) on every other kind.',
  },
)
export type AnthropicCountTokensRequest = Static<typeof AnthropicCountTokensRequestSchema>

export const AnthropicTokenCountSchema = T.Object(
  {
    input_tokens: T.Integer({ minimum: 0, description: 'The tokens the request would read: system, messages, tools.' }),
  },
  { title: 'AnthropicTokenCount' },
)
export type AnthropicTokenCount = Static<typeof AnthropicTokenCountSchema>
