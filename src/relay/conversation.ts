// The Responses API's conversation state, kept by the gateway: every answer a client asked to store
// (`store`, OpenAI's default true) is kept in the configured storage under its response id, with the
// input it answered, for [responses] retention_days, scoped to the key that made it (its identity,
// Principal.id; another key gets 404). A request with `previous_response_id` is expanded here, before
// any deployment is chosen: the stored input, the stored answer's output as input, then the new input.
// So the next turn may be served by any deployment (an openai one after an anthropic one, a fallback),
// and upstreams never see our ids.
// Instructions are not carried over, as OpenAI documents.
// https://platform.openai.com/docs/api-reference/responses/create#responses-create-previous_response_id
import { badRequest, GatewayError } from '../core/errors'
import { isObject, type JsonObject } from '../core/json'
import { RESPONSE_END_EVENTS } from '../responses-api'
import { SseParser } from '../sse'
import type { Store } from '../storage/store'
import type { ReadCall } from './call'

/** What the gateway keeps of one response. */
export interface StoredResponse {
  /** Whose it is: the identity of the key that made it (Principal.id: a digest of its secret, not its name). */
  owner: string
  /** The whole input it answered: earlier turns' input and output, then the request's own input. */
  input: unknown[]
  /** The Response object as the client received it. */
  response: JsonObject
}

/** The conversations' home: the storage's `responses` namespace, and how long records live. */
export interface Conversations {
  readonly store: Pick<Store, 'get' | 'set' | 'delete'>
  readonly retentionMs: number
  /** false: nothing is stored, and previous_response_id is refused. */
  readonly enabled: boolean
}

const DAY_MS = 86_400_000

/** The conversations as the config says now (a SIGHUP may change [responses]). */
export function conversationsOf(
  store: Pick<Store, 'get' | 'set' | 'delete'>,
  config: { store: boolean; retention_days: number },
): Conversations {
  return { store, retentionMs: Math.round(config.retention_days * DAY_MS), enabled: config.store }
}

/**
 * A Responses request with `previous_response_id`: its input becomes the whole conversation and the id
 * is removed (the upstream never sees it). 404 previous_response_not_found when no stored response of
 * this key has the id, as OpenAI answers.
 */
export async function recall(conversations: Conversations, call: ReadCall): Promise<void> {
  const { json } = call
  if (conversations.enabled && Array.isArray(json.input) && json.input.some(isReference))
    await resolveReferences(conversations, call)
  const previous = json.previous_response_id
  if (previous === undefined || previous === null) return
  if (typeof previous !== 'string' || previous.length === 0)
    throw badRequest("'previous_response_id' must be a non-empty string.", 'previous_response_id', 'invalid_type')
  if (!conversations.enabled)
    throw badRequest(
      'previous_response_id is not available: this gateway does not store responses ([responses] store = false).',
      'previous_response_id',
    )
  const stored = await load(conversations, previous, call.principal.id)
  if (!stored) throw previousNotFound(previous)
  json.input = [...historyOf(stored), ...inputItems(json.input)]
  delete json.previous_response_id
  call.rewritten = true
}

/**
 * Keeps an answered response when the client asked to store it; resolves once it is committed (the
 * client may name it in its next request as soon as it has the answer).
 */
export async function remember(conversations: Conversations, call: ReadCall, response: unknown): Promise<void> {
  if (!conversations.enabled || call.json.store === false) return
  if (!isObject(response) || typeof response.id !== 'string' || response.id.length === 0) return
  const record: StoredResponse = {
    owner: call.principal.id,
    input: inputItems(call.json.input),
    response,
  }
  const { store, retentionMs } = conversations
  const writes = [store.set(keyOf(response.id), JSON.stringify(record), retentionMs)]
  // Each output item by its id too, for clients that name it again as an item_reference (the AI SDK).
  if (Array.isArray(response.output))
    for (const item of response.output)
      if (isObject(item) && typeof item.id === 'string' && item.id)
        writes.push(store.set(itemKeyOf(item.id), JSON.stringify({ owner: record.owner, item }), retentionMs))
  await Promise.all(writes)
}

/** The stored response of this owner, or undefined (absent, expired, or another key's). */
export async function load(
  conversations: Conversations,
  id: string,
  owner: string,
): Promise<StoredResponse | undefined> {
  const text = await conversations.store.get(keyOf(id))
  if (text === undefined) return undefined
  let record: StoredResponse
  try {
    record = JSON.parse(text) as StoredResponse
  } catch {
    return undefined
  }
  return record.owner === owner ? record : undefined
}

/** Deletes this owner's stored response; false when there is none. */
export async function forget(conversations: Conversations, id: string, owner: string): Promise<boolean> {
  if (!(await load(conversations, id, owner))) return false
  return conversations.store.delete(keyOf(id))
}

