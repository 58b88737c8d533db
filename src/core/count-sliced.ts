// Token counts of long texts in bounded time: the tokenizer thread (core/tokenize-worker.ts) and the
// local count_tokens estimate (providers/count-tokens-locally.ts) both count through it.

/** A tokenizer's count of one text. */
export type Count = (text: string) => number

/**
 * Byte-pair encoding is quadratic in the length of one unbroken run of characters (measured: 16 KiB of
 * "x" 0.4 s, 64 KiB 7 s), so runs longer than SLICE (base64, minified code, a hostile stream of one
 * letter) are counted in SLICE-character pieces: ~16 ns a character, off by at most a token a piece.
 */
export function countSliced(text: string, count: Count): number {
  if (!HAS_LONG_RUN.test(text)) return count(text)
  let total = 0
  let from = 0
  for (const run of text.matchAll(LONG_RUN)) {
    total += count(text.slice(from, run.index))
    for (let at = 0; at < run[0].length; at += SLICE) total += count(run[0].slice(at, at + SLICE))
    from = run.index + run[0].length
  }
  return total + count(text.slice(from))
}

const SLICE = 512
const HAS_LONG_RUN = new RegExp(`\\S{${SLICE + 1}}`)
/** Global: matchAll copies it, so its own lastIndex is never moved. */
const LONG_RUN = new RegExp(`\\S{${SLICE + 1},}`, 'g')
