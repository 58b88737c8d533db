// The SQLite checkpointer, on its own thread: copies the WAL back into the database file (and fsyncs)
// every `intervalMs`, so that the event loop's connection, which has auto-checkpoints turned off, never
// stalls a request on a checkpoint's disk writes. PASSIVE: it never waits for, nor blocks, the writer.
// Sent { notify: n }, it posts { checkpointed: n } after its next checkpoint (tests await that event).
import { Database } from 'bun:sqlite'

declare const self: Worker

interface Start {
  path: string
  intervalMs: number
}

let db: Database | undefined
let timer: Timer | undefined
/** The newest { notify } received: someone waits for the next checkpoint (0: no one). */
let notify = 0

self.onmessage = (event: MessageEvent<Start | 'stop' | { notify: number }>) => {
  if (typeof event.data === 'object' && 'notify' in event.data) {
    notify = event.data.notify
    return
  }
  if (event.data === 'stop') {
    clearInterval(timer)
    db?.close()
    db = undefined
    self.postMessage('stopped')
    return
  }
  const { path, intervalMs } = event.data
  db = new Database(path)
  db.run('PRAGMA busy_timeout = 5000')
  timer = setInterval(() => {
    try {
      db?.run('PRAGMA wal_checkpoint(PASSIVE)')
      if (notify) {
        self.postMessage({ checkpointed: notify })
        notify = 0
      }
    } catch (err) {
      self.postMessage({ error: err instanceof Error ? err.message : String(err) })
    }
  }, intervalMs)
  self.postMessage('started')
}
