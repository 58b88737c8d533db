// The one translating exchange (src/providers/exchange.ts), with a stand-in translation and a `send`
// that answers like an upstream would, so each rule is shown once: a refusal before any send, upstream
// errors in the client's format with Retry-After, the 502 for an answer that is not the API's, streams
// translated (and an early upstream error answered as HTTP), JSON answered to a stream request.
import { describe, expect, test } from 'bun:test'
import { badRequest, GatewayError } from '../../src/core/errors'
import { type AnswerMeta, type Translation, translatingHandler } from '../../src/providers/exchange'
import type { UpstreamCall } from '../../src/providers/provider'
import type { StreamTranslator } from '../../src/sse'

const decoder = new TextDecoder()

class Refusal extends Error {
  constructor(readonly status: number) {
    super(`refused ${status}`)
  }
}

/** Upper-cases `text` frames; a chunk "boom" throws a Refusal(429), "fail" a plain Error. */
class Upper implements StreamTranslator {
  constructor(readonly meta: AnswerMeta) {}
  push(chunk: Uint8Array): string {
    const text = decoder.decode(chunk)
    if (text === 'boom') throw new Refusal(429)
    if (text === 'fail') throw new Error('the upstream stream failed')
    return text === 'skip' ? '' : `data: ${text.toUpperCase()}\n\n`
  }
  end(): string {
    return 'data: [DONE]\n\n'
  }
}

function translation(format: 'openai' | 'anthropic' = 'openai'): Translation {
  return {
    format,
    answer: 'an upper answer',
    toRequest(call) {
      if (call.json.bad) throw badRequest("'bad' cannot be translated.", 'bad')
      return { upper: true, model: call.model }
    },
    fromResponse: (json, meta) => (typeof json.text === 'string' ? { text: json.text.toUpperCase(), meta } : undefined),
    streamTranslator: (meta) => new Upper(meta),
    fromError: (status, text) => ({ error: { message: `upstream said ${text}`, status } }),
    retryAfterOf: (text) => /wait (\d+)/.exec(text)?.[1],
    fromStreamError: (err) => (err instanceof Refusal ? { status: err.status, body: { refused: true } } : undefined),
  }
}

function call(over: Partial<UpstreamCall> = {}): UpstreamCall {
  return {
    endpoint: 'chat',
    model: 'm',
    body: new Uint8Array(),
    json: {},
    stream: false,
    signal: new AbortController().signal,
    ...over,
  }
}

function upstream(response: () => Response) {
  const sent: { body: string; request: unknown }[] = []
  const send = async (_call: UpstreamCall, body: Uint8Array, request: unknown) => {
    sent.push({ body: decoder.decode(body), request })
    return response()
  }
  return { sent, send }
}

function streamOf(chunks: string[], headers: Record<string, string> = { 'content-type': 'text/event-stream' }) {
  return () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const c of chunks) controller.enqueue(new TextEncoder().encode(c))
          controller.close()
        },
      }),
      { headers },
    )
}

