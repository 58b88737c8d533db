// A deterministic stand-in tokenizer for the echo provider: words, numbers and single punctuation
// marks each count as one token. Honest in that the same text always counts the same and more text
// counts more; it is not any real model's tokenizer.

const TOKEN = /[\p{L}\p{M}]+|\p{N}+|[^\s\p{L}\p{M}\p{N}]/gu

/** The tokens of a text, in order (used to split streamed replies, too). */
export function splitTokens(text: string): string[] {
  return text.match(TOKEN) ?? []
}

export function countTokens(text: string): number {
  let n = 0
  TOKEN.lastIndex = 0
  while (TOKEN.exec(text)) n++
  return n
}

/** Chat prompts count like OpenAI's: each message costs 3 tokens plus its text; every reply is primed with 3. */
export function countPromptTokens(messages: readonly { text: string }[]): number {
  let n = 3
  for (const m of messages) n += 3 + countTokens(m.text)
  return n
}
