// Reasoning on Gemini (pure): which models think, and chat's `reasoning_effort` / `thinking` (the
// conventions of core/reasoning.ts) → generationConfig.thinkingConfig.
// https://ai.google.dev/gemini-api/docs/thinking, https://ai.google.dev/api/generate-content#ThinkingConfig
//
// The model rules read the version a model's name states (`gemini-2.5-flash` 2.5, `gemini-3.1-pro-preview`
// 3.1, `models/gemini-3-flash` 3); a name without one (`gemini-exp-1206`, `gemma-3-27b-it`) states none:
//   - a thinking model: gemini 2.5 or later. Such a model signs its function calls, so an unsigned call in
//     the history gets the skip value (thought-signature.ts); so does any model the request asks to reason.
//   - thinkingLevel: gemini 3 or later (Google's control for them; 2.5 only knows thinkingBudget).
//   - responseJsonSchema: gemini 2.5 or later (older models take only the OpenAPI-subset responseSchema).
//
// The mapping (`thinking` wins when both are sent; includeThoughts whenever reasoning is asked for, so
// thought summaries come back as reasoning_content). Gemini 2.5 and models of no stated version / 3 and later:
//   reasoning_effort minimal…high   thinkingBudget EFFORT_BUDGET[e] / thinkingLevel e (minimal → low on pro)
//   reasoning_effort none           thinkingBudget 0 (128 on 2.5 pro) / thinkingLevel minimal (low on pro)
//   thinking enabled, budget_tokens thinkingBudget n / thinkingBudget n (kept by 3 for compatibility)
//   thinking adaptive               thinkingBudget -1 (dynamic) / no level (the model's dynamic default)
//   thinking disabled               as reasoning_effort none
// Pro models cannot stop thinking and take no minimal level: "off" is their least setting there. A
// setting a model does not take (medium on gemini-3-pro) is Gemini's 400 to give, passed on as is.
import { badRequest } from '../../core/errors'
import { isObject, type JsonObject } from '../../core/json'
import { EFFORT_BUDGET, isReasoningEffort, REASONING_EFFORTS } from '../../core/reasoning'
import type { GeminiThinkingConfig } from './types'

/** The least thinking budget gemini-2.5-pro takes (it cannot turn thinking off). */
const PRO_25_MIN_BUDGET = 128

/** The version a Gemini model's name states (2.5, 3, 3.1), or undefined. */
export function geminiVersion(model: string): number | undefined {
  const match = /^(?:models\/)?gemini-(\d+)(?:\.(\d+))?(?=$|[-.@])/i.exec(model)
  return match ? Number(`${match[1]}.${match[2] ?? '0'}`) : undefined
}

/** Gemini 2.5 and later think (and sign their function calls). */
export function isThinkingModel(model: string): boolean {
  return (geminiVersion(model) ?? 0) >= 2.5
}

/** Gemini 2.5 and later take a full JSON Schema in responseJsonSchema. */
export function takesJsonSchema(model: string): boolean {
  return (geminiVersion(model) ?? 0) >= 2.5
}

/** True when the request asks for reasoning (an effort other than none, thinking enabled or adaptive). */
export function asksForReasoning(json: Readonly<JsonObject>): boolean {
  const thinking = json.thinking
  if (isObject(thinking)) return thinking.type === 'enabled' || thinking.type === 'adaptive'
  return isReasoningEffort(json.reasoning_effort) && json.reasoning_effort !== 'none'
}

/** The thinkingConfig for the request's `thinking` or `reasoning_effort`; undefined when it has neither. */
export function toThinkingConfig(json: Readonly<JsonObject>, model: string): GeminiThinkingConfig | undefined {
  const thinking = json.thinking
  if (thinking !== undefined && thinking !== null) return fromThinking(thinking, model)
  const effort = json.reasoning_effort
  if (effort === undefined || effort === null) return undefined
  if (!isReasoningEffort(effort))
    throw badRequest(`'reasoning_effort' must be one of ${REASONING_EFFORTS.join(', ')}.`, 'reasoning_effort')
  if (effort === 'none') return thinkingOff(model)
  if (!levels(model)) return { thinkingBudget: EFFORT_BUDGET[effort], includeThoughts: true }
  return { thinkingLevel: effort === 'minimal' && isPro(model) ? 'low' : effort, includeThoughts: true }
}

// --- internal ---

function fromThinking(thinking: unknown, model: string): GeminiThinkingConfig {
  if (!isObject(thinking))
    throw badRequest(
      `'thinking' must be an object: {"type":"enabled","budget_tokens":n}, {"type":"adaptive"} or {"type":"disabled"}.`,
      'thinking',
    )
  switch (thinking.type) {
    case 'enabled': {
      const budget = thinking.budget_tokens
      if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1)
        throw badRequest(
          `'thinking.budget_tokens' must be a positive integer when thinking is enabled.`,
          'thinking.budget_tokens',
        )
      return { thinkingBudget: budget, includeThoughts: true }
    }
    case 'adaptive':
      return levels(model) ? { includeThoughts: true } : { thinkingBudget: -1, includeThoughts: true }
    case 'disabled':
      return thinkingOff(model)
    default:
      throw badRequest(
        `'thinking.type' must be enabled, adaptive or disabled; got ${JSON.stringify(thinking.type) ?? 'nothing'}.`,
        'thinking.type',
      )
  }
}

/** The least thinking the model takes: off where it can be, its lowest setting where it cannot. */
function thinkingOff(model: string): GeminiThinkingConfig {
  if (levels(model)) return { thinkingLevel: isPro(model) ? 'low' : 'minimal' }
  if (geminiVersion(model) === 2.5 && isPro(model)) return { thinkingBudget: PRO_25_MIN_BUDGET }
  return { thinkingBudget: 0 }
}

/** Gemini 3 and later are steered by thinkingLevel. */
function levels(model: string): boolean {
  return (geminiVersion(model) ?? 0) >= 3
}

/** A pro model (gemini-2.5-pro, gemini-3-pro-preview, gemini-3.1-pro): no minimal level, no budget 0. */
function isPro(model: string): boolean {
  return /^(?:models\/)?gemini-[\d.]+-pro(?=$|[-.@])/i.test(model)
}
