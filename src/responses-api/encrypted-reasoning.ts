// A reasoning item's `encrypted_content`, as the gateway writes it: the chat answer's signed thinking
// blocks (core/reasoning.ts), sealed so that a client echoing the item back (Codex does, with
// `include: ["reasoning.encrypted_content"]` and `store: false`) gives the next turn the exact blocks
// Anthropic-style upstreams need to verify their signatures.
//
// The form is `crabllm:v1:` + base64url(JSON of the blocks). It is marked, not encrypted: the blocks
// carry no secret (the thinking text is in the summary, a signature or a redacted block is opaque to
// everyone but the model's vendor, which verifies it), and a forged one fails there, not here. An
// encrypted_content without the mark is OpenAI's (a conversation that moved from OpenAI): no other
// upstream can read it, so the translator drops it and keeps the item's summary text.
import { isObject } from '../core/json'
import type { ThinkingBlock } from '../core/reasoning'

export const SEAL_PREFIX = 'crabllm:v1:'

/** The sealed blocks, or undefined when none carries what text cannot (a signature, a redacted block). */
export function sealThinkingBlocks(blocks: readonly ThinkingBlock[]): string | undefined {
  if (!blocks.some((b) => b.type === 'redacted_thinking' || (b.signature !== undefined && b.signature !== '')))
    return undefined
  return SEAL_PREFIX + Buffer.from(JSON.stringify(blocks), 'utf8').toString('base64url')
}

/**
 * What an item's encrypted_content holds: `foreign` for one the gateway did not write (dropped by the
 * caller), `corrupt` for one with the gateway's mark that does not read back, else the blocks.
 */
export function unsealThinkingBlocks(value: string): ThinkingBlock[] | 'foreign' | 'corrupt' {
  if (!value.startsWith(SEAL_PREFIX)) return 'foreign'
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(value.slice(SEAL_PREFIX.length), 'base64url').toString('utf8'))
  } catch {
    return 'corrupt'
  }
  if (!Array.isArray(parsed)) return 'corrupt'
  const blocks: ThinkingBlock[] = []
  for (const block of parsed) {
    const read = readThinkingBlock(block)
    if (!read) return 'corrupt'
    blocks.push(read)
  }
  return blocks
}

/** One thinking block as chat carries it, or undefined when `value` is not one. */
export function readThinkingBlock(value: unknown): ThinkingBlock | undefined {
  if (!isObject(value)) return undefined
  if (value.type === 'redacted_thinking')
    return typeof value.data === 'string' ? { type: 'redacted_thinking', data: value.data } : undefined
  if (value.type !== 'thinking' || typeof value.thinking !== 'string') return undefined
  if (value.signature === undefined || value.signature === null) return { type: 'thinking', thinking: value.thinking }
  if (typeof value.signature !== 'string') return undefined
  return { type: 'thinking', thinking: value.thinking, signature: value.signature }
}
