import { describe, expect, test } from 'bun:test'
import { GatewayError } from '../../../src/core/errors'
import {
  asksForReasoning,
  geminiVersion,
  isThinkingModel,
  takesJsonSchema,
  toThinkingConfig,
} from '../../../src/providers/google/thinking'

describe('model rules', () => {
  test.each([
    ['gemini-2.5-flash', 2.5, true],
    ['gemini-2.5-pro-preview-05-06', 2.5, true],
    ['models/gemini-2.5-flash-lite', 2.5, true],
    ['gemini-3-pro-preview', 3, true],
    ['gemini-3.1-flash-lite', 3.1, true],
    ['gemini-4-argon', 4, true],
    ['gemini-2.0-flash', 2, false],
    ['gemini-1.5-pro-002', 1.5, false],
    ['gemini-exp-1206', undefined, false],
    ['gemma-3-27b-it', undefined, false],
    ['', undefined, false],
  ])('%s: version %s, thinking %s', (model, version, thinking) => {
    expect(geminiVersion(model)).toBe(version as never)
    expect(isThinkingModel(model)).toBe(thinking)
    expect(takesJsonSchema(model)).toBe(thinking)
  })

  test.each([
    [{ reasoning_effort: 'low' }, true],
    [{ reasoning_effort: 'none' }, false],
    [{ reasoning_effort: 'extreme' }, false],
    [{ thinking: { type: 'enabled', budget_tokens: 2048 } }, true],
    [{ thinking: { type: 'adaptive' } }, true],
    [{ thinking: { type: 'disabled' }, reasoning_effort: 'high' }, false],
    [{}, false],
  ])('asksForReasoning(%j) is %s', (json, asks) => {
    expect(asksForReasoning(json)).toBe(asks)
  })
})

describe('toThinkingConfig', () => {
  test.each([
    // Gemini 2.5: a budget.
    ['gemini-2.5-flash', { reasoning_effort: 'minimal' }, { thinkingBudget: 1024, includeThoughts: true }],
    ['gemini-2.5-flash', { reasoning_effort: 'low' }, { thinkingBudget: 2048, includeThoughts: true }],
    ['gemini-2.5-flash', { reasoning_effort: 'medium' }, { thinkingBudget: 8192, includeThoughts: true }],
    ['gemini-2.5-flash', { reasoning_effort: 'high' }, { thinkingBudget: 24576, includeThoughts: true }],
    ['gemini-2.5-flash', { reasoning_effort: 'none' }, { thinkingBudget: 0 }],
    ['gemini-2.5-pro', { reasoning_effort: 'none' }, { thinkingBudget: 128 }],
    [
      'gemini-2.5-flash',
      { thinking: { type: 'enabled', budget_tokens: 3000 } },
      { thinkingBudget: 3000, includeThoughts: true },
    ],
    ['gemini-2.5-flash', { thinking: { type: 'adaptive' } }, { thinkingBudget: -1, includeThoughts: true }],
    ['gemini-2.5-flash', { thinking: { type: 'disabled' } }, { thinkingBudget: 0 }],
    ['gemini-2.5-pro', { thinking: { type: 'disabled' } }, { thinkingBudget: 128 }],
    // Gemini 3 and later: a level.
    ['gemini-3-flash-preview', { reasoning_effort: 'minimal' }, { thinkingLevel: 'minimal', includeThoughts: true }],
    ['gemini-3-flash-preview', { reasoning_effort: 'medium' }, { thinkingLevel: 'medium', includeThoughts: true }],
    ['gemini-3-pro-preview', { reasoning_effort: 'high' }, { thinkingLevel: 'high', includeThoughts: true }],
    ['gemini-3-pro-preview', { reasoning_effort: 'minimal' }, { thinkingLevel: 'low', includeThoughts: true }],
    ['gemini-3-flash-preview', { reasoning_effort: 'none' }, { thinkingLevel: 'minimal' }],
    ['gemini-3.1-pro-preview', { reasoning_effort: 'none' }, { thinkingLevel: 'low' }],
    [
      'gemini-3-pro-preview',
      { thinking: { type: 'enabled', budget_tokens: 4096 } },
      { thinkingBudget: 4096, includeThoughts: true },
    ],
    ['gemini-3-pro-preview', { thinking: { type: 'adaptive' } }, { includeThoughts: true }],
    ['gemini-3-flash-preview', { thinking: { type: 'disabled' } }, { thinkingLevel: 'minimal' }],
    // Models that state no version are asked by budget, as 2.5 is.
    ['gemini-exp-1206', { reasoning_effort: 'low' }, { thinkingBudget: 2048, includeThoughts: true }],
    // `thinking` wins over reasoning_effort.
    [
      'gemini-2.5-flash',
      { reasoning_effort: 'high', thinking: { type: 'enabled', budget_tokens: 1500 } },
      { thinkingBudget: 1500, includeThoughts: true },
    ],
    // Nothing asked, or null: no thinkingConfig.
    ['gemini-2.5-flash', {}, undefined],
    ['gemini-2.5-flash', { reasoning_effort: null, thinking: null }, undefined],
  ])('%s %j → %j', (model, json, config) => {
    expect(toThinkingConfig(json as never, model)).toEqual(config as never)
  })

  test.each([
    [
      { reasoning_effort: 'extreme' },
      'reasoning_effort',
      "'reasoning_effort' must be one of none, minimal, low, medium, high.",
    ],
    [
      { reasoning_effort: 3 },
      'reasoning_effort',
      "'reasoning_effort' must be one of none, minimal, low, medium, high.",
    ],
    [
      { thinking: 'on' },
      'thinking',
      `'thinking' must be an object: {"type":"enabled","budget_tokens":n}, {"type":"adaptive"} or {"type":"disabled"}.`,
    ],
    [
      { thinking: { type: 'enabled' } },
      'thinking.budget_tokens',
      "'thinking.budget_tokens' must be a positive integer when thinking is enabled.",
    ],
    [
      { thinking: { type: 'enabled', budget_tokens: 0 } },
      'thinking.budget_tokens',
      "'thinking.budget_tokens' must be a positive integer when thinking is enabled.",
    ],
    [
      { thinking: { type: 'enabled', budget_tokens: 10.5 } },
      'thinking.budget_tokens',
      "'thinking.budget_tokens' must be a positive integer when thinking is enabled.",
    ],
    [{ thinking: { type: 'on' } }, 'thinking.type', `'thinking.type' must be enabled, adaptive or disabled; got "on".`],
    [{ thinking: {} }, 'thinking.type', `'thinking.type' must be enabled, adaptive or disabled; got nothing.`],
  ])('refused: %j', (json, param, message) => {
    let thrown: unknown
    try {
      toThinkingConfig(json as never, 'gemini-2.5-flash')
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(GatewayError)
    const error = thrown as GatewayError
    expect(error.toJSON().error).toEqual({ message, type: 'invalid_request_error', param, code: 'invalid_value' })
  })
})
