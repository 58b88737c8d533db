// OpenAI Responses request → chat completions request, so that `POST /v1/responses` can be served by any
// provider's chat handler. Pure: validates what it reads and refuses, with a 400 naming the field, what
// a chat deployment cannot do (OpenAI's hosted tools and custom tools, stored prompts, background runs).
// https://platform.openai.com/docs/api-reference/responses/create · https://platform.openai.com/docs/api-reference/chat/create
//
//   Responses                                   chat completions
//   input, instructions                         messages (input.ts; instructions → a leading system message)
//   tools [{type:'function', name, …}]          tools [{type:'function', function:{name, description, parameters, strict}}]
//   tools [{type:'namespace', name: ns,         one chat function per inner function, named `<ns>__<name>`
//           description, tools:[function…]}]    (namespaces.ts; 400 unless [A-Za-z0-9_-]{1,64} and unique),
//                                               its description after the namespace's
//   tool_choice 'auto'|'none'|'required'        the same
//   tool_choice {type:'function', name}         {type:'function', function:{name}} (a namespaced one by its
//                                               chat name `<ns>__<name>`: the SDK's tool_choice has no namespace)
//   tool_choice {type:'allowed_tools', mode,    tools narrowed to those named, tool_choice = mode
//                tools}
//   text.format json_schema | json_object       response_format {type:'json_schema', json_schema:{name, schema,
//                                               strict, description}} | {type:'json_object'}; text: none
//   text.verbosity                              verbosity
//   reasoning.effort                            reasoning_effort (reasoning.summary: the summary is always given)
//   max_output_tokens                           max_tokens (what every chat translator and Ollama read)
//   temperature, top_p, parallel_tool_calls,    the same (parallel_tool_calls only with tools)
//   user, safety_identifier, prompt_cache_key
//   include ['message.output_text.logprobs']    logprobs: true (+ top_logprobs)
//   include ['reasoning.encrypted_content']     nothing: our reasoning items carry it always (response.ts)
//   stream                                      stream, stream_options.include_usage (usage ends every Response)
//   metadata, store, previous_response_id,      not sent: echoed on the Response (the gateway resolves
//   truncation, service_tier, max_tool_calls    previous_response_id and store before this runs)
//   background: true, conversation, prompt      400: nothing behind chat can run or resolve them
import type { JsonObject } from '../core/json'
import { toChatMessages } from './input'
import { expectObject, expectString, fail, oneOf, optionalString, shown } from './invalid'
import { CHAT_FUNCTION_NAME, flatName } from './namespaces'

export interface ToChatOptions {
  /** The upstream model name to send; default: the body's `model` (an alias is already resolved there). */
  model?: string
}

/** Whether the request's `include` lists `value` ('reasoning.encrypted_content', …). */
export function includes(request: Readonly<JsonObject>, value: string): boolean {
  return Array.isArray(request.include) && request.include.includes(value)
}

/**
 * The chat completions request for a Responses request. Throws a 400 GatewayError for a field it
 * cannot read or serve: the message is `<param>: <problem>`.
 */
export function toChatRequest(body: Readonly<JsonObject>, options: ToChatOptions = {}): JsonObject {
  refuseUnservable(body)
  const model = options.model ?? body.model
  if (typeof model !== 'string' || model === '')
    fail('model', 'a model name is required.', 'missing_required_parameter')
  const instructions = optionalString(body.instructions, 'instructions')
  const chat: JsonObject = { model, messages: toChatMessages(body.input, instructions) }

  const maxTokens = body.max_output_tokens
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
      fail('max_output_tokens', `expected a positive integer, got ${shown(maxTokens)}.`)
    chat.max_tokens = maxTokens
  }
  for (const field of ['temperature', 'top_p'] as const) {
    const value = body[field]
    if (value === undefined || value === null) continue
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, `expected a number, got ${shown(value)}.`)
    chat[field] = value
  }
  Object.assign(chat, translateTools(body.tools, body.tool_choice, body.parallel_tool_calls))
  Object.assign(chat, translateText(body.text))

  if (body.reasoning !== undefined && body.reasoning !== null) {
    const reasoning = expectObject(body.reasoning, 'reasoning')
    const effort = optionalString(reasoning.effort, 'reasoning.effort')
    if (effort !== undefined) chat.reasoning_effort = effort
  }
  for (const field of ['user', 'safety_identifier', 'prompt_cache_key'] as const) {
    const value = optionalString(body[field], field)
    if (value !== undefined) chat[field] = value
  }
  readInclude(body.include)
  if (includes(body, 'message.output_text.logprobs')) {
    chat.logprobs = true
    const top = body.top_logprobs
    if (top !== undefined && top !== null) {
      if (!Number.isInteger(top) || (top as number) < 0 || (top as number) > 20)
        fail('top_logprobs', `expected an integer between 0 and 20, got ${shown(top)}.`)
      chat.top_logprobs = top
    }
  }
  if (body.stream !== undefined && body.stream !== null) {
    if (typeof body.stream !== 'boolean') fail('stream', `expected a boolean, got ${shown(body.stream)}.`)
    if (body.stream) {
      chat.stream = true
      chat.stream_options = { include_usage: true }
    }
  }
  return chat
}

