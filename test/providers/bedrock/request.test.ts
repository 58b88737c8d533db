// OpenAI chat request → Bedrock Converse body: a table of inputs and the exact bodies they become,
// then the inputs that must be refused with a 400 naming the field.
import { describe, expect, test } from 'bun:test'
import { GatewayError } from '../../../src/core/errors'
import { toBedrockRequest } from '../../../src/providers/bedrock/request'

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='
const WEATHER = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}
const WEATHER_SPEC = {
  toolSpec: {
    name: 'get_weather',
    description: 'Weather for a city',
    inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  },
}

const cases: { name: string; input: Record<string, unknown>; output: unknown }[] = [
  {
    name: 'plain user message',
    input: { model: 'm', messages: [{ role: 'user', content: 'Hi' }] },
    output: { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] },
  },
  {
    name: 'system and developer messages become the system prompt; inference parameters map',
    input: {
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['END', '###'],
      seed: 7,
      user: 'ignored',
    },
    output: {
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      system: [{ text: 'Be brief.' }, { text: 'Answer in French.' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.2, topP: 0.9, stopSequences: ['END', '###'] },
    },
  },
  {
    name: 'max_completion_tokens wins over max_tokens; a single stop string',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      max_completion_tokens: 50,
      max_tokens: 10,
      stop: 'STOP',
    },
    output: {
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 50, stopSequences: ['STOP'] },
    },
  },
  {
    name: 'text and data-URL image parts',
    input: {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' } },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/AA==' } },
          ],
        },
      ],
    },
    output: {
      messages: [
        {
          role: 'user',
          content: [
            { text: 'What is this?' },
            { image: { format: 'png', source: { bytes: PNG } } },
            { image: { format: 'jpeg', source: { bytes: '/9j/AA==' } } },
          ],
        },
      ],
    },
  },
  {
    name: 'consecutive same-role turns are merged',
    input: {
      model: 'm',
      messages: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
        { role: 'assistant', content: 'three' },
        { role: 'assistant', content: 'four' },
        { role: 'user', content: 'five' },
      ],
    },
    output: {
      messages: [
        { role: 'user', content: [{ text: 'one' }, { text: 'two' }] },
        { role: 'assistant', content: [{ text: 'three' }, { text: 'four' }] },
        { role: 'user', content: [{ text: 'five' }] },
      ],
    },
  },
  {
    name: 'a tool round trip: tool_calls → toolUse, tool messages → one user turn of toolResults (JSON objects as json)',
    input: {
      model: 'm',
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21,"sky":"clear"}' },
        { role: 'tool', tool_call_id: 'call_2', content: 'Rome: 25C, sunny' },
        { role: 'user', content: 'Thanks' },
      ],
      tools: [WEATHER],
      tool_choice: 'auto',
    },
    output: {
      messages: [
        { role: 'user', content: [{ text: 'Weather in Paris and Rome?' }] },
        {
          role: 'assistant',
          content: [
            { toolUse: { toolUseId: 'call_1', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 'call_2', name: 'get_weather', input: {} } },
          ],
        },
        {
          role: 'user',
          content: [
            { toolResult: { toolUseId: 'call_1', content: [{ json: { temp: 21, sky: 'clear' } }] } },
            { toolResult: { toolUseId: 'call_2', content: [{ text: 'Rome: 25C, sunny' }] } },
            { text: 'Thanks' },
          ],
        },
      ],
      toolConfig: { tools: [WEATHER_SPEC], toolChoice: { auto: {} } },
    },
  },
  {
    name: 'assistant text next to tool calls is kept; tool content as text parts',
    input: {
      model: 'm',
      messages: [
        { role: 'user', content: 'Go' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 't', content: [{ type: 'text', text: '[1,2]' }] },
      ],
    },
    output: {
      messages: [
        { role: 'user', content: [{ text: 'Go' }] },
        { role: 'assistant', content: [{ text: 'Checking.' }, { toolUse: { toolUseId: 't', name: 'f', input: {} } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ text: '[1,2]' }] } }] },
      ],
    },
  },
  {
    name: 'tool_choice required → any; a tool without parameters gets an empty object schema',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'now' } }],
      tool_choice: 'required',
    },
    output: {
      messages: [{ role: 'user', content: [{ text: 'x' }] }],
      toolConfig: {
        tools: [{ toolSpec: { name: 'now', inputSchema: { json: { type: 'object', properties: {} } } } }],
        toolChoice: { any: {} },
      },
    },
  },
  {
    name: 'tool_choice naming a function → tool',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools: [WEATHER],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    },
    output: {
      messages: [{ role: 'user', content: [{ text: 'x' }] }],
      toolConfig: { tools: [WEATHER_SPEC], toolChoice: { tool: { name: 'get_weather' } } },
    },
  },
  {
    name: 'no tool_choice → tools without a choice (Bedrock default)',
    input: { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [WEATHER] },
    output: { messages: [{ role: 'user', content: [{ text: 'x' }] }], toolConfig: { tools: [WEATHER_SPEC] } },
  },
  {
    name: 'tool_choice none → no tools at all',
    input: { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [WEATHER], tool_choice: 'none' },
    output: { messages: [{ role: 'user', content: [{ text: 'x' }] }] },
  },
  {
    name: 'tool_choice none with tool blocks in the history keeps the tools (Bedrock requires toolConfig then)',
    input: {
      model: 'm',
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
        },
        { role: 'tool', tool_call_id: 't', content: 'cold' },
      ],
      tools: [WEATHER],
      tool_choice: 'none',
    },
    output: {
      messages: [
        { role: 'user', content: [{ text: 'x' }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 't', name: 'get_weather', input: { city: 'Oslo' } } }] },
        { role: 'user', content: [{ toolResult: { toolUseId: 't', content: [{ text: 'cold' }] } }] },
      ],
      toolConfig: { tools: [WEATHER_SPEC] },
    },
  },
]

