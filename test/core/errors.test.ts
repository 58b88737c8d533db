// How upstream connection failures are worded for clients (src/core/errors.ts).
import { describe, expect, test } from 'bun:test'
import { describeCause } from '../../src/core/errors'

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
