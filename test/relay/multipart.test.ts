// readMultipartBody and withModel (src/relay/multipart.ts) on hand-written bodies: what the splice
// keeps byte for byte, the shapes of body it follows, and the re-encoding when it cannot.
import { describe, expect, test } from 'bun:test'
import { readMultipartBody, withModel } from '../../src/relay/multipart'

const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1')
const FILE = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i))

function request(body: string, contentType: string): Request {
  return new Request('http://gateway/v1/audio/transcriptions', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: Buffer.from(body, 'latin1'),
  })
}

function part(name: string, value: string, extra = ''): string {
  return `Content-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}`
}

/** A body from parts with boundary `b`, with an optional preamble and epilogue. */
function body(b: string, parts: string[], preamble = '', epilogue = ''): string {
  return `${preamble}--${b}\r\n${parts.join(`\r\n--${b}\r\n`)}\r\n--${b}--\r\n${epilogue}`
}

const FILE_PART = part('file', FILE, '; filename="a.wav"\r\nContent-Type: audio/wav')

describe('withModel splices the new model into the client bytes', () => {
  test.each([
    ['plain', 'XyZ', [FILE_PART, part('model', 'alias'), part('prompt', 'p')], '', ''],
    ['model first', 'XyZ', [part('model', 'alias'), FILE_PART], '', ''],
    ['a preamble and an epilogue', 'XyZ', [FILE_PART, part('model', 'alias')], 'ignored preamble\r\n', 'epilogue'],
    ['a quoted boundary', 'a:b=c', [FILE_PART, part('model', 'alias')], '', ''],
  ])('%s', async (_, boundary, parts, preamble, epilogue) => {
    const text = body(boundary, parts, preamble, epilogue)
    const contentType = boundary.includes(':')
      ? `multipart/form-data; boundary="${boundary}"`
      : `multipart/form-data; boundary=${boundary}`
    const read = await readMultipartBody(request(text, contentType), 1 << 20, ['file'])
    expect(read.envelope.model).toBe('alias')
    const out = await withModel(read, 'gpt-4o-transcribe')
    expect(out.contentType).toBe(contentType)
    const firstModel = text.indexOf('name="model"\r\n\r\nalias')
    expect(latin1(out.bytes)).toBe(
      `${text.slice(0, firstModel)}name="model"\r\n\r\ngpt-4o-transcribe${text.slice(firstModel + 'name="model"\r\n\r\nalias'.length)}`,
    )
  })

  test('a model part with filename*= alone is a text field for Bun, and spliced as one (the scan skipped it as a file)', async () => {
    const text = body('XyZ', [FILE_PART, part('model', 'alias', "; filename*=UTF-8''m.txt")])
    const read = await readMultipartBody(request(text, 'multipart/form-data; boundary=XyZ'), 1 << 20, ['file'])
    const out = await withModel(read, 'real')
    expect(out.contentType).toBe('multipart/form-data; boundary=XyZ')
    expect(latin1(out.bytes)).toBe(text.replace('m.txt\r\n\r\nalias', 'm.txt\r\n\r\nreal'))
  })

  // Issue [7/8], found by test/fuzz/audio.test.ts: the scan took the last name= of a part and the first
  // Content-Disposition line, Bun the first name= and the last line; the new model went into a part
  // Bun reads as another field, and the upstream got the alias. Such a splice is now re-encoded.
  test.each([
    ['a second name= parameter', [FILE_PART, part('other', 'alias', '; x=1; name="model"'), part('model', 'alias')]],
    [
      'two Content-Disposition lines',
      [FILE_PART, `Content-Disposition: form-data; name="model"\r\n${part('other', 'alias')}`, part('model', 'alias')],
    ],
  ])(
    'a part the scan reads differently from Bun (%s) is re-encoded, not spliced into the wrong part',
    async (_, parts) => {
      const read = await readMultipartBody(request(body('XyZ', parts), 'multipart/form-data; boundary=XyZ'), 1 << 20, [
        'file',
      ])
      const out = await withModel(read, 'real')
      const form = await new Response(out.bytes, { headers: { 'content-type': out.contentType } }).formData()
      expect(form.get('model')).toBe('real')
      expect(form.get('other')).toBe('alias')
      expect([...form.keys()]).toEqual(['file', 'other', 'model'])
    },
  )

  test('a body it cannot follow is re-encoded from the parsed form, every part kept', async () => {
    const read = await readMultipartBody(
      request(
        body('XyZ', [FILE_PART, part('model', 'alias'), part('prompt', 'p')]),
        'multipart/form-data; boundary=XyZ',
      ),
      1 << 20,
      ['file'],
    )
    // As if the bytes were in a shape the scan does not know: only the parsed form is left.
    const out = await withModel({ ...read, bytes: new Uint8Array(0) }, 'real')
    expect(out.contentType).not.toBe(read.contentType)
    const form = await new Response(out.bytes, { headers: { 'content-type': out.contentType } }).formData()
    expect([...form.keys()]).toEqual(['file', 'model', 'prompt'])
    expect(form.get('model')).toBe('real')
    expect(form.get('prompt')).toBe('p')
    const file = form.get('file') as File
    expect(file.name).toBe('a.wav')
    expect(latin1(new Uint8Array(await file.arrayBuffer()))).toBe(FILE)
  })
})

describe('readMultipartBody', () => {
  test('text fields become the JSON extensions see; repeated ones an array', async () => {
    const text = body('XyZ', [
      FILE_PART,
      part('model', 'm'),
      part('timestamp_granularities[]', 'word'),
      part('timestamp_granularities[]', 'segment'),
      part('stream', 'true'),
    ])
    const read = await readMultipartBody(request(text, 'multipart/form-data; boundary=XyZ'), 1 << 20, ['file'])
    expect(read.json).toEqual({ model: 'm', 'timestamp_granularities[]': ['word', 'segment'], stream: 'true' })
    expect(read.envelope).toEqual({ model: 'm', stream: true })
    expect(latin1(read.bytes)).toBe(text)
  })

  test.each([
    ['no model', [FILE_PART], 'model'],
    ['an empty model', [FILE_PART, part('model', '')], 'model'],
    ['no file', [part('model', 'm')], 'file'],
    ['a text file', [part('file', 'x'), part('model', 'm')], 'file'],
    ['a model that is a file', [FILE_PART, part('model', 'm', '; filename="model.txt"')], 'model'],
    // Issue [7/8]: Bun reads the first model, other parsers (Starlette) the last: the key was checked
    // for one model and the upstream could run the other, so a repeated model is refused.
    ['a repeated model', [FILE_PART, part('model', 'allowed'), part('model', 'other')], 'model'],
  ])('%s is a 400 naming the field', async (_, parts, param) => {
    const error = await readMultipartBody(request(body('XyZ', parts), 'multipart/form-data; boundary=XyZ'), 1 << 20, [
      'file',
    ]).catch((e) => e)
    expect(error.status).toBe(400)
    expect(error.param).toBe(param)
  })

  test('413 over the limit, before parsing', async () => {
    const text = body('XyZ', [FILE_PART, part('model', 'm')])
    const error = await readMultipartBody(request(text, 'multipart/form-data; boundary=XyZ'), 100, ['file']).catch(
      (e) => e,
    )
    expect(error.status).toBe(413)
  })
})
