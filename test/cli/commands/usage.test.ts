// `crabllm usage` against an in-process gateway with [extensions.usage]: the table, the --key and
// --model filters (applied by the CLI: the route takes none), --json, --since refused (the counters have
// no time), a key's own token, and the one-line error when the extension is off.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { AdminClient, AdminError } from '../../../src/cli/admin-client'
import type { Flags } from '../../../src/cli/args'
import { formatUsageTable, usageCommand } from '../../../src/cli/commands/usage'
import { UsageError } from '../../../src/config/errors'
import { capture } from '../../support/cli-output'
import { provider, startGateway, type TestGateway } from '../../support/gateway'
import { closedPort, type MockUpstream, startMockUpstream } from '../../support/mock-upstream'

const ADMIN = 'admin-token-cli-usage-0123456789'
const TEAM = 'sk-cli-usage-team-0123456789abcdef'
const OTHER = 'sk-cli-usage-other-0123456789abcdef'

async function run(url: string, flags: Flags, token = ADMIN) {
  const output = capture()
  await usageCommand.run(new AdminClient({ url, token }), flags, output, 'usage')
  return output
}

const config = (upstream: string, extensions: string) => `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${TEAM}"
[[keys]]
name = "other"
key = "${OTHER}"
${provider('up', upstream, ['gpt-4o-mini', 'gpt-4o'])}
${extensions}`

let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(config(mock.url, '[extensions.usage]\n'))
  const chat = (key: string, model: string) =>
    gw.chat({ model, messages: [{ role: 'user', content: 'hi' }] }, { key }).then((r) => r.text())
  await chat(TEAM, 'gpt-4o-mini')
  await chat(TEAM, 'gpt-4o-mini')
  await chat(TEAM, 'gpt-4o')
  await chat(OTHER, 'gpt-4o')
  await gw.ctx.pipeline.flush()
})

afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
  expect(gw.errors()).toEqual([])
})

describe('crabllm usage', () => {
  test('a table of every key and model for the admin token', async () => {
    const o = await run(gw.url, {})
    expect(o.stdout).toBe(
      [
        'KEY    MODEL        REQUESTS  CACHED  PROMPT  COMPLETION  TOTAL',
        'other  gpt-4o       1         0       9       4           13',
        'team   gpt-4o       1         0       9       4           13',
        'team   gpt-4o-mini  2         0       18      8           26',
        '',
      ].join('\n'),
    )
    expect(o.stderr).toBe('')
  })

  test('--key and --model filter the rows', async () => {
    expect((await run(gw.url, { key: 'team' })).stdout).not.toMatch(/^other/m)
    expect((await run(gw.url, { key: 'team' })).stdout.trimEnd().split('\n')).toHaveLength(3)
    const model = await run(gw.url, { model: 'gpt-4o' })
    expect(model.stdout.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(/^other\s+gpt-4o\s+1\s/),
      expect.stringMatching(/^team\s+gpt-4o\s+1\s/),
    ])
    const both = await run(gw.url, { key: 'team', model: 'gpt-4o-mini' })
    expect(both.stdout.trimEnd().split('\n')).toEqual([expect.stringMatching(/^KEY/), expect.stringMatching(/^team/)])
    expect((await run(gw.url, { key: 'nobody' })).stdout).toBe('no usage matches\n')
  })

  test('--json is the answer as is, or the filtered rows', async () => {
    const all = await run(gw.url, { json: true })
    const direct = await gw.fetch('/v1/usage', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(all.stdout).toBe(`${await direct.text()}\n`)
    const rows = JSON.parse((await run(gw.url, { json: true, key: 'other' })).stdout)
    expect(rows).toEqual([
      expect.objectContaining({
        key: 'other',
        model: 'gpt-4o',
        prompt_tokens: 9,
        completion_tokens: 4,
        total_tokens: 13,
        cache_read_tokens: 0,
        requests: 1,
        cached_requests: 0,
      }),
    ])
  })

  test("a key's own token sees its own rows", async () => {
    const o = await run(gw.url, {}, OTHER)
    expect(o.stdout.trimEnd().split('\n').slice(1)).toEqual([expect.stringMatching(/^other\s+gpt-4o\s/)])
  })

  test('--since is a usage error (exit 2) before anything is sent: the counters have no time', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const err = await run(url, { since: '1h' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect((err as UsageError).exitCode).toBe(2)
    expect((err as UsageError).message).toContain('no time dimension')
    expect((err as UsageError).message).toContain('crabllm logs --since')
  })

  test('an unreachable gateway or a refused token exits 1', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    const down = await run(url, {}).catch((e: unknown) => e)
    expect(down).toBeInstanceOf(AdminError)
    expect((down as AdminError).exitCode).toBe(1)
    expect((down as AdminError).message).toStartWith(`cannot reach crabllm at ${url}`)
    const refused = await run(gw.url, {}, 'sk-not-a-key-0123456789').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AdminError)
    expect((refused as AdminError).status).toBe(401)
  })

  test('usage off: one line naming the section to add, exit 1', async () => {
    await using off = await startGateway(config(mock.url, ''))
    const err = await run(off.url, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminError)
    expect((err as AdminError).message).toBe('usage is off: add [extensions.usage] to crabllm.toml')
    expect((err as AdminError).exitCode).toBe(1)
  })

  test('an empty store, and a cost column when the rows carry one', async () => {
    await using fresh = await startGateway(config(mock.url, '[extensions.usage]\n'))
    expect((await run(fresh.url, {})).stdout).toBe('no usage recorded yet\n')
    const table = formatUsageTable([
      {
        key: 'a',
        key_id: 'key_0123456789abcdef',
        model: 'm',
        prompt_tokens: 1,
        completion_tokens: 2,
        total_tokens: 3,
        cache_read_tokens: 0,
        requests: 1,
        cached_requests: 0,
        cost_usd: 0.000017,
      },
    ])
    expect(table.split('\n')[0]).toEndWith('TOTAL  COST')
    expect(table.split('\n')[1]).toEndWith('3      $0.000017')
  })
})
