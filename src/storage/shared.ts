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
// Measured on this machine (2 cores, Bun 1.4): a round trip on a Unix socket costs ~22 µs against ~37 µs
// through Bun's spawn IPC channel, and pipelined calls ~5 µs each.
import type { Socket, TCPSocketListener, UnixSocketListener } from 'bun'
import {
  checkIncrement,
  checkKey,
  checkSettle,
  checkTime,
  checkTtl,
  type Entry,
  type LogRange,
  type LogRecord,
  type LogTrim,
  prefixed,
  type Reservation,
  type Store,
} from './store'

/** The turn's increments of one counter (same key, same TTL), sent as one. */
interface Increment {
  key: string
  by: number
  ttlMs: number | undefined
  /** Each caller's share: the running sum up to and including its own increment. */
  waiters: { upTo: number; resolve(value: number): void; reject(error: Error): void }[]
}

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
  'settle',
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
  /** Messages not yet handed to the socket, as text. */
  private pending = ''
  private scheduled = false
  /** Bytes the socket did not take at the last write: sent first when it drains. */
  private backlog: Buffer | null = null
  private partial: Buffer[] = []
  constructor(
    private readonly socket: Socket<unknown>,
    private readonly onMessage: (message: Message) => void,
    /** Runs before each write: the last messages of the turn (coalesced increments, a commit wait). */
    private readonly beforeFlush?: () => void,
  ) {}

  send(message: Message): void {
    this.pending += `${JSON.stringify(message)}\n`
    this.schedule()
  }

  /** Makes sure a write happens at the end of this turn. */
  schedule(): void {
    if (this.scheduled || this.backlog) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flush()
    })
  }

  /** Writes what is pending, unless the socket is still full (then its drain calls this again). */
  flush(): void {
    this.beforeFlush?.()
    if (this.backlog) {
      const written = this.socket.write(this.backlog)
      if (written < this.backlog.length) {
        this.backlog = this.backlog.subarray(Math.max(written, 0))
        return
      }
      this.backlog = null
    }
    if (this.pending === '') return
    const data = Buffer.from(this.pending)
    this.pending = ''
    const written = this.socket.write(data)
    if (written < data.length) this.backlog = data.subarray(Math.max(written, 0))
  }

  /** Splits what arrived into messages: whole lines are decoded and parsed in one step. */
  receive(chunk: Buffer): void {
    const last = chunk.lastIndexOf(10)
    if (last < 0) {
      this.partial.push(chunk)
      return
    }
    let text: string
    if (this.partial.length) {
      text = Buffer.concat([...this.partial, chunk.subarray(0, last + 1)]).toString('utf8')
      this.partial = []
    } else text = chunk.toString('utf8', 0, last + 1)
    if (last + 1 < chunk.length) this.partial.push(chunk.subarray(last + 1))
    // JSON text never holds a raw newline, so the lines joined by commas are one JSON array.
    let messages: unknown
    try {
      messages = JSON.parse(`[${text.slice(0, -1).replaceAll('\n', ',')}]`)
    } catch {
      messages = text
        .slice(0, -1)
        .split('\n')
        .map((line) => {
          try {
            return JSON.parse(line)
          } catch {
            return undefined
          }
        })
    }
    for (const m of messages as unknown[]) if (m && typeof m === 'object') this.onMessage(m as Message)
  }
}