// --- internal ---

function refuseUnservable(body: Readonly<JsonObject>): void {
  if (body.background === true)
    fail(
      'background',
      'background responses cannot be run for a model served through chat completions; send the request without background.',
      'unsupported_value',
    )
  if (body.conversation !== undefined && body.conversation !== null)
    fail(
      'conversation',
      "conversations are OpenAI's stored state, which the gateway cannot read for a model served through chat completions; send the conversation's items in input, or chain responses with previous_response_id.",
      'unsupported_value',
    )
  if (body.prompt !== undefined && body.prompt !== null)
    fail(
      'prompt',
      "prompt templates are stored by OpenAI, which the gateway cannot read for a model served through chat completions; send the prompt's text as instructions and input.",
      'unsupported_value',
    )
}

function readInclude(include: unknown): void {
  if (include === undefined || include === null) return
  if (!Array.isArray(include)) fail('include', `expected an array of strings, got ${shown(include)}.`)
  include.forEach((value, i) => {
    expectString(value, `include[${i}]`)
  })
}

const TOOL_CHOICE_MODES = ['auto', 'none', 'required']

/** `tools`, `tool_choice` and `parallel_tool_calls`; chat refuses the last two without tools. */
function translateTools(tools: unknown, toolChoice: unknown, parallel: unknown): JsonObject {
  if (tools !== undefined && tools !== null && !Array.isArray(tools))
    fail('tools', `expected an array of tools, got ${shown(tools)}.`)
  const flattened: Flattened[] = []
  let functions = (tools ?? []).flatMap((value, i) => chatTools(value, `tools[${i}]`, flattened))
  const names = new Set(functions.map((f) => (f.function as JsonObject).name as string))
  refuseCollisions(functions, flattened)

  let choice: unknown
  if (toolChoice === undefined || toolChoice === null) choice = undefined
  else if (typeof toolChoice === 'string') {
    if (!TOOL_CHOICE_MODES.includes(toolChoice))
      fail(
        'tool_choice',
        `expected ${oneOf(TOOL_CHOICE_MODES)}, {"type": "function", "name": …} or {"type": "allowed_tools", …}, got ${shown(toolChoice)}.`,
      )
    choice = toolChoice
  } else {
    const tc = expectObject(toolChoice, 'tool_choice')
    if (tc.type === 'function') {
      const name = expectString(tc.name, 'tool_choice.name')
      if (!names.has(name)) fail('tool_choice.name', `no function tool named ${shown(name)} is declared in tools.`)
      choice = { type: 'function', function: { name } }
    } else if (tc.type === 'allowed_tools') {
      const allowed = allowedTools(tc, names)
      functions = functions.filter((f) => allowed.has((f.function as JsonObject).name as string))
      choice = tc.mode
    } else if (tc.type === undefined) fail('tool_choice.type', 'a tool choice type is required.')
    else
      fail(
        'tool_choice.type',
        `the tool type ${shown(tc.type)} cannot be chosen: this model is served through chat completions, which can call function tools only.`,
        'unsupported_value',
      )
  }
  const out: JsonObject = {}
  if (functions.length === 0) {
    if (choice === 'required')
      fail('tool_choice', '"required" needs at least one function tool in tools.', 'unsupported_value')
    return out
  }
  out.tools = functions
  if (choice !== undefined) out.tool_choice = choice
  if (parallel !== undefined && parallel !== null) {
    if (typeof parallel !== 'boolean') fail('parallel_tool_calls', `expected a boolean, got ${shown(parallel)}.`)
    out.parallel_tool_calls = parallel
  }
  return out
}

/** A function of a namespace tool, as chat got it: where it was declared and the names it joins. */
interface Flattened {
  at: string
  namespace: string
  name: string
  flat: string
}

/** One entry of `tools` → its chat function tools: one for a function, one per function of a namespace. */
function chatTools(value: unknown, at: string, flattened: Flattened[]): JsonObject[] {
  const tool = expectObject(value, at, 'a tool object')
  if (tool.type !== 'namespace') return [functionTool(tool, at)]
  const namespace = expectString(tool.name, `${at}.name`)
  if (namespace === '') fail(`${at}.name`, 'a namespace name is required.', 'missing_required_parameter')
  const description = optionalString(tool.description, `${at}.description`)
  if (tool.tools === undefined)
    fail(`${at}.tools`, 'an array of function tools is required.', 'missing_required_parameter')
  if (!Array.isArray(tool.tools)) fail(`${at}.tools`, `expected an array of function tools, got ${shown(tool.tools)}.`)
  return tool.tools.map((inner, j) => {
    const here = `${at}.tools[${j}]`
    const chat = functionTool(expectObject(inner, here, 'a tool object'), here)
    const fn = chat.function as JsonObject
    const name = fn.name as string
    const flat = flatName(namespace, name)
    if (!CHAT_FUNCTION_NAME.test(flat))
      fail(
        `${here}.name`,
        `${namespacedShown(name, namespace, flat)}, which is not a valid chat function name (at most 64 characters, each a letter, a digit, "_" or "-"); rename the namespace or the function.`,
        'unsupported_value',
      )
    fn.name = flat
    // The model sees the namespace only in the name: its description leads the function's.
    if (description !== undefined && description !== '')
      fn.description = fn.description === undefined ? description : `${description}\n\n${fn.description as string}`
    flattened.push({ at: here, namespace, name, flat })
    return chat
  })
}

