import { describe, expect, test } from 'bun:test'
import { GatewayError } from '../../../src/core/errors'
import { toGeminiEmbedRequest } from '../../../src/providers/google/embeddings'
import { toGeminiRequest } from '../../../src/providers/google/request'
import { fromGeminiResponse } from '../../../src/providers/google/response'
import { toGeminiSchema } from '../../../src/providers/google/schema'

const user = (content: unknown) => ({ role: 'user', content })

/** The 400 a body gets: its param and a message fragment. */
function rejection(json: Record<string, unknown>): { param: string | null; message: string } {
  try {
    toGeminiRequest(json)
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError)
    const e = err as GatewayError
    expect(e.status).toBe(400)
    expect(e.type).toBe('invalid_request_error')
    return { param: e.param, message: e.message }
  }
  throw new Error('expected a 400')
}

describe('toGeminiRequest: messages', () => {
  test('system and developer messages become systemInstruction; assistant becomes model', () => {
    const out = toGeminiRequest({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'developer', content: [{ type: 'text', text: 'use metric' }] },
        user('hi'),
        { role: 'assistant', content: 'hello' },
        user('and?'),
      ],
    })
    expect(out).toEqual({
      systemInstruction: { parts: [{ text: 'be brief' }, { text: 'use metric' }] },
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'hello' }] },
        { role: 'user', parts: [{ text: 'and?' }] },
      ],
    })
  })

  test('consecutive turns of one role are merged', () => {
    const out = toGeminiRequest({
      messages: [user('a'), user('b'), { role: 'assistant', content: 'c' }, { role: 'assistant', content: 'd' }],
    })
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'a' }, { text: 'b' }] },
      { role: 'model', parts: [{ text: 'c' }, { text: 'd' }] },
    ])
  })

  test.each([
    [
      'a data: URL goes inline',
      'data:image/png;base64,iVBORw0KGgo=',
      { inline_data: { mime_type: 'image/png', data: 'iVBORw0KGgo=' } },
    ],
    [
      'an https URL with a known extension goes by reference',
      'https://x.test/cat.JPG?size=2',
      { file_data: { file_uri: 'https://x.test/cat.JPG?size=2', mime_type: 'image/jpeg' } },
    ],
    [
      'a gs:// URL',
      'gs://bucket/doc.pdf',
      { file_data: { file_uri: 'gs://bucket/doc.pdf', mime_type: 'application/pdf' } },
    ],
    [
      'a Gemini Files API URI needs no MIME type',
      'https://generativelanguage.googleapis.com/v1beta/files/abc123',
      { file_data: { file_uri: 'https://generativelanguage.googleapis.com/v1beta/files/abc123' } },
    ],
  ])('multi-part content: %s', (_name, url, part) => {
    const out = toGeminiRequest({
      messages: [
        user([
          { type: 'text', text: 'what is it?' },
          { type: 'image_url', image_url: { url, detail: 'low' } },
        ]),
      ],
    })
    expect(out.contents[0]!.parts).toEqual([{ text: 'what is it?' }, part as object])
  })

  test('input_audio and file data parts go inline', () => {
    const out = toGeminiRequest({
      messages: [
        user([
          { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
        ]),
      ],
    })
    expect(out.contents[0]!.parts).toEqual([
      { inline_data: { mime_type: 'audio/wav', data: 'AAAA' } },
      { inline_data: { mime_type: 'application/pdf', data: 'JVBERi0=' } },
    ])
  })

  test('assistant tool calls become functionCall parts and tool answers functionResponse parts in a user turn', () => {
    const out = toGeminiRequest({
      messages: [
        user('weather in Paris and Rome?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'weather', arguments: '{"city":"Rome"}' },
              extra_content: { google: { thought_signature: 'sig==' } },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
        { role: 'tool', tool_call_id: 'call_2', content: 'sunny, 25C' },
        user('thanks'),
      ],
    })
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'weather', args: { city: 'Rome' } }, thoughtSignature: 'sig==' },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { temp: 21 } } },
          { functionResponse: { name: 'weather', response: { output: 'sunny, 25C' } } },
          { text: 'thanks' },
        ],
      },
    ])
  })

  test('empty tool arguments are an empty object', () => {
    const out = toGeminiRequest({
      messages: [
        user('x'),
        { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'now', arguments: '' } }] },
      ],
    })
    expect(out.contents[1]!.parts).toEqual([{ functionCall: { name: 'now', args: {} } }])
  })

  test.each([
    ['messages missing', {}, 'messages'],
    ['messages empty', { messages: [] }, 'messages'],
    ['only system messages', { messages: [{ role: 'system', content: 'x' }] }, 'messages'],
    ['unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
    ['unknown part type', { messages: [user([{ type: 'video', video: {} }])] }, 'messages[0].content[0].type'],
    [
      'image URL without a known type',
      { messages: [user([{ type: 'image_url', image_url: { url: 'https://x.test/img' } }])] },
      'messages[0].content[0].image_url.url',
    ],
    [
      'ftp URL',
      { messages: [user([{ type: 'image_url', image_url: { url: 'ftp://x.test/a.png' } }])] },
      'messages[0].content[0].image_url.url',
    ],
    [
      'bad tool arguments JSON',
      {
        messages: [
          user('x'),
          {
            role: 'assistant',
            tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":' } }],
          },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
    ],
    [
      'tool arguments that are not an object',
      {
        messages: [
          user('x'),
          { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] },
        ],
      },
      'messages[1].tool_calls[0].function.arguments',
    ],
    [
      'tool answer for an unknown call',
      { messages: [user('x'), { role: 'tool', tool_call_id: 'nope', content: 'r' }] },
      'messages[1].tool_call_id',
    ],
    ['non-function tool', { messages: [user('x')], tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    [
      'tool without a name',
      { messages: [user('x')], tools: [{ type: 'function', function: {} }] },
      'tools[0].function.name',
    ],
    ['bad tool_choice', { messages: [user('x')], tool_choice: 'sometimes' }, 'tool_choice'],
    [
      'tool_choice naming an unknown function',
      {
        messages: [user('x')],
        tools: [{ type: 'function', function: { name: 'a' } }],
        tool_choice: { type: 'function', function: { name: 'b' } },
      },
      'tool_choice.function.name',
    ],
    ['temperature as a string', { messages: [user('x')], temperature: 'hot' }, 'temperature'],
    ['fractional max_tokens', { messages: [user('x')], max_tokens: 1.5 }, 'max_tokens'],
    ['stop as a number', { messages: [user('x')], stop: 3 }, 'stop'],
    ['unknown response_format', { messages: [user('x')], response_format: { type: 'xml' } }, 'response_format.type'],
    [
      'json_schema without a schema',
      { messages: [user('x')], response_format: { type: 'json_schema', json_schema: { name: 'a' } } },
      'response_format.json_schema.schema',
    ],
  ])('400 naming the field: %s', (_name, json, param) => {
    expect(rejection(json as Record<string, unknown>).param).toBe(param)
  })
})

describe('toGeminiRequest: tools and tool_choice', () => {
  const tools = [
    {
      type: 'function',
      function: {
        name: 'weather',
        description: 'Current weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
          additionalProperties: false,
        },
      },
    },
    { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
  ]

  test('tools become one functionDeclarations list; argument-less functions have no parameters', () => {
    expect(toGeminiRequest({ messages: [user('x')], tools }).tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'weather',
            description: 'Current weather',
            parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] },
          },
          { name: 'now' },
        ],
      },
    ])
  })

  test.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [
      { type: 'function', function: { name: 'weather' } },
      { mode: 'ANY', allowedFunctionNames: ['weather'] },
    ],
  ])('tool_choice %j → functionCallingConfig %j', (choice, config) => {
    expect(toGeminiRequest({ messages: [user('x')], tools, tool_choice: choice }).toolConfig).toEqual({
      functionCallingConfig: config as never,
    })
  })

  test('no tool_choice, no toolConfig', () => {
    expect(toGeminiRequest({ messages: [user('x')], tools }).toolConfig).toBeUndefined()
  })
})

