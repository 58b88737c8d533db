// How errors are worded for clients (src/core/errors.ts): upstream connection failures, echoed input.
import { describe, expect, test } from 'bun:test'
import { describeCause, echo, MAX_ECHO, modelNotFound, routeNotFound } from '../../src/core/errors'

describe('describeCause', () => {
  test('keeps the cause, drops the runtime advice and the upstream URL', () => {
    const err = Object.assign(new Error('Unable to connect. Is the computer able to access the url?'), {
      code: 'ConnectionRefused',
    })
    expect(describeCause(err)).toBe('Unable to connect. (ConnectionRefused)')
    const malformed = new Error(
      'Malformed_HTTP_Response fetching "http://10.0.0.1:8080/deploy/v1/chat/completions?key=abc". For more information, pass `verbose: true` in the second argument to fetch()',
    )
    expect(describeCause(malformed)).toBe('Malformed_HTTP_Response.')
    expect(describeCause(new Error('failed at https://secret.example/path?k=1'))).toBe('failed at (upstream URL)')
    expect(describeCause('')).toBe('connection failed')
  })
})

describe('echoed input', () => {
  test('short input is repeated whole; long input by its start and the count left out', () => {
    expect(echo('gpt-4o')).toBe('gpt-4o')
    expect(echo('x'.repeat(MAX_ECHO))).toBe('x'.repeat(MAX_ECHO))
    expect(echo('y'.repeat(10_000_000))).toBe(`${'y'.repeat(MAX_ECHO)}… (${10_000_000 - MAX_ECHO} more characters)`)
  })

  test('a 10 MB model name or path comes back as a short message', () => {
    expect(modelNotFound('m'.repeat(10_000_000)).message.length).toBeLessThan(400)
    expect(routeNotFound('GET', `/${'p'.repeat(100_000)}`).message.length).toBeLessThan(400)
  })
})
