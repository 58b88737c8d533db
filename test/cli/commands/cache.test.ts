// `crabllm cache clear` against an in-process gateway with [extensions.cache]: a cached answer is not
// served after it; a key's token is refused (exit 1); the extension off is one line naming the section.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { AdminClient, AdminError } from '../../../src/cli/admin-client'
import type { Flags } from '../../../src/cli/args'
import { cacheCommands } from '../../../src/cli/commands/cache'
import { capture } from '../../support/cli-output'
import { provider, startGateway, type TestGateway } from '../../support/gateway'
import { type MockUpstream, startMockUpstream } from '../../support/mock-upstream'

const ADMIN = 'admin-token-cli-cache-0123456789'
const TEAM = 'sk-cli-cache-team-0123456789abcdef'

async function clear(url: string, flags: Flags = {}, token = ADMIN) {
  const output = capture()
  await cacheCommands.clear!.run(new AdminClient({ url, token }), flags, output, 'cache clear')
  return output
}

const config = (upstream: string, extensions: string) => `admin_token = "${ADMIN}"
[[keys]]
name = "team"
key = "${TEAM}"
${provider('up', upstream, ['gpt-4o-mini'])}
${extensions}`

let mock: MockUpstream
let gw: TestGateway

beforeAll(async () => {
  mock = await startMockUpstream()
  gw = await startGateway(config(mock.url, '[extensions.cache]\n'))
})

afterAll(async () => {
  await gw[Symbol.asyncDispose]()
  await mock.close()
  expect(gw.errors()).toEqual([])
})

/** Whether the same request was answered from the cache. */
async function cached(): Promise<boolean> {
  const res = await gw.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'same' }] }, { key: TEAM })
  await res.text()
  await gw.ctx.pipeline.flush()
  return res.headers.get('x-crabllm-cache') === 'hit'
}

describe('crabllm cache clear', () => {
  test('clears: the next identical request reaches the upstream', async () => {
    await cached()
    expect(await cached()).toBe(true)
    expect((await clear(gw.url)).stdout).toBe('cache cleared\n')
    const before = mock.requests.length
    expect(await cached()).toBe(false)
    expect(mock.requests.length).toBe(before + 1)
  })

  test('--json is the answer as is', async () => {
    expect(JSON.parse((await clear(gw.url, { json: true })).stdout)).toMatchObject({ cleared: true })
  })

  test("a key's token is refused: exit 1 with the gateway's message", async () => {
    const err = await clear(gw.url, {}, TEAM).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminError)
    expect((err as AdminError).status).toBe(403)
    expect((err as AdminError).exitCode).toBe(1)
    expect((err as AdminError).message).toContain('needs the admin token')
  })

  test('cache off: one line naming the section to add, exit 1', async () => {
    await using off = await startGateway(config(mock.url, ''))
    const err = await clear(off.url).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AdminError)
    expect((err as AdminError).message).toBe('the cache is off: add [extensions.cache] to crabllm.toml')
  })
})