describe('toGeminiRequest: generationConfig', () => {
  test.each([
    [{ temperature: 0.2 }, { temperature: 0.2 }],
    [{ top_p: 0.9 }, { topP: 0.9 }],
    [{ max_tokens: 100 }, { maxOutputTokens: 100 }],
    [{ max_tokens: 100, max_completion_tokens: 50 }, { maxOutputTokens: 50 }],
    [{ stop: 'END' }, { stopSequences: ['END'] }],
    [{ stop: ['a', 'b'] }, { stopSequences: ['a', 'b'] }],
    [{ n: 2 }, { candidateCount: 2 }],
    [{ seed: 7 }, { seed: 7 }],
    [
      { presence_penalty: 0.5, frequency_penalty: -0.5 },
      { presencePenalty: 0.5, frequencyPenalty: -0.5 },
    ],
    [{ response_format: { type: 'json_object' } }, { responseMimeType: 'application/json' }],
    [
      {
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'p',
            strict: true,
            schema: { type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false },
          },
        },
      },
      {
        responseMimeType: 'application/json',
        responseSchema: { type: 'OBJECT', properties: { n: { type: 'INTEGER' } } },
      },
    ],
  ])('%j → %j', (fields, config) => {
    expect(toGeminiRequest({ messages: [user('x')], ...fields }).generationConfig).toEqual(config as never)
  })

  test('no sampling fields, no generationConfig; text response_format and null fields add nothing', () => {
    expect(
      toGeminiRequest({ messages: [user('x')], response_format: { type: 'text' }, temperature: null, stop: null })
        .generationConfig,
    ).toBeUndefined()
  })
})

