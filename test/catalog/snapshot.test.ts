// src/catalog/models.json is generated from two devDependencies and committed, so that the binary and
// the tests work offline. Regenerated here in memory: a package update that changes a price, a model or
// a capability fails this test until `npm run catalog` is run and the diff is reviewed and committed.
import { describe, expect, test } from 'bun:test'
import { CATALOG_FILE, generateCatalog } from '../../scripts/catalog'

describe('src/catalog/models.json', () => {
  test('is what scripts/catalog.ts generates from the installed packages (npm run catalog)', async () => {
    expect(await Bun.file(CATALOG_FILE).text()).toBe(generateCatalog())
  })

  test('generates the same bytes twice (deterministic)', () => {
    expect(generateCatalog()).toBe(generateCatalog())
  })
})
