// One store shared by the worker processes of one gateway (`workers = N`): the supervisor owns the real
// store (memory or SQLite, both of which belong to one process) and serves it on a Unix socket; each
// worker reaches it through `sharedStore`, a Store whose every call is one message to the owner. The
// owner runs the calls in the order they arrive, so every increment, reservation and log append is as
// exact across workers as it is inside one process. The same socket carries the cluster's own traffic:
// publish/subscribe between workers (admin changes reach every worker at once), and `gather`, which asks
// every worker for a snapshot (its metrics, in-flight requests, open streams) so that any worker can
// answer for the whole gateway.
//
// Wire: one JSON object per line. Worker → owner `{"i":n,"o":op,"a":[args]}`, answered `{"i":n,"r":v}` or
// `{"i":n,"e":"message"}`. Owner → worker pushes: `{"p":channel,"m":message}` (a publish) and `{"g":n}`
// (a snapshot wanted), answered `{"g":n,"s":snapshot}`. Messages written in one turn go out in one write.
//
// Measured on this machine (2 cores, Bun 1.3): a round trip on a Unix socket costs ~22 µs against ~37 µs
// through Bun's spawn IPC channel, and pipelined calls ~5 µs each.
import type { Socket, TCPSocketListener, UnixSocketListener } from 'bun'
import {
  type Entry,
  type LogRange,
  type LogRecord,
  type LogTrim,
  prefixed,
  type Reservation,
  type Store,
} from './store'

/** What a worker reports of itself when any worker gathers the gateway's state. */
export interface WorkerSnapshot {
  worker: number
  pid: number
  /** Its Prometheus exposition ('' when metrics are off). */
  metrics: string
  inflight: number
  openStreams: number
}

/** What the owner says about the store it serves, in answer to a worker's hello. */
export interface OwnerInfo {
  /** The kind of the owner's store; null when the workers open their own (Redis is shared by itself). */
  kind: Store['kind'] | null
  /** Where the owner's data lives, for the startup line. */
  location: string
  /** Whether the owner's store can wait for commits (SQLite with wait_for_commit). */
  durable: boolean
}

/** A worker's end of the channel. */
export interface OwnerLink {
  readonly info: OwnerInfo
  /** The owner's store, as a Store (rejects every call when `info.kind` is null). */
  readonly store: Store
  /** Tells the owner this worker serves; `detail` is passed to the supervisor as is. */
  ready(detail: unknown): Promise<void>
  /** Every live worker's snapshot, this one's included. */
  gather(): Promise<WorkerSnapshot[]>
  /** Called when the owner asks for this worker's snapshot. */
  onGather(snapshot: () => Promise<WorkerSnapshot>): void
  /** Called once when the owner is gone (the supervisor died or closed the socket). */
  onClose(handler: () => void): void
  close(): void
}

/** How long a gather waits for each worker before leaving it out. */
export const GATHER_TIMEOUT_MS = 2000

/** The store operations a worker may call, by wire name. */
const STORE_OPS = new Set([
  'get',
  'set',
  'add',
  'delete',
  'increment',
  'move',
  'reserve',
  'release',
  'list',
  'append',
  'recent',
  'trimLog',
])

type Message = Record<string, unknown>

/**
 * Line framing over a Bun socket: `send` queues a message and writes the turn's messages in one write
 * (the rest when the socket drains); `receive` splits what arrives into messages.
 */
class Lines {
  private out: Uint8Array[] = []
  private scheduled = false
  private backlog: Buffer | null = null
  private partial: Buffer[] = []
  constructor(
    private readonly socket: Socket<unknown>,
    private readonly onMessage: (message: Message) => void,
  ) {}

  send(message: Message): void {
    this.out.push(Buffer.from(`${JSON.stringify(message)}\n`))
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.flush()
    })
  }

  flush(): void {
    if (this.out.length === 0 && !this.backlog) return
    let data: Buffer
    if (this.backlog) {
      data = this.out.length ? Buffer.concat([this.backlog, ...this.out]) : this.backlog
    } else data = this.out.length === 1 ? (this.out[0] as Buffer) : Buffer.concat(this.out)
    this.out = []
    const written = this.socket.write(data)
    this.backlog = written < data.length ? data.subarray(Math.max(written, 0)) : null
  }

  receive(chunk: Buffer): void {
    let start = 0
    let newline = chunk.indexOf(10)
    if (newline < 0) {
      this.partial.push(chunk)
      return
    }
    while (newline >= 0) {
      let line: Buffer = chunk.subarray(start, newline)
      if (this.partial.length) {
        line = Buffer.concat([...this.partial, line])
        this.partial = []
      }
      let message: unknown
      try {
        message = JSON.parse(line.toString('utf8'))
      } catch {
        message = undefined
      }
      if (message && typeof message === 'object') this.onMessage(message as Message)
      start = newline + 1
      newline = chunk.indexOf(10, start)
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start))
  }
}

