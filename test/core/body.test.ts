// Large bodies are parsed in turns (core/body.ts): however many arrive at once, no two parses from
// LARGE_BODY on run in the same event-loop turn, so a small request (/health) waits at most one parse.
// Checked by order, not by time: a counter bumped once per turn (setImmediate) tells the turns apart.
import { expect, test } from 'bun:test'
import { LARGE_BODY, readJsonBody } from '../../src/core/body'

const request = (bytes: Uint8Array) => new Request('http://x/', { method: 'POST', body: bytes })

test('eight large bodies at once: each parsed in a turn of its own, all of them whole', async () => {
  const body = new TextEncoder().encode(JSON.stringify({ model: 'm', pad: 'x'.repeat(LARGE_BODY) }))
  let turn = 0
  let spinning = true
  const spin = () => {
    turn++
    if (spinning) setImmediate(spin)
  }
  setImmediate(spin)
  const turns: number[] = []
  const parsed = await Promise.all(
    Array.from({ length: 8 }, () =>
      readJsonBody(request(body), 64 * LARGE_BODY).then((result) => {
        turns.push(turn)
        return result
      }),
    ),
  )
  spinning = false
  expect(parsed.every((p) => p.json.model === 'm' && p.bytes.byteLength === body.byteLength)).toBe(true)
  expect(new Set(turns).size).toBe(8)
})

test('small bodies are not queued: parsed in the turn they arrive', async () => {
  const body = new TextEncoder().encode(JSON.stringify({ model: 'm', pad: 'x'.repeat(1000) }))
  let turn = 0
  let spinning = true
  const spin = () => {
    turn++
    if (spinning) setImmediate(spin)
  }
  setImmediate(spin)
  const turns: number[] = []
  await Promise.all(
    Array.from({ length: 8 }, () => readJsonBody(request(body), LARGE_BODY).then(() => turns.push(turn))),
  )
  spinning = false
  expect(new Set(turns).size).toBeLessThan(8)
})

test('a large body that fails to parse gives the turn back: the next one is parsed', async () => {
  const bad = new TextEncoder().encode(`{"model":"m","pad":"${'x'.repeat(LARGE_BODY)}"`)
  const good = new TextEncoder().encode(JSON.stringify({ model: 'ok', pad: 'x'.repeat(LARGE_BODY) }))
  const [first, second] = await Promise.allSettled([
    readJsonBody(request(bad), 64 * LARGE_BODY),
    readJsonBody(request(good), 64 * LARGE_BODY),
  ])
  expect(first.status).toBe('rejected')
  expect(second.status === 'fulfilled' && second.value.json.model).toBe('ok')
})
