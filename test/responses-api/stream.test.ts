import { describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { ResponseStreamEvent } from 'openai/resources/responses/responses'
import { ResponsesStreamTranslator, unsealThinkingBlocks } from '../../src/responses-api'
import { translateStream } from '../../src/sse'

type Json = Record<string, any>

const encoder = new TextEncoder()
const REQUEST: Json = { model: 'claude-x', input: 'hi', stream: true }
const ctx = (request: Json = REQUEST) => ({ model: 'claude-x', request, created: 1_700_000_000 })

/** An OpenAI chat.completion.chunk with one choice. */
function chunk(delta: Json, finish: string | null = null, extra: Json = {}): Json {
  return {
    id: 'chatcmpl-9x',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'upstream',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...extra,
  }
}
const usage = {
  prompt_tokens: 12,
  completion_tokens: 8,
  total_tokens: 20,
  completion_tokens_details: { reasoning_tokens: 3 },
}
const usageChunk = (u: Json = usage): Json => ({
  id: 'chatcmpl-9x',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'upstream',
  choices: [],
  usage: u,
})
const toolStart = (index: number, id: string, name: string, args = ''): Json => ({
  tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }],
})
const toolArgs = (index: number, args: string): Json => ({ tool_calls: [{ index, function: { arguments: args } }] })
const sse = (chunks: Json[], done = true) =>
  chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '')

/** Runs a translator over `text` cut at `cuts` (byte offsets); returns the whole output. */
function translate(text: string, cuts: number[] = [], request: Json = REQUEST): string {
  const bytes = encoder.encode(text)
  const t = new ResponsesStreamTranslator(ctx(request))
  let out = ''
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    out += t.push(bytes.subarray(from, cut))
    from = cut
  }
  return out + t.end()
}

/** The events, checked: `event:` names the data's type, sequence numbers count from 0. */
function parse(out: string): Json[] {
  const events = out
    .split('\n\n')
    .filter((f) => f !== '')
    .map((frame) => {
      const m = /^event: ([\w.]+)\ndata: (.*)$/s.exec(frame)
      if (!m) throw new Error(`bad frame: ${frame}`)
      const data = JSON.parse(m[2]!) as Json
      expect(data.type).toBe(m[1])
      return data
    })
  events.forEach((e, i) => {
    expect(e.sequence_number).toBe(i)
  })
  return events
}

const types = (events: Json[]) => events.map((e) => e.type)
/** The output with random ids replaced by their prefix. */
const stable = (value: unknown) =>
  JSON.parse(JSON.stringify(value).replace(/"(resp|rs|msg|fc|call)_[0-9a-f]{32}"/g, '"$1_*"'))

const TEXT_EVENTS = [
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
]

