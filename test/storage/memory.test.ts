import { afterAll, expect, test } from 'bun:test'
import { memoryStore } from '../../src/storage/memory'
import type { Store } from '../../src/storage/store'
import { clocked, manualTimer, storageContract } from '../support/storage-contract'

const opened: Store[] = []
afterAll(async () => {
  for (const s of opened) await s.close()
})
storageContract(
  'memory',
  clocked((now) => {
    const s = memoryStore({ now })
    opened.push(s)
    return s
  }),
)

test('the sweep drops expired entries that are never read again', async () => {
  let t = 1_000
  const timer = manualTimer()
  const s = memoryStore({ now: () => t, sweepMs: 5, every: timer.every })
  opened.push(s)
  expect(timer.ms).toBe(5) // the sweep is scheduled every sweepMs
  for (let i = 0; i < 100; i++) await s.set(`k${i}`, 'v', 10)
  await s.set('keep', 'v')
  expect(s.size).toBe(101)
  t += 11
  timer.tick() // one run of the sweep timer
  expect(s.size).toBe(1)
  await s.close()
  expect(timer.stopped).toBe(true) // close() stops the sweep
})
