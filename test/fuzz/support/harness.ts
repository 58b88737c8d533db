// Runs fuzz cases: each case gets its own seeded Rng (from the run seed and its index) so that one
// failing case can be replayed alone, a time limit (a hang is a failure), and a summary on failure
// naming the seeds. FUZZ_SEED replays a run, FUZZ_CASE one case of it, FUZZ_CASES scales every surface.
import { caseSeed, Rng } from './rng'

export const RUN_SEED =
  process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0
const ONLY = process.env.FUZZ_CASE !== undefined ? Number(process.env.FUZZ_CASE) : undefined

/** Cases for a surface: FUZZ_CASES when set (to scale up locally), else the surface's default. */
export function caseCount(defaultCases: number): number {
  const env = Number(process.env.FUZZ_CASES)
  return Number.isFinite(env) && env > 0 ? Math.floor(env) : defaultCases
}

export interface FuzzOptions<T> {
  /** How many cases to run. */
  cases: number
  /** Cases in flight at once (HTTP surfaces run several to keep the whole run short). */
  concurrency?: number
  /** A case that has not settled after this long is a hang. */
  timeoutMs?: number
  generate(rng: Rng, index: number): T
  /**
   * Throws (an assertion) when the property does not hold for this input. May return a label of the
   * outcome (a status, "rejected", "returned"): the summary line counts them.
   */
  check(input: T, rng: Rng): unknown
  /** A short printable form of an input for the failure report. */
  show?(input: T): string
}

/** Cases run per surface in this process, for the summary line. */
export const tally = new Map<string, number>()

/** Runs the cases; resolves to the number run, or rejects with every failing case's seed and input. */
export async function fuzz<T>(surface: string, options: FuzzOptions<T>): Promise<number> {
  const { cases, concurrency = 1, timeoutMs = 20_000 } = options
  const failures: string[] = []
  let failed = 0
  let next = 0
  let run = 0
  const outcomes = new Map<string, number>()
  const indexes = ONLY !== undefined ? [ONLY] : undefined
  const total = indexes ? indexes.length : cases
  const worker = async () => {
    for (;;) {
      const slot = next++
      if (slot >= total) return
      const index = indexes ? indexes[slot]! : slot
      const seed = caseSeed(RUN_SEED, index)
      const input = options.generate(new Rng(seed), index)
      run++
      try {
        const label = await withTimeout(
          Promise.resolve().then(() => options.check(input, new Rng(seed ^ 0x5bd1e995))),
          timeoutMs,
        )
        if (typeof label === 'string' || typeof label === 'number')
          outcomes.set(String(label), (outcomes.get(String(label)) ?? 0) + 1)
      } catch (err) {
        failed++
        if (failures.length < 6) {
          const shown = options.show ? options.show(input) : preview(input)
          failures.push(
            `  case ${index}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n    input: ${shown}`,
          )
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  tally.set(surface, (tally.get(surface) ?? 0) + run)
  const counted = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`)
  console.log(
    `fuzz ${surface}: ${run} cases, ${failed} failed (FUZZ_SEED=${RUN_SEED})${counted.length ? ` [${counted.join(', ')}]` : ''}`,
  )
  if (failed > 0) {
    const replay = `FUZZ_SEED=${RUN_SEED} to replay the run, FUZZ_SEED=${RUN_SEED} FUZZ_CASE=<case> for one case`
    throw new Error(`fuzz ${surface}: ${failed} of ${run} cases failed (${replay})\n${failures.join('\n')}`)
  }
  return run
}

/** A printable, bounded view of an input: strings and bytes are cut, with their length. */
export function preview(value: unknown, max = 400): string {
  let text: string
  if (typeof value === 'string') text = value
  else if (value instanceof Uint8Array)
    text = `bytes(${value.byteLength}) ${JSON.stringify(new TextDecoder().decode(value.subarray(0, max)))}`
  else {
    try {
      text = JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? `bytes(${v.byteLength})` : v))
    } catch {
      text = String(value)
    }
  }
  return text.length > max ? `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)` : JSON.stringify(text)
}

// --- prototype pollution ---

const GUARDED: [string, object][] = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype],
  ['Promise.prototype', Promise.prototype],
  ['Map.prototype', Map.prototype],
  ['Set.prototype', Set.prototype],
  ['Response.prototype', Response.prototype],
  ['Request.prototype', Request.prototype],
  ['Headers.prototype', Headers.prototype],
  ['Uint8Array.prototype', Uint8Array.prototype],
]

export type PrototypeSnapshot = Map<string, unknown>

/** Every own property (value or accessor) of the built-in prototypes, to compare after a run. */
export function snapshotPrototypes(): PrototypeSnapshot {
  const out: PrototypeSnapshot = new Map()
  for (const [name, proto] of GUARDED) {
    out.set(`${name} [[Prototype]]`, Object.getPrototypeOf(proto))
    for (const key of Reflect.ownKeys(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key)!
      out.set(`${name}.${String(key)}`, 'value' in d ? d.value : [d.get, d.set])
    }
  }
  return out
}

/** Names what changed on a built-in prototype since `before`; [] when nothing did. */
export function prototypeChanges(before: PrototypeSnapshot): string[] {
  const after = snapshotPrototypes()
  const changed: string[] = []
  for (const [key, value] of after) {
    const old = before.get(key)
    if (!before.has(key)) changed.push(`added ${key}`)
    else if (Array.isArray(old) && Array.isArray(value) ? old[0] !== value[0] || old[1] !== value[1] : old !== value)
      changed.push(`changed ${key}`)
  }
  for (const key of before.keys()) if (!after.has(key)) changed.push(`removed ${key}`)
  const probe = {} as Record<string, unknown>
  for (const name of ['polluted', 'isAdmin', 'admin', 'kind', 'models', 'api_key', 'role', 'model'])
    if (probe[name] !== undefined) changed.push(`({}).${name} is ${String(probe[name])}`)
  if (Object.getPrototypeOf({}) !== Object.prototype) changed.push('({}) has another prototype')
  return changed
}

// --- internal ---

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (a hang)`)), ms)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}
