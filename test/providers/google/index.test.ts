import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../../src/config/load'
import type { ProviderConfig } from '../../../src/config/schema'
import { GatewayError } from '../../../src/core/errors'
import { createProvider, PROVIDER_RULES } from '../../../src/providers'
import { GOOGLE_BASE_URL, googleKind } from '../../../src/providers/google'

const CONFIG: ProviderConfig = {
  kind: 'google',
  models: ['gemini-2.5-flash'],
  weight: 1,
  max_retries: 2,
  timeout: 30,
  stream_idle_timeout: 60,
  cooldown_failures: 5,
  cooldown_seconds: 30,
}

describe('googleKind', () => {
  test('defaults base_url to the Gemini v1beta API and keeps a configured one', () => {
    expect(googleKind.normalize!(CONFIG).base_url).toBe(GOOGLE_BASE_URL)
    expect(googleKind.normalize!({ ...CONFIG, base_url: 'http://proxy/v1beta' }).base_url).toBe('http://proxy/v1beta')
  })

  test('api_key is required, with a fix', () => {
    expect(googleKind.check!(CONFIG)).toEqual({
      field: 'api_key',
      problem: 'is required for kind "google"',
      fix: 'api_key = "${GEMINI_API_KEY}"',
    })
    expect(googleKind.check!({ ...CONFIG, api_key: 'k' })).toBeUndefined()
  })

  test('a config without api_key is refused at load, naming the field', () => {
    expect(() =>
      parseConfig('[providers.gem]\nkind = "gemini"\nmodels = ["gemini-2.5-flash"]\n', 'test.toml', PROVIDER_RULES, {}),
    ).toThrow(/providers\.gem\.api_key/)
  })

  test('/v1/messages is served through chat: a Messages body it cannot take is refused before any fetch', async () => {
    const config = { ...googleKind.normalize!(CONFIG), api_key: 'k', base_url: 'http://127.0.0.1:1' }
    expect(googleKind.create('gem', config).messages).toBeUndefined()
    const provider = createProvider('gem', config)
    expect(provider.endpoints.has('messages')).toBe(true)
    const json = { model: 'gemini-2.5-flash', messages: [] }
    // base_url points at a closed port: a fetch would reject with a connection error, not a GatewayError.
    const err = await provider
      .send({
        endpoint: 'messages',
        model: 'gemini-2.5-flash',
        body: new Uint8Array(),
        json,
        stream: false,
        signal: new AbortController().signal,
      })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'max_tokens' })
  })
})
