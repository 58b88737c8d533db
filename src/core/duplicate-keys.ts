// Duplicate keys in a JSON text. JSON.parse keeps the last of two equal keys in one object, while an
// upstream may keep the first: the gateway would check the allowlist and price one `model` and the
// provider run the other, and the cache would file the answer to one request under another's key.
// RFC 8259 leaves duplicates to the reader; I-JSON (RFC 7493) forbids them, and so does the gateway.
//
// Two steps, both on text JSON.parse has already accepted (so the grammar is trusted):
// - hasNoDuplicateKeys, a proof for the usual body in a few native searches: when no quote is followed
//   by a blank, every key's closing quote is followed by ':' at once, so the text holds at least as many
//   '":' as keys; if it holds exactly as many as the parsed value has, no key was lost to a duplicate.
// - duplicateKey, the exact scan for the rest: a string is a key when the next non-blank character after
//   it is ':', and a key belongs to the innermost open object.

/**
 * True when `text` provably has no duplicate key, given `keys`, the number of keys of the value
 * JSON.parse made of it. False means "not proven", not "duplicated": run duplicateKey.
 */
export function hasNoDuplicateKeys(text: string, keys: number): boolean {
  if (BLANK_AFTER_QUOTE.test(text)) return false
  let found = 0
  for (let at = text.indexOf('":'); at !== -1; at = text.indexOf('":', at + 2)) if (++found > keys) return false
  return found === keys
}

/** The first key that appears twice in one object of `text` (valid JSON), unescaped; undefined if none. */
export function duplicateKey(text: string): string | undefined {
  // The keys of each open object by depth, one set per depth reused from object to object.
  const open: Set<string>[] = []
  let depth = -1
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at)
    if (char === OPEN) {
      depth++
      const keys = open[depth]
      if (keys) keys.clear()
      else open[depth] = new Set()
    } else if (char === CLOSE) depth--
    else if (char === QUOTE) {
      const end = stringEnd(text, at + 1)
      if (isKey(text, end + 1)) {
        let key = text.slice(at + 1, end)
        if (key.includes('\\')) key = JSON.parse(`"${key}"`) as string
        const keys = open[depth]!
        if (keys.has(key)) return key
        keys.add(key)
      }
      at = end
    }
  }
  return undefined
}

// --- internal ---

const BLANK_AFTER_QUOTE = /"[ \t\n\r]/
const OPEN = 0x7b // {
const CLOSE = 0x7d // }
const QUOTE = 0x22 // "
const BACKSLASH = 0x5c
const COLON = 0x3a

/** The index of the quote that ends the string whose content starts at `from` (the text's end if none). */
function stringEnd(text: string, from: number): number {
  for (let at = text.indexOf('"', from); ; at = text.indexOf('"', at + 1)) {
    if (at === -1) return text.length
    let slashes = 0
    while (text.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++
    if (slashes % 2 === 0) return at
  }
}

/** True when the first non-blank character from `at` is ':' (the string before it was a key). */
function isKey(text: string, at: number): boolean {
  for (let c = text.charCodeAt(at); ; c = text.charCodeAt(++at)) {
    if (c === COLON) return true
    // JSON's blanks: space, tab, line feed, carriage return.
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false
  }
}
