// Anthropic Messages request → OpenAI chat-completions request, so that `POST /v1/messages` can be
// served by OpenAI-format deployments (and, through their chat translators, Gemini and Bedrock). Pure:
// validates what it reads and names the offending field with Anthropic's dotted paths
// (`messages.2.content.0.source.type`). Messages and blocks: request-messages.ts; tools:
// request-tools.ts. https://docs.anthropic.com/en/api/messages ·
// https://platform.openai.com/docs/api-reference/chat/create
//
// Every top-level field, and what becomes of it:
//   carried   model, max_tokens (or max_completion_tokens), system and system turns, messages, stream
//             (+ stream_options.include_usage), stop_sequences → stop, temperature, top_p,
//             metadata.user_id → user, tools, tool_choice, thinking and output_config.effort →
//             reasoning_effort, output_config.format and the beta output_format → response_format
//   dropped   (harmless: what they ask for is an optimisation, a hint or Anthropic's own bookkeeping)
//             top_k (a sampling refinement chat has no field for; OpenAI refuses unknown arguments),
//             cache_control (a caching hint), context_management (Anthropic trims old tool results and
//             thinking to save context: here the model reads the whole conversation instead; Claude
//             Code sends it), container (a code-execution sandbox, and code execution is refused),
//             service_tier and speed (capacity and speed preferences on Anthropic's side), diagnostics
//             (asks for cache-miss explanations in the answer), fallbacks, fallback_credit_token and
//             billing_policy (Anthropic's model fallback and billing), and the header parameters
//             betas, user_profile_id and workspace_id should they arrive in the body
//   refused   (a 400 naming the field: dropping it would change the answer or break a promise)
//             mcp_servers (Anthropic calls the MCP servers itself), inference_geo (a data-residency
//             requirement this deployment cannot vouch for), compaction (the answer would be a
//             summary block), thread (server-held conversation state), any output_config field other
//             than format and effort, a thinking type other than enabled, adaptive, between_tools or
//             disabled
// Fields this file does not know are ignored, as gateways that refused them learnt from Claude Code
// (its `context_management` broke them overnight): a new field is read when it is added here.

import type { JsonObject } from '../core/json'
import { effortOfBudget, type ReasoningEffort } from '../core/reasoning'
import { expectObject, expectString, fail, isUnset } from './params'
import { systemText, translateMessage } from './request-messages'
import { translateTools } from './request-tools'

export interface ToChatOptions {
  /** The upstream model name to send, when the gateway resolved an alias; default: the body's model. */
  model?: string
  /** OpenAI's reasoning models refuse `max_tokens` and want `max_completion_tokens`; default `max_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens'
}

/**
 * The chat completions request for a Messages request. Throws a 400 GatewayError for a field it cannot
 * read or serve: the message is `<param>: <problem>` (the client sees it in Anthropic's shape).
 */
export function toChatRequest(body: Readonly<JsonObject>, options: ToChatOptions = {}): JsonObject {
  if (typeof body.model !== 'string' || body.model === '') fail('model', 'a model name is required')
  const maxTokens = body.max_tokens
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    fail('max_tokens', 'a positive integer is required')
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) fail('messages', 'at least one message is required')
  refuseUnservable(body)

  const messages: JsonObject[] = []
  if (!isUnset(body.system)) {
    const system = systemText(body.system, 'system')
    if (system !== '') messages.push({ role: 'system', content: system })
  }
  body.messages.forEach((message, i) => {
    messages.push(...translateMessage(message, `messages.${i}`))
  })

  const chat: JsonObject = { model: options.model ?? body.model, messages }
  chat[options.maxTokensField ?? 'max_tokens'] = maxTokens

  if (!isUnset(body.stop_sequences)) {
    const stop = body.stop_sequences
    if (!Array.isArray(stop) || !stop.every((s) => typeof s === 'string'))
      fail('stop_sequences', 'expected an array of strings')
    if (stop.length > 0) chat.stop = stop
  }
  for (const field of ['temperature', 'top_p'] as const) {
    const value = body[field]
    if (isUnset(value)) continue
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'expected a number')
    chat[field] = value
  }
  if (!isUnset(body.top_k) && (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k))) {
    fail('top_k', 'expected an integer')
  }
  if (!isUnset(body.metadata)) {
    const metadata = expectObject(body.metadata, 'metadata')
    if (!isUnset(metadata.user_id)) chat.user = expectString(metadata.user_id, 'metadata.user_id')
  }
  if (!isUnset(body.stream)) {
    if (typeof body.stream !== 'boolean') fail('stream', 'expected a boolean')
    if (body.stream) {
      chat.stream = true
      chat.stream_options = { include_usage: true }
    }
  }
  Object.assign(chat, translateTools(body.tools, body.tool_choice))
  const output = outputConfig(body)
  if (output.format) chat.response_format = output.format
  const effort = reasoningEffort(body.thinking, output.effort)
  if (effort) chat.reasoning_effort = effort
  return chat
}

