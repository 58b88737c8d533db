import { afterAll, expect, test } from 'bun:test'
import { memoryStore } from '../../src/storage/memory'
import type { Store } from '../../src/storage/store'
import { storageContract } from '../support/storage-contract'

const opened: Store[] = []
afterAll(async () => {
  for (const s of opened) await s.close()
})
storageContract('memory', {
  async open() {
    const s = memoryStore()
    opened.push(s)
    return s
  },
})

test('the sweep drops expired entries that are never read again', async () => {
  let t = 1_000
  const s = memoryStore({ now: () => t, sweepMs: 5 })
  opened.push(s)
  for (let i = 0; i < 100; i++) await s.set(`k${i}`, 'v', 10)
  await s.set('keep', 'v')
  expect(s.size).toBe(101)
  t += 11
  await Bun.sleep(20) // let the sweep timer run
  expect(s.size).toBe(1)
})