describe('toBedrockRequest', () => {
  for (const c of cases) {
    test(c.name, () => {
      expect(toBedrockRequest(c.input)).toEqual(c.output as never)
    })
  }
})

const bad: { name: string; input: Record<string, unknown>; param: string; message: RegExp }[] = [
  { name: 'no messages', input: { model: 'm' }, param: 'messages', message: /non-empty array/ },
  { name: 'empty messages', input: { model: 'm', messages: [] }, param: 'messages', message: /non-empty array/ },
  {
    name: 'unknown role',
    input: { model: 'm', messages: [{ role: 'function', content: 'x' }] },
    param: 'messages[0].role',
    message: /must be one of/,
  },
  {
    name: 'message not an object',
    input: { model: 'm', messages: ['hi'] },
    param: 'messages[0]',
    message: /must be an object/,
  },
  {
    name: 'http image URL',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    },
    param: 'messages[0].content[0].image_url.url',
    message: /cannot fetch images from an http\(s\) URL.*data URL/,
  },
  {
    name: 'unsupported image type',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AAAA' } }] }],
    },
    param: 'messages[0].content[0].image_url.url',
    message: /image\/tiff/,
  },
  {
    name: 'audio part',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }],
    },
    param: 'messages[0].content[0]',
    message: /text and image_url parts only/,
  },
  {
    name: 'tool call arguments that are not JSON',
    input: {
      model: 'm',
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{oops' } }],
        },
      ],
    },
    param: 'messages[0].tool_calls[0].function.arguments',
    message: /not valid JSON/,
  },
  {
    name: 'tool message without tool_call_id',
    input: { model: 'm', messages: [{ role: 'tool', content: 'x' }] },
    param: 'messages[0].tool_call_id',
    message: /tool_call_id/,
  },
  {
    name: 'n > 1',
    input: { model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 },
    param: 'n',
    message: /n must be 1/,
  },
  {
    name: 'response_format json_schema',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      response_format: { type: 'json_schema', json_schema: {} },
    },
    param: 'response_format',
    message: /not supported/,
  },
  {
    name: 'max_tokens 0',
    input: { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
    param: 'max_tokens',
    message: /positive integer/,
  },
  {
    name: 'temperature as a string',
    input: { model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' },
    param: 'temperature',
    message: /number/,
  },
  {
    name: 'stop as a number',
    input: { model: 'm', messages: [{ role: 'user', content: 'x' }], stop: 3 },
    param: 'stop',
    message: /string/,
  },
  {
    name: 'tool_choice naming an absent tool',
    input: {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools: [WEATHER],
      tool_choice: { type: 'function', function: { name: 'nope' } },
    },
    param: 'tool_choice',
    message: /'nope'/,
  },
  {
    name: 'malformed tool',
    input: { model: 'm', messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'x' }] },
    param: 'tools[0]',
    message: /type/,
  },
]

/** What toBedrockRequest throws for `input`: a GatewayError, or the test fails. */
function refusal(input: Record<string, unknown>): GatewayError {
  try {
    toBedrockRequest(input)
  } catch (err) {
    if (err instanceof GatewayError) return err
    throw err
  }
  throw new Error('expected a 400 GatewayError, got a Converse request')
}

describe('toBedrockRequest: bad input names the field', () => {
  for (const c of bad) {
    test(c.name, () => {
      const error = refusal(c.input)
      expect(error.status).toBe(400)
      expect(error.type).toBe('invalid_request_error')
      expect(error.code).toBe('invalid_value')
      expect(error.param).toBe(c.param)
      expect(error.message).toMatch(c.message)
    })
  }
})

describe('toBedrockRequest: one convention, every refusal is thrown as a GatewayError', () => {
  const refusals: [string, Record<string, unknown>, string, string][] = [
    ['no messages', { model: 'm' }, 'messages', "'messages' must be a non-empty array of message objects."],
    ['n > 1', { messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n', 'Bedrock returns one choice: n must be 1.'],
    [
      'a tool message without an id',
      { messages: [{ role: 'tool', content: 'x' }] },
      'messages[0].tool_call_id',
      'messages[0].tool_call_id must be a non-empty string.',
    ],
  ]
  for (const [name, input, param, message] of refusals)
    test(name, () => {
      let thrown: unknown
      try {
        toBedrockRequest(input)
      } catch (err) {
        thrown = err
      }
      expect(thrown).toBeInstanceOf(GatewayError)
      const error = thrown as GatewayError
      expect(error.status).toBe(400)
      expect(error.toJSON()).toEqual({
        error: { message, type: 'invalid_request_error', param, code: 'invalid_value' },
      })
    })
})
