// The circuit-breaker metrics (src/metrics/metric-set.ts): crabllm_provider_cooldown{provider} is 1 while
// a provider's breaker is open or half-open and 0 when closed; crabllm_provider_cooldowns_total{provider}
// counts its trips. Both are read from the breakers at scrape time, so a reload's new registry is followed.
import { describe, expect, test } from 'bun:test'
import { exposition } from '../../src/metrics/families'
import { createMetricSet } from '../../src/metrics/metric-set'
import { Breaker } from '../../src/routing/breaker'

/** The lines of the two breaker families, without HELP and TYPE. */
function breakerLines(text: string): string[] {
  return text.split('\n').filter((l) => l.startsWith('crabllm_provider_cooldown'))
}

describe('breaker metrics', () => {
  test('follow a breaker from closed to open, half-open, open again and closed', () => {
    let now = 1_000_000
    const flaky = new Breaker(2, 30_000, () => now)
    const steady = new Breaker(2, 30_000, () => now)
    const health = new Map([
      ['flaky', flaky],
      ['steady "one"', steady],
    ])
    const m = createMetricSet({ inflight: { count: 0 }, breakers: () => health })
    const scrape = () => breakerLines(exposition(m.families))

    expect(scrape()).toEqual([
      'crabllm_provider_cooldown{provider="flaky"} 0',
      'crabllm_provider_cooldown{provider="steady \\"one\\""} 0',
      'crabllm_provider_cooldowns_total{provider="flaky"} 0',
      'crabllm_provider_cooldowns_total{provider="steady \\"one\\""} 0',
    ])

    flaky.failure()
    expect(scrape()[0]).toBe('crabllm_provider_cooldown{provider="flaky"} 0') // one failure: still closed
    flaky.failure() // the second in a row opens it
    expect(flaky.state).toBe('open')
    expect(scrape()).toEqual([
      'crabllm_provider_cooldown{provider="flaky"} 1',
      'crabllm_provider_cooldown{provider="steady \\"one\\""} 0',
      'crabllm_provider_cooldowns_total{provider="flaky"} 1',
      'crabllm_provider_cooldowns_total{provider="steady \\"one\\""} 0',
    ])

    now += 30_000 // cooldown over: half-open, still counted as in cooldown until a probe succeeds
    expect(flaky.state).toBe('half_open')
    expect(scrape()[0]).toBe('crabllm_provider_cooldown{provider="flaky"} 1')
    expect(flaky.acquire()).toBe(true)
    flaky.failure() // the probe failed: open again, a second trip
    expect(scrape()).toContain('crabllm_provider_cooldowns_total{provider="flaky"} 2')
    expect(scrape()[0]).toBe('crabllm_provider_cooldown{provider="flaky"} 1')

    now += 30_000
    expect(flaky.acquire()).toBe(true)
    flaky.success() // the probe answered: closed; the trips stay counted
    expect(scrape()).toEqual([
      'crabllm_provider_cooldown{provider="flaky"} 0',
      'crabllm_provider_cooldown{provider="steady \\"one\\""} 0',
      'crabllm_provider_cooldowns_total{provider="flaky"} 2',
      'crabllm_provider_cooldowns_total{provider="steady \\"one\\""} 0',
    ])
  })

  test('read the current registry at every scrape: providers added and removed by a reload', () => {
    const a = new Breaker(1, 1000)
    let health = new Map([['a', a]])
    const m = createMetricSet({ inflight: { count: 0 }, breakers: () => health })
    a.failure()
    expect(breakerLines(exposition(m.families))).toEqual([
      'crabllm_provider_cooldown{provider="a"} 1',
      'crabllm_provider_cooldowns_total{provider="a"} 1',
    ])
    health = new Map([
      ['a', a],
      ['b', new Breaker(1, 1000)],
    ])
    expect(breakerLines(exposition(m.families))).toContain('crabllm_provider_cooldown{provider="b"} 0')
    health = new Map()
    expect(breakerLines(exposition(m.families))).toEqual([])
    expect(exposition(m.families)).toContain('# TYPE crabllm_provider_cooldown gauge\n')
    expect(exposition(m.families)).toContain('# TYPE crabllm_provider_cooldowns_total counter\n')
  })

  test('without a health source there are no provider series', () => {
    const m = createMetricSet({ inflight: { count: 0 } })
    expect(breakerLines(exposition(m.families))).toEqual([])
  })
})
