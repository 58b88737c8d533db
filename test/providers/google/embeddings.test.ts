import { describe, expect, test } from 'bun:test'
import { GatewayError } from '../../../src/core/errors'
import { fromGeminiEmbedResponse, toGeminiEmbedRequest } from '../../../src/providers/google/embeddings'

describe('google embeddings', () => {
  test.each([
    [{ input: 'hello' }, [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'hello' }] } }]],
    [
      { input: ['a', 'b'], dimensions: 256 },
      [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] }, outputDimensionality: 256 },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] }, outputDimensionality: 256 },
      ],
    ],
  ])('toGeminiEmbedRequest(%j)', (json, requests) => {
    expect(toGeminiEmbedRequest(json, 'text-embedding-004')).toEqual({ requests })
  })

  test.each([
    [{ input: [1, 2, 3] }, 'input'],
    [{ input: [[1, 2]] }, 'input'],
    [{ input: [] }, 'input'],
    [{ input: 42 }, 'input'],
    [{ input: 'x', dimensions: 0 }, 'dimensions'],
    [{ input: 'x', encoding_format: 'hex' }, 'encoding_format'],
  ])('400 for %j', (json, param) => {
    try {
      toGeminiEmbedRequest(json, 'm')
      throw new Error('expected a 400')
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError)
      expect((err as GatewayError).param).toBe(param)
    }
  })

  test('the batch answer becomes an OpenAI list, float or base64 little-endian float32', () => {
    const body = { embeddings: [{ values: [0.5, -1] }, { values: [0.25] }] }
    expect(fromGeminiEmbedResponse(body, 'text-embedding-004', false)).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, -1] },
        { object: 'embedding', index: 1, embedding: [0.25] },
      ],
      model: 'text-embedding-004',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    })
    const encoded = fromGeminiEmbedResponse(body, 'text-embedding-004', true).data[0]!.embedding as string
    const bytes = Buffer.from(encoded, 'base64')
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4))).toEqual([0.5, -1])
    expect(bytes[3]).toBe(0x3f) // 0.5 = 0x3f000000, little-endian: high byte last
  })
})