describe('toGeminiRequest: thought signatures', () => {
  /** A signature as Gemini sends it: standard base64 with '+', '/' and padding. */
  const SIG = 'CikB0e2Kb+4/x9Zq1w=='
  const weather = (id: string, city: string, extra?: object) => ({
    id,
    type: 'function',
    function: { name: 'weather', arguments: JSON.stringify({ city }) },
    ...(extra ? { extra_content: extra } : {}),
  })
  const history = (calls: object[], ids: string[]) => [
    user('weather?'),
    { role: 'assistant', content: null, tool_calls: calls },
    ...ids.map((id) => ({ role: 'tool', tool_call_id: id, content: 'sunny' })),
  ]

  test('round trip: the id of a signed call in an answer restores the signature in the next request', () => {
    const answer = fromGeminiResponse(
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: SIG },
                { functionCall: { name: 'weather', args: { city: 'Rome' } } },
              ],
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
      },
      {
        model: 'gemini-3-pro-preview',
        toolCallId: (() => {
          let n = 0
          return () => `call_${++n}`
        })(),
      },
    )
    const calls = answer.choices[0]!.message.tool_calls!
    expect(calls.map((c) => c.id)).toEqual(['call_1__gts__CikB0e2Kb-4_x9Zq1w', 'call_2'])
    // The client echoes id, name and arguments only, and answers each call by its id.
    const echoed = calls.map(({ id, type, function: fn }) => ({ id, type, function: fn }))
    const out = toGeminiRequest(
      {
        messages: history(
          echoed,
          calls.map((c) => c.id),
        ),
      },
      { model: 'gemini-3-pro-preview' },
    )
    expect(out.contents.slice(1)).toEqual([
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'weather', args: { city: 'Paris' } }, thoughtSignature: SIG },
          { functionCall: { name: 'weather', args: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { output: 'sunny' } } },
          { functionResponse: { name: 'weather', response: { output: 'sunny' } } },
        ],
      },
    ])
  })

  test('extra_content.google.thought_signature wins over the id suffix', () => {
    const out = toGeminiRequest(
      {
        messages: history(
          [weather('call_1__gts__c2ln', 'Paris', { google: { thought_signature: SIG } })],
          ['call_1__gts__c2ln'],
        ),
      },
      { model: 'gemini-2.5-flash' },
    )
    expect(out.contents[1]!.parts[0]!.thoughtSignature).toBe(SIG)
  })

  test('a tool message may name the call by its id without our suffix', () => {
    const out = toGeminiRequest({ messages: history([weather('call_1__gts__c2ln', 'Paris')], ['call_1']) })
    expect(out.contents[2]!.parts).toEqual([{ functionResponse: { name: 'weather', response: { output: 'sunny' } } }])
  })

  test.each([
    ['gemini-3-pro-preview', {}, 'skip_thought_signature_validator'],
    ['gemini-2.5-flash', {}, 'skip_thought_signature_validator'],
    ['models/gemini-3-flash-preview', {}, 'skip_thought_signature_validator'],
    ['gemini-2.0-flash', {}, undefined],
    ['gemini-2.0-flash', { reasoning_effort: 'low' }, 'skip_thought_signature_validator'],
    ['gemini-2.0-flash', { reasoning_effort: 'none' }, undefined],
  ])('an id without our suffix on %s %j: first call of the turn signed with %s', (model, fields, first) => {
    const out = toGeminiRequest(
      {
        messages: history(
          [weather('toolu_01abc', 'Paris'), weather('toolu_02def', 'Rome')],
          ['toolu_01abc', 'toolu_02def'],
        ),
        ...fields,
      },
      { model },
    )
    const [a, b] = out.contents[1]!.parts
    expect(a!.thoughtSignature).toBe(first as never)
    expect(b!.thoughtSignature).toBeUndefined()
  })

  test('the skip value goes on the first call of every model turn that lacks one, never over a real signature', () => {
    const out = toGeminiRequest(
      {
        messages: [
          user('plan a trip'),
          { role: 'assistant', content: 'Checking.', tool_calls: [weather('a', 'Paris')] },
          { role: 'tool', tool_call_id: 'a', content: 'sunny' },
          { role: 'assistant', tool_calls: [weather(`b__gts__${'c2ln'}`, 'Rome'), weather('c', 'Oslo')] },
          { role: 'tool', tool_call_id: 'b__gts__c2ln', content: 'rain' },
          { role: 'tool', tool_call_id: 'c', content: 'snow' },
          { role: 'assistant', content: 'Pack an umbrella.' },
          user('thanks'),
        ],
      },
      { model: 'gemini-3-pro-preview' },
    )
    const model = out.contents.filter((c) => c.role === 'model').map((c) => c.parts.map((p) => p.thoughtSignature))
    expect(model).toEqual([[undefined, 'skip_thought_signature_validator'], ['c2ln', undefined], [undefined]])
  })

  test('the model of the body is used when none is given', () => {
    const out = toGeminiRequest({ model: 'gemini-3-pro-preview', messages: history([weather('a', 'Paris')], ['a']) })
    expect(out.contents[1]!.parts[0]!.thoughtSignature).toBe('skip_thought_signature_validator')
  })
})

