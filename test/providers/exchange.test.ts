// The one translating exchange (src/providers/exchange.ts), with a stand-in translation and a `send`
// that answers like an upstream would, so each rule is shown once: a refusal before any send, upstream
// errors in the client's format with Retry-After, the 502 for an answer that is not the API's, streams
// translated (and an early upstream error answered as HTTP), JSON answered to a stream request; and the
// answers it will not read (issue [2/6]): a redirect, an encoding not asked for, a body or an event over
// its limit, an error body over MAX_ERROR_BODY.
import { describe, expect, test } from 'bun:test'
import { badRequest, GatewayError } from '../../src/core/errors'
import { DEFAULT_LIMITS, MAX_ERROR_BODY, UnusableAnswerError } from '../../src/core/upstream-error'
import { type AnswerMeta, type Translation, translatingHandler } from '../../src/providers/exchange'
import type { UpstreamCall } from '../../src/providers/provider'
import { SseParser, type StreamTranslator } from '../../src/sse'

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

/** A body handed out in `piece`s as it is read, `count` times; counts the pieces handed out. */
function pieces(piece: Uint8Array, count: number, headers: Record<string, string> = {}) {
  let pulled = 0
  let cancelled = false
  const response = () =>
    new Response(
      new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (pulled++ < count) controller.enqueue(piece)
            else controller.close()
          },
          cancel() {
            cancelled = true
          },
        },
        { highWaterMark: 0 },
      ),
      { headers: { 'content-type': 'application/json', ...headers } },
    )
  return { response, pulled: () => pulled, cancelled: () => cancelled }
}

async function rejection(promise: Promise<unknown>): Promise<UnusableAnswerError> {
  const err = await promise.then(
    () => undefined,
    (e) => e,
  )
  expect(err).toBeInstanceOf(UnusableAnswerError)
  return err as UnusableAnswerError
}

describe('translatingHandler: answers it does not read', () => {
  test.each([301, 302, 303, 307, 308])(
    'a %i rejects with 502 upstream_redirect naming the target host only, and is not read',
    async (status) => {
      const body = pieces(new Uint8Array(16), 10)
      const { send } = upstream(
        () =>
          new Response(body.response().body, {
            status,
            headers: { location: 'https://elsewhere.example:8443/steal?key=sk-in-query' },
          }),
      )
      const err = await rejection(translatingHandler('p', translation(), send)(call()))
      expect(err).toMatchObject({ status: 502, type: 'server_error', code: 'upstream_redirect', transient: false })
      expect(err.blamesDeployment).toBe(true)
      expect(err.message).toContain("Provider 'p' answered HTTP")
      expect(err.message).toContain('host elsewhere.example:8443')
      expect(err.message).not.toContain('steal')
      expect(err.message).not.toContain('sk-in-query')
      expect(body.pulled()).toBeLessThanOrEqual(1)
    },
  )

  test.each(['gzip', 'br', 'deflate', 'zstd', 'GZIP '])(
    'content-encoding %s rejects with 502 upstream_unexpected_encoding',
    async (encoding) => {
      const { send } = upstream(
        () => new Response('{}', { headers: { 'content-type': 'application/json', 'content-encoding': encoding } }),
      )
      const err = await rejection(translatingHandler('p', translation(), send)(call()))
      expect(err).toMatchObject({ status: 502, code: 'upstream_unexpected_encoding', blamesDeployment: true })
    },
  )

  test('content-encoding identity is read as usual', async () => {
    const { send } = upstream(() => Response.json({ text: 'ok' }, { headers: { 'content-encoding': 'identity' } }))
    expect((await translatingHandler('p', translation(), send)(call())).status).toBe(200)
  })

  test('a body over the call’s answerBytes: 502 upstream_answer_too_large, read no further than the limit', async () => {
    const body = pieces(new Uint8Array(1024).fill(32), 1000)
    const { send } = upstream(body.response)
    const limited: UpstreamCall = { ...call(), limits: { answerBytes: 10 * 1024, eventBytes: 4096 } }
    const err = await rejection(translatingHandler('p', translation(), send)(limited))
    expect(err).toMatchObject({ status: 502, code: 'upstream_answer_too_large', blamesDeployment: false })
    expect(err.message).toContain('over 10240 bytes (max_answer_size)')
    expect(body.pulled()).toBeLessThanOrEqual(12)
    expect(body.cancelled()).toBe(true)
  })

  test('a declared content-length over the limit is refused before reading', async () => {
    const { send } = upstream(
      () =>
        new Response('{"text":"0123456789"}', {
          headers: { 'content-type': 'application/json', 'content-length': '999999999' },
        }),
    )
    const limited: UpstreamCall = { ...call(), limits: { answerBytes: 1024, eventBytes: 4096 } }
    await rejection(translatingHandler('p', translation(), send)(limited))
  })

  test('an error body over MAX_ERROR_BODY is not read: the error is made from the status', async () => {
    const body = pieces(new Uint8Array(64 * 1024).fill(120), 1000)
    const { send } = upstream(() => new Response(body.response().body, { status: 500 }))
    const res = await translatingHandler('p', translation(), send)(call())
    expect(res.status).toBe(500)
    const json = (await res.json()) as { error: { message: string } }
    expect(json.error.message).toBe(`upstream said (an error body over ${MAX_ERROR_BODY} bytes, not read)`)
    expect(body.pulled() * 64 * 1024).toBeLessThanOrEqual(MAX_ERROR_BODY + 2 * 64 * 1024)
  })

  test('the stream translator gets the call’s max_sse_event_size; without limits, the default', async () => {
    const seen: (number | undefined)[] = []
    const spy: Translation = {
      ...translation(),
      streamTranslator: (meta) => {
        seen.push(meta.maxEventSize)
        return new Upper(meta)
      },
    }
    const { send } = upstream(streamOf(['a']))
    await (await translatingHandler('p', spy, send)(call({ stream: true }))).text()
    const limited: UpstreamCall = { ...call({ stream: true }), limits: { answerBytes: 1, eventBytes: 2048 } }
    await (await translatingHandler('p', spy, send)(limited)).text()
    expect(seen).toEqual([DEFAULT_LIMITS.eventBytes, 2048])
  })

  test('an event over the limit before any output rejects with 502 upstream_event_too_large (not a retry)', async () => {
    /** A translator over SseParser, bounded by the meta's maxEventSize, as the kinds' translators are. */
    class Parsed implements StreamTranslator {
      private readonly parser: SseParser
      constructor(meta: AnswerMeta) {
        this.parser = new SseParser(meta.maxEventSize)
      }
      push(chunk: Uint8Array): string {
        return this.parser
          .push(chunk)
          .map((e) => `data: ${e.data}\n\n`)
          .join('')
      }
      end(): string {
        return ''
      }
    }
    const { send } = upstream(streamOf(['data: ', 'x'.repeat(3000), 'x'.repeat(3000)]))
    const limited: UpstreamCall = { ...call({ stream: true }), limits: { answerBytes: 1, eventBytes: 4096 } }
    const err = await rejection(
      translatingHandler('p', { ...translation(), streamTranslator: (meta) => new Parsed(meta) }, send)(limited),
    )
    expect(err).toMatchObject({ status: 502, code: 'upstream_event_too_large', transient: false })
  })
})
