// count_tokens per kind, without a network: the gateway's own estimate (count-tokens-locally.ts), and
// the Gemini and Bedrock translations of a Messages request to their counting APIs and back.
// The exchanges over HTTP (paths, headers, SigV4, errors) are test/server/count-tokens.test.ts.
import { describe, expect, test } from 'bun:test'
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base'
import { countSliced } from '../../src/core/count-sliced'
import { GatewayError } from '../../src/core/errors'
import type { JsonObject } from '../../src/core/json'
import { fromBedrockCountResponse, toBedrockCountRequest } from '../../src/providers/bedrock/count-tokens'
import {
  countCapped,
  countTokensLocally,
  promptTexts,
  TOKEN_COUNT_HEADER,
} from '../../src/providers/count-tokens-locally'
import { fromGeminiCountResponse, toGeminiCountRequest } from '../../src/providers/google/count-tokens'
import type { UpstreamCall } from '../../src/providers/provider'

const call = (json: JsonObject): UpstreamCall => ({
  endpoint: 'count_tokens',
  model: String(json.model),
  body: new TextEncoder().encode(JSON.stringify(json)),
  json,
  stream: false,
  signal: new AbortController().signal,
})

describe('the local estimate', () => {
  test('answers {input_tokens} marked as an estimate', async () => {
    const res = await countTokensLocally(
      call({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello, world' }] }),
    )
    expect(res.status).toBe(200)
    expect(res.headers.get(TOKEN_COUNT_HEADER)).toBe('estimate')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ input_tokens: 3 + 4 + countTokens('Hello, world') })
  })

  test.each([
    ['no messages', { model: 'm' }, 'messages'],
    ['empty messages', { model: 'm', messages: [] }, 'messages'],
    ['a bad role', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages.0.role'],
    [
      'a bad block',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'nope' }] }] },
      'messages.0.content.0.type',
    ],
    ['bad tools', { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: 'x' }, 'tools'],
  ])('refuses %s with a 400 naming the field, before counting', async (_name, json, param) => {
    const err = await countTokensLocally(call(json as JsonObject)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(GatewayError)
    expect((err as GatewayError).status).toBe(400)
    expect((err as GatewayError).param).toBe(param)
  })

  test('a stream flag and output settings change nothing', async () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'Hello there' }] }
    const plain = await (await countTokensLocally(call(base))).json()
    const extra = await (await countTokensLocally(call({ ...base, stream: true, temperature: 0.2 }))).json()
    expect(extra).toEqual(plain)
  })
})

describe('promptTexts', () => {
  test('collects message texts, tool calls and tool definitions; framing, images and files are fixed', () => {
    const chat = {
      messages: [
        { role: 'system', content: 'sys' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,AAAA' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'done' },
      ],
      tools: [{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object' } } }],
    }
    expect(promptTexts(chat)).toEqual({
      texts: ['sys', 'look', 'f{"a":1}', 'done', 'f\ndoes f', '{"type":"object"}'],
      // request 3, 4 messages × 4, one image 765, one PDF 1500, one call and one tool × 8.
      fixed: 3 + 16 + 765 + 1500 + 16,
    })
  })
})

describe('countCapped', () => {
  /** A batch counter from a one-text counter (the tokenizer thread counts a batch). */
  const batch = (one: (text: string) => number) => async (texts: string[]) => texts.map(one)
  const count = batch((text: string) => text.length) // one token a character, to see the arithmetic

  test.each([
    ['under the cap: every text counted', ['abc', 'de'], 10, 5],
    ['empty texts count nothing', ['', 'ab', ''], 10, 2],
    ['over the cap: the rest at the rate counted', ['aaaa', 'bbbbbbbb'], 6, 12],
    ['a text wholly past the cap is estimated too', ['aaaaaa', 'bbbb'], 6, 10],
  ])('%s', async (_name, texts, cap, expected) => {
    expect(await countCapped(texts, count, cap)).toBe(expected)
  })

  test('the estimated part follows the counted rate (two characters a token here)', async () => {
    const half = batch((text: string) => Math.ceil(text.length / 2))
    expect(await countCapped(['x'.repeat(100), 'y'.repeat(100)], half, 100)).toBe(100)
  })

  test('a megabyte of one letter is counted in bounded time', async () => {
    const started = performance.now()
    const tokens = await countCapped(
      ['x'.repeat(1 << 20)],
      batch((text) => countSliced(text, countTokens)),
    )
    expect(tokens).toBeGreaterThan(0)
    // Sliced and capped: well under what one unbroken 1 MiB run costs the BPE (minutes).
    expect(performance.now() - started).toBeLessThan(5_000)
  })
})

describe('Gemini: models.countTokens', () => {
  test('the whole generateContentRequest, without generation settings', () => {
    expect(
      toGeminiCountRequest(
        {
          model: 'gemini-2.5-flash',
          system: 'Be brief.',
          temperature: 0.5,
          messages: [{ role: 'user', content: 'hi' }],
          tools: [{ name: 'f', input_schema: { type: 'object', properties: { a: { type: 'string' } } } }],
          tool_choice: { type: 'tool', name: 'f' },
        },
        'models/gemini-2.5-flash',
      ),
    ).toEqual({
      generateContentRequest: {
        model: 'models/gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        tools: [
          {
            functionDeclarations: [
              { name: 'f', parameters: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } },
            ],
          },
        ],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } },
      },
    })
  })

  test('a bare request has contents only', () => {
    expect(toGeminiCountRequest({ model: 'g', messages: [{ role: 'user', content: 'hi' }] }, 'g')).toEqual({
      generateContentRequest: { model: 'models/g', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
    })
  })

  test.each([
    [{ totalTokens: 12, promptTokensDetails: [] }, { input_tokens: 12 }],
    [{ totalTokens: 0 }, { input_tokens: 0 }],
    [{ totalTokens: '12' }, undefined],
    [{ totalTokens: 1.5 }, undefined],
    [{}, undefined],
  ])('%j → %j', (answer, expected) => {
    expect(fromGeminiCountResponse(answer as JsonObject)).toEqual(expected as never)
  })
})

describe('Bedrock: CountTokens', () => {
  test('the Converse input: messages, system and toolConfig, without inferenceConfig', () => {
    expect(
      toBedrockCountRequest({
        model: 'anthropic.claude',
        system: 'Be brief.',
        temperature: 0.5,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
      }),
    ).toEqual({
      input: {
        converse: {
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
          system: [{ text: 'Be brief.' }],
          toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] },
        },
      },
    })
  })

  test('a Messages body it cannot read is a 400 before any fetch', () => {
    expect(() => toBedrockCountRequest({ model: 'm', messages: [] })).toThrow(GatewayError)
  })

  test.each([
    [{ inputTokens: 42 }, { input_tokens: 42 }],
    [{ inputTokens: -1 }, undefined],
    [{ input_tokens: 42 }, undefined],
  ])('%j → %j', (answer, expected) => {
    expect(fromBedrockCountResponse(answer as JsonObject)).toEqual(expected as never)
  })
})
