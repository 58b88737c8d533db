// The tokenizer's thread: counts tokens of texts with gpt-tokenizer's o200k_base, off the event loop.
// Loading the encoding takes 250-560 ms and ~120 MB, and counting runs at about 40 MB/s: on the event
// loop either would hold every request (measured: /health 250 ms late on the first estimated stream).
// Sent { id, texts }, it posts { id, counts } (or { id, error }).
import { type Count, countSliced } from '../core/count-sliced'

declare const self: Worker

interface Ask {
  id: number
  texts: string[]
}

let loading: Promise<Count> | undefined

self.onmessage = async (event: MessageEvent<Ask>) => {
  const { id, texts } = event.data
  try {
    loading ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens)
    const count = await loading
    self.postMessage({ id, counts: texts.map((text) => (text ? countSliced(text, count) : 0)) })
  } catch (err) {
    self.postMessage({ id, error: err instanceof Error ? err.message : String(err) })
  }
}
