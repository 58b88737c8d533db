// An upstream stream that breaks after it started ends in-band, in the surface's dialect, with the
// gateway's words: never the runtime's advice to its developer ("pass `verbose: true` … to fetch()") nor
// the upstream URL. Chat (a data: error frame), Responses (an `event: error`, which the openai SDK
// raises as an APIError) and Messages translated through chat (Anthropic's `event: error`).
import { afterAll, beforeAll, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { provider, readSse, startGateway, type TestGateway } from '../support/gateway'
import { chatChunks, type MockUpstream, startMockUpstream } from '../support/mock-upstream'
import { responseEvents } from '../support/responses-wire'

const KEY = 'sk-stream-breaks-0123456789abcdef'
let upstream: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  upstream = await startMockUpstream()
  gw = await startGateway(`
[[keys]]
name = "dev"
key = "${KEY}"
${provider('up', upstream.url, ['gpt-x'], 'max_retries = 0')}
`)
})
afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await upstream.close()
})

const ours = /^The stream from provider 'up' failed: /
const runtime = /verbose|fetch\(\)|http:\/\/127\.0\.0\.1/

test('chat: the in-band error frame carries our message', async () => {
  upstream.enqueue({ sse: chatChunks(['Hel', 'lo', ' there']), cutAfter: 2 })
  const res = await gw.chat({ model: 'gpt-x', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { key: KEY })
  const frames = await readSse(res)
  const last = JSON.parse(frames.at(-1)!)
  expect(last.error.message).toMatch(ours)
  expect(last.error.message).not.toMatch(runtime)
})

test('responses: an `event: error` the SDK raises, with our message', async () => {
  upstream.enqueue({ sse: responseEvents({ text: 'Hello there' }, ['Hel', 'lo', ' there']), cutAfter: 5 })
  const client = new OpenAI({ apiKey: KEY, baseURL: `${gw.url}/v1`, maxRetries: 0 })
  const stream = await client.responses.create({ model: 'gpt-x', input: 'hi', stream: true })
  const seen: string[] = []
  const failed = await (async () => {
    try {
      for await (const event of stream) seen.push(event.type)
    } catch (err) {
      return err as Error
    }
    return undefined
  })()
  expect(seen.slice(0, 2)).toEqual(['response.created', 'response.in_progress'])
  expect(failed).toBeInstanceOf(OpenAI.APIError)
  expect(failed!.message).toMatch(ours)
  expect(failed!.message).not.toMatch(runtime)
})

test('messages through chat: Anthropic `event: error`, with our message', async () => {
  upstream.enqueue({ sse: chatChunks(['Hel', 'lo', ' there']), cutAfter: 2 })
  const sdk = new Anthropic({ apiKey: KEY, baseURL: gw.url, maxRetries: 0 })
  const stream = sdk.messages.stream({ model: 'gpt-x', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] })
  const failed = await stream.finalMessage().then(
    () => undefined,
    (err: Error) => err,
  )
  expect(failed).toBeInstanceOf(Anthropic.APIError)
  expect(failed!.message).toMatch(/The stream from provider 'up' failed: /)
  expect(failed!.message).not.toMatch(runtime)
})