/** Connects a worker to the owner at `path` and says hello as worker `worker`. */
export async function connectOwner(path: string, worker: number): Promise<OwnerLink> {
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  let next = 0
  let snapshot: (() => Promise<WorkerSnapshot>) | undefined
  const subscribers = new Map<string, Set<(message: string) => void>>()
  let closeHandler: (() => void) | undefined
  let closed = false
  let lines!: Lines
  const onMessage = (m: Message) => {
    if (typeof m.i === 'number') {
      const call = pending.get(m.i)
      if (!call) return
      pending.delete(m.i)
      if (typeof m.e === 'string') call.reject(new Error(`shared store: ${m.e}`))
      else call.resolve(m.r)
    } else if (typeof m.p === 'string') {
      for (const handler of subscribers.get(m.p) ?? []) handler(String(m.m))
    } else if (typeof m.g === 'number') {
      const id = m.g
      const take = snapshot
        ? snapshot()
        : Promise.resolve({ worker, pid: process.pid, metrics: '', inflight: 0, openStreams: 0 })
      void take.then(
        (s) => lines.send({ g: id, s }),
        () => lines.send({ g: id, s: null }),
      )
    }
  }
  const gone = () => {
    if (closed) return
    closed = true
    for (const call of pending.values()) call.reject(new Error('shared store: the gateway supervisor is gone'))
    pending.clear()
    closeHandler?.()
  }
  const socket = await Bun.connect({
    unix: path,
    socket: {
      data: (_s, chunk) => lines.receive(chunk),
      drain: () => lines.flush(),
      close: gone,
      error: gone,
    },
  })
  lines = new Lines(socket as Socket<unknown>, onMessage)
  const call = <T>(op: string, args: unknown[]): Promise<T> => {
    if (closed) return Promise.reject(new Error('shared store: the gateway supervisor is gone'))
    const id = ++next
    const { promise, resolve, reject } = Promise.withResolvers<T>()
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    lines.send({ i: id, o: op, a: args })
    return promise
  }
  const info = await call<OwnerInfo>('hello', [worker, process.pid])
  const store: Store = {
    kind: info.kind ?? 'memory',
    get: (key) => call<string | undefined>('get', [key]),
    set: (key, value, ttlMs) => call<void>('set', [key, value, ttlMs]),
    add: (key, value) => call<boolean>('add', [key, value]),
    delete: (key) => call<boolean>('delete', [key]),
    increment: (key, by, ttlMs) => call<number>('increment', [key, by, ttlMs]),
    move: (from, to) => call<number>('move', [from, to]),
    reserve: (key, id, amount, limit, ttlMs) => call<Reservation>('reserve', [key, id, amount, limit, ttlMs]),
    release: (key, id) => call<void>('release', [key, id]),
    list: (prefix, limit) => call<Entry[]>('list', [prefix, limit]),
    append: (log, time, value) => call<void>('append', [log, time, value]),
    recent: (log, range: LogRange) => call<LogRecord[]>('recent', [log, range]),
    trimLog: (log, options: LogTrim) => call<number>('trimLog', [log, options]),
    async publish(channel, message) {
      await call('publish', [channel, message])
    },
    async subscribe(channel, onMessage) {
      let set = subscribers.get(channel)
      if (!set) subscribers.set(channel, (set = new Set()))
      set.add(onMessage)
      await call('subscribe', [channel])
      return async () => {
        set.delete(onMessage)
      }
    },
    ...(info.durable ? { durable: () => call<void>('durable', []) } : {}),
    namespace: (name) => prefixed(store, `${name}:`),
    close: async () => {},
  }
  return {
    info,
    store,
    ready: (detail) => call<void>('ready', [detail]),
    gather: () => call<WorkerSnapshot[]>('gather', []),
    onGather(fn) {
      snapshot = fn
    },
    onClose(handler) {
      closeHandler = handler
      if (closed) handler()
    },
    close() {
      closed = true
      socket.end()
    },
  }
}

/** The owner's view of its workers, for the supervisor. */
export interface OwnerEvents {
  /** A worker said it serves (its `ready` detail). */
  ready?(worker: number, pid: number, detail: unknown): void
}

export interface OwnerServer {
  stop(): void
}

interface Peer {
  lines: Lines
  worker: number | null
  pid: number | null
  channels: Set<string>
}

