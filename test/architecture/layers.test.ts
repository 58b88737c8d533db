// The layer rule of src/ (scripts/layers.ts, docs/architecture.md): every import goes down a floor or
// stays in its folder, and no files or folders import each other in a loop. The checker is tested on
// hand-made graphs too, so a wrong-way import is known to fail it.
import { describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import {
  FLOORS,
  fileCycles,
  type ImportEdge,
  layerProblem,
  layerViolations,
  readImportGraph,
  unitCycles,
  unitOf,
} from '../../scripts/layers'

const ROOT = resolve(import.meta.dir, '../..')
const edges = readImportGraph(ROOT)

describe('src/ as it is', () => {
  test('the graph is read (imports across folders exist)', () => {
    expect(edges.length).toBeGreaterThan(300)
    expect(edges.some((e) => e.from === 'src/relay/relay.ts' && e.to === 'src/routing/dispatch.ts')).toBe(true)
  })

  test('no import breaks the layer rule', () => {
    expect(layerViolations(edges)).toEqual([])
  })

  test('no folder-level import cycle', () => {
    expect(unitCycles(edges)).toEqual([])
  })

  test('no file-level import cycle', () => {
    expect(fileCycles(edges)).toEqual([])
  })

  test('every top-level folder of src/ has a floor', () => {
    const units = new Set(edges.flatMap((e) => [unitOf(e.from), unitOf(e.to)]))
    const placed = new Set(FLOORS.flat())
    expect([...units].filter((u) => !placed.has(u))).toEqual([])
  })

  test('core imports nothing of ours outside core, and config nothing but core', () => {
    const out = (unit: string) => edges.filter((e) => unitOf(e.from) === unit && unitOf(e.to) !== unit)
    expect(out('core')).toEqual([])
    expect(out('config').filter((e) => unitOf(e.to) !== 'core')).toEqual([])
  })

  test('every HTTP route is in src/server/routes/', () => {
    const routeFiles = edges
      .map((e) => e.from)
      .filter((f, i, all) => all.indexOf(f) === i)
      .filter((f) => /\/routes?[./]/.test(f) && !f.startsWith('src/server/routes/'))
    expect(routeFiles).toEqual([])
  })
})

describe('the checker', () => {
  const edge = (from: string, to: string): ImportEdge => ({ from, to })

  test.each([
    ['down a floor', 'src/relay/read.ts', 'src/core/errors.ts', undefined],
    ['inside a folder', 'src/relay/read.ts', 'src/relay/call.ts', undefined],
    ['main.ts to cli', 'src/main.ts', 'src/cli/args.ts', undefined],
    ['up: core to server', 'src/core/errors.ts', 'src/server/context.ts', 'core may not import server'],
    [
      'up: providers to routing',
      'src/providers/index.ts',
      'src/routing/registry.ts',
      'providers may not import routing',
    ],
    ['up: config to providers', 'src/config/semantics.ts', 'src/providers/index.ts', 'config may not import providers'],
    [
      'sideways: relay to admin',
      'src/relay/read.ts',
      'src/admin/keys.ts',
      'relay may not import admin, on its own floor',
    ],
    ['a folder with no floor', 'src/misc/x.ts', 'src/core/json.ts', 'misc (src/misc/x.ts) is on no floor'],
  ])('%s', (_name, from, to, problem) => {
    const found = layerProblem(edge(from, to))
    if (problem === undefined) expect(found).toBeUndefined()
    else expect(found).toContain(problem)
  })

  test('a cycle between two folders is found, and between two files', () => {
    const loop = [edge('src/relay/a.ts', 'src/admin/b.ts'), edge('src/admin/b.ts', 'src/relay/c.ts')]
    expect(unitCycles(loop)).toEqual([['admin', 'relay']])
    const files = [edge('src/x/a.ts', 'src/x/b.ts'), edge('src/x/b.ts', 'src/x/a.ts')]
    expect(fileCycles(files)).toEqual([['src/x/a.ts', 'src/x/b.ts']])
    expect(unitCycles(files)).toEqual([])
  })

  test('a wrong-way import added to the real graph fails the rule', () => {
    const broken = [...edges, edge('src/core/json.ts', 'src/relay/relay.ts')]
    expect(layerViolations(broken)).toHaveLength(1)
  })
})
