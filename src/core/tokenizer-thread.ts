// The tokenizer thread (tokenize-worker.ts): gpt-tokenizer's o200k_base loaded and run off the event
// loop, started on the first count and stopped after IDLE_MS without work. Loading the encoding takes
// 250-560 ms and ~120 MB; on the event loop that would hold every request. Both counts the gateway makes
// go through it: streams that end without usage (relay/usage-estimate.ts) and the local count_tokens
// estimate (providers/count-tokens-locally.ts), so the encoding is never in the main thread, nor in the
// main bundle (the binary holds it only in the worker's entry).
import { workerEntry } from './worker-entry'

/** The tokenizer thread stops after this long without work (its memory goes back). */
const IDLE_MS = 60_000

/** Token counts of `texts` (each counted in slices, count-sliced.ts), from the tokenizer thread. */
export function countInThread(texts: string[]): Promise<number[]> {
  return tokenizer().ask(texts)
}

interface Tokenizer {
  ask(texts: string[]): Promise<number[]>
}

let thread: Tokenizer | undefined

/** The tokenizer thread, started on first use; it stops itself after IDLE_MS without work. */
function tokenizer(): Tokenizer {
  if (thread) return thread
  const worker = new Worker(workerEntry(import.meta, 'core/tokenize-worker.ts'))
  // Counting must never keep the process alive (a shutdown waits for the streams, not for this).
  worker.unref()
  const waiting = new Map<number, { resolve: (counts: number[]) => void; reject: (err: Error) => void }>()
  let asked = 0
  let idle: Timer | undefined
  const stop = () => {
    if (waiting.size > 0) {
      idle = setTimeout(stop, IDLE_MS)
      idle.unref()
      return
    }
    worker.terminate()
    if (thread === self) thread = undefined
  }
  worker.onmessage = (event: MessageEvent<{ id: number; counts?: number[]; error?: string }>) => {
    const { id, counts, error } = event.data
    const waiter = waiting.get(id)
    if (!waiter) return
    waiting.delete(id)
    if (counts) waiter.resolve(counts)
    else waiter.reject(new Error(`the tokenizer failed: ${error}`))
  }
  worker.onerror = (event) => {
    for (const waiter of waiting.values()) waiter.reject(new Error(`the tokenizer thread failed: ${event.message}`))
    waiting.clear()
    if (thread === self) thread = undefined
  }
  const self: Tokenizer = {
    ask(texts) {
      clearTimeout(idle)
      idle = setTimeout(stop, IDLE_MS)
      idle.unref()
      const { promise, resolve, reject } = Promise.withResolvers<number[]>()
      waiting.set(++asked, { resolve, reject })
      worker.postMessage({ id: asked, texts })
      return promise
    },
  }
  thread = self
  return self
}
