// Server-sent events at the byte level, for streams relayed without being parsed: where events end,
// and whether the last one is the stream's end marker. One byte search each; nothing is decoded.
// https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

const DONE = new TextEncoder().encode('[DONE]')

/** Index just past the last blank line (\n\n or \n\r\n) in `bytes`; 0 when there is none. */
export function endOfLastEvent(bytes: Uint8Array): number {
  const n = bytes.length
  if (n >= 2 && bytes[n - 1] === 10 && (bytes[n - 2] === 10 || (bytes[n - 2] === 13 && bytes[n - 3] === 10))) return n
  for (let i = n - 1; i > 0; i--) {
    if (bytes[i] !== 10) continue
    if (bytes[i - 1] === 10 || (bytes[i - 1] === 13 && i > 1 && bytes[i - 2] === 10)) return i + 1
  }
  return 0
}

/** Index just past the first blank line at or after `from`; -1 when the rest holds no whole event. */
export function endOfEvent(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(10, from); i !== -1; i = bytes.indexOf(10, i + 1)) {
    const next = bytes[i + 1]
    if (next === 10) return i + 2
    if (next === 13 && bytes[i + 2] === 10) return i + 3
  }
  return -1
}

/** True when the last event in these whole events is `data: [DONE]` (OpenAI's end marker). */
export function endsWithDone(bytes: Uint8Array): boolean {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13 || bytes[end - 1] === 32)) end--
  if (end < DONE.length) return false
  for (let i = 0; i < DONE.length; i++) if (bytes[end - DONE.length + i] !== DONE[i]) return false
  return true
}

/**
 * True when the last event in these whole events names `marker` (Anthropic's `message_stop`: its
 * `event:` line and its data's type both say it).
 */
export function endsWithEvent(bytes: Uint8Array, marker: Uint8Array): boolean {
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--
  // The last event starts after the previous blank line.
  let start = end - 1
  while (
    start > 0 &&
    !(bytes[start] === 10 && (bytes[start - 1] === 10 || (bytes[start - 1] === 13 && bytes[start - 2] === 10)))
  )
    start--
  return (
    Buffer.from(bytes.buffer, bytes.byteOffset + Math.max(0, start), end - Math.max(0, start)).indexOf(marker) !== -1
  )
}

/** True when `bytes` hold only line ends and spaces (what may trail a stream's last event). */
export function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 10 && b !== 13 && b !== 32) return false
  return true
}
