// The request id: the client's x-request-id when it sent a sane one, else a new UUID. It goes on every
// answer, every log line of the request, and upstream (so both sides' logs can be joined).

const REQUEST_ID = /^[\w.:-]{1,128}$/

/** Our x-request-id for this request. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id')
  return given && REQUEST_ID.test(given) ? given : crypto.randomUUID()
}