/** A namespaced function whose chat name another function already has would come back ambiguous: refused. */
function refuseCollisions(functions: JsonObject[], flattened: readonly Flattened[]): void {
  if (flattened.length === 0) return
  const count = new Map<string, number>()
  for (const f of functions) {
    const name = (f.function as JsonObject).name as string
    count.set(name, (count.get(name) ?? 0) + 1)
  }
  for (const f of flattened)
    if ((count.get(f.flat) ?? 0) > 1)
      fail(
        `${f.at}.name`,
        `${namespacedShown(f.name, f.namespace, f.flat)}, which another function in tools is also called; rename one of them.`,
      )
}

function namespacedShown(name: string, namespace: string, flat: string): string {
  return `the function ${shown(name)} of namespace ${shown(namespace)} is sent to chat completions as ${shown(flat)}`
}

/** Responses' flat function tool → chat's nested one; any other tool type is refused by name. */
function functionTool(tool: JsonObject, at: string): JsonObject {
  if (tool.type === undefined) fail(`${at}.type`, 'a tool type is required.', 'missing_required_parameter')
  if (tool.type !== 'function')
    fail(
      at,
      `the tool type ${shown(tool.type)} is not supported for this model: it is served through chat completions, which can call function tools only; remove the tool, or serve the model from an OpenAI deployment.`,
      'unsupported_value',
    )
  const name = expectString(tool.name, `${at}.name`)
  if (name === '') fail(`${at}.name`, 'a function name is required.', 'missing_required_parameter')
  const fn: JsonObject = { name }
  const description = optionalString(tool.description, `${at}.description`)
  if (description !== undefined) fn.description = description
  if (tool.parameters !== undefined && tool.parameters !== null)
    fn.parameters = expectObject(tool.parameters, `${at}.parameters`, 'a JSON Schema object')
  if (tool.strict !== undefined && tool.strict !== null) {
    if (typeof tool.strict !== 'boolean') fail(`${at}.strict`, `expected a boolean, got ${shown(tool.strict)}.`)
    fn.strict = tool.strict
  }
  return { type: 'function', function: fn }
}

/** `{type: 'allowed_tools', mode, tools: [{type: 'function', name}]}`: the names allowed. */
function allowedTools(tc: JsonObject, declared: ReadonlySet<string>): Set<string> {
  if (tc.mode !== 'auto' && tc.mode !== 'required')
    fail('tool_choice.mode', `expected ${oneOf(['auto', 'required'])}, got ${shown(tc.mode)}.`)
  if (!Array.isArray(tc.tools)) fail('tool_choice.tools', `expected an array of tools, got ${shown(tc.tools)}.`)
  const names = new Set<string>()
  tc.tools.forEach((value, i) => {
    const at = `tool_choice.tools[${i}]`
    const tool = expectObject(value, at, 'a tool object')
    if (tool.type !== 'function')
      fail(
        `${at}.type`,
        `the tool type ${shown(tool.type)} is not supported for this model: it is served through chat completions, which can call function tools only.`,
        'unsupported_value',
      )
    const name = expectString(tool.name, `${at}.name`)
    if (!declared.has(name)) fail(`${at}.name`, `no function tool named ${shown(name)} is declared in tools.`)
    names.add(name)
  })
  return names
}

const FORMATS = ['text', 'json_object', 'json_schema']

/** `text.format` → `response_format` (text is chat's default: not sent); `text.verbosity` → `verbosity`. */
function translateText(text: unknown): JsonObject {
  if (text === undefined || text === null) return {}
  const config = expectObject(text, 'text')
  const out: JsonObject = {}
  const verbosity = optionalString(config.verbosity, 'text.verbosity')
  if (verbosity !== undefined) out.verbosity = verbosity
  if (config.format === undefined || config.format === null) return out
  const format = expectObject(config.format, 'text.format')
  switch (format.type) {
    case 'text':
      return out
    case 'json_object':
      out.response_format = { type: 'json_object' }
      return out
    case 'json_schema': {
      const name = expectString(format.name, 'text.format.name')
      const spec: JsonObject = {
        name,
        schema: expectObject(format.schema, 'text.format.schema', 'a JSON Schema object'),
      }
      const description = optionalString(format.description, 'text.format.description')
      if (description !== undefined) spec.description = description
      if (format.strict !== undefined && format.strict !== null) {
        if (typeof format.strict !== 'boolean')
          fail('text.format.strict', `expected a boolean, got ${shown(format.strict)}.`)
        spec.strict = format.strict
      }
      out.response_format = { type: 'json_schema', json_schema: spec }
      return out
    }
    default:
      return fail('text.format.type', `expected ${oneOf(FORMATS)}, got ${shown(format.type)}.`)
  }
}