/** What every call of a worker whose supervisor is gone rejects with. */
function supervisorGone(): Error {
  return new Error('shared store: the gateway supervisor is gone')
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
    for (const call of pending.values()) call.reject(supervisorGone())
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
  // What a turn's calls cost the owner is mostly per message, so a turn's increments of one counter
  // go as one message (each caller gets the value its own increment made, as if they had run one
  // after another), the turn's commit waits as one (sent last, so it covers every write before it),
  // and appends and bare releases of holds, whose answer is nothing, go without one.
  let increments = new Map<string, Increment>()
  let commitWaiters: { resolve(): void; reject(error: Error): void }[] = []
  const sendIncrements = () => {
    if (increments.size === 0) return
    const batch = increments
    increments = new Map()
    for (const inc of batch.values())
      request<number>('increment', [inc.key, inc.by, inc.ttlMs]).then(
        (total) => {
          for (const w of inc.waiters) w.resolve(total - inc.by + w.upTo)
        },
        (err: Error) => {
          for (const w of inc.waiters) w.reject(err)
        },
      )
  }
  const endOfTurn = () => {
    sendIncrements()
    if (commitWaiters.length === 0) return
    const waiters = commitWaiters
    commitWaiters = []
    request<void>('durable', []).then(
      () => {
        for (const w of waiters) w.resolve()
      },
      (err: Error) => {
        for (const w of waiters) w.reject(err)
      },
    )
  }
  lines = new Lines(socket as Socket<unknown>, onMessage, endOfTurn)
  const request = <T>(op: string, args: unknown[]): Promise<T> => {
    if (closed) return Promise.reject(supervisorGone())
    const id = ++next
    const { promise, resolve, reject } = Promise.withResolvers<T>()
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
    lines.send({ i: id, o: op, a: args })
    return promise
  }
  /** Any other call goes after the increments made before it, so it sees them. */
  const call = <T>(op: string, args: unknown[]): Promise<T> => {
    sendIncrements()
    return request<T>(op, args)
  }
  /** A call whose answer is nothing: sent without an id; the owner answers it with nothing. */
  const post = (op: string, args: unknown[]): Promise<void> => {
    if (closed) return Promise.reject(supervisorGone())
    sendIncrements()
    lines.send({ o: op, a: args })
    return Promise.resolve()
  }
  const increment = (key: string, by = 1, ttlMs?: number): Promise<number> => {
    if (closed) return Promise.reject(supervisorGone())
    try {
      checkKey(key)
      checkIncrement(by)
      checkTtl(ttlMs)
    } catch (err) {
      return Promise.reject(err)
    }
    const group = `${ttlMs ?? ''}\u0000${key}`
    let inc = increments.get(group)
    if (!inc) increments.set(group, (inc = { key, by: 0, ttlMs, waiters: [] }))
    inc.by += by
    const { promise, resolve, reject } = Promise.withResolvers<number>()
    inc.waiters.push({ upTo: inc.by, resolve, reject })
    lines.schedule()
    return promise
  }
  const info = await request<OwnerInfo>('hello', [worker, process.pid])
  const store: Store = {
    kind: info.kind ?? 'memory',
    get: (key) => call<string | undefined>('get', [key]),
    set: (key, value, ttlMs) => call<void>('set', [key, value, ttlMs]),
    add: (key, value) => call<boolean>('add', [key, value]),
    delete: (key) => call<boolean>('delete', [key]),
    increment,
    move: (from, to) => call<number>('move', [from, to]),
    reserve: (key, id, amount, limit, ttlMs) => call<Reservation>('reserve', [key, id, amount, limit, ttlMs]),
    settle: (key, id, by = 0, counter, ttlMs) => {
      try {
        checkSettle(key, by, counter, ttlMs)
      } catch (err) {
        return Promise.reject(err)
      }
      // The owner runs it as one step. A charge is answered (its failure is the caller's to know); a
      // bare release goes without an answer.
      return by > 0 ? call<void>('settle', [key, id, by, counter, ttlMs]) : post('settle', [key, id])
    },
    list: (prefix, limit) => call<Entry[]>('list', [prefix, limit]),
    append: (log, time, value) => {
      try {
        checkKey(log)
        checkTime(time)
      } catch (err) {
        return Promise.reject(err)
      }
      return post('append', [log, time, value])
    },
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
    ...(info.durable
      ? {
          durable: () => {
            if (closed) return Promise.reject(supervisorGone())
            const { promise, resolve, reject } = Promise.withResolvers<void>()
            commitWaiters.push({ resolve, reject })
            lines.schedule()
            return promise
          },
        }
      : {}),
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
    if (typeof m.o !== 'string') return
    if (typeof m.i !== 'number') {
      // A post (append, a settle that only gives back its hold): run in order, answered with nothing.
      if (store && (m.o === 'append' || m.o === 'settle')) {
        const args = (Array.isArray(m.a) ? m.a : []) as [string, number & string, string]
        const done = m.o === 'append' ? store.append(args[0], args[1], args[2]) : store.settle(args[0], args[1])
        done.catch(() => {})
      }
      return
    }
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