describe('toGeminiRequest: reasoning', () => {
  test.each([
    [
      'gemini-2.5-flash',
      { reasoning_effort: 'medium' },
      { thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } },
    ],
    ['gemini-2.5-flash', { reasoning_effort: 'none' }, { thinkingConfig: { thinkingBudget: 0 } }],
    [
      'gemini-3-pro-preview',
      { reasoning_effort: 'low' },
      { thinkingConfig: { thinkingLevel: 'low', includeThoughts: true } },
    ],
    [
      'gemini-2.5-pro',
      { thinking: { type: 'enabled', budget_tokens: 4000 }, max_tokens: 9000 },
      { maxOutputTokens: 9000, thinkingConfig: { thinkingBudget: 4000, includeThoughts: true } },
    ],
    [
      'gemini-2.5-flash',
      { thinking: { type: 'adaptive' } },
      { thinkingConfig: { thinkingBudget: -1, includeThoughts: true } },
    ],
    ['gemini-3-flash-preview', { thinking: { type: 'disabled' } }, { thinkingConfig: { thinkingLevel: 'minimal' } }],
  ])('%s %j → generationConfig %j', (model, fields, config) => {
    expect(toGeminiRequest({ messages: [user('x')], ...fields }, { model }).generationConfig).toEqual(config as never)
  })

  test('thinking_blocks: a block with text is a thought part at the head of the turn; one without text signs the answer text', () => {
    const out = toGeminiRequest(
      {
        messages: [
          user('2+2?'),
          {
            role: 'assistant',
            content: '4',
            reasoning_content: 'Adding.',
            thinking_blocks: [
              { type: 'thinking', thinking: 'Adding two and two.', signature: 'c2lnMQ==' },
              { type: 'redacted_thinking', data: 'opaque' },
              { type: 'thinking', thinking: 'unsigned' },
              { type: 'thinking', thinking: '', signature: 'c2lnMg==' },
            ],
          },
          user('and 3+3?'),
        ],
      },
      { model: 'gemini-2.5-flash' },
    )
    expect(out.contents[1]).toEqual({
      role: 'model',
      parts: [
        { text: 'Adding two and two.', thought: true, thoughtSignature: 'c2lnMQ==' },
        { text: '4', thoughtSignature: 'c2lnMg==' },
      ],
    })
  })

  test('a signature block without text on a message without text is an empty text part before the calls', () => {
    const out = toGeminiRequest(
      {
        messages: [
          user('x'),
          {
            role: 'assistant',
            content: null,
            thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'c2ln' }],
            tool_calls: [{ id: 'call_1__gts__Q0FG', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1__gts__Q0FG', content: '{}' },
        ],
      },
      { model: 'gemini-3-pro-preview' },
    )
    expect(out.contents[1]!.parts).toEqual([
      { text: '', thoughtSignature: 'c2ln' },
      { functionCall: { name: 'f', args: {} }, thoughtSignature: 'Q0FG' },
    ])
  })

  test('round trip: thought parts of an answer come back on the next request', () => {
    const answer = fromGeminiResponse(
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [
                { text: 'Let me think. ', thought: true },
                { text: 'Two and two.', thought: true, thoughtSignature: 'c2lnMQ==' },
                { text: '4', thoughtSignature: 'c2lnMg==' },
              ],
            },
            finishReason: 'STOP',
            index: 0,
          },
        ],
        usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1, thoughtsTokenCount: 12, totalTokenCount: 18 },
      },
      { model: 'gemini-2.5-flash' },
    )
    const message = answer.choices[0]!.message
    const out = toGeminiRequest({ messages: [user('2+2?'), message, user('3+3?')] }, { model: 'gemini-2.5-flash' })
    expect(out.contents[1]!.parts).toEqual([
      { text: 'Let me think. Two and two.', thought: true, thoughtSignature: 'c2lnMQ==' },
      { text: '4', thoughtSignature: 'c2lnMg==' },
    ])
  })
})

