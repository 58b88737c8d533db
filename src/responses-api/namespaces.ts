// Namespace tools (`{type: 'namespace', name, description, tools: [function tools]}`, which Codex sends)
// have no chat counterpart: each inner function goes to chat as one function named `<namespace>__<name>`,
// and a chat tool call of such a name comes back as a function_call with `name` and `namespace`. Only the
// names this request's namespaces produced are split, so a function that merely contains `__` stays whole.
import { isObject, type JsonObject } from '../core/json'

export const NAMESPACE_SEPARATOR = '__'

/** What OpenAI, Anthropic and Gemini all accept as a function name. */
export const CHAT_FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** The chat function name of function `name` in namespace `namespace`. */
export function flatName(namespace: string, name: string): string {
  return `${namespace}${NAMESPACE_SEPARATOR}${name}`
}

/** A function call's name as Responses writes it: with its namespace when the chat name is a flattened one. */
export interface CallName {
  name: string
  namespace?: string
}

/**
 * The chat function names the request's namespace tools were flattened to, each with its namespace and
 * name. Lenient (the request was checked by toChatRequest): what is not a namespaced function is skipped.
 */
export function namespacedFunctions(request: Readonly<JsonObject>): Map<string, Required<CallName>> {
  const out = new Map<string, Required<CallName>>()
  if (!Array.isArray(request.tools)) return out
  for (const tool of request.tools) {
    if (!isObject(tool) || tool.type !== 'namespace' || typeof tool.name !== 'string' || !Array.isArray(tool.tools))
      continue
    for (const inner of tool.tools)
      if (isObject(inner) && inner.type === 'function' && typeof inner.name === 'string')
        out.set(flatName(tool.name, inner.name), { namespace: tool.name, name: inner.name })
  }
  return out
}

/** A chat tool call's name → the function_call's `name` (and `namespace` when the name is a flattened one). */
export function callName(chatName: string, namespaced: ReadonlyMap<string, Required<CallName>>): CallName {
  const found = namespaced.get(chatName)
  return found ? { name: found.name, namespace: found.namespace } : { name: chatName }
}
