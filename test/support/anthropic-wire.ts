// Anthropic's Messages API as an upstream speaks it, for mocks: a Message object and a text answer's
// event stream (message_start … message_stop), as documented at
// https://docs.anthropic.com/en/api/messages-streaming.

export interface AnthropicUsage {
  input_tokens: number
  output_tokens: number
}

/** A whole Message: `content` a text, or content blocks (tool_use, …). */
export function anthropicMessage(
  content: string | unknown[],
  usage: AnthropicUsage,
  stop = 'end_turn',
  model = 'claude-x',
): Record<string, unknown> {
  return {
    id: `msg_${crypto.randomUUID().replaceAll('-', '')}`,
    type: 'message',
    role: 'assistant',
    model,
    content: typeof content === 'string' ? [{ type: 'text', text: content }] : content,
    stop_reason: stop,
    stop_sequence: null,
    usage,
  }
}

/** Anthropic's framing: `event: <type>` then `data: {"type": <type>, …}`. */
export function anthropicFrame(o: { type: string } & Record<string, unknown>): string {
  return `event: ${o.type}\ndata: ${JSON.stringify(o)}\n\n`
}

/** A text answer streamed in `pieces`: input tokens in message_start, output tokens in message_delta. */
export function anthropicTextStream(pieces: string[], usage: AnthropicUsage, model = 'claude-x'): string[] {
  return [
    anthropicFrame({
      type: 'message_start',
      message: {
        ...anthropicMessage([], { input_tokens: usage.input_tokens, output_tokens: 1 }, 'end_turn', model),
        stop_reason: null,
      },
    }),
    anthropicFrame({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...pieces.map((text) =>
      anthropicFrame({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    ),
    anthropicFrame({ type: 'content_block_stop', index: 0 }),
    anthropicFrame({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    anthropicFrame({ type: 'message_stop' }),
  ]
}