describe('ResponsesStreamTranslator', () => {
  test('text: created, in_progress, one message item, completed with usage', () => {
    const events = parse(
      translate(
        sse([
          chunk({ role: 'assistant', content: '' }),
          chunk({ content: 'Hel' }),
          chunk({ content: 'lo' }),
          chunk({}, 'stop'),
          usageChunk(),
        ]),
      ),
    )
    expect(types(events)).toEqual(['response.created', 'response.in_progress', ...TEXT_EVENTS, 'response.completed'])
    const [created, , added, part, d1, , done, partDone, itemDone, completed] = stable(events)
    expect(created.response).toMatchObject({
      id: 'resp_*',
      status: 'in_progress',
      output: [],
      usage: null,
      model: 'claude-x',
      created_at: 1_700_000_000,
    })
    expect(added).toEqual({
      type: 'response.output_item.added',
      output_index: 0,
      item: { type: 'message', id: 'msg_*', status: 'in_progress', role: 'assistant', content: [] },
      sequence_number: 2,
    })
    expect(part).toEqual({
      type: 'response.content_part.added',
      item_id: 'msg_*',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      sequence_number: 3,
    })
    expect(d1).toEqual({
      type: 'response.output_text.delta',
      item_id: 'msg_*',
      output_index: 0,
      content_index: 0,
      delta: 'Hel',
      logprobs: [],
      sequence_number: 4,
    })
    expect(done).toMatchObject({ text: 'Hello', logprobs: [] })
    expect(partDone.part).toEqual({ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] })
    expect(itemDone.item).toEqual({
      type: 'message',
      id: 'msg_*',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] }],
    })
    expect(completed.response).toMatchObject({
      id: 'resp_*',
      status: 'completed',
      incomplete_details: null,
      output: [itemDone.item],
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: 8,
        output_tokens_details: { reasoning_tokens: 3 },
        total_tokens: 20,
      },
    })
    // One response id throughout.
    expect(events[0]!.response.id).toBe(events.at(-1)!.response.id)
  })

  test('reasoning with a signature, then text, then two tool calls: items in order, encrypted_content sealed', () => {
    const request = { ...REQUEST, include: ['reasoning.encrypted_content'] }
    const out = translate(
      sse([
        chunk({ role: 'assistant', reasoning_content: 'Let me ' }),
        chunk({ reasoning_content: 'think.' }),
        chunk({ thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'sig-1' }] }),
        chunk({ content: 'Checking.' }),
        chunk(toolStart(0, 'call_a', 'get_weather', '{"city":')),
        chunk(toolArgs(0, '"Paris"}')),
        chunk(toolStart(1, 'call_b', 'now', '{}')),
        chunk({}, 'tool_calls'),
        usageChunk(),
      ]),
      [],
      request,
    )
    const events = stable(parse(out))
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(events[2].item).toEqual({ type: 'reasoning', id: 'rs_*', summary: [] })
    expect(events[3]).toMatchObject({
      item_id: 'rs_*',
      output_index: 0,
      summary_index: 0,
      part: { type: 'summary_text', text: '' },
    })
    expect(events[6]).toMatchObject({ summary_index: 0, text: 'Let me think.' })
    const reasoning = events[8].item
    expect(reasoning).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Let me think.' }] })
    expect(unsealThinkingBlocks(reasoning.encrypted_content)).toEqual([
      { type: 'thinking', thinking: 'Let me think.', signature: 'sig-1' },
    ])
    expect(events[15].item).toEqual({
      type: 'function_call',
      id: 'fc_*',
      call_id: 'call_a',
      name: 'get_weather',
      arguments: '',
      status: 'in_progress',
    })
    expect(events[18]).toMatchObject({ output_index: 2, arguments: '{"city":"Paris"}' })
    expect(events[23].item).toEqual({
      type: 'function_call',
      id: 'fc_*',
      call_id: 'call_b',
      name: 'now',
      arguments: '{}',
      status: 'completed',
    })
    const completed = events.at(-1).response
    expect(completed.output.map((o: Json) => o.type)).toEqual([
      'reasoning',
      'message',
      'function_call',
      'function_call',
    ])
    expect(completed.output[0]).toEqual(reasoning)
  })

  test('without include, reasoning items carry encrypted_content all the same (stored turns need it)', () => {
    const events = parse(
      translate(
        sse([
          chunk({ reasoning_content: 'r' }),
          chunk({ thinking_blocks: [{ type: 'thinking', thinking: '', signature: 's' }] }),
          chunk({ content: 'a' }, 'stop'),
        ]),
      ),
    )
    const reasoning = events.find((e) => e.type === 'response.output_item.done')!.item
    expect(unsealThinkingBlocks(reasoning.encrypted_content)).toEqual([
      { type: 'thinking', thinking: 'r', signature: 's' },
    ])
    expect(events.at(-1)!.response.output[0]).toEqual(reasoning)
  })

  test('unsigned reasoning has nothing to seal: no encrypted_content', () => {
    const request = { ...REQUEST, include: ['reasoning.encrypted_content'] }
    const events = parse(
      translate(sse([chunk({ reasoning_content: 'r' }), chunk({ content: 'a' }, 'stop')]), [], request),
    )
    const reasoning = events.find((e) => e.type === 'response.output_item.done')!.item
    expect(reasoning).not.toHaveProperty('encrypted_content')
  })

  test("<ns>__<name> of the request's namespace: name and namespace on added, done and completed", () => {
    const request = {
      ...REQUEST,
      tools: [
        { type: 'function', name: 'a__b' },
        {
          type: 'namespace',
          name: 'multi_agent_v1',
          description: 'Sub-agents.',
          tools: [{ type: 'function', name: 'spawn_agent' }],
        },
      ],
    }
    const events = stable(
      parse(
        translate(
          sse([
            chunk(toolStart(0, 'call_a', 'multi_agent_v1__spawn_agent', '{"task":')),
            chunk(toolArgs(0, '"x"}')),
            chunk(toolStart(1, 'call_b', 'a__b', '{}')),
            chunk({}, 'tool_calls'),
            usageChunk(),
          ]),
          [],
          request,
        ),
      ),
    )
    const added = events.filter((e: Json) => e.type === 'response.output_item.added').map((e: Json) => e.item)
    const done = events.filter((e: Json) => e.type === 'response.output_item.done').map((e: Json) => e.item)
    const spawn = {
      type: 'function_call',
      id: 'fc_*',
      call_id: 'call_a',
      name: 'spawn_agent',
      namespace: 'multi_agent_v1',
    }
    const plain = { type: 'function_call', id: 'fc_*', call_id: 'call_b', name: 'a__b' }
    expect(added).toEqual([
      { ...spawn, arguments: '', status: 'in_progress' },
      { ...plain, arguments: '', status: 'in_progress' },
    ])
    expect(done).toEqual([
      { ...spawn, arguments: '{"task":"x"}', status: 'completed' },
      { ...plain, arguments: '{}', status: 'completed' },
    ])
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { output: done } })
  })

  test('a <ns>__<name> call when the request declares no namespace stays whole', () => {
    const events = parse(
      translate(sse([chunk(toolStart(0, 'call_a', 'multi_agent_v1__spawn_agent', '{}')), chunk({}, 'tool_calls')])),
    )
    const item = events.at(-1)!.response.output[0]
    expect(item.name).toBe('multi_agent_v1__spawn_agent')
    expect(item).not.toHaveProperty('namespace')
  })

  test('a redacted block opens a reasoning item with an empty summary', () => {
    const request = { ...REQUEST, include: ['reasoning.encrypted_content'] }
    const events = parse(
      translate(
        sse([
          chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: 'opaque' }] }),
          chunk({ content: 'a' }, 'stop'),
        ]),
        [],
        request,
      ),
    )
    expect(types(events).slice(2, 4)).toEqual(['response.output_item.added', 'response.output_item.done'])
    const item = events[3]!.item
    expect(item.summary).toEqual([])
    expect(unsealThinkingBlocks(item.encrypted_content)).toEqual([{ type: 'redacted_thinking', data: 'opaque' }])
  })

  test('interleaved tool arguments: the second call waits, then replays whole', () => {
    const events = stable(
      parse(
        translate(
          sse([
            chunk(toolStart(0, 'call_a', 'f', '{"x":')),
            chunk(toolStart(1, 'call_b', 'g', '{"y":')),
            chunk(toolArgs(1, '2}')),
            chunk(toolArgs(0, '1}')),
            chunk({}, 'tool_calls'),
          ]),
        ),
      ),
    )
    const calls = events.filter((e: Json) => e.type === 'response.output_item.done').map((e: Json) => e.item)
    expect(calls).toEqual([
      { type: 'function_call', id: 'fc_*', call_id: 'call_a', name: 'f', arguments: '{"x":1}', status: 'completed' },
      { type: 'function_call', id: 'fc_*', call_id: 'call_b', name: 'g', arguments: '{"y":2}', status: 'completed' },
    ])
    const deltas = events.filter((e: Json) => e.type === 'response.function_call_arguments.delta')
    expect(deltas.map((e: Json) => [e.output_index, e.delta])).toEqual([
      [0, '{"x":'],
      [0, '1}'],
      [1, '{"y":2}'],
    ])
  })

  test('refusal: a refusal part with refusal.delta and refusal.done', () => {
    const events = parse(
      translate(sse([chunk({ refusal: 'I cannot ' }), chunk({ refusal: 'help.' }), chunk({}, 'stop')])),
    )
    expect(types(events).slice(2, -1)).toEqual([
      'response.output_item.added',
      'response.content_part.added',
      'response.refusal.delta',
      'response.refusal.delta',
      'response.refusal.done',
      'response.content_part.done',
      'response.output_item.done',
    ])
    expect(events[3]!.part).toEqual({ type: 'refusal', refusal: '' })
    expect(events[6]!.refusal).toBe('I cannot help.')
    expect(events.at(-1)!.response.output[0].content).toEqual([{ type: 'refusal', refusal: 'I cannot help.' }])
  })

  // [finish_reason, terminal event, incomplete_details, last item status]
  test.each<[string, string, Json | null, string]>([
    ['length', 'response.incomplete', { reason: 'max_output_tokens' }, 'incomplete'],
    ['content_filter', 'response.incomplete', { reason: 'content_filter' }, 'incomplete'],
    ['stop', 'response.completed', null, 'completed'],
  ])('finish_reason %s → %s', (finish, terminal, details, status) => {
    const events = parse(translate(sse([chunk({ content: 'Cut' }), chunk({}, finish), usageChunk()])))
    const last = events.at(-1)!
    expect(last.type).toBe(terminal)
    expect(last.response.status).toBe(terminal === 'response.completed' ? 'completed' : 'incomplete')
    expect(last.response.incomplete_details).toEqual(details)
    expect(events.at(-2)!.item.status).toBe(status)
    expect(last.response.output[0].status).toBe(status)
  })

  test('no usage chunk: the response completes at [DONE] with usage null', () => {
    const events = parse(translate(sse([chunk({ content: 'a' }), chunk({}, 'stop')])))
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { usage: null } })
  })

  test('a finish_reason without [DONE] completes at the end of the stream', () => {
    const events = parse(translate(sse([chunk({ content: 'a' }), chunk({}, 'stop')], false)))
    expect(events.at(-1)!.type).toBe('response.completed')
  })

  test('an empty answer is an empty message', () => {
    const events = parse(translate(sse([chunk({ role: 'assistant', content: '' }), chunk({}, 'stop')])))
    expect(events.at(-1)!.response.output).toMatchObject([
      { type: 'message', content: [{ type: 'output_text', text: '' }] },
    ])
  })

  test('logprobs ride on the text deltas and the done events', () => {
    const lp = (token: string) => ({ token, logprob: -1, bytes: [1], top_logprobs: [] })
    const request = { ...REQUEST, include: ['message.output_text.logprobs'] }
    const c1 = chunk({ content: 'a' })
    c1.choices[0].logprobs = { content: [lp('a')] }
    const c2 = chunk({ content: 'b' })
    c2.choices[0].logprobs = { content: [lp('b')] }
    const events = parse(translate(sse([c1, c2, chunk({}, 'stop')]), [], request))
    expect(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.logprobs)).toEqual([
      [lp('a')],
      [lp('b')],
    ])
    expect(events.find((e) => e.type === 'response.output_text.done')!.logprobs).toEqual([lp('a'), lp('b')])
  })

  test('a stream cut before its finish_reason throws (the relay reports it in-band); nothing is made up', () => {
    const t = new ResponsesStreamTranslator(ctx())
    const out = t.push(encoder.encode(sse([chunk({ content: 'partial' })], false)))
    expect(types(parse(out))).toEqual(['response.created', 'response.in_progress', ...TEXT_EVENTS.slice(0, 3)])
    expect(() => t.end()).toThrow('upstream stream ended before the response was complete')
  })

  test('an error event mid-stream throws with its message', () => {
    const t = new ResponsesStreamTranslator(ctx())
    t.push(encoder.encode(sse([chunk({ content: 'a' })], false)))
    expect(() => t.push(encoder.encode('data: {"error":{"message":"overloaded","type":"server_error"}}\n\n'))).toThrow(
      'overloaded',
    )
  })

  test('events after the terminal one are ignored', () => {
    const out = translate(
      `${sse([chunk({ content: 'a' }, 'stop'), usageChunk()])}data: ${JSON.stringify(chunk({ content: 'late' }))}\n\n`,
    )
    expect(out).not.toContain('late')
    expect(parse(out).at(-1)!.type).toBe('response.completed')
  })

  test('the same events whatever the chunking (every byte offset)', () => {
    const text = sse([
      chunk({ reasoning_content: 'héllo ' }),
      chunk({ thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'x' }] }),
      chunk({ content: 'wörld' }),
      chunk(toolStart(0, 'call_a', 'f', '{"a":')),
      chunk(toolArgs(0, '1}')),
      chunk({}, 'tool_calls'),
      usageChunk(),
    ])
    const request = { ...REQUEST, include: ['reasoning.encrypted_content'] }
    const whole = stable(parse(translate(text, [], request)))
    const n = encoder.encode(text).length
    for (let cut = 1; cut < n; cut++) {
      const events = stable(parse(translate(text, [cut], request)))
      for (const e of [events.at(-1), whole.at(-1)]) e.response.completed_at = 0
      expect(events).toEqual(whole)
    }
  })
})