// --- internal ---

function refuseUnservable(body: Readonly<JsonObject>): void {
  if (Array.isArray(body.mcp_servers) ? body.mcp_servers.length > 0 : !isUnset(body.mcp_servers))
    fail(
      'mcp_servers',
      "Anthropic's MCP connector cannot be served by an OpenAI-format deployment; declare the MCP tools as custom tools",
    )
  if (!isUnset(body.inference_geo))
    fail('inference_geo', 'an OpenAI-format deployment cannot be pinned to an Anthropic inference region')
  if (!isUnset(body.compaction))
    fail('compaction', 'compaction requests cannot be served by an OpenAI-format deployment')
  if (!isUnset(body.thread))
    fail('thread', 'server-held threads cannot be served by an OpenAI-format deployment; send the whole conversation')
}

/**
 * `output_config` (`format`, `effort`) and the beta `output_format`. A JSON schema format becomes
 * OpenAI's strict structured output named "output"; any other field is refused (nothing would honour it).
 */
function outputConfig(body: Readonly<JsonObject>): { format?: JsonObject; effort?: ReasoningEffort } {
  const out: { format?: JsonObject; effort?: ReasoningEffort } = {}
  if (!isUnset(body.output_config)) {
    const config = expectObject(body.output_config, 'output_config')
    for (const key of Object.keys(config)) {
      if (key !== 'format' && key !== 'effort')
        fail(`output_config.${key}`, 'cannot be served by an OpenAI-format deployment; only format and effort can')
    }
    if (!isUnset(config.format)) out.format = responseFormat(config.format, 'output_config.format')
    if (!isUnset(config.effort)) out.effort = effortOf(config.effort)
  }
  if (!isUnset(body.output_format)) {
    if (out.format) fail('output_format', 'send either output_format or output_config.format, not both')
    out.format = responseFormat(body.output_format, 'output_format')
  }
  return out
}

function responseFormat(value: unknown, param: string): JsonObject {
  const format = expectObject(value, param)
  if (format.type !== 'json_schema') fail(`${param}.type`, `expected "json_schema", got ${JSON.stringify(format.type)}`)
  const schema = expectObject(format.schema, `${param}.schema`)
  return { type: 'json_schema', json_schema: { name: 'output', schema, strict: true } }
}

/** Anthropic's efforts above high (xhigh, max) are high: chat's scale ends there. */
const EFFORTS: Readonly<Record<string, ReasoningEffort>> = {
  low: 'low',
  medium: 'medium',
  high: 'high',
  xhigh: 'high',
  max: 'high',
}

function effortOf(value: unknown): ReasoningEffort {
  const effort = typeof value === 'string' ? EFFORTS[value] : undefined
  if (!effort) fail('output_config.effort', 'expected one of "low", "medium", "high", "xhigh", "max"')
  return effort
}

/**
 * `reasoning_effort` from `thinking` and `output_config.effort` (core/reasoning.ts): disabled thinking
 * asks for none, whatever the effort; else an explicit effort wins; else enabled thinking's budget
 * (effortOfBudget), and adaptive or between_tools (Claude decides how much to think) → medium.
 * `thinking.display` is dropped: it picks summarised or omitted thinking text, a display choice.
 */
function reasoningEffort(value: unknown, effort: ReasoningEffort | undefined): ReasoningEffort | undefined {
  if (isUnset(value)) return effort
  const thinking = expectObject(value, 'thinking')
  switch (thinking.type) {
    case 'disabled':
      return undefined
    case 'enabled': {
      const budget = thinking.budget_tokens
      if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1)
        fail('thinking.budget_tokens', 'a positive integer is required')
      return effort ?? effortOfBudget(budget)
    }
    // between_tools (undocumented beyond its name: thinking between tool calls) reads as adaptive.
    case 'adaptive':
    case 'between_tools':
      return effort ?? 'medium'
    default:
      return fail(
        'thinking.type',
        `expected "enabled", "adaptive", "between_tools" or "disabled", got ${JSON.stringify(thinking.type)}`,
      )
  }
}
