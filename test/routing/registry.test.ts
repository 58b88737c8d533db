import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/load'
import { DEFAULT_LIMITS } from '../../src/core/upstream-error'
import type { Provider } from '../../src/providers'
import { PROVIDER_RULES } from '../../src/providers'
import { Breaker } from '../../src/routing/breaker'
import { buildRegistry, type Deployment, orderDeployments } from '../../src/routing/registry'

const TOML = `
[providers.alpha]
kind = "custom"
base_url = "http://alpha.test/v1"
models = ["shared", "only-alpha"]
weight = 1
timeout = 2.5

[providers.beta]
kind = "custom"
base_url = "http://beta.test/v1"
models = ["shared"]
weight = 3
max_retries = 0

[providers.gamma]
kind = "echo"
models = ["shared", "echo"]
weight = 2
timeout = 0

[aliases]
fast = "shared"
friendly = "echo"
`

const registry = () => buildRegistry(parseConfig(TOML, 'test.toml', PROVIDER_RULES, {}))

describe('buildRegistry', () => {
  test('lists canonical models sorted, and every provider by name', () => {
    const r = registry()
    expect(r.models).toEqual(['echo', 'only-alpha', 'shared'])
    expect([...r.providers.keys()]).toEqual(['alpha', 'beta', 'gamma'])
    expect(r.providers.get('gamma')!.kind).toBe('echo')
    expect(r.providers.get('alpha')!.kind).toBe('custom')
  })

  test('sorts the deployments of a model by descending weight', () => {
    const list = registry().deployments('shared')!
    expect(list.map((d) => [d.provider.name, d.weight])).toEqual([
      ['beta', 3],
      ['gamma', 2],
      ['alpha', 1],
    ])
  })

  test('carries retries and timeouts per deployment, with the defaults applied', () => {
    const list = registry().deployments('shared')!
    const by = Object.fromEntries(list.map((d) => [d.provider.name, d]))
    expect(by.alpha!.maxRetries).toBe(2)
    expect(by.alpha!.timeoutMs).toBe(2500)
    expect(by.beta!.maxRetries).toBe(0)
    expect(by.beta!.timeoutMs).toBe(30_000)
    expect(by.gamma!.timeoutMs).toBe(0)
  })

  test('shares one provider object across the models it serves', () => {
    const r = registry()
    const fromShared = r.deployments('shared')!.find((d) => d.provider.name === 'alpha')!
    expect(r.deployments('only-alpha')![0]!.provider).toBe(fromShared.provider)
    expect(r.providers.get('alpha')).toBe(fromShared.provider)
  })

  test.each([
    ['fast', 'shared'],
    ['friendly', 'echo'],
    ['shared', 'shared'],
    ['unknown', 'unknown'],
  ])('resolves %p to %p', (name, canonical) => {
    expect(registry().resolve(name)).toBe(canonical)
  })

  test('does not resolve Object.prototype names as aliases', () => {
    expect(registry().resolve('constructor')).toBe('constructor')
  })

  test('answers undefined for a model nobody serves (and for an alias, which is not canonical)', () => {
    expect(registry().deployments('nope')).toBeUndefined()
    expect(registry().deployments('fast')).toBeUndefined()
  })

  test('names the highest-weight provider as the owner', () => {
    const r = registry()
    expect(r.ownerOf('shared')).toBe('beta')
    expect(r.ownerOf('echo')).toBe('gamma')
    expect(r.ownerOf('nope')).toBe('crabllm')
  })

  test('exposes a frozen copy of the aliases', () => {
    const r = registry()
    expect(r.aliases).toEqual({ fast: 'shared', friendly: 'echo' })
    expect(Object.isFrozen(r.aliases)).toBe(true)
  })

  test('builds an empty registry from an empty config', () => {
    const r = buildRegistry(parseConfig('', 'empty.toml', PROVIDER_RULES, {}))
    expect(r.models).toEqual([])
    expect(r.providers.size).toBe(0)
  })
})

// --- orderDeployments: pure, driven by an injected random ---

function deployment(name: string, weight: number): Deployment {
  const provider: Provider = {
    name,
    kind: 'test',
    endpoints: new Set(['chat']),
    send: () => Promise.reject(new Error('not used')),
  }
  return {
    provider,
    breaker: new Breaker(0, 1000),
    weight,
    maxRetries: 0,
    timeoutMs: 0,
    streamIdleMs: 0,
    limits: DEFAULT_LIMITS,
  }
}

