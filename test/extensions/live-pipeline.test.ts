// The pipeline a reload rebuilds (livePipeline): a request runs every hook on the generation of
// extensions it started on; new requests get the new one; a retired generation is flushed once its
// last request has ended; a generation that cannot be built changes nothing; and every answer is priced
// once before the last hooks (ctx.cost), with one warning per model that cannot be priced.
import { describe, expect, test } from 'bun:test'
import { buildCatalog } from '../../src/catalog'
import type { Config } from '../../src/config/schema'
import { memoryLogger } from '../../src/core/log'
import { createPipeline, type Generation, livePipeline, PendingWrites } from '../../src/extensions/pipeline'
import { createPricer } from '../../src/extensions/pricing'
import type { Extension, RequestContext } from '../../src/extensions/types'

const ctx = (model = 'gpt-4o-mini'): RequestContext => ({
  requestId: crypto.randomUUID(),
  key: 'team',
  principal: { id: 'key_team', name: 'team', models: '*' },
  model,
  requestedModel: model,
  surface: 'chat',
  stream: false,
  json: {},
  request: new Request('http://gateway.test/v1/chat/completions'),
  started: performance.now(),
  startedAt: Date.now(),
  clientWantsUsage: false,
  headers: {},
})

/** An extension that records which hooks it saw, and its flushes. */
function recorder(name: string) {
  const seen: string[] = []
  let flushes = 0
  const ext: Extension = {
    name,
    onKey: (c) => void seen.push(`key:${c.requestId}`),
    onRequest: (c) => void seen.push(`request:${c.requestId}`),
    onResponse: (c) => void seen.push(`response:${c.requestId}`),
    onError: (c) => void seen.push(`error:${c.requestId}`),
    flush: async () => void flushes++,
  }
  return { ext, seen, flushes: () => flushes }
}

describe('livePipeline', () => {
  const log = memoryLogger('error')
  const setup = () => {
    const pending = new PendingWrites(log)
    const gens = new Map<string, ReturnType<typeof recorder>>()
    const build = (config: Config): Generation => {
      const name = (config as unknown as { name: string }).name
      if (name === 'broken') throw new Error('cannot build')
      const r = recorder(name)
      gens.set(name, r)
      return createPipeline([r.ext], log, pending)
    }
    const pipeline = livePipeline(build({ name: 'old' } as unknown as Config), build, pending, log)
    return { pipeline, gens, pending }
  }

  test('a request in flight across a swap finishes on its generation; new ones start on the new one', async () => {
    const { pipeline, gens } = setup()
    const early = ctx()
    await pipeline.onKey(early)
    await pipeline.onRequest(early)
    const swap = pipeline.prepare!({ name: 'new' } as unknown as Config)
    expect(pipeline.names).toEqual(['old'])
    swap()
    expect(pipeline.names).toEqual(['new'])
    const late = ctx()
    await pipeline.onKey(late)
    await pipeline.onRequest(late)
    pipeline.onResponse(late, new Uint8Array())
    // The old generation is not flushed while its request is in flight...
    const old = gens.get('old')!
    expect(old.flushes()).toBe(0)
    pipeline.onResponse(early, new Uint8Array())
    await pipeline.flush()
    expect(old.seen).toEqual([`key:${early.requestId}`, `request:${early.requestId}`, `response:${early.requestId}`])
    expect(gens.get('new')!.seen).toEqual([
      `key:${late.requestId}`,
      `request:${late.requestId}`,
      `response:${late.requestId}`,
    ])
    // ...and is once its last request has ended (once: the shutdown flush does not repeat it).
    expect(old.flushes()).toBe(1)
  })

  test('a retired generation without requests in flight is flushed at the swap', async () => {
    const { pipeline, gens, pending } = setup()
    pipeline.prepare!({ name: 'new' } as unknown as Config)()
    await pending.flush()
    expect(gens.get('old')!.flushes()).toBe(1)
    expect(gens.get('new')!.flushes()).toBe(0)
  })

  test('a generation that cannot be built throws and changes nothing', () => {
    const { pipeline } = setup()
    expect(() => pipeline.prepare!({ name: 'broken' } as unknown as Config)).toThrow('cannot build')
    expect(pipeline.names).toEqual(['old'])
  })
})

describe('pricing in the pipeline', () => {
  test('the last hooks see ctx.cost; an unpriced model is warned about once', () => {
    const log = memoryLogger('warn')
    const costs: unknown[] = []
    const ext: Extension = {
      name: 'probe',
      onResponse: (c) => void costs.push(c.cost),
      onError: (c) => void costs.push(c.cost),
    }
    const catalog = buildCatalog({ models: {} } as unknown as Config)
    const pipeline = createPipeline([ext], log, new PendingWrites(log), {
      pricer: createPricer(catalog),
      warned: new Set(),
    })
    const priced = ctx('gpt-4o-mini')
    priced.usage = { prompt_tokens: 1000, completion_tokens: 1000, total_tokens: 2000 }
    pipeline.onResponse(priced, new Uint8Array())
    for (let i = 0; i < 3; i++) {
      const local = ctx('my-local-model')
      local.usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
      pipeline.onResponse(local, new Uint8Array())
    }
    pipeline.onError(ctx('gpt-4o-mini'), new (class extends Error {})() as never)
    expect(costs).toEqual([
      { micros: 750 },
      ...Array(3).fill({ micros: null, reason: 'no price for model my-local-model in the catalog or [models]' }),
      { micros: null, reason: 'the request failed' },
    ])
    const warnings = log.lines.filter((l) => l.includes('has no cost'))
    expect(warnings).toHaveLength(1)
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      model: 'my-local-model',
      fix: 'add [models."my-local-model"] prices',
    })
  })
})
