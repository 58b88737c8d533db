// The circuit breaker itself (src/routing/breaker.ts), on an injected clock.
import { describe, expect, test } from 'bun:test'
import { Breaker } from '../../src/routing/breaker'

function breaker(threshold = 3, cooldownMs = 1000) {
  let now = 10_000
  const health = new Breaker(threshold, cooldownMs, () => now)
  return { health, advance: (ms: number) => void (now += ms) }
}

describe('Breaker', () => {
  test('opens after `threshold` consecutive failures, not before', () => {
    const { health } = breaker(3)
    health.failure()
    health.failure()
    expect(health.state).toBe('closed')
    expect(health.acquire()).toBe(true)
    health.failure()
    expect(health.state).toBe('open')
    expect(health.acquire()).toBe(false)
    expect(health.snapshot()).toMatchObject({ state: 'open', consecutive_failures: 3, cooldowns: 1 })
    expect(health.snapshot().cooldown_until).toBe(new Date(11_000).toISOString())
  })

  test('a success in between resets the count: a flapping upstream never trips it', () => {
    const { health } = breaker(3)
    for (let i = 0; i < 20; i++) {
      health.failure()
      health.success()
    }
    expect(health.state).toBe('closed')
    expect(health.trips).toBe(0)
  })

  test('after the cooldown exactly one request probes; success closes, failure reopens', () => {
    const { health, advance } = breaker(2, 1000)
    health.failure()
    health.failure()
    advance(999)
    expect(health.acquire()).toBe(false)
    expect(health.retryInMs()).toBe(1)
    advance(1)
    expect(health.state).toBe('half_open')
    expect(health.acquire()).toBe(true) // the probe
    expect(health.acquire()).toBe(false) // others keep skipping while it is out
    health.failure()
    expect(health.state).toBe('open')
    expect(health.trips).toBe(2)
    advance(1000)
    expect(health.acquire()).toBe(true)
    health.success()
    expect(health.state).toBe('closed')
    expect(health.acquire()).toBe(true)
    expect(health.failures).toBe(0)
  })

  test('a probe whose client left is released, so the next request probes', () => {
    const { health, advance } = breaker(1, 500)
    health.failure()
    advance(500)
    expect(health.acquire()).toBe(true)
    health.release()
    expect(health.acquire()).toBe(true)
  })

  test('threshold 0 never opens; configure() keeps the state and applies new settings', () => {
    const { health } = breaker(0)
    for (let i = 0; i < 100; i++) health.failure()
    expect(health.state).toBe('closed')
    health.configure(2, 5000)
    health.failure()
    health.failure()
    expect(health.state).toBe('open')
    expect(health.retryInMs()).toBe(5000)
    health.configure(0, 5000)
    expect(health.state).toBe('closed')
  })
})