/** Weights 5, 3, 2 (total 10), already sorted as the registry sorts them. */
const LIST = [deployment('a', 5), deployment('b', 3), deployment('c', 2)]
const names = (list: readonly Deployment[]) => list.map((d) => d.provider.name).join('')

describe('orderDeployments', () => {
  test.each([
    // random → point in [0, 10): a covers [0, 5), b [5, 8), c [8, 10)
    [0, 'abc'],
    [0.25, 'abc'],
    [0.4999, 'abc'],
    [0.5, 'bac'],
    [0.7999, 'bac'],
    [0.8, 'cab'],
    [0.9999, 'cab'],
  ])('random %p picks first and keeps the rest by weight: %p', (random, expected) => {
    expect(names(orderDeployments(LIST, () => random))).toBe(expected)
  })

  test('picks the last deployment when rounding leaves the point past the total', () => {
    expect(names(orderDeployments(LIST, () => 1))).toBe('cab')
  })

  test('returns short lists as they are, without drawing', () => {
    let draws = 0
    const random = () => {
      draws++
      return 0.9
    }
    expect(orderDeployments([], random)).toEqual([])
    const one = [deployment('solo', 1)]
    expect(orderDeployments(one, random)).toBe(one)
    expect(draws).toBe(0)
  })

  test('does not mutate the list it is given', () => {
    const list = [...LIST]
    orderDeployments(list, () => 0.9)
    expect(names(list)).toBe('abc')
  })

  test('picks each deployment in proportion to its weight', () => {
    // A deterministic sweep of random over [0, 1) stands in for many draws.
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 }
    const steps = 1000
    for (let i = 0; i < steps; i++) counts[orderDeployments(LIST, () => i / steps)[0]!.provider.name]!++
    expect(counts).toEqual({ a: 500, b: 300, c: 200 })
  })

  // --- weight 0: fallback only (crabllm's dispatch_list: never picked, so after the weighted ones) ---

  test.each([0, 0.5, 0.9999, 1])('a weight-0 deployment is never first (random %p)', (random) => {
    const list = [deployment('a', 3), deployment('b', 1), deployment('z', 0)]
    const order = names(orderDeployments(list, () => random))
    expect(order[0]).not.toBe('z')
    expect(order.at(-1)).toBe('z')
  })

  test('one weighted deployment and weight-0 ones: the weighted first, no draw', () => {
    let draws = 0
    const list = [deployment('a', 1), deployment('y', 0), deployment('z', 0)]
    expect(
      names(
        orderDeployments(list, () => {
          draws++
          return 0.99
        }),
      ),
    ).toBe('ayz')
    expect(draws).toBe(0)
  })

  test('only weight-0 deployments: tried in config order', () => {
    const list = [deployment('x', 0), deployment('y', 0), deployment('z', 0)]
    expect(names(orderDeployments(list, () => 0.99))).toBe('xyz')
  })

  test('weight-0 deployments take no share of the draw', () => {
    const list = [deployment('a', 3), deployment('b', 1), deployment('y', 0), deployment('z', 0)]
    const counts: Record<string, number> = { a: 0, b: 0, y: 0, z: 0 }
    for (let i = 0; i < 1000; i++) counts[orderDeployments(list, () => i / 1000)[0]!.provider.name]!++
    expect(counts).toEqual({ a: 750, b: 250, y: 0, z: 0 })
  })

  test('the registry puts weight-0 deployments last, in config order', () => {
    const r = buildRegistry(
      parseConfig(
        '[providers.z]\nkind = "echo"\nweight = 0\n[providers.a]\nkind = "echo"\n[providers.y]\nkind = "echo"\nweight = 0\n',
        'test.toml',
        PROVIDER_RULES,
        {},
      ),
    )
    expect(r.deployments('echo')!.map((d) => [d.provider.name, d.weight])).toEqual([
      ['a', 1],
      ['z', 0],
      ['y', 0],
    ])
  })

  test('every order holds each deployment exactly once', () => {
    for (const r of [0, 0.3, 0.6, 0.9]) {
      expect(
        names(orderDeployments(LIST, () => r))
          .split('')
          .sort()
          .join(''),
      ).toBe('abc')
    }
  })
})
