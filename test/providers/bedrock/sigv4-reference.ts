// An independent SigV4 computation for tests (node:crypto HMAC chain, written from the AWS spec),
// used to check what the gateway's signer (aws4fetch) produced.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
import { createHash, createHmac } from 'node:crypto'

export interface ReferenceInput {
  method: string
  /** The path as sent on the wire (already percent-encoded once). */
  path: string
  /** Canonical query string ('' for none). */
  query?: string
  /** Lower-case header name → value, for every name in signedHeaders. */
  headers: Record<string, string>
  signedHeaders: string[]
  body: Uint8Array | string
  datetime: string
  region: string
  service: string
  secretAccessKey: string
}

export const sha256Hex = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')

export function referenceSignature(input: ReferenceInput): string {
  // Non-S3 services sign the path encoded a second time, segment by segment.
  const uri = input.path
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')
  const signed = [...input.signedHeaders].sort()
  const canonicalHeaders = signed.map((h) => `${h}:${(input.headers[h] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
  const canonicalRequest = [
    input.method,
    uri,
    input.query ?? '',
    canonicalHeaders,
    signed.join(';'),
    sha256Hex(input.body),
  ].join('\n')
  const date = input.datetime.slice(0, 8)
  const scope = `${date}/${input.region}/${input.service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', input.datetime, scope, sha256Hex(canonicalRequest)].join('\n')
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()
  const kDate = hmac(`AWS4${input.secretAccessKey}`, date)
  const kRegion = hmac(kDate, input.region)
  const kService = hmac(kRegion, input.service)
  const kSigning = hmac(kService, 'aws4_request')
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex')
}

/** Splits `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` into its parts. */
export function parseAuthorization(value: string): { credential: string; signedHeaders: string[]; signature: string } {
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(value)
  if (!match) throw new Error(`not a SigV4 authorization header: ${value}`)
  return { credential: match[1]!, signedHeaders: match[2]!.split(';'), signature: match[3]! }
}
