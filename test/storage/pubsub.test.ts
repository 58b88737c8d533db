// Redis publish/subscribe through the Store interface: channels are namespaced like keys (so two
// extensions, or two gateways on different prefixes, never hear each other), unsubscribing stops
// delivery, and stores on separate clients (separate processes, in production) hear each other.
// Waits await the message itself; "nothing arrived" is proven by a later message that did arrive on
// the same publisher, or by Redis's own subscriber count.
import { afterAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { redisStore } from '../../src/storage/redis'
import type { Store } from '../../src/storage/store'
import { closedPort } from '../support/mock-upstream'
import { closeAll, openSharedRedis, REDIS_URL } from '../support/stores'

afterAll(closeAll)

/** Collects the messages of one subscription and lets a test await the n-th. */
function inbox() {
  const messages: string[] = []
  const waiters: { n: number; resolve: () => void }[] = []
  return {
    messages,
    on: (message: string) => {
      messages.push(message)
      for (const w of waiters.filter((w) => messages.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    },
    until(n: number): Promise<void> {
      if (messages.length >= n) return Promise.resolve()
      const { promise, resolve } = Promise.withResolvers<void>()
      waiters.push({ n, resolve })
      return promise
    },
  }
}

async function subscribers(channel: string): Promise<number> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
  try {
    const [, n] = (await client.pubsub('NUMSUB', channel)) as [string, number]
    return Number(n)
  } finally {
    await client.quit()
  }
}

describe('redis pub/sub through the Store', () => {
  test('a store on another client hears what one store publishes, both ways', async () => {
    const { stores } = await openSharedRedis(2)
    const [a, b] = stores as [Store, Store]
    const atA = inbox()
    const atB = inbox()
    const offA = await a.subscribe!('news', atA.on)
    const offB = await b.subscribe!('news', atB.on)
    await a.publish!('news', 'from a')
    await b.publish!('news', 'from b')
    await Promise.all([atA.until(2), atB.until(2)])
    // Redis delivers in publish order on each connection.
    expect(atA.messages).toEqual(['from a', 'from b'])
    expect(atB.messages).toEqual(['from a', 'from b'])
    await offA()
    await offB()
  })

  test('namespaces isolate channels: a namespace hears only its own channel', async () => {
    const { stores } = await openSharedRedis(2)
    const [a, b] = stores as [Store, Store]
    const admin = inbox()
    const other = inbox()
    const root = inbox()
    const offs = [
      await b.namespace('admin').subscribe!('changes', admin.on),
      await b.namespace('other').subscribe!('changes', other.on),
      await b.subscribe!('changes', root.on),
    ]
    await a.namespace('other').publish!('changes', 'for other')
    await a.publish!('changes', 'for root')
    await a.namespace('admin').publish!('changes', 'for admin')
    await Promise.all([admin.until(1), other.until(1), root.until(1)])
    // A later message on the same connection arrived, so the earlier ones would have too.
    await a.namespace('admin').publish!('changes', 'again')
    await admin.until(2)
    expect(admin.messages).toEqual(['for admin', 'again'])
    expect(other.messages).toEqual(['for other'])
    expect(root.messages).toEqual(['for root'])
    for (const off of offs) await off()
  })

  test('stores on different key prefixes do not hear each other', async () => {
    const one = await openSharedRedis(1)
    const two = await openSharedRedis(1)
    const heard = inbox()
    const control = inbox()
    const off = await two.stores[0]!.subscribe!('changes', heard.on)
    const offControl = await one.stores[0]!.subscribe!('changes', control.on)
    await one.stores[0]!.publish!('changes', 'prefix one')
    await two.stores[0]!.publish!('changes', 'prefix two')
    await Promise.all([heard.until(1), control.until(1)])
    expect(heard.messages).toEqual(['prefix two'])
    expect(control.messages).toEqual(['prefix one'])
    await off()
    await offControl()
  })

  test('unsubscribe stops delivery and releases the subscriber connection', async () => {
    const { prefix, stores } = await openSharedRedis(2)
    const [a, b] = stores as [Store, Store]
    const first = inbox()
    const second = inbox()
    const offFirst = await b.subscribe!('news', first.on)
    const offSecond = await b.subscribe!('news', second.on)
    expect(await subscribers(`${prefix}chan:news`)).toBe(2)
    await a.publish!('news', 'one')
    await Promise.all([first.until(1), second.until(1)])

    await offFirst()
    expect(await subscribers(`${prefix}chan:news`)).toBe(1)
    await a.publish!('news', 'two')
    await second.until(2)
    expect(second.messages).toEqual(['one', 'two'])
    expect(first.messages).toEqual(['one'])

    await offSecond()
    expect(await subscribers(`${prefix}chan:news`)).toBe(0)
    // Unsubscribing twice is harmless.
    await offSecond()
  })

  test('one store can subscribe to several channels, each handler hears its own', async () => {
    const { stores } = await openSharedRedis(1)
    const store = stores[0]!
    const x = inbox()
    const y = inbox()
    const offX = await store.subscribe!('x', x.on)
    const offY = await store.subscribe!('y', y.on)
    await store.publish!('y', 'to y')
    await store.publish!('x', 'to x')
    await Promise.all([x.until(1), y.until(1)])
    expect(x.messages).toEqual(['to x'])
    expect(y.messages).toEqual(['to y'])
    await offX()
    await offY()
  })
})

describe('redis subscribe failures', () => {
  test('a subscription that cannot be made rejects and leaves no reconnecting connection behind', async () => {
    const port = await closedPort()
    const client = new Redis(`redis://127.0.0.1:${port}`, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 20,
    })
    client.on('error', () => {})
    const made: Redis[] = []
    const duplicate = client.duplicate.bind(client)
    client.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const d = duplicate(...args)
      made.push(d)
      return d
    }
    const store = redisStore(client, { keyPrefix: 'crabllm-test-unreachable:' })
    await expect(store.subscribe!('changes', () => {})).rejects.toThrow()
    expect(made).toHaveLength(1)
    // Closed for good: ended, or (an ioredis quirk: disconnect() while waiting to reconnect) stopped
    // with no reconnect scheduled. Without the fix it reconnects every 20 ms forever and this never settles.
    const subscriber = made[0]!
    const internals = subscriber as unknown as { reconnectTimeout: unknown; manuallyClosing: boolean }
    const stopped = () =>
      subscriber.status === 'end' ||
      (subscriber.status === 'reconnecting' && internals.reconnectTimeout == null && internals.manuallyClosing)
    if (!stopped()) await new Promise((resolve) => subscriber.once('end', resolve))
    expect(stopped()).toBe(true)
    client.disconnect()
  })
})