describe('translatingHandler', () => {
  test('a translation refusal rejects with its GatewayError, and nothing is sent', async () => {
    const { sent, send } = upstream(() => Response.json({ text: 'x' }))
    const err = await translatingHandler('p', translation(), send)(call({ json: { bad: 1 } })).catch((e) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect(err).toMatchObject({ status: 400, param: 'bad' })
    expect(sent).toEqual([])
  })

  test('the translated request is serialised once and sent with the parsed form', async () => {
    const { sent, send } = upstream(() => Response.json({ text: 'hi' }))
    const res = await translatingHandler(
      'p',
      translation(),
      send,
    )(call({ json: { stream_options: { include_usage: true } } }))
    expect(sent).toEqual([{ body: '{"upper":true,"model":"m"}', request: { upper: true, model: 'm' } }])
    const body = (await res.json()) as { text: string; meta: AnswerMeta }
    expect(body.text).toBe('HI')
    expect(body.meta).toMatchObject({
      model: 'm',
      includeUsage: true,
      request: { stream_options: { include_usage: true } },
    })
  })

  test.each([
    [
      'retry-after and retry-after-ms kept',
      { 'retry-after': '7', 'retry-after-ms': '6500' },
      'busy',
      { 'retry-after': '7', 'retry-after-ms': '6500' },
    ],
    ['retry-after-ms alone kept', { 'retry-after-ms': '250' }, 'busy', { 'retry-after-ms': '250' }],
    ['Retry-After from the body when the headers have none', {}, 'wait 22 s', { 'retry-after': '22' }],
    ['no Retry-After anywhere', {}, 'busy', {}],
  ])('an upstream error answers in the client format, same status: %s', async (_name, headers, text, expected) => {
    const { send } = upstream(() => new Response(text, { status: 429, headers }))
    const res = await translatingHandler('p', translation(), send)(call())
    expect(res.status).toBe(429)
    expect(await res.json()).toEqual({ error: { message: `upstream said ${text}`, status: 429 } })
    for (const name of ['retry-after', 'retry-after-ms'])
      expect(res.headers.get(name)).toBe((expected as Record<string, string>)[name] ?? null)
  })

  test.each([
    ['not JSON', '<html>502</html>'],
    ['JSON that is not an object', '[1]'],
    ['an object that is not the answer', '{"nope":1}'],
    ['an empty body', ''],
  ])('a 2xx that is %s is a 502 upstream_invalid_response, in the client format', async (_name, text) => {
    for (const format of ['openai', 'anthropic'] as const) {
      const { send } = upstream(() => new Response(text, { headers: { 'content-type': 'application/json' } }))
      const res = await translatingHandler('prov', translation(format), send)(call())
      expect(res.status).toBe(502)
      const body = (await res.json()) as any
      if (format === 'openai')
        expect(body.error).toMatchObject({ type: 'server_error', code: 'upstream_invalid_response' })
      else expect(body).toMatchObject({ type: 'error', error: { type: 'api_error' } })
      expect(body.error.message).toContain("Provider 'prov' answered with something that is not an upper answer")
    }
  })

  test('a stream is translated chunk by chunk, and starts with its first output', async () => {
    const { send } = upstream(streamOf(['skip', 'a', 'b']))
    const res = await translatingHandler('p', translation(), send)(call({ stream: true }))
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(await res.text()).toBe('data: A\n\ndata: B\n\ndata: [DONE]\n\n')
  })

  test('an upstream error met before any output, with a status, answers as that HTTP error', async () => {
    const { send } = upstream(streamOf(['skip', 'boom']))
    const res = await translatingHandler('p', translation(), send)(call({ stream: true }))
    expect(res.status).toBe(429)
    expect(await res.json()).toEqual({ refused: true })
  })

  test('a stream failure before any output without a status rejects (dispatch: the upstream failed)', async () => {
    const { send } = upstream(streamOf(['fail']))
    const err = await translatingHandler('p', translation(), send)(call({ stream: true })).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).not.toBeInstanceOf(GatewayError)
  })

  test('a failure after the first output fails the stream (the relay puts it in-band)', async () => {
    const { send } = upstream(streamOf(['a', 'fail']))
    const res = await translatingHandler('p', translation(), send)(call({ stream: true }))
    const reader = res.body!.getReader()
    expect(decoder.decode((await reader.read()).value)).toBe('data: A\n\n')
    expect(await reader.read().catch((e) => e)).toBeInstanceOf(Error)
  })

  test('a JSON answer to a stream request is read as a whole answer', async () => {
    const { send } = upstream(() => Response.json({ text: 'whole' }))
    const res = await translatingHandler('p', translation(), send)(call({ stream: true }))
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(((await res.json()) as { text: string }).text).toBe('WHOLE')
  })
})