/**
 * Serves `store` (null: the workers open their own; only the cluster traffic is served) to the workers
 * on the Unix socket at `path`.
 */
export function serveOwner(store: Store | null, location: string, path: string, events: OwnerEvents = {}): OwnerServer {
  const peers = new Set<Peer>()
  const gathers = new Map<number, { waiting: number; snapshots: WorkerSnapshot[]; done(): void }>()
  let nextGather = 0
  const info: OwnerInfo = { kind: store?.kind ?? null, location, durable: typeof store?.durable === 'function' }
  const answer = (peer: Peer, id: number, work: () => unknown) => {
    let result: unknown
    try {
      result = work()
    } catch (err) {
      peer.lines.send({ i: id, e: (err as Error).message })
      return
    }
    if (result instanceof Promise)
      result.then(
        (r) => peer.lines.send(r === undefined ? { i: id } : { i: id, r }),
        (err: Error) => peer.lines.send({ i: id, e: err?.message ?? String(err) }),
      )
    else peer.lines.send(result === undefined ? { i: id } : { i: id, r: result })
  }
  const gather = (): Promise<WorkerSnapshot[]> => {
    const id = ++nextGather
    const workers = [...peers].filter((p) => p.worker !== null)
    const { promise, resolve } = Promise.withResolvers<WorkerSnapshot[]>()
    const snapshots: WorkerSnapshot[] = []
    const done = () => {
      clearTimeout(timer)
      gathers.delete(id)
      resolve(snapshots.sort((a, b) => a.worker - b.worker))
    }
    const timer = setTimeout(done, GATHER_TIMEOUT_MS)
    gathers.set(id, { waiting: workers.length, snapshots, done })
    if (workers.length === 0) done()
    for (const p of workers) p.lines.send({ g: id })
    return promise
  }
  const onMessage = (peer: Peer, m: Message) => {
    if (typeof m.g === 'number') {
      const g = gathers.get(m.g)
      if (!g) return
      if (m.s && typeof m.s === 'object') g.snapshots.push(m.s as WorkerSnapshot)
      if (--g.waiting <= 0) g.done()
      return
    }
    if (typeof m.i !== 'number' || typeof m.o !== 'string') return
    const id = m.i
    const op = m.o
    const args = Array.isArray(m.a) ? m.a : []
    if (STORE_OPS.has(op)) {
      if (!store) {
        peer.lines.send({ i: id, e: 'this gateway has no shared store (each worker opens its own storage)' })
        return
      }
      const fn = (store as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!
      // null stands for an argument JSON could not carry (undefined): the store's default applies.
      answer(peer, id, () =>
        fn.apply(
          store,
          args.map((a) => (a === null ? undefined : a)),
        ),
      )
      return
    }
    switch (op) {
      case 'hello':
        peer.worker = typeof args[0] === 'number' ? args[0] : null
        peer.pid = typeof args[1] === 'number' ? args[1] : null
        peer.lines.send({ i: id, r: info })
        return
      case 'ready':
        if (peer.worker !== null) events.ready?.(peer.worker, peer.pid ?? 0, args[0])
        peer.lines.send({ i: id })
        return
      case 'durable':
        answer(peer, id, () => store?.durable?.())
        return
      case 'subscribe':
        peer.channels.add(String(args[0]))
        peer.lines.send({ i: id })
        return
      case 'publish': {
        const channel = String(args[0])
        const message = String(args[1])
        for (const p of peers) if (p.channels.has(channel)) p.lines.send({ p: channel, m: message })
        peer.lines.send({ i: id })
        return
      }
      case 'gather':
        answer(peer, id, gather)
        return
      default:
        peer.lines.send({ i: id, e: `unknown operation ${op}` })
    }
  }
  const forget = (socket: Socket<Peer>) => {
    const peer = socket.data
    if (!peer || !peers.delete(peer)) return
    // A gather waiting on this worker stops waiting for it.
    if (peer.worker !== null) for (const g of gathers.values()) if (--g.waiting <= 0) g.done()
  }
  const listener: UnixSocketListener<Peer> | TCPSocketListener<Peer> = Bun.listen<Peer>({
    unix: path,
    socket: {
      open(socket) {
        const peer: Peer = { worker: null, pid: null, channels: new Set(), lines: null as unknown as Lines }
        peer.lines = new Lines(socket as unknown as Socket<unknown>, (m) => onMessage(peer, m))
        socket.data = peer
        peers.add(peer)
      },
      data: (socket, chunk) => socket.data.lines.receive(chunk),
      drain: (socket) => socket.data.lines.flush(),
      close: forget,
      error: forget,
    },
  })
  return {
    stop() {
      listener.stop(true)
    },
  }
}
