// OpenAI's Responses API as an upstream speaks it, for mocks: a Response object and its stream's event
// sequence (response.created … response.completed), as documented at
// https://platform.openai.com/docs/api-reference/responses-streaming. Text and function calls.

export interface ResponseSpec {
  id?: string
  model?: string
  text?: string
  /** Function calls the answer makes (after the text, if any). */
  calls?: { name: string; arguments: string; call_id?: string }[]
  usage?: { input: number; output: number; cached?: number; reasoning?: number }
  status?: 'completed' | 'incomplete'
}

let counter = 0

/** A whole Response object (what POST /v1/responses answers without stream). */
export function responseObject(spec: ResponseSpec = {}): Record<string, unknown> {
  const id = spec.id ?? `resp_mock${++counter}`
  const output: Record<string, unknown>[] = []
  if (spec.text !== undefined)
    output.push({
      type: 'message',
      id: `msg_${id.slice(5)}`,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: spec.text, annotations: [], logprobs: [] }],
    })
  for (const [i, call] of (spec.calls ?? []).entries())
    output.push({
      type: 'function_call',
      id: `fc_${id.slice(5)}_${i}`,
      call_id: call.call_id ?? `call_${id.slice(5)}_${i}`,
      name: call.name,
      arguments: call.arguments,
      status: 'completed',
    })
  const usage = spec.usage ?? { input: 12, output: 5 }
  return {
    id,
    object: 'response',
    created_at: 1_700_000_000,
    status: spec.status ?? 'completed',
    error: null,
    incomplete_details: spec.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: null,
    max_output_tokens: null,
    model: spec.model ?? 'gpt-x',
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: usage.input,
      input_tokens_details: { cached_tokens: usage.cached ?? 0 },
      output_tokens: usage.output,
      output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
      total_tokens: usage.input + usage.output,
    },
    user: null,
    metadata: {},
  }
}

/** The stream of the same answer: one SSE frame per event, with sequence numbers; text in `pieces`. */
export function responseEvents(spec: ResponseSpec = {}, pieces?: string[]): string[] {
  const final = responseObject(spec)
  const frames: string[] = []
  let sequence = 0
  const emit = (type: string, body: Record<string, unknown>) =>
    frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...body })}\n\n`)
  const pending = { ...final, status: 'in_progress', output: [], usage: null }
  emit('response.created', { response: pending })
  emit('response.in_progress', { response: pending })
  const output = final.output as Record<string, any>[]
  for (const [index, item] of output.entries()) {
    if (item.type === 'message') {
      emit('response.output_item.added', {
        output_index: index,
        item: { ...item, status: 'in_progress', content: [] },
      })
      const part = { type: 'output_text', text: '', annotations: [], logprobs: [] }
      emit('response.content_part.added', { item_id: item.id, output_index: index, content_index: 0, part })
      const text = item.content[0].text as string
      for (const delta of pieces ?? [text])
        emit('response.output_text.delta', {
          item_id: item.id,
          output_index: index,
          content_index: 0,
          delta,
          logprobs: [],
        })
      emit('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text, logprobs: [] })
      emit('response.content_part.done', {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: item.content[0],
      })
    } else {
      emit('response.output_item.added', {
        output_index: index,
        item: { ...item, status: 'in_progress', arguments: '' },
      })
      emit('response.function_call_arguments.delta', { item_id: item.id, output_index: index, delta: item.arguments })
      emit('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: index,
        name: item.name,
        arguments: item.arguments,
      })
    }
    emit('response.output_item.done', { output_index: index, item })
  }
  emit(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final })
  return frames
}
