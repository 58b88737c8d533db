// Server-sent events, the writing side: the frames translators and the gateway's own in-band errors are
// written with (OpenAI's `data:` frames and [DONE]; Anthropic's named events).

/** `data: <json>\n\n`, the OpenAI chunk frame. */
export function dataFrame(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`
}

/** `event: <name>\ndata: <json>\n\n`, the Anthropic frame (event name and `type` agree). */
export function namedFrame(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`
}

export const DONE_FRAME = 'data: [DONE]\n\n'