describe('the openai SDK reads the stream', () => {
  /** A local server answering every request with the translated stream of `chunks`. */
  function serve(chunks: Json[]) {
    return Bun.serve({
      port: 0,
      fetch: async (req) => {
        const request = (await req.json()) as Json
        const upstream = new Response(sse(chunks)).body!
        const body = translateStream(upstream, new ResponsesStreamTranslator(ctx(request)))
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
      },
    })
  }
  const chunks = [
    chunk({ role: 'assistant', reasoning_content: 'Thinking.' }),
    chunk({ thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'sig' }] }),
    chunk({ content: 'It is ' }),
    chunk({ content: 'sunny.' }),
    chunk(toolStart(0, 'call_1', 'log', '{"level":')),
    chunk(toolArgs(0, '"info"}')),
    chunk({}, 'tool_calls'),
    usageChunk(),
  ]

  test('responses.stream(): events and finalResponse()', async () => {
    await using server = serve(chunks)
    const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${server.port}/v1`, maxRetries: 0 })
    const stream = client.responses.stream({
      model: 'claude-x',
      input: 'weather?',
      include: ['reasoning.encrypted_content'],
    })
    const deltas: string[] = []
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta))
    const final = await stream.finalResponse()
    expect(deltas.join('')).toBe('It is sunny.')
    expect(final.output_text).toBe('It is sunny.')
    expect(final.status).toBe('completed')
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call'])
    expect(final.output[2]).toMatchObject({ call_id: 'call_1', name: 'log', arguments: '{"level":"info"}' })
    const reasoning = final.output[0]!
    expect(reasoning.type === 'reasoning' && reasoning.encrypted_content?.startsWith('crabllm:v1:')).toBe(true)
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 8, total_tokens: 20 })
  })

  test('responses.create({stream: true}): every event is a ResponseStreamEvent', async () => {
    await using server = serve(chunks)
    const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${server.port}/v1`, maxRetries: 0 })
    const events: ResponseStreamEvent[] = []
    for await (const event of await client.responses.create({ model: 'claude-x', input: 'x', stream: true }))
      events.push(event)
    expect(events[0]!.type).toBe('response.created')
    expect(events.at(-1)!.type).toBe('response.completed')
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
  })

  test('a namespaced call: finalResponse() has its name and namespace', async () => {
    await using server = serve([
      chunk(toolStart(0, 'call_1', 'multi_agent_v1__spawn_agent', '{"task":"x"}')),
      chunk({}, 'tool_calls'),
      usageChunk(),
    ])
    const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${server.port}/v1`, maxRetries: 0 })
    const final = await client.responses
      .stream({
        model: 'claude-x',
        input: 'x',
        tools: [
          {
            type: 'namespace',
            name: 'multi_agent_v1',
            description: 'Sub-agents.',
            tools: [{ type: 'function', name: 'spawn_agent' }],
          },
        ],
      })
      .finalResponse()
    expect(final.output[0]).toMatchObject({
      type: 'function_call',
      call_id: 'call_1',
      name: 'spawn_agent',
      namespace: 'multi_agent_v1',
      arguments: '{"task":"x"}',
    })
  })

  test('an incomplete stream: finalResponse() has status incomplete', async () => {
    await using server = serve([chunk({ content: 'Cut' }), chunk({}, 'length'), usageChunk()])
    const client = new OpenAI({ apiKey: 'k', baseURL: `http://127.0.0.1:${server.port}/v1`, maxRetries: 0 })
    const final = await client.responses.stream({ model: 'claude-x', input: 'x' }).finalResponse()
    expect(final.status).toBe('incomplete')
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' })
    expect(final.output_text).toBe('Cut')
  })
})
