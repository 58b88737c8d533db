// The signer against AWS's published Signature Version 4 test suite (credentials AKIDEXAMPLE, region
// us-east-1, service "service", 20150830T123600Z; expected Authorization headers copied from the suite's
// header-signed-request.txt files), and a Bedrock request checked against an independent HMAC chain.
import { describe, expect, test } from 'bun:test'
import { createSigner } from '../../../src/providers/bedrock/sign'
import { parseAuthorization, referenceSignature } from './sigv4-reference'

const SUITE = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
}
const DATETIME = '20150830T123600Z'
const CRED = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request'

describe('SigV4 test suite', () => {
  const vectors = [
    {
      name: 'get-vanilla',
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      authorization: `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    },
    {
      // The suite's get-vanilla-query request has an empty query: same signature as get-vanilla.
      name: 'get-vanilla-query',
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      authorization: `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    },
    {
      name: 'get-vanilla-query-order-key-case',
      method: 'GET',
      url: 'https://example.amazonaws.com/?Param2=value2&Param1=value1',
      authorization: `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500`,
    },
    {
      name: 'post-vanilla',
      method: 'POST',
      url: 'https://example.amazonaws.com/',
      authorization: `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b`,
    },
  ]
  for (const v of vectors) {
    test(v.name, async () => {
      const headers = await createSigner(SUITE).sign({
        method: v.method,
        url: v.url,
        headers: {},
        body: '',
        datetime: DATETIME,
      })
      expect(headers.authorization).toBe(v.authorization)
      expect(headers['x-amz-date']).toBe(DATETIME)
      expect(headers['x-amz-security-token']).toBeUndefined()
    })
  }

  test('get-vanilla-with-session-token', async () => {
    const token = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267'
    const headers = await createSigner({ ...SUITE, sessionToken: token }).sign({
      method: 'GET',
      url: 'https://example.amazonaws.com/',
      headers: {},
      body: '',
      datetime: DATETIME,
    })
    expect(headers.authorization).toBe(
      `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8`,
    )
    expect(headers['x-amz-security-token']).toBe(token)
  })
})

describe('a Bedrock Converse request', () => {
  const options = { ...SUITE, region: 'eu-west-3', service: 'bedrock' }
  const url =
    'https://bedrock-runtime.eu-west-3.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse'
  const body = new TextEncoder().encode(JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'Hi ✓' }] }] }))
  const datetime = '20240815T093012Z'

  test('matches an independent HMAC chain (path encoded twice, body hashed, content-type unsigned)', async () => {
    const headers = await createSigner(options).sign({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      datetime,
    })
    const auth = parseAuthorization(headers.authorization!)
    expect(auth.credential).toBe('AKIDEXAMPLE/20240815/eu-west-3/bedrock/aws4_request')
    expect(auth.signedHeaders).toEqual(['accept', 'host', 'x-amz-date'])
    const expected = referenceSignature({
      method: 'POST',
      path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
      headers: { accept: 'application/json', host: 'bedrock-runtime.eu-west-3.amazonaws.com', 'x-amz-date': datetime },
      signedHeaders: auth.signedHeaders,
      body,
      datetime,
      region: 'eu-west-3',
      service: 'bedrock',
      secretAccessKey: SUITE.secretAccessKey,
    })
    expect(auth.signature).toBe(expected)
    expect(headers['content-type']).toBe('application/json')
  })

  test('the cached signing key gives the same answer on the second request; a session token is signed', async () => {
    const signer = createSigner({ ...options, sessionToken: 'FQoGZXIvYXdzEXAMPLE' })
    const input = { method: 'POST', url, headers: { 'content-type': 'application/json' }, body, datetime }
    const first = await signer.sign(input)
    const second = await signer.sign(input)
    expect(second.authorization).toBe(first.authorization!)
    const auth = parseAuthorization(first.authorization!)
    expect(auth.signedHeaders).toEqual(['host', 'x-amz-date', 'x-amz-security-token'])
    expect(auth.signature).toBe(
      referenceSignature({
        method: 'POST',
        path: '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse',
        headers: {
          host: 'bedrock-runtime.eu-west-3.amazonaws.com',
          'x-amz-date': datetime,
          'x-amz-security-token': 'FQoGZXIvYXdzEXAMPLE',
        },
        signedHeaders: auth.signedHeaders,
        body,
        datetime,
        region: 'eu-west-3',
        service: 'bedrock',
        secretAccessKey: SUITE.secretAccessKey,
      }),
    )
  })

  test('without a datetime, signs with the current time', async () => {
    const day = () => new Date().toISOString().slice(0, 10).replaceAll('-', '')
    const before = day()
    const headers = await createSigner(options).sign({ method: 'POST', url, headers: {}, body })
    const after = day()
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/)
    expect([before, after]).toContain(headers['x-amz-date']!.slice(0, 8))
  })
})
