// `crabllm budget [KEY]` against an in-process gateway with [extensions.budget] and priced models: the
// table in dollars, one key, --json, a key the gateway does not know, and the extension off.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { AdminClient, AdminError } from '../../../src/cli/admin-client'
import type { Flags } from '../../../src/cli/args'
import { budgetCommand } from '../../../src/cli/commands/budget'
import { CliError } from '../../../src/config/errors'
import { capture } from '../../support/cli-output'
import { provider, startGateway, type TestGateway } from '../../support/gateway'
import { type MockUpstream, startMockUpstream } from '../../support/mock-upstream'

const ADMIN = 'admin-token-cli-budget-0123456789'
const TEAM = 'sk-cli-budget-team-0123456789abcdef'
const OTHER = 'sk-cli-budget-other-0123456789abcdef'

async function run(url: string, flags: Flags, token = ADMIN) {
  const output = capture()
  await budgetCommand.run(new AdminClient({ url, token }), flags, output, 'budget')
  return output
}

const config = (upstream: string, extensions: string) => `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${TEAM}"
[[keys]]
name = "other"
key = "${OTHER}"
${provider('up', upstream, ['gpt-4o-mini'])}
[models."gpt-4o-mini"]
prompt_cost_per_million = 1000.0
completion_cost_per_million = 2000.0
${extensions}`

const BUDGET = '[extensions.budget]\ndefault_budget = 10\n[extensions.budget.keys.team]\nbudget = 2.5\n'

let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(config(mock.url, BUDGET))
  // 9 prompt and 4 completion tokens at $1000 and $2000 per million: $0.017.
  const res = await gw.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { key: TEAM })
  expect(res.status).toBe(200)
  await res.text()
  await gw.ctx.pipeline.flush()
})

afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
  expect(gw.errors()).toEqual([])
})

describe('crabllm budget', () => {
  test('every key: budget, spent and remaining in dollars', async () => {
    const o = await run(gw.url, {})
    expect(o.stdout).toBe(
      ['KEY    BUDGET  SPENT   REMAINING', 'other  $10.00  $0.00   $10.00', 'team   $2.50   $0.017  $2.483', ''].join(
        '\n',
      ),
    )
  })

  test('KEY picks one row; --json is the answer as is, or that row', async () => {
    expect((await run(gw.url, { key: 'team' })).stdout).toBe(
      'KEY   BUDGET  SPENT   REMAINING\nteam  $2.50   $0.017  $2.483\n',
    )
    const direct = await gw.fetch('/v1/budget', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect((await run(gw.url, { json: true })).stdout).toBe(`${await direct.text()}\n`)
    expect(JSON.parse((await run(gw.url, { key: 'team', json: true })).stdout)).toEqual([
      expect.objectContaining({ key: 'team', spent_usd: 0.017, budget_usd: 2.5, remaining_usd: 2.483 }),
    ])
  })

  test("a key's own token sees its own row", async () => {
    expect((await run(gw.url, {}, OTHER)).stdout).toMatch(/^KEY.*\nother\s+\$10\.00\s+\$0\.00\s+\$10\.00\n$/)
  })

  test('a KEY the gateway does not know exits 1 with one line', async () => {
    const err = await run(gw.url, { key: 'nobody' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(1)
    expect((err as CliError).message).toStartWith("no budget for key 'nobody'")
  })

  test('budget off: one line naming the section to add, exit 1', async () => {
    await using off = await startGateway(config(mock.url, ''))
    const err = await run(off.url, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminError)
    expect((err as AdminError).message).toBe('budget is off: add [extensions.budget] to crabllm.toml')
    expect((err as AdminError).exitCode).toBe(1)
  })
})
