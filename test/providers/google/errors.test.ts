import { describe, expect, test } from 'bun:test'
import { fromGeminiError, retryAfterOf } from '../../../src/providers/google/errors'

describe('fromGeminiError', () => {
  test.each([
    [400, 'INVALID_ARGUMENT', 'invalid_request_error', 'invalid_argument'],
    [400, 'FAILED_PRECONDITION', 'invalid_request_error', 'failed_precondition'],
    [401, 'UNAUTHENTICATED', 'authentication_error', 'unauthenticated'],
    [403, 'PERMISSION_DENIED', 'permission_error', 'permission_denied'],
    [404, 'NOT_FOUND', 'not_found_error', 'not_found'],
    [429, 'RESOURCE_EXHAUSTED', 'requests', 'resource_exhausted'],
    [500, 'INTERNAL', 'server_error', 'internal'],
    [503, 'UNAVAILABLE', 'server_error', 'unavailable'],
    [504, 'DEADLINE_EXCEEDED', 'timeout_error', 'deadline_exceeded'],
  ])('%i %s → %s', (status, name, type, code) => {
    const body = JSON.stringify({ error: { code: status, message: 'boom', status: name } })
    expect(fromGeminiError(status, body)).toEqual({
      error: { message: 'boom', type: type as never, param: null, code },
    })
  })

  test('the ErrorInfo reason is the code when given (bad API key)', () => {
    const body = JSON.stringify({
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
        ],
      },
    })
    expect(fromGeminiError(400, body).error.code).toBe('api_key_invalid')
  })

  test('a body that is not Gemini JSON keeps its text and takes its type from the status', () => {
    expect(fromGeminiError(502, '<html>Bad Gateway</html>')).toEqual({
      error: {
        message: 'Gemini answered HTTP 502: <html>Bad Gateway</html>',
        type: 'server_error',
        param: null,
        code: null,
      },
    })
    expect(fromGeminiError(429, '').error).toEqual({
      message: 'Gemini answered HTTP 429.',
      type: 'requests',
      param: null,
      code: null,
    })
  })

  test('an array-wrapped error (streamGenerateContent without alt=sse) is read too', () => {
    expect(
      fromGeminiError(400, JSON.stringify([{ error: { code: 400, message: 'x', status: 'INVALID_ARGUMENT' } }])).error
        .message,
    ).toBe('x')
  })

  test.each([
    [{ error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '22s' }] } }, '22'],
    [{ error: { details: [{ retryDelay: '1.2s' }] } }, '2'],
    [{ error: { details: [] } }, undefined],
    ['not json', undefined],
  ])('retryAfterOf(%j) → %s', (body, expected) => {
    expect(retryAfterOf(typeof body === 'string' ? body : JSON.stringify(body))).toBe(expected)
  })
})
