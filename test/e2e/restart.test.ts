// Restart of the compiled binary with SQLite and with Redis storage: usage, budgets and audit records
// written by one process (the last of them just before SIGTERM, flushed on the way out) are read back
// by the next process on the same storage. Every wait awaits an event (a line, an exit, a response).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Redis from 'ioredis'
import { costMicros } from '../../src/catalog'
import { microsToUsd } from '../../src/extensions/pricing'
import { crabllmBin, spawnCrabllm } from '../support/binary'
import { REDIS_URL } from '../support/stores'

const ADMIN = 'admin-token-restart-0123456789'
const KEY = 'sk-restart-team-0123456789abcdef'
const PRICING = { prompt_cost_per_million: 1000, completion_cost_per_million: 2000 }
/** The same prices as the catalog's cost function takes them (USD per million tokens). */
const PRICE = { input: PRICING.prompt_cost_per_million, output: PRICING.completion_cost_per_million }

let root: string
let seq = 0
beforeAll(() => {
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-restart-'))
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

interface Storage {
  name: string
  /** The [storage] table (a SQLite path is relative to the config file). */
  table(): string
  /** Removes what the gateway stored; returns how many Redis keys were under the configured prefix. */
  cleanup(): Promise<number>
}

const redisPrefix = `crabllm-e2e-restart:${process.pid}:${Date.now()}:`

const STORAGES: Storage[] = [
  {
    name: 'sqlite',
    table: () => '[storage]\nkind = "sqlite"\npath = "state/crabllm.db"\n',
    cleanup: async () => 0,
  },
  {
    name: 'redis',
    table: () => `[storage]\nkind = "redis"\npath = "${REDIS_URL}"\nprefix = "${redisPrefix}"\n`,
    async cleanup() {
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
      try {
        const keys: string[] = []
        let cursor = '0'
        do {
          const [next, batch] = await client.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500)
          cursor = next
          keys.push(...batch)
        } while (cursor !== '0')
        if (keys.length) await client.del(...keys)
        return keys.length
      } finally {
        await client.quit()
      }
    },
  },
]

function config(storage: string): string {
  return `admin_token = "${ADMIN}"
shutdown_timeout = 20
[[keys]]
name = "team"
key = "${KEY}"
[providers.echo]
kind = "echo"
[models.echo]
prompt_cost_per_million = ${PRICING.prompt_cost_per_million}
completion_cost_per_million = ${PRICING.completion_cost_per_million}
${storage}
[extensions.audit]
[extensions.usage]
[extensions.budget]
default_budget = 10
`
}

interface Usage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens: number
}

describe.each(STORAGES)('restart with $name storage', (storage) => {
  test('audit records, usage and budget spend survive SIGTERM and a restart', async () => {
    const dir = join(root, `t${++seq}`)
    mkdirSync(join(dir, 'state'), { recursive: true })
    writeFileSync(join(dir, 'crabllm.toml'), config(storage.table()))
    const ids = [`restart-${storage.name}-1`, `restart-${storage.name}-2`, `restart-${storage.name}-3`]
    const usages: Usage[] = []
    const admin = { authorization: `Bearer ${ADMIN}` }
    let removed = 0
    try {
      {
        await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
        await gw.ready()
        const chat = (body: object, id: string) =>
          gw.fetch('/v1/chat/completions', {
            method: 'POST',
            headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-request-id': id },
            body: JSON.stringify(body),
          })
        for (const [i, text] of ['first question', 'a second, longer question for the echo'].entries()) {
          const res = await chat({ model: 'echo', messages: [{ role: 'user', content: text }] }, ids[i]!)
          expect(res.status).toBe(200)
          usages.push(((await res.json()) as { usage: Usage }).usage)
        }
        // A stream whose client asked for the usage chunk, so the test knows its tokens.
        const res = await chat(
          {
            model: 'echo',
            stream: true,
            stream_options: { include_usage: true },
            messages: [{ role: 'user', content: 'stream it' }],
          },
          ids[2]!,
        )
        expect(res.status).toBe(200)
        const events = (await res.text())
          .split('\n\n')
          .filter((f) => f.trim())
          .map((f) => f.replace(/^data: /, ''))
        expect(events.at(-1)).toBe('[DONE]')
        const withUsage = events
          .slice(0, -1)
          .map((e) => JSON.parse(e) as { usage?: Usage | null })
          .filter((e) => e.usage)
        expect(withUsage).toHaveLength(1)
        usages.push(withUsage[0]!.usage!)

        gw.kill('SIGTERM')
        expect(await gw.exited).toBe(0)
        expect(gw.stderr()).toContain('stopped')
        expect(gw.stderr()).not.toContain('flushing extension writes failed')
        expect(gw.stderr()).not.toContain('extension write failed')
      }

      const prompt = usages.reduce((n, u) => n + u.prompt_tokens, 0)
      const completion = usages.reduce((n, u) => n + u.completion_tokens, 0)
      const spentMicros = usages.reduce((n, u) => n + costMicros(PRICE, u), 0)
      expect(prompt).toBeGreaterThan(0)

      {
        await using gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
        await gw.ready()

        const logs = await gw.fetch('/v1/admin/logs', { headers: admin })
        expect(logs.status).toBe(200)
        const records = ((await logs.json()) as { data: any[] }).data
        expect(records.map((r) => r.request_id).sort()).toEqual([...ids].sort())
        for (const [i, id] of ids.entries()) {
          const r = records.find((x) => x.request_id === id)
          expect(r).toMatchObject({
            key: 'team',
            model: 'echo',
            provider: 'echo',
            status: 200,
            stream: i === 2,
            outcome: i === 2 ? 'done' : null,
            prompt_tokens: usages[i]!.prompt_tokens,
            completion_tokens: usages[i]!.completion_tokens,
            cost_usd: microsToUsd(costMicros(PRICE, usages[i]!)),
          })
        }

        const usage = await gw.fetch('/v1/usage', { headers: admin })
        expect(usage.status).toBe(200)
        const rows = (await usage.json()) as any[]
        expect(rows.find((r) => r.key === 'team' && r.model === 'echo')).toMatchObject({
          prompt_tokens: prompt,
          completion_tokens: completion,
        })

        const budget = await gw.fetch('/v1/budget', { headers: admin })
        expect(budget.status).toBe(200)
        const team = ((await budget.json()) as any[]).find((r) => r.key === 'team')
        expect(team).toMatchObject({
          spent_usd: microsToUsd(spentMicros),
          budget_usd: 10,
          remaining_usd: microsToUsd(10_000_000 - spentMicros),
        })

        gw.kill('SIGTERM')
        expect(await gw.exited).toBe(0)
      }
    } finally {
      removed = await storage.cleanup()
    }
    // With Redis, the gateway wrote under the configured prefix (which is all this test removes).
    if (storage.name === 'redis') expect(removed).toBeGreaterThan(0)
  })
})
