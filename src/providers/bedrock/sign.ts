// AWS Signature Version 4 for Bedrock requests, through aws4fetch's AwsV4Signer (WebCrypto HMAC).
// Signed: host, x-amz-date, x-amz-security-token (temporary credentials) and the other headers given,
// except the ones SigV4 clients leave out (content-type, content-length, user-agent, …). The path is
// encoded once more for the canonical request, as every AWS service but S3 expects, so a model id
// sent as `…v1%3A0` is signed as `…v1%253A0`.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
import { AwsV4Signer } from 'aws4fetch'

type SignerBody = ConstructorParameters<typeof AwsV4Signer>[0]['body']

export interface SignerOptions {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  region: string
  service: string
}

export interface SignInput {
  method: string
  url: string
  headers: Record<string, string>
  body: Uint8Array | string
  /** ISO basic format, e.g. 20150830T123600Z; now by default. */
  datetime?: string
}

export interface Signer {
  /** The headers to send: the ones given plus x-amz-date, x-amz-security-token and authorization. */
  sign(input: SignInput): Promise<Record<string, string>>
}

export function createSigner(options: SignerOptions): Signer {
  // Derived signing keys, per (secret, day, region, service): aws4fetch fills and reads it.
  const cache = new Map<string, ArrayBuffer>()
  return {
    async sign(input) {
      const signer = new AwsV4Signer({
        method: input.method,
        url: input.url,
        headers: input.headers,
        body: input.body as SignerBody,
        accessKeyId: options.accessKeyId,
        secretAccessKey: options.secretAccessKey,
        sessionToken: options.sessionToken || undefined,
        region: options.region,
        service: options.service,
        cache,
        datetime: input.datetime,
      })
      const signed = await signer.sign()
      const out: Record<string, string> = {}
      signed.headers.forEach((value, key) => {
        out[key] = value
      })
      return out
    },
  }
}