describe('toGeminiRequest: structured output', () => {
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { answer: { type: 'number' }, unit: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
    required: ['answer', 'unit'],
    additionalProperties: false,
  }
  const format = { type: 'json_schema', json_schema: { name: 'result', strict: true, schema } }

  test.each([
    ['gemini-2.5-flash', { responseMimeType: 'application/json', responseJsonSchema: schema }],
    ['gemini-3-pro-preview', { responseMimeType: 'application/json', responseJsonSchema: schema }],
    [
      'gemini-2.0-flash',
      {
        responseMimeType: 'application/json',
        responseSchema: {
          type: 'OBJECT',
          properties: { answer: { type: 'NUMBER' }, unit: { type: 'STRING', nullable: true } },
          required: ['answer', 'unit'],
        },
      },
    ],
  ])('json_schema on %s → %j', (model, config) => {
    expect(toGeminiRequest({ messages: [user('x')], response_format: format }, { model }).generationConfig).toEqual(
      config as never,
    )
  })

  test('json_object is the MIME type alone, on any model', () => {
    expect(
      toGeminiRequest(
        { messages: [user('x')], response_format: { type: 'json_object' } },
        { model: 'gemini-2.5-flash' },
      ).generationConfig,
    ).toEqual({ responseMimeType: 'application/json' })
  })
})

describe('toGeminiRequest: refusals, word for word', () => {
  test.each([
    [
      { messages: [user('x')], reasoning_effort: 'max' },
      'reasoning_effort',
      "'reasoning_effort' must be one of none, minimal, low, medium, high.",
    ],
    [
      { messages: [user('x')], thinking: { type: 'enabled', budget_tokens: -5 } },
      'thinking.budget_tokens',
      "'thinking.budget_tokens' must be a positive integer when thinking is enabled.",
    ],
    [
      { messages: [user('x'), { role: 'assistant', content: 'y', thinking_blocks: 'sig' }] },
      'messages[1].thinking_blocks',
      "'messages[1].thinking_blocks' must be an array of thinking blocks.",
    ],
    [
      { messages: [user('x'), { role: 'assistant', content: 'y', thinking_blocks: [null] }] },
      'messages[1].thinking_blocks[0]',
      "'messages[1].thinking_blocks[0]' must be an object.",
    ],
    [
      { messages: [user('x'), { role: 'tool', tool_call_id: 'call_1__gts__c2ln', content: 'r' }] },
      'messages[1].tool_call_id',
      "'messages[1].tool_call_id' does not match any tool call of an earlier assistant message.",
    ],
  ])('%j', (json, param, message) => {
    const refused = rejection(json as Record<string, unknown>)
    expect(refused).toEqual({ param, message })
  })
})

