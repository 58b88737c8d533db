// Hostile multipart/form-data for the audio upload routes: parts dropped, repeated, of the wrong kind
// (a file where text is expected and the other way round), named with prototype keys, huge, with
// invalid UTF-8; boundaries that are long, quoted, odd, or disagree with the content type; bodies cut
// short, without the closing delimiter, with bare LF line ends or no part headers.
import { hostileString, PROTO_KEYS } from './json'
import type { Rng } from './rng'

export interface Part {
  name: string
  value: Uint8Array
  filename?: string
  type?: string
  /** Replaces the part's header lines entirely. */
  rawHeaders?: string[]
}

export interface MultipartCase {
  contentType: string | undefined
  body: Uint8Array
  /** How it was damaged, for the report. */
  notes: string[]
}

const encoder = new TextEncoder()
const BOUNDARIES = [
  'XyZ123',
  '----WebKitFormBoundary7MA4YWxkTrZu0gW',
  '-',
  '--',
  'a'.repeat(70),
  'b'.repeat(300),
  'with space',
  'q"uote',
  'ünï',
  '=?x?=',
  ':;,',
  'x\ty',
]
const BAD_UTF8 = new Uint8Array([0x66, 0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x67])

/** A transcription request that could be valid, then damaged at random. */
export function multipartCase(rng: Rng, models: readonly string[], maxBody: number): MultipartCase {
  const notes: string[] = []
  const text = (s: string) => encoder.encode(s)
  const parts: Part[] = [
    { name: 'model', value: text(rng.pick(models)) },
    {
      name: 'file',
      filename: rng.pick(['audio.mp3', 'a.wav', 'x', '', 'ü.ogg', '../../etc/passwd', 'a"b.mp3']),
      type: rng.pick(['audio/mpeg', 'application/octet-stream', '']),
      value: rng.bytes(rng.range(0, 2048)),
    },
  ]
  if (rng.chance(0.5))
    parts.push({ name: 'response_format', value: text(rng.pick(['json', 'text', 'srt', 'verbose_json', 'vtt'])) })
  if (rng.chance(0.3)) parts.push({ name: 'language', value: text('en') })
  if (rng.chance(0.3)) parts.push({ name: 'temperature', value: text(rng.pick(['0.2', '1e309', '-0', 'NaN'])) })
  if (rng.chance(0.2)) parts.push({ name: 'stream', value: text(rng.pick(['true', 'false', 'TRUE', '1'])) })
  if (rng.chance(0.2)) parts.push({ name: 'timestamp_granularities[]', value: text('word') })

  const mutations = rng.chance(0.1) ? 0 : rng.range(1, 3)
  for (let i = 0; i < mutations; i++) {
    const op = rng.int(12)
    const at = rng.int(parts.length)
    switch (op) {
      case 0:
        notes.push(`drop ${parts[at]?.name}`)
        parts.splice(at, 1)
        break
      case 1:
        notes.push('repeat model')
        parts.push({ name: 'model', value: text(rng.pick([...models, '', '__proto__'])) })
        break
      case 2:
        notes.push('model as a file')
        parts.push({ name: 'model', filename: 'model.txt', type: 'text/plain', value: text(rng.pick(models)) })
        if (rng.chance(0.7)) parts.splice(0, 1)
        break
      case 3:
        notes.push('file as text')
        parts.push({ name: 'file', value: text('not a file') })
        parts.splice(1, 1)
        break
      case 4: {
        const name = rng.pick([
          ...PROTO_KEYS,
          '',
          'a\u0000b',
          'ü',
          'x'.repeat(5000),
          'name"quote',
          'stream_options',
          'messages',
        ])
        notes.push(`field ${JSON.stringify(name.slice(0, 20))}`)
        parts.push({ name, value: rng.chance(0.5) ? text(hostileString(rng)) : BAD_UTF8 })
        break
      }
      case 5:
        notes.push('model hostile')
        if (parts[0]?.name === 'model') parts[0].value = rng.chance(0.3) ? BAD_UTF8 : text(hostileString(rng))
        break
      case 6: {
        const size = rng.pick([maxBody - 4096, Math.floor(maxBody / 3), maxBody + 100])
        notes.push(`file of ${size} bytes`)
        const file = parts.find((p) => p.name === 'file')
        if (file) file.value = new Uint8Array(Math.max(0, size))
        break
      }
      case 7:
        notes.push('headers replaced')
        if (parts[at])
          parts[at]!.rawHeaders = rng.pick([
            [],
            ['Content-Type: text/plain'],
            ['Content-Disposition: form-data'],
            ['Content-Disposition: form-data; name='],
            ['Content-Disposition: form-data; name="model"; filename*=UTF-8\'\'a%20b.mp3'],
            ['Content-Disposition: attachment; name="model"'],
            ['Content-Disposition: form-data; name="file"; filename="a.mp3"', ' folded: header'],
            ['content-disposition:form-data;name=model'],
            ['Content-Disposition: form-data; name="model"', 'Content-Transfer-Encoding: base64'],
            [`Content-Disposition: form-data; name="${'n'.repeat(10_000)}"`],
          ])
        break
      case 8:
        notes.push('filename hostile')
        if (parts[at]) parts[at]!.filename = hostileString(rng).slice(0, 300)
        break
      case 9:
        notes.push('part content type hostile')
        if (parts[at])
          parts[at]!.type = rng.pick([
            '',
            ';',
            'text/plain; charset=utf-16',
            'multipart/mixed; boundary=inner',
            'x'.repeat(1000),
          ])
        break
      default:
        notes.push('extra field')
        parts.push({
          name: rng.pick(['prompt', 'extra', 'user', 'chunking_strategy']),
          value: text(hostileString(rng)),
        })
    }
  }

  const boundary = rng.chance(0.7) ? BOUNDARIES[rng.int(2)]! : rng.pick(BOUNDARIES)
  const eol = rng.chance(0.9) ? '\r\n' : '\n'
  let body = assemble(parts, boundary, eol, rng, notes)

  // Damage the assembled bytes.
  if (rng.chance(0.15)) {
    const op = rng.int(5)
    if (op === 0) {
      notes.push('cut short')
      body = body.slice(0, rng.int(body.length + 1))
    } else if (op === 1) {
      notes.push('bytes flipped')
      body = body.slice()
      for (let i = 0; i < 4 && body.length; i++) body[rng.int(body.length)] = rng.u32() & 0xff
    } else if (op === 2) {
      notes.push('empty body')
      body = new Uint8Array(0)
    } else if (op === 3) {
      notes.push('preamble and epilogue')
      body = concat([encoder.encode('preamble text\r\n'), body, encoder.encode('\r\nepilogue --')])
    } else {
      notes.push('not multipart at all')
      body = encoder.encode(rng.pick(['{"model":"whisper-1"}', 'model=whisper-1&file=x', '--', '\r\n\r\n']))
    }
  }

  const quoted = /[^\w'()+,./:=?-]/.test(boundary) || rng.chance(0.2)
  let contentType: string | undefined =
    `multipart/form-data; boundary=${quoted ? `"${boundary.replaceAll('"', '\\"')}"` : boundary}`
  if (rng.chance(0.12)) {
    contentType = rng.pick([
      undefined,
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'multipart/form-data; boundary=other',
      'multipart/mixed; boundary=XyZ123',
      'MULTIPART/FORM-DATA; BOUNDARY=XyZ123',
      'multipart/form-data; charset=utf-8; boundary=XyZ123',
      'multipart/form-data;boundary=XyZ123;boundary=other',
      'application/json',
      'text/plain',
      `multipart/form-data; boundary=${'z'.repeat(5000)}`,
    ])
    notes.push(`content type ${JSON.stringify(contentType?.slice(0, 60))}`)
  }
  return { contentType, body, notes }
}

function assemble(parts: Part[], boundary: string, eol: string, rng: Rng, notes: string[]): Uint8Array {
  const chunks: Uint8Array[] = []
  for (const part of parts) {
    const headers = part.rawHeaders ?? [
      `Content-Disposition: form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`,
      ...(part.type !== undefined ? [`Content-Type: ${part.type}`] : []),
    ]
    chunks.push(
      encoder.encode(`--${boundary}${eol}${headers.map((h) => h + eol).join('')}${eol}`),
      part.value,
      encoder.encode(eol),
    )
  }
  if (rng.chance(0.92)) chunks.push(encoder.encode(`--${boundary}--${eol}`))
  else notes.push('no closing delimiter')
  return concat(chunks)
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}
