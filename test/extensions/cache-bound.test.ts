// The cache's size bound (issue [2/6], finding 14: a TTL-only cache took 20,000 unique 64 KiB answers to
// 1.41 GB of RSS), on memory, SQLite and Redis: the extension driven directly. What is stored stays
// within max_bytes, the oldest entries go first, the index is trimmed with them, an answer larger than
// the cache is not stored, and gateways sharing one Redis stay within one bound together.
import { afterAll, describe, expect, test } from 'bun:test'
import { catalogOf } from '../../src/catalog'
import { parseConfig } from '../../src/config/load'
import { memoryLogger } from '../../src/core/log'
import { cacheExtension } from '../../src/extensions/cache'
import { BYTES, ENTRY_OVERHEAD, STORED } from '../../src/extensions/cache/bound'
import type { Extension, RequestContext } from '../../src/extensions/types'
import { PROVIDER_RULES } from '../../src/providers'
import type { Store } from '../../src/storage/store'
import { BACKENDS, closeAll, openSharedRedis } from '../support/stores'

afterAll(closeAll)

const config = parseConfig(
  '[providers.local]\nkind = "echo"\nmodels = ["echo"]\n[extensions.cache]\n',
  'test.toml',
  PROVIDER_RULES,
  {},
)
const encoder = new TextEncoder()
const MAX = 64 * 1024

/** The cache extension on `store` (its namespace), with its deferred writes collected. */
function cacheOn(store: Store, maxBytes = MAX) {
  const writes: Promise<unknown>[] = []
  const ext = cacheExtension({
    options: { ttl_seconds: 600, max_bytes: maxBytes },
    config,
    store,
    log: memoryLogger('error'),
    defer: (w) => void writes.push(w),
    catalog: catalogOf(config),
    principals: () => [],
  })
  /** Waits for every write, those the writes deferred in turn (evictions) included. */
  const settle = async () => {
    for (let n = -1; n !== writes.length; ) {
      n = writes.length
      await Promise.all(writes)
    }
  }
  return { ext, settle }
}

/** Asks for `content`, then answers it with an answer of about `size` bytes: a miss, then a store. */
async function answer(ext: Extension, content: string, size: number): Promise<void> {
  const ctx = contextFor(content)
  expect(await ext.onCacheLookup!(ctx)).toBeUndefined()
  ctx.status = 200
  const completion = {
    id: `chatcmpl-${content}`,
    object: 'chat.completion',
    created: 1,
    model: 'echo',
    choices: [{ index: 0, message: { role: 'assistant', content: 'x'.repeat(size) }, finish_reason: 'stop' }],
  }
  await ext.onResponse!(ctx, encoder.encode(JSON.stringify(completion)))
}

const isHit = async (ext: Extension, content: string) =>
  (await ext.onCacheLookup!(contextFor(content)))?.headers.get('x-crabllm-cache') === 'hit'

/** The bytes of the entries stored (what the backend holds for them, values only). */
async function storedBytes(store: Store): Promise<{ entries: number; bytes: number }> {
  const entries = await store.list('entry:', 100_000)
  return { entries: entries.length, bytes: entries.reduce((n, e) => n + encoder.encode(e.value).length, 0) }
}

describe.each(BACKENDS)('cache size bound on $name', (backend) => {
  test('stores stay within max_bytes; the oldest entries are evicted first, and their index with them', async () => {
    const store = (await backend.open()).namespace('cache')
    const { ext, settle } = cacheOn(store)
    const asked = Array.from({ length: 100 }, (_, i) => `question ${String(i).padStart(3, '0')}`)
    for (const content of asked) {
      await answer(ext, content, 4000)
      await settle()
      expect((await storedBytes(store)).bytes).toBeLessThanOrEqual(MAX)
    }
    const { entries, bytes } = await storedBytes(store)
    // Each entry costs its value plus ENTRY_OVERHEAD: the newest that fit in max_bytes are kept.
    const cost = Math.ceil(bytes / entries) + ENTRY_OVERHEAD
    expect(entries).toBe(Math.floor(MAX / cost))
    const hits = await Promise.all(asked.map((c) => isHit(ext, c)))
    expect(hits.lastIndexOf(false)).toBe(asked.length - entries - 1)
    expect(hits.slice(-entries).every(Boolean)).toBe(true)
    expect((await store.recent(STORED, { limit: 1000 })).length).toBe(entries)
    expect(Number(await store.get(BYTES))).toBe(100 * cost)
  })

  test('an answer larger than the whole cache is not stored', async () => {
    const store = (await backend.open()).namespace('cache')
    const { ext, settle } = cacheOn(store, 8 * 1024)
    await answer(ext, 'small', 100)
    await answer(ext, 'huge', 8 * 1024)
    await settle()
    expect(await isHit(ext, 'small')).toBe(true)
    expect(await isHit(ext, 'huge')).toBe(false)
    expect((await storedBytes(store)).entries).toBe(1)
  })

  test('a burst of stores far past the bound is evicted in batches down to it', async () => {
    const store = (await backend.open()).namespace('cache')
    const { ext, settle } = cacheOn(store, 32 * 1024)
    // Stored concurrently: evictions overlap the stores, one at a time, each evicting up to its cut.
    await Promise.all(Array.from({ length: 600 }, (_, i) => answer(ext, `burst ${i}`, 200)))
    await settle()
    const { entries, bytes } = await storedBytes(store)
    expect(bytes + entries * ENTRY_OVERHEAD).toBeLessThanOrEqual(32 * 1024)
    expect(entries).toBeGreaterThan((32 * 1024) / (400 + ENTRY_OVERHEAD) / 2)
    // Every evicted entry's index record went with it.
    expect((await store.recent(STORED, { limit: 1000 })).length).toBe(entries)
  })
})

describe('cache size bound shared by gateways on one Redis', () => {
  test('two gateways storing turn about stay within one max_bytes together', async () => {
    const { stores } = await openSharedRedis(2)
    const [a, b] = stores.map((s) => cacheOn(s.namespace('cache'))) as [
      ReturnType<typeof cacheOn>,
      ReturnType<typeof cacheOn>,
    ]
    // Turn about, each gateway's evictions running behind its stores.
    for (let i = 0; i < 60; i++) await answer((i % 2 ? a : b).ext, `shared ${i}`, 4000)
    await a.settle()
    await b.settle()
    const { entries, bytes } = await storedBytes(stores[0]!.namespace('cache'))
    expect(bytes + entries * ENTRY_OVERHEAD).toBeLessThanOrEqual(MAX)
    expect(entries).toBe(Math.floor(MAX / (bytes / entries + ENTRY_OVERHEAD)))
    // Each serves what the other stored last.
    expect(await isHit(a.ext, 'shared 58')).toBe(true)
    expect(await isHit(b.ext, 'shared 59')).toBe(true)
    expect(await isHit(a.ext, 'shared 0')).toBe(false)
  })
})

/** A request context for driving the extension directly. */
function contextFor(content: string): RequestContext {
  const json = { model: 'echo', messages: [{ role: 'user', content }] }
  return {
    requestId: crypto.randomUUID(),
    key: 'team',
    principal: { name: 'team' } as RequestContext['principal'],
    model: 'echo',
    requestedModel: 'echo',
    surface: 'chat',
    stream: false,
    json,
    request: new Request('http://x/v1/chat/completions', { method: 'POST' }),
    started: performance.now(),
    startedAt: Date.now(),
    clientWantsUsage: false,
    headers: {},
  }
}
