// The layer rule of src/, kept by a test (test/layers.test.ts) and printable with `bun scripts/layers.ts`.
// Each top-level folder of src/ sits on one floor; a file may import a file of its own folder, or of a
// folder on a lower floor; a few same-floor imports are allowed by name (SIDEWAYS). Type-only imports
// count too: a type is a dependency of the reader. See docs/architecture.md.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, normalize, relative, resolve } from 'node:path'

/** Floors from the ground up; `main.ts` and the folders of one floor may not import each other but by SIDEWAYS. */
export const FLOORS: readonly (readonly string[])[] = [
  ['core'],
  ['config'],
  ['wire', 'sse', 'catalog'],
  ['anthropic-messages', 'responses-api'],
  ['providers'],
  ['routing', 'storage', 'auth'],
  ['extensions'],
  ['relay', 'admin', 'metrics', 'openapi', 'ui'],
  ['server'],
  ['cli'],
  ['main.ts'],
]

/** Same-floor imports that are allowed, as `from -> to`. */
export const SIDEWAYS: readonly string[] = []

export interface ImportEdge {
  /** Importing file, relative to the project root (src/…). */
  from: string
  /** Imported file, relative to the project root. */
  to: string
}

/** The top-level unit of src/ a file belongs to: its first folder, or the file itself (main.ts). */
export function unitOf(file: string): string {
  const parts = file.split('/')
  return parts.length > 2 ? parts[1]! : parts[1]!
}

const FLOOR_OF = new Map(FLOORS.flatMap((units, floor) => units.map((unit) => [unit, floor] as const)))

/** Why `from` may not import `to`, or undefined when it may. */
export function layerProblem(edge: ImportEdge): string | undefined {
  const a = unitOf(edge.from)
  const b = unitOf(edge.to)
  if (a === b) return undefined
  const fa = FLOOR_OF.get(a)
  const fb = FLOOR_OF.get(b)
  if (fa === undefined) return `${a} (${edge.from}) is on no floor: add it to FLOORS in scripts/layers.ts`
  if (fb === undefined) return `${b} (${edge.to}) is on no floor: add it to FLOORS in scripts/layers.ts`
  if (fb < fa) return undefined
  if (fb === fa && SIDEWAYS.includes(`${a} -> ${b}`)) return undefined
  const how = fb === fa ? 'on its own floor' : `on a higher floor (${fb + 1} > ${fa + 1})`
  return `${edge.from} imports ${edge.to}: ${a} may not import ${b}, ${how}`
}

/** Every layer-rule violation among the edges. */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  return edges.map(layerProblem).filter((p): p is string => p !== undefined)
}

/** Groups of top-level units that import each other in a loop (strongly connected, size > 1). */
export function unitCycles(edges: readonly ImportEdge[]): string[][] {
  return cycles(edges.map((e) => [unitOf(e.from), unitOf(e.to)] as const).filter(([a, b]) => a !== b))
}

/** Groups of files that import each other in a loop. */
export function fileCycles(edges: readonly ImportEdge[]): string[][] {
  return cycles(edges.map((e) => [e.from, e.to] as const))
}

/** The relative imports of every .ts/.tsx file under src/ (browser code under src/ui/app excluded). */
export function readImportGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = []
  for (const file of sourceFiles(join(root, 'src'))) {
    const from = relative(root, file)
    if (from.startsWith('src/ui/app/')) continue
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolveImport(file, spec)
      const to = target && relative(root, target)
      // Only src/ is layered: package.json (the version) and bundled assets are leaves outside it.
      if (to?.startsWith('src/')) edges.push({ from, to })
    }
  }
  return edges
}

// --- internal ---

const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g

function specifiers(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1]!)
}

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...sourceFiles(path))
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

function resolveImport(file: string, spec: string): string | undefined {
  const base = normalize(join(dirname(file), spec))
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`])
    if (isFile(candidate)) return candidate
  return undefined
}

/** Tarjan's strongly connected components, those with more than one member. */
function cycles(pairs: readonly (readonly [string, string])[]): string[][] {
  const graph = new Map<string, Set<string>>()
  for (const [a, b] of pairs) {
    if (!graph.has(a)) graph.set(a, new Set())
    if (!graph.has(b)) graph.set(b, new Set())
    graph.get(a)!.add(b)
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string) => {
    index.set(v, index.size)
    low.set(v, index.get(v)!)
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v)!) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) out.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return out
}

if (import.meta.main) {
  const edges = readImportGraph(resolve(import.meta.dir, '..'))
  const problems = layerViolations(edges)
  const units = unitCycles(edges)
  const files = fileCycles(edges)
  for (const p of problems) console.log(`layer: ${p}`)
  for (const c of units) console.log(`folder cycle: ${c.join(' <-> ')}`)
  for (const c of files) console.log(`file cycle: ${c.join(' <-> ')}`)
  console.log(
    `${edges.length} imports: ${problems.length} layer violations, ${units.length} folder cycles, ${files.length} file cycles`,
  )
  process.exit(problems.length || units.length || files.length ? 1 : 0)
}
