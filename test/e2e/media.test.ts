// The compiled binary relays OpenAI's media endpoints against a mock upstream: a transcription (multipart,
// byte for byte) and speech (audio streamed back as it arrives, with its content type).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CrabllmProcess, spawnCrabllm } from '../support/binary'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const KEY = 'sk-client-media-e2e-0123456789abcdef'
/** Every byte value, several times over. */
const AUDIO = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256)

let dir: string
let mock: MockUpstream
let gw: CrabllmProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'crabllm-e2e-media-'))
  mock = await startMockUpstream()
  writeFileSync(
    join(dir, 'crabllm.toml'),
    `[[keys]]
name = "e2e"
key = "${KEY}"
[providers.up]
kind = "openai"
base_url = "${mock.url}/v1"
api_key = "sk-upstream"
models = ["whisper-1", "tts-1"]
`,
  )
  gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
  await gw.ready()
})
afterAll(async () => {
  await gw?.[Symbol.asyncDispose]()
  await mock?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('media endpoints through the binary', () => {
  test('a transcription reaches the upstream byte for byte, and its answer comes back', async () => {
    const form = new FormData()
    form.append('file', new File([AUDIO], 'clip.wav', { type: 'audio/wav' }))
    form.append('model', 'whisper-1')
    form.append('prompt', 'Grüße ☕')
    const encoded = new Response(form)
    const contentType = encoded.headers.get('content-type')!
    const bytes = new Uint8Array(await encoded.arrayBuffer())
    mock.enqueue({ json: { text: 'transcribed' } })
    const before = mock.requests.length
    const res = await gw.fetch('/v1/audio/transcriptions', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': contentType },
      body: bytes,
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ text: 'transcribed' })
    const seen = mock.requests[before]!
    expect(seen.path).toBe('/v1/audio/transcriptions')
    expect(seen.headers['content-type']).toBe(contentType)
    expect(Buffer.from(seen.body).equals(Buffer.from(bytes))).toBe(true)
  })

  test('speech comes back as the upstream sends it, chunk by chunk, with its content type', async () => {
    const hold = Promise.withResolvers<void>()
    mock.enqueue({
      sse: [AUDIO.subarray(0, 256), AUDIO.subarray(256)],
      headers: { 'content-type': 'audio/mpeg' },
      holdFrames: hold.promise,
      holdFramesAfter: 1,
    })
    const res = await gw.fetch('/v1/audio/speech', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{"model":"tts-1","input":"Hello","voice":"alloy"}',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('audio/mpeg')
    const reader = res.body!.getReader()
    const parts: Uint8Array[] = []
    let got = 0
    // The first chunk arrives while the upstream still holds the rest.
    while (got < 256) {
      const { value, done } = await reader.read()
      if (done) throw new Error('ended early')
      parts.push(value)
      got += value.byteLength
    }
    hold.resolve()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      parts.push(value)
    }
    expect(new Uint8Array(Buffer.concat(parts))).toEqual(AUDIO)
  })
})
