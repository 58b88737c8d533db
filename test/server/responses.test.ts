// POST /v1/responses onto a deployment that speaks it (bytes through), and the conversation state the
// gateway keeps on every storage backend: store, previous_response_id expanded before dispatch, GET /
// DELETE /v1/responses/{id} and /input_items, another key's 404, store = false. Through the official
// `openai` SDK where a client would use it.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { provider, startGateway, type TestGateway } from '../support/gateway'
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream'
import { responseEvents, responseObject } from '../support/responses-wire'
import { BACKENDS, closeAll } from '../support/stores'

const KEY = 'sk-responses-team-0123456789abcdef'
const OTHER = 'sk-responses-other-0123456789abcdef'

const config = (url: string, extra = '') => `
[[keys]]
name = "team"
key = "${KEY}"
[[keys]]
name = "other"
key = "${OTHER}"
${provider('up', url, ['gpt-x'])}
[aliases]
fast = "gpt-x"
[extensions.usage]
${extra}
`

afterAll(closeAll)

/** What a call rejects with (the SDK's APIPromise is lazy: Bun's `.rejects` sees a resolved promise). */
function failure(call: PromiseLike<unknown>): Promise<unknown> {
  return Promise.resolve(call).then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  )
}

for (const backend of BACKENDS)
  describe(`/v1/responses on ${backend.name}`, () => {
    let upstream: MockUpstream
    let gateway: TestGateway
    let client: OpenAI
    beforeAll(async () => {
      upstream = await startMockUpstream()
      gateway = await startGateway(config(upstream.url), { store: await backend.open() })
      client = new OpenAI({ apiKey: KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
    })
    afterAll(async () => {
      await gateway?.[Symbol.asyncDispose]()
      await upstream?.close()
    })

    test('a JSON answer goes through as it came, the alias rewritten upstream, and is stored for its key', async () => {
      const answer = responseObject({ text: 'Hello there', usage: { input: 20, output: 7, cached: 4 } })
      upstream.enqueue({ json: answer })
      const response = await client.responses.create({ model: 'fast', input: 'Say hello' })
      expect(response.output_text).toBe('Hello there')
      expect(response.id).toBe(answer.id as string)
      const sent = upstream.requests.at(-1)!
      expect(sent.path).toBe('/v1/responses')
      expect(sent.headers.authorization).toBe('Bearer sk-upstream-up')
      expect(sent.json()).toEqual({ model: 'gpt-x', input: 'Say hello' })
      const again = await client.responses.retrieve(response.id)
      expect(again).toMatchObject(JSON.parse(JSON.stringify(answer)))
      const items = await client.responses.inputItems.list(response.id)
      expect(items.data).toHaveLength(1)
      expect(items.data[0]).toMatchObject({
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Say hello' }],
      })
    })

    test('a stream is relayed event by event; the stored response is the completed one', async () => {
      const spec = { text: 'streamed words', usage: { input: 9, output: 3 } }
      upstream.enqueue({ sse: responseEvents(spec, ['streamed ', 'words']) })
      const stream = client.responses.stream({ model: 'gpt-x', input: 'stream please' })
      const deltas: string[] = []
      stream.on('response.output_text.delta', (event) => deltas.push(event.delta))
      const final = await stream.finalResponse()
      expect(deltas).toEqual(['streamed ', 'words'])
      expect(final.output_text).toBe('streamed words')
      expect(final.usage?.total_tokens).toBe(12)
      const stored = await client.responses.retrieve(final.id)
      expect(stored.status).toBe('completed')
      expect(stored.output_text).toBe('streamed words')
    })

    test('previous_response_id: the next turn carries the whole conversation upstream, not the id', async () => {
      upstream.enqueue({ json: responseObject({ text: 'Paris.' }) })
      const first = await client.responses.create({
        model: 'gpt-x',
        instructions: 'Be terse.',
        input: [{ role: 'user', content: 'Capital of France?' }],
      })
      upstream.enqueue({ json: responseObject({ calls: [{ name: 'weather', arguments: '{"city":"Paris"}' }] }) })
      const second = await client.responses.create({
        model: 'gpt-x',
        previous_response_id: first.id,
        input: 'And its weather?',
        tools: [{ type: 'function', name: 'weather', parameters: { type: 'object' }, strict: false }],
      })
      const sent = upstream.requests.at(-1)!.json()
      expect(sent.previous_response_id).toBeUndefined()
      expect(sent.instructions).toBeUndefined()
      expect(sent.input).toEqual([
        { role: 'user', content: 'Capital of France?' },
        { type: 'message', role: 'assistant', content: 'Paris.' },
        { type: 'message', role: 'user', content: 'And its weather?' },
      ])
      const call = second.output[0] as { call_id: string }
      upstream.enqueue({ json: responseObject({ text: 'Sunny.' }) })
      await client.responses.create({
        model: 'gpt-x',
        previous_response_id: second.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"sky":"clear"}' }],
      })
      const third = upstream.requests.at(-1)!.json()
      expect(third.input).toHaveLength(5)
      expect(third.input[3]).toEqual({
        type: 'function_call',
        call_id: call.call_id,
        name: 'weather',
        arguments: '{"city":"Paris"}',
      })
      expect(third.input[4]).toEqual({ type: 'function_call_output', call_id: call.call_id, output: '{"sky":"clear"}' })
      const listed = await client.responses.inputItems.list(second.id, { order: 'asc' })
      expect(listed.data.map((item) => (item as { role?: string }).role)).toEqual(['user', 'assistant', 'user'])
    })

    test('another key cannot see, continue or delete a response: 404 as for an id that never existed', async () => {
      upstream.enqueue({ json: responseObject({ text: 'private' }) })
      const mine = await client.responses.create({ model: 'gpt-x', input: 'secret' })
      const other = new OpenAI({ apiKey: OTHER, baseURL: `${gateway.url}/v1`, maxRetries: 0 })
      const requests = upstream.requests.length
      expect(await failure(other.responses.retrieve(mine.id))).toMatchObject({
        status: 404,
        error: { message: `Response with id '${mine.id}' not found.` },
      })
      expect(
        await failure(other.responses.create({ model: 'gpt-x', previous_response_id: mine.id, input: 'more' })),
      ).toMatchObject({
        status: 404,
        code: 'previous_response_not_found',
        param: 'previous_response_id',
        error: { message: `Previous response with id '${mine.id}' not found.` },
      })
      expect(await failure(other.responses.delete(mine.id))).toMatchObject({ status: 404 })
      expect(upstream.requests.length).toBe(requests)
      // Its owner still has it, and deletes it once.
      expect((await client.responses.retrieve(mine.id)).id).toBe(mine.id)
      const res = await gateway.fetch(`/v1/responses/${mine.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${KEY}` },
      })
      expect(await res.json()).toEqual({ id: mine.id, object: 'response', deleted: true })
      expect(await failure(client.responses.retrieve(mine.id))).toMatchObject({ status: 404 })
    })

    test('store: false keeps nothing', async () => {
      upstream.enqueue({ json: responseObject({ text: 'ephemeral' }) })
      const response = await client.responses.create({ model: 'gpt-x', input: 'x', store: false })
      expect(await failure(client.responses.retrieve(response.id))).toMatchObject({ status: 404 })
    })

    test('bad requests: a non-string previous_response_id, input_items paging out of range, no key', async () => {
      const bad = await gateway.fetch('/v1/responses', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-x', input: 'x', previous_response_id: 42 }),
      })
      expect(bad.status).toBe(400)
      expect(((await bad.json()) as any).error).toMatchObject({
        message: "'previous_response_id' must be a non-empty string.",
        param: 'previous_response_id',
      })
      upstream.enqueue({ json: responseObject({ text: 'paged' }) })
      const made = await client.responses.create({ model: 'gpt-x', input: 'x' })
      const paged = await gateway.fetch(`/v1/responses/${made.id}/input_items?limit=101`, {
        headers: { authorization: `Bearer ${KEY}` },
      })
      expect(paged.status).toBe(400)
      expect(((await paged.json()) as any).error.message).toBe("'limit' must be an integer between 1 and 100.")
      const anonymous = await gateway.fetch(`/v1/responses/${made.id}`)
      expect(anonymous.status).toBe(401)
    })
  })
