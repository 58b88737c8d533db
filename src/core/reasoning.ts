// How reasoning crosses between formats, in one place. OpenAI asks for it by effort (`reasoning_effort`,
// Responses' `reasoning.effort`); Anthropic by a token budget (`thinking.budget_tokens`) or `adaptive`;
// Gemini by a budget (`thinkingConfig.thinkingBudget`). Inside the gateway, a chat completion carries
// reasoning the way LiteLLM and DeepSeek-style servers do:
//   - request: `reasoning_effort` (OpenAI's), or `thinking` ({type:'enabled', budget_tokens} |
//     {type:'adaptive'} | {type:'disabled'}, Anthropic's, accepted on chat as LiteLLM does);
//   - assistant message: `reasoning_content` (the text) and, when a signature or a redacted block must
//     survive the next turn, `thinking_blocks` ([{type:'thinking', thinking, signature}] |
//     [{type:'redacted_thinking', data}]);
//   - stream delta: `reasoning_content` pieces, and `thinking_blocks: [{type:'thinking', thinking:'',
//     signature}]` once a block's signature is known.

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high'

export const REASONING_EFFORTS: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high']

/** Thinking tokens per effort (Anthropic's minimum budget is 1024). 'none' turns thinking off. */
export const EFFORT_BUDGET: Readonly<Record<Exclude<ReasoningEffort, 'none'>, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 24576,
}

/** The effort a thinking budget stands for: below 4096 low, below 16384 medium, else high. */
export function effortOfBudget(budget: number): Exclude<ReasoningEffort, 'none' | 'minimal'> {
  if (budget < 4096) return 'low'
  if (budget < 16384) return 'medium'
  return 'high'
}

export function isReasoningEffort(value: unknown): value is ReasoningEffort {
  return typeof value === 'string' && (REASONING_EFFORTS as readonly string[]).includes(value)
}

/** A thinking block as chat carries it in `thinking_blocks` (Anthropic's two block kinds). */
export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string }