describe('toGeminiSchema', () => {
  test.each([
    [
      'drops what Gemini rejects',
      {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        additionalProperties: false,
        properties: { a: { type: 'string', default: 'x', examples: ['y'], $comment: 'c' } },
      },
      { type: 'OBJECT', properties: { a: { type: 'STRING' } } },
    ],
    ['const → enum', { const: 'fixed' }, { type: 'STRING', enum: ['fixed'] }],
    [
      'non-string enum keeps its type with format enum',
      { type: 'integer', enum: [1, 2] },
      { type: 'INTEGER', enum: ['1', '2'], format: 'enum' },
    ],
    [
      'null in an enum → nullable',
      { type: ['string', 'null'], enum: ['a', null] },
      { type: 'STRING', enum: ['a'], nullable: true },
    ],
    [
      'type list with null → nullable',
      { type: ['integer', 'null'], minimum: 0 },
      { type: 'INTEGER', minimum: 0, nullable: true },
    ],
    [
      'anyOf with null → the other member, nullable',
      { anyOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }], description: 'maybe' },
      { type: 'STRING', maxLength: 5, description: 'maybe', nullable: true },
    ],
    [
      'oneOf → anyOf',
      { oneOf: [{ type: 'string' }, { type: 'number' }] },
      { anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] },
    ],
    ['several types → anyOf', { type: ['string', 'number'] }, { anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] }],
    [
      'supported formats kept, others dropped',
      {
        type: 'object',
        properties: {
          d: { type: 'string', format: 'date-time' },
          e: { type: 'string', format: 'email' },
          f: { type: 'number', format: 'double' },
        },
      },
      {
        type: 'OBJECT',
        properties: {
          d: { type: 'STRING', format: 'date-time' },
          e: { type: 'STRING' },
          f: { type: 'NUMBER', format: 'double' },
        },
      },
    ],
    [
      'required names that are not properties dropped',
      { type: 'object', properties: { a: { type: 'string' } }, required: ['a', 'ghost'] },
      { type: 'OBJECT', properties: { a: { type: 'STRING' } }, required: ['a'] },
    ],
    [
      '$ref inlined from $defs',
      {
        type: 'object',
        properties: { p: { $ref: '#/$defs/Point' } },
        $defs: { Point: { type: 'object', properties: { x: { type: 'number' } } } },
      },
      { type: 'OBJECT', properties: { p: { type: 'OBJECT', properties: { x: { type: 'NUMBER' } } } } },
    ],
    [
      '$ref from definitions, sibling description kept',
      {
        type: 'array',
        items: { $ref: '#/definitions/Tag', description: 'a tag' },
        definitions: { Tag: { type: 'string' } },
      },
      { type: 'ARRAY', items: { type: 'STRING', description: 'a tag' } },
    ],
    [
      'recursive $ref ends as an object',
      { $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } }, $ref: '#/$defs/Node' },
      { type: 'OBJECT', properties: { next: { type: 'OBJECT' } } },
    ],
    [
      'allOf merged',
      {
        allOf: [
          { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
          { properties: { b: { type: 'boolean' } } },
        ],
      },
      { type: 'OBJECT', properties: { a: { type: 'STRING' }, b: { type: 'BOOLEAN' } }, required: ['a'] },
    ],
    [
      'tuple items → anyOf items',
      { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] },
      { type: 'ARRAY', items: { anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }] } },
    ],
    [
      'array limits and titles kept',
      {
        type: 'array',
        title: 'T',
        minItems: 1,
        maxItems: 3,
        uniqueItems: true,
        items: { type: 'string', pattern: '^a' },
      },
      { type: 'ARRAY', title: 'T', minItems: 1, maxItems: 3, items: { type: 'STRING', pattern: '^a' } },
    ],
    ['properties without a type imply OBJECT', { properties: { a: {} } }, { type: 'OBJECT', properties: { a: {} } }],
    ['true → any', true, {}],
  ])('%s', (_name, input, expected) => {
    expect(toGeminiSchema(input)).toEqual(expected as never)
  })
})

describe('google: one convention, every refusal is thrown as a GatewayError', () => {
  const refusals: [string, () => unknown, string][] = [
    ['a chat request without messages', () => toGeminiRequest({}), 'messages'],
    [
      'a chat request with a bad tool_choice',
      () => toGeminiRequest({ messages: [user('x')], tool_choice: 1 }),
      'tool_choice',
    ],
    ['an embeddings request of token arrays', () => toGeminiEmbedRequest({ input: [[1, 2]] }, 'm'), 'input'],
    [
      'an embeddings request with bad dimensions',
      () => toGeminiEmbedRequest({ input: 'x', dimensions: -1 }, 'm'),
      'dimensions',
    ],
  ]
  for (const [name, translate, param] of refusals)
    test(name, () => {
      let thrown: unknown
      try {
        translate()
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(GatewayError)
      const error = thrown as GatewayError
      expect(error.status).toBe(400)
      expect(error.toJSON().error).toEqual({
        message: error.message,
        type: 'invalid_request_error',
        param,
        code: 'invalid_value',
      })
    })
})