/** 404 as OpenAI answers a response id it does not have (or that belongs to another key). */
export function responseNotFound(id: string, param: string | null = null): GatewayError {
  return new GatewayError(
    404,
    'invalid_request_error',
    param ? 'previous_response_not_found' : 'not_found',
    `${param ? 'Previous response' : 'Response'} with id '${id.slice(0, 256)}' not found.`,
    param,
  )
}

/**
 * The input items of a stored response as GET /v1/responses/{id}/input_items lists them: every item an
 * object with an id (a string input is a user message; messages get input_text/output_text parts).
 */
export function listedInputItems(stored: StoredResponse): JsonObject[] {
  const base = String(stored.response.id).replace(/^resp_/, '')
  return stored.input.map((item, index) => {
    const object: JsonObject = isObject(item) ? { ...item } : { type: 'message', role: 'user', content: item }
    if (object.type === undefined && object.role !== undefined) object.type = 'message'
    if (object.type === 'message' && typeof object.content === 'string') {
      const type = object.role === 'assistant' ? 'output_text' : 'input_text'
      object.content = [{ type, text: object.content }]
    }
    if (typeof object.id !== 'string') object.id = `msg_${base}${index.toString(16).padStart(4, '0')}`
    return object
  })
}

/** The final response in these whole events (response.completed, .incomplete or .failed), if one is there. */
export function finalResponseOf(events: Uint8Array): JsonObject | undefined {
  const bytes = Buffer.from(events.buffer, events.byteOffset, events.byteLength)
  if (!FINAL_TYPES.some((type) => bytes.includes(type))) return undefined
  // Whole events, already held to the deployment's max_sse_event_size by the relay: no bound of its own.
  const parser = new SseParser(events.byteLength + 1)
  let found: JsonObject | undefined
  for (const event of [...parser.push(events), ...parser.end()]) {
    try {
      const json = JSON.parse(event.data) as unknown
      if (isObject(json) && FINAL_TYPES.includes(String(json.type)) && isObject(json.response)) found = json.response
    } catch {}
  }
  return found
}

// --- internal ---

function isReference(item: unknown): boolean {
  return isObject(item) && item.type === 'item_reference' && typeof item.id === 'string'
}

/**
 * `item_reference` input items this key's stored responses made, replaced by the items themselves (as
 * input, asInput), so any deployment can take them. One it cannot resolve stays as it is: an upstream
 * that stores items itself (OpenAI) may know it; a translated one refuses it.
 */
async function resolveReferences(conversations: Conversations, call: ReadCall): Promise<void> {
  const owner = call.principal.id
  const input = call.json.input as unknown[]
  const resolved = await Promise.all(
    input.map(async (item) => {
      if (!isReference(item)) return item
      const text = await conversations.store.get(itemKeyOf((item as { id: string }).id))
      if (text === undefined) return item
      try {
        const stored = JSON.parse(text) as { owner: string; item: JsonObject }
        return (stored.owner === owner && asInput(stored.item)) || item
      } catch {
        return item
      }
    }),
  )
  call.json.input = resolved
  call.rewritten = true
}

function itemKeyOf(id: string): string {
  return `item:${id}`
}

const FINAL_TYPES = RESPONSE_END_EVENTS

function keyOf(id: string): string {
  return `resp:${id}`
}

function previousNotFound(id: string): GatewayError {
  return responseNotFound(id, 'previous_response_id')
}

/** A request's input as items: a string is one user message. */
function inputItems(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }]
  return Array.isArray(input) ? (input as unknown[]) : []
}

/**
 * A stored turn as the next request's input: its input, then its output as input items (asInput).
 */
function historyOf(stored: StoredResponse): unknown[] {
  const out = [...stored.input]
  const output = stored.response.output
  if (Array.isArray(output))
    for (const item of output) {
      const input = isObject(item) ? asInput(item) : undefined
      if (input) out.push(input)
    }
  return out
}

/**
 * An output item as an input item. Output messages become plain assistant messages and function calls
 * lose their item ids (an upstream other than the one that made them does not know them); reasoning
 * goes on only when it carries its encrypted content (otherwise only the upstream that made it could
 * resolve it): undefined then.
 */
function asInput(item: JsonObject): JsonObject | undefined {
  if (item.type === 'message') {
    const text = Array.isArray(item.content)
      ? item.content
          .map((part) => (isObject(part) ? (part.text ?? part.refusal ?? '') : ''))
          .filter((text): text is string => typeof text === 'string')
          .join('')
      : ''
    return { type: 'message', role: 'assistant', content: text }
  }
  if (item.type === 'function_call') {
    const call: JsonObject = {
      type: 'function_call',
      call_id: item.call_id ?? null,
      name: item.name ?? null,
      arguments: item.arguments ?? '',
    }
    // A namespaced tool's call (Codex's multi_agent_v1) names its namespace too.
    if (typeof item.namespace === 'string') call.namespace = item.namespace
    return call
  }
  if (item.type === 'reasoning') {
    if (typeof item.encrypted_content !== 'string') return undefined
    const { status: _status, ...reasoning } = item
    return reasoning
  }
  return item
}
