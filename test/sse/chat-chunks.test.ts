// The reading of a chat.completion.chunk stream shared by the translators from chat
// (src/sse/chat-chunks.ts): [DONE], the checks of each event, upstream errors, a stream cut before its
// finish, the keying of tool-call pieces and the queue of parts, driven through a recording subclass.
import { describe, expect, test } from 'bun:test'
import type { JsonObject } from '../../src/core/json'
import { UnusableAnswerError } from '../../src/core/upstream-error'
import { argumentsComplete, ChatChunkTranslator, firstChoice, type QueuedPart } from '../../src/sse'

const encoder = new TextEncoder()

interface Part extends QueuedPart {
  /** A tool call's id; a text part's label. */
  id: string
  tool: boolean
  args: string
  checkedAt: number
}

/** Writes a line for each chunk read, part opened or closed, and for the completion. */
class Recorder extends ChatChunkTranslator<Part> {
  finished = false
  /** The parts given arguments by the last `calls` call. */
  private touched: Part[] = []

  constructor(maxEventSize?: number) {
    super(maxEventSize, counter())
  }

  protected chunk(json: JsonObject): void {
    this.out += `chunk ${JSON.stringify(json)}\n`
    if (firstChoice(json)?.finish_reason) this.finished = true
  }

  protected complete(): void {
    this.out += 'complete\n'
    this.stopped = true
  }

  protected open(part: Part): void {
    part.state = 'live'
    this.out += `open ${part.id}\n`
  }

  protected close(part: Part): void {
    part.state = 'closed'
    this.out += `close ${part.id} ${part.args}\n`
  }

  protected isComplete(part: Part): boolean {
    return !part.tool || argumentsComplete(part)
  }

  protected newToolCall(id: string, name: string): Part {
    const part: Part = { state: 'queued', id, name, tool: true, args: '', checkedAt: -1 }
    this.queue.push(part)
    return part
  }

  protected addArguments(part: Part, args: string): void {
    part.args += args
    this.touched.push(part)
  }

  /** Queues a text part and pumps; returns what that sent. */
  text(id: string): string {
    this.out = ''
    this.queue.push({ state: 'queued', id, name: '', tool: false, args: '', checkedAt: -1 })
    this.pump()
    return this.out
  }

  /** A delta's tool-call pieces: returns the calls they went to and what was sent. */
  calls(delta: JsonObject): { parts: Part[]; out: string } {
    this.out = ''
    this.touched = []
    this.toolCalls(delta)
    return { parts: this.touched, out: this.out }
  }

  /** One tool-call piece: returns its call (none when it was ignored) and what was sent. */
  tool(call: JsonObject): { part: Part | undefined; out: string } {
    const { parts, out } = this.calls({ tool_calls: [call] })
    return { part: parts[0], out }
  }

  finish(): string {
    this.out = ''
    this.closeAll()
    return this.out
  }
}

function counter(): () => string {
  let n = 0
  return () => `new${++n}`
}

const data = (json: unknown): string => `data: ${JSON.stringify(json)}\n\n`

function read(text: string, t = new Recorder()): string {
  return t.push(encoder.encode(text)) + t.end()
}

describe('ChatChunkTranslator reading', () => {
  test('each chunk, in any chunking; [DONE] completes and what follows is ignored', () => {
    const bytes = encoder.encode(`${data({ a: 1 })}: ping\n\n${data({ b: 2 })}data: [DONE]\n\n${data({ c: 3 })}`)
    const t = new Recorder()
    let out = ''
    for (let i = 0; i < bytes.length; i += 5) out += t.push(bytes.subarray(i, i + 5))
    out += t.end()
    expect(out).toBe('chunk {"a":1}\nchunk {"b":2}\ncomplete\n')
  })

  test('a stream that ends without [DONE] completes if it finished, and fails if it did not', () => {
    const finished = data({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })
    expect(read(finished)).toEndWith('complete\n')
    expect(() => read(data({ a: 1 }))).toThrow('upstream stream ended before the response was complete')
    expect(() => read('')).toThrow('upstream stream ended before the response was complete')
  })

  test('an event left without its blank line at the end is still read', () => {
    const t = new Recorder()
    expect(t.push(encoder.encode('data: {"a":1}\n\ndata: [DONE]'))).toBe('chunk {"a":1}\n')
    expect(t.end()).toBe('complete\n')
  })

  test('an event that is not JSON, or not an object, fails with what it was', () => {
    expect(() => read('data: {nope\n\n')).toThrow('upstream sent a stream event that is not JSON: {nope')
    expect(() => read('data: [1,2]\n\n')).toThrow('upstream sent a stream event that is not an object: [1,2]')
    expect(() => read(`data: "${'x'.repeat(300)}"\n\n`)).toThrow(
      `upstream sent a stream event that is not an object: "${'x'.repeat(199)}`,
    )
  })

  test('an error event or an `error` field fails with its message', () => {
    expect(() => read(data({ error: { message: 'rate limited', type: 'x' } }))).toThrow('rate limited')
    expect(() => read(data({ error: 'overloaded' }))).toThrow('overloaded')
    expect(() => read(`event: error\n${data({ message: 'boom' })}`)).toThrow('boom')
    expect(() => read(data({ error: { code: 7 } }))).toThrow('upstream stream error: {"code":7}')
    expect(() => read(data({ error: null }))).toThrow('upstream stream error: {"error":null}')
  })

  test('an event over maxEventSize fails as too large', () => {
    const t = new Recorder(64)
    expect(() => t.push(encoder.encode(`data: "${'x'.repeat(100)}"\n\n`))).toThrow(UnusableAnswerError)
  })
})

