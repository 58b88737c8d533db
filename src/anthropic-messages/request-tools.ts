// Messages `tools` and `tool_choice` → chat `tools`, `tool_choice`, `parallel_tool_calls`. Part of
// request.ts (toChatRequest).
//
// A custom tool (`type` absent, null or "custom") → a function: name, description, input_schema as
// parameters, strict; its `input_examples` are appended to the description (chat has no field for
// them). Dropped on purpose: `cache_control` (a caching hint), `eager_input_streaming` (how Anthropic
// streams the arguments, not what they are), `defer_loading` (a deferred tool is declared up front
// instead: the model sees every tool at once, which costs context but calls the same tools), and the
// tool search tools (`tool_search_tool_regex_*`, `tool_search_tool_bm25_*`: with every tool declared
// there is nothing left to search). Refused: every other Anthropic-defined tool. Server tools
// (web_search, web_fetch, code_execution, mcp_toolset, …) run on Anthropic's servers, and the
// client-run ones (bash, text_editor, computer, memory) carry a schema only Anthropic knows; and a
// tool whose `allowed_callers` leave out "direct" (only code execution, refused, could call it).
//
// tool_choice: auto → "auto", any → "required", tool → that function, none → "none";
// `disable_parallel_tool_use: true` → `parallel_tool_calls: false`. OpenAI refuses tool_choice and
// parallel_tool_calls without tools, so they are left out when there are none.

import type { JsonObject } from '../core/json'
import { expectObject, expectString, fail, isUnset } from './params'

const TOOL_CHOICES = ['auto', 'any', 'tool', 'none']

const isToolSearch = (type: string): boolean => type.startsWith('tool_search_tool_')

export function translateTools(tools: unknown, toolChoice: unknown): JsonObject {
  const out: JsonObject = {}
  if (!isUnset(tools) && !Array.isArray(tools)) fail('tools', 'expected an array of tools')
  const functions: JsonObject[] = []
  for (const [i, value] of (tools ?? []).entries()) {
    const tool = expectObject(value, `tools.${i}`)
    if (typeof tool.type === 'string' && isToolSearch(tool.type)) continue
    functions.push(functionOf(tool, `tools.${i}`))
  }

  let choice: unknown
  let parallel: boolean | undefined
  if (!isUnset(toolChoice)) {
    const tc = expectObject(toolChoice, 'tool_choice')
    if (!TOOL_CHOICES.includes(tc.type as string)) {
      fail('tool_choice.type', `expected one of ${TOOL_CHOICES.map((t) => `"${t}"`).join(', ')}`)
    }
    if (tc.type === 'auto') choice = 'auto'
    else if (tc.type === 'any') choice = 'required'
    else if (tc.type === 'none') choice = 'none'
    else choice = { type: 'function', function: { name: expectString(tc.name, 'tool_choice.name') } }
    if (tc.disable_parallel_tool_use === true && tc.type !== 'none') parallel = false
  }
  if (functions.length > 0) {
    out.tools = functions
    if (choice !== undefined) out.tool_choice = choice
    if (parallel !== undefined) out.parallel_tool_calls = parallel
  }
  return out
}

function functionOf(tool: JsonObject, at: string): JsonObject {
  if (!isUnset(tool.type) && tool.type !== 'custom') {
    fail(
      `${at}.type`,
      `the Anthropic-defined tool ${JSON.stringify(tool.type)}${typeof tool.name === 'string' ? ` (${tool.name})` : ''} cannot be served by an OpenAI-format deployment; declare it as a custom tool with an input_schema`,
    )
  }
  const name = expectString(tool.name, `${at}.name`)
  if (!isUnset(tool.allowed_callers)) {
    const callers = tool.allowed_callers
    if (!Array.isArray(callers)) fail(`${at}.allowed_callers`, 'expected an array')
    if (!callers.includes('direct'))
      fail(
        `${at}.allowed_callers`,
        'a tool only code execution may call cannot be served by an OpenAI-format deployment; allow "direct"',
      )
  }
  const fn: JsonObject = { name }
  let description = isUnset(tool.description) ? undefined : expectString(tool.description, `${at}.description`)
  if (!isUnset(tool.input_examples)) {
    const examples = tool.input_examples
    if (!Array.isArray(examples)) fail(`${at}.input_examples`, 'expected an array of objects')
    const lines = examples.map((example, j) => JSON.stringify(expectObject(example, `${at}.input_examples.${j}`)))
    if (lines.length > 0) description = `${description ? `${description}\n\n` : ''}Example inputs:\n${lines.join('\n')}`
  }
  if (description !== undefined) fn.description = description
  fn.parameters = expectObject(tool.input_schema, `${at}.input_schema`)
  if (typeof tool.strict === 'boolean') fn.strict = tool.strict
  return { type: 'function', function: fn }
}
