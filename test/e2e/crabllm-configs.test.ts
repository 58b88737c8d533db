// Configs written for the Rust crabllm, served by the compiled binary (issue [4/6] item 4): every
// fixture under test/fixtures/crabllm starts unchanged (its ${VAR}s set, providers that are called
// pointed at local mocks), requests relay through the ones written for a mock upstream, and a fixture
// with a real difference stops the binary with exit 1 and one line naming the field and the fix.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crabllmBin, runCrabllm, spawnCrabllm } from '../support/binary'
import { chatCompletion, openAiError, startMockUpstream } from '../support/mock-upstream'
import { freePort, hasRedisServer, killAllRedis, startRedis } from '../support/redis-server'

const FIXTURES = join(import.meta.dir, '../fixtures/crabllm')
const ALL = readdirSync(FIXTURES).filter((f) => f.endsWith('.toml'))
/** Fixtures needing more than their variables (a mock upstream, a Redis): their own tests below. */
const OWN_TEST = new Set(['bench.toml', 'kindless.toml', 'storage-redis.toml'])

/** Every ${VAR} the fixtures read, as a deployment would export them. */
const ENV: Record<string, string> = {
  OPENAI_API_KEY: 'sk-openai-fixture',
  ANTHROPIC_API_KEY: 'sk-ant-fixture',
  GOOGLE_API_KEY: 'google-fixture',
  GROQ_API_KEY: 'gsk-fixture',
  TOGETHER_API_KEY: 'together-fixture',
  AZURE_OPENAI_KEY: 'azure-fixture',
  AZURE_KEY: 'azure-fixture',
  AWS_ACCESS_KEY_ID: 'AKIAFIXTURE',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-fixture',
  DEEPSEEK_API_KEY: 'sk-deepseek-fixture',
  KIMI_API_KEY: 'sk-kimi-fixture',
  OPENAI_KEY_1: 'sk-openai-1',
  OPENAI_KEY_2: 'sk-openai-2',
  OPENAI_KEY_3: 'sk-openai-3',
  CRABTALK_API_KEY: 'sk-crabtalk-fixture-key',
  ADMIN_API_KEY: 'sk-admin-fixture-key',
}

let root: string
let seq = 0
/** The fixture copied into a folder of its own (sqlite files are written beside the config). */
function placed(name: string): string {
  const dir = join(root, `t${++seq}`)
  mkdirSync(dir)
  copyFileSync(join(FIXTURES, name), join(dir, name))
  return dir
}

beforeAll(() => {
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-compat-'))
})
afterAll(() => {
  killAllRedis()
  rmSync(root, { recursive: true, force: true })
})

function serve(name: string, env: Record<string, string> = {}) {
  return spawnCrabllm(['serve', '--config', name, '--bind', '127.0.0.1:0'], {
    cwd: placed(name),
    env: { ...ENV, ...env },
  })
}

function chat(base: string, model: string): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  })
}

describe('crabllm configs start unchanged', () => {
  test.each(ALL.filter((n) => !n.startsWith('differ-') && !OWN_TEST.has(n)))('%s', async (name) => {
    await using gw = serve(name)
    await gw.ready()
    expect(gw.stdout()).toMatch(/ models=\d+ providers=\d+ /)
    expect((await gw.fetch('/health')).status).toBe(200)
  })

  test('bench.toml relays a chat request to its mock', async () => {
    await using up = await startMockUpstream()
    up.fallback = () => ({ json: chatCompletion('bench answer', 'bench-chat') })
    await using gw = serve('bench.toml', { MOCK_BASE_URL: up.url })
    await gw.ready()
    const res = await chat(gw.url, 'bench-chat')
    expect(res.status).toBe(200)
    expect(((await res.json()) as any).choices[0].message.content).toBe('bench answer')
    const seen = await up.waitForRequest(1)
    expect(seen.path).toBe('/v1/chat/completions')
    expect(seen.headers.authorization).toBe('Bearer mock-key')
  })

  test('kindless.toml: the pasted endpoint stripped; the weight-0 backup only once the other failed', async () => {
    await using local = await startMockUpstream()
    await using backup = await startMockUpstream()
    local.fallback = () => ({ json: chatCompletion('from local', 'local-chat') })
    backup.fallback = () => ({ json: chatCompletion('from backup', 'local-chat') })
    await using gw = serve('kindless.toml', { LOCAL_LLM_URL: local.url, BACKUP_LLM_URL: backup.url })
    await gw.ready()

    const first = await chat(gw.url, 'local-chat')
    expect(first.status).toBe(200)
    expect(((await first.json()) as any).choices[0].message.content).toBe('from local')
    const seen = await local.waitForRequest(1)
    expect(seen.path).toBe('/v1/chat/completions') // not …/v1/chat/completions/chat/completions
    expect(seen.headers.authorization).toBeUndefined() // no key configured, none sent
    expect(backup.requests.length).toBe(0)

    local.fallback = () => openAiError(503, 'overloaded', 'server_error')
    const second = await chat(gw.url, 'local-chat')
    expect(second.status).toBe(200)
    expect(((await second.json()) as any).choices[0].message.content).toBe('from backup')
    expect(backup.requests.length).toBe(1)
  })

  test.skipIf(!hasRedisServer)('storage-redis.toml, against a private redis-server', async () => {
    const dir = join(root, 'redis')
    mkdirSync(dir)
    const port = freePort()
    const redis = await startRedis(port, dir)
    try {
      await using gw = serve('storage-redis.toml', { REDIS_URL: `redis://127.0.0.1:${port}` })
      await gw.ready()
      expect(gw.stdout()).toContain(' storage=redis:')
    } finally {
      await redis.stop('kill')
    }
  })
})

describe('a crabllm config with a real difference', () => {
  test.each([
    [
      'differ-llamacpp.toml',
      `differ-llamacpp.toml:7: providers.local.model_path: is crabllm's llama.cpp setting; this gateway starts no local model server (fix: run llama-server yourself and serve it as kind = "openai" with base_url = "http://127.0.0.1:8080/v1")`,
    ],
    [
      'differ-retry-deadline.toml',
      `differ-retry-deadline.toml:9: providers.openai.retry_deadline: crabllm's time limit on one provider's retries is not supported (fix: remove it: retries stop after max_retries, and each attempt after timeout seconds)`,
    ],
  ])('%s exits 1 with one line', async (name, line) => {
    const r = await runCrabllm(['serve', '--config', name, '--bind', '127.0.0.1:0'], { cwd: placed(name), env: ENV })
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`error: ${line}\n`)
  })
})
