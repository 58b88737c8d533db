// The scaffold every JSON-route fuzz file shares: both fuzz gateways (with and without extensions)
// started once, hostile bodies POSTed to one route, each answer checked for the route's error shape,
// and the built-in prototypes compared before and after.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { JsonCase } from './bodies'
import { showJsonCase } from './bodies'
import { expectWellFormed, type FuzzGateways, startFuzzGateways } from './gateway'
import { caseCount, fuzz, type PrototypeSnapshot, prototypeChanges, snapshotPrototypes } from './harness'
import type { Rng } from './rng'

export interface JsonRouteFuzz {
  path: string
  /** Cases in a default run (FUZZ_CASES scales it). */
  cases: number
  /** Whose error shape a 4xx must have. */
  shape: Parameters<typeof expectWellFormed>[2]
  /** One hostile request: body and headers. */
  generate(rng: Rng): JsonCase
}

export function fuzzJsonRoute(route: JsonRouteFuzz): void {
  let gws: FuzzGateways
  let before: PrototypeSnapshot
  beforeAll(async () => {
    before = snapshotPrototypes()
    gws = await startFuzzGateways()
  })
  afterAll(async () => {
    await gws[Symbol.asyncDispose]()
  })
  const shapeName = route.shape === 'anthropic' ? 'Anthropic' : 'OpenAI'
  describe(`fuzz POST ${route.path}`, () => {
    test(`hostile bodies get a 2xx or a 4xx in ${shapeName} error shape, never a 5xx`, async () => {
      await fuzz<JsonCase & { gateway: number }>(`POST ${route.path}`, {
        cases: caseCount(route.cases),
        concurrency: 8,
        generate: (rng) => ({ gateway: rng.int(2), ...route.generate(rng) }),
        show: showJsonCase,
        async check(c) {
          const gw = gws.all[c.gateway]!
          const res = await gw.fetch(route.path, { method: 'POST', headers: c.headers, body: c.body })
          return expectWellFormed(gw, res, route.shape, c.body.byteLength)
        },
      })
    }, 120_000)

    test('no built-in prototype was polluted', () => {
      expect(prototypeChanges(before)).toEqual([])
    })
  })
}