describe('ChatChunkTranslator tool calls', () => {
  test('pieces are keyed by index, then by id; a piece with neither continues the last call', () => {
    const t = new Recorder()
    const a = t.tool({ index: 0, id: 'call_a', function: { name: 'get', arguments: '{"x"' } }).part
    expect(a).toMatchObject({ id: 'call_a', name: 'get', args: '{"x"' })
    expect(t.tool({ index: '0', function: { arguments: ':' } }).part).toBe(a)
    expect(t.tool({ function: { arguments: '1' } }).part).toBe(a)
    const b = t.tool({ id: 'call_b', function: { name: 'put', arguments: { y: 2 } } }).part
    expect(b).toMatchObject({ id: 'call_b', name: 'put', args: '{"y":2}' })
    expect(t.tool({ function: { arguments: '' } }).part).toBe(b)
    const c = t.tool({ id: 'call_c', function: { name: 'del' } }).part
    expect(c).not.toBe(b)
    expect(t.tool({ index: 0, function: { arguments: '}' } }).part).toBe(a)
    expect(a?.args).toBe('{"x":1}')
  })

  test('a first piece with no index nor id is call 0; a new call gets an id, and a name later', () => {
    const t = new Recorder()
    const first = t.tool({ function: { arguments: '{' } }).part
    expect(first).toMatchObject({ id: 'new1', name: '', state: 'live' })
    expect(t.tool({ index: 0, function: { arguments: '}' } }).part).toBe(first)
    const waiting = t.tool({ index: 1, function: { arguments: '{' } }).part
    t.tool({ index: 2, function: { arguments: '{' } })
    const queued = t.tool({ index: 2, function: { name: 'late' } }).part
    expect(queued).toMatchObject({ id: 'new3', name: 'late', state: 'queued' })
    t.tool({ index: 2, function: { name: 'ignored' } })
    expect(queued?.name).toBe('late')
    t.tool({ index: 1, function: { name: 'too late' } })
    expect(waiting).toMatchObject({ id: 'new2', name: '', state: 'live' })
  })

  test('a call whose arguments were complete takes blank arguments only', () => {
    const t = new Recorder()
    t.tool({ index: 0, id: 'call_a', function: { name: 'f', arguments: '{}' } })
    t.tool({ index: 1, id: 'call_b', function: { name: 'g', arguments: '{' } })
    expect(t.tool({ index: 0, function: { arguments: ' \n' } })).toEqual({ part: undefined, out: '' })
    expect(() => t.tool({ index: 0, function: { arguments: '{}' } })).toThrow(
      'upstream sent more arguments for tool call call_a after they were complete',
    )
  })

  test('the object entries of tool_calls, and function_call as its own call', () => {
    const t = new Recorder()
    const fn = { name: 'f', arguments: '{}' }
    const { parts } = t.calls({
      tool_calls: [{ index: 1, function: { arguments: '{' } }, 'x', null],
      function_call: fn,
    })
    expect(parts).toMatchObject([
      { id: 'new1', name: '', args: '{' },
      { id: 'new2', name: 'f', args: '{}' },
    ])
    expect(t.calls({ tool_calls: 'no', function_call: 'no' }).parts).toEqual([])
  })
})

describe('ChatChunkTranslator queue', () => {
  test('one part live at a time; a tool call is complete once its arguments are a JSON object', () => {
    const t = new Recorder()
    expect(t.text('a')).toBe('open a\n')
    expect(t.tool({ index: 0, id: 'c', function: { name: 'f', arguments: '{"k"' } }).out).toBe('close a \nopen c\n')
    expect(t.text('b')).toBe('')
    expect(t.tool({ index: 0, function: { arguments: ':1}' } }).out).toBe('close c {"k":1}\nopen b\n')
    expect(t.text('d')).toBe('close b \nopen d\n')
    expect(t.finish()).toBe('close d \n')
    expect(t.finish()).toBe('')
  })

  test('closeAll opens and closes the parts that waited, in order', () => {
    const t = new Recorder()
    t.tool({ index: 0, id: 'c', function: { name: 'f', arguments: '{' } })
    t.text('a')
    expect(t.finish()).toBe('close c {\nopen a\nclose a \n')
  })
})

describe('chat chunk helpers', () => {
  test('firstChoice: index 0, or a choice without an index', () => {
    expect(firstChoice({ choices: [{ index: 1 }, { index: 0, n: 1 }] })).toEqual({ index: 0, n: 1 })
    expect(firstChoice({ choices: ['x', { n: 2 }] })).toEqual({ n: 2 })
    expect(firstChoice({ choices: [{ index: 1 }] })).toBeUndefined()
    expect(firstChoice({})).toBeUndefined()
  })

  test('argumentsComplete: a JSON object; a failed check is not repeated until the text grows', () => {
    const call = { args: '{"a":', checkedAt: -1 }
    expect(argumentsComplete(call)).toBe(false)
    expect(call.checkedAt).toBe(5)
    expect(argumentsComplete(call)).toBe(false)
    call.args += '1}'
    expect(argumentsComplete(call)).toBe(true)
    expect(argumentsComplete({ args: '[1]', checkedAt: -1 })).toBe(false)
  })
})
