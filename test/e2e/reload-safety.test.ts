// The reload guard through the compiled binary (finding 7): a SIGHUP with an empty file, a file cut before
// `[[keys]]` or inside a key's table, one that turns auth off or removes every provider is refused with an
// error line, and every request is answered exactly as before; with allow_unsafe_reload = true in the new
// file the same reload is applied. Through the admin API, the last provider served is not deleted (409)
// unless the config file allows it. Each wait awaits a line of the binary's output or an answer.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CrabllmProcess, crabllmBin, spawnCrabllm } from '../support/binary'

const ADMIN = 'admin-token-reload-0123456789abcd'
const TEAM = 'sk-reload-team-0123456789abcdefghi'
const WRONG = 'sk-reload-wrong-0123456789abcdefgh'
const REFUSED = /ERROR +config reload refused; the previous config keeps serving (.*)$/
const RELOADED = /WARN +config reloaded (.*)$/

let root: string
let seq = 0
beforeAll(() => {
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-reload-safety-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

const ECHO = '[providers.echo]\nkind = "echo"\nmodels = ["echo", "other"]\n'
const TEAM_KEY = `[[keys]]\nname = "team"\nkey = "${TEAM}"\nmodels = ["echo"]\n`

interface Gateway {
  gw: CrabllmProcess
  path: string
}

async function start(toml: string): Promise<Gateway> {
  const dir = join(root, `t${++seq}`)
  mkdirSync(dir)
  const path = join(dir, 'crabllm.toml')
  writeFileSync(path, toml)
  const gw = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir })
  await gw.ready()
  return { gw, path }
}

async function status(gw: CrabllmProcess, key: string | undefined, model: string): Promise<number> {
  const res = await gw.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  })
  await res.arrayBuffer()
  return res.status
}

/** What each caller gets: the config key on its model and on another, the admin token, no key, a wrong key. */
async function answers(gw: CrabllmProcess): Promise<Record<string, number>> {
  return {
    'team echo': await status(gw, TEAM, 'echo'),
    'team other': await status(gw, TEAM, 'other'),
    admin: await status(gw, ADMIN, 'echo'),
    'no key': await status(gw, undefined, 'echo'),
    'wrong key': await status(gw, WRONG, 'echo'),
  }
}

interface Case {
  name: string
  before: string
  /** The new file, as a function of the old one (a cut keeps a prefix of it). */
  after: (before: string) => string
  /** The reasons the refusal names. */
  reasons: string
  /** What the answers become once the same file is applied with allow_unsafe_reload = true. */
  applied: Record<string, number>
}

const CASES: Case[] = [
  {
    name: 'a 0-byte file (every provider and key gone, auth off)',
    before: `${TEAM_KEY}${ECHO}`,
    after: () => '',
    reasons: 'remove every provider, remove every key and turn auth off',
    applied: { 'team echo': 404, 'team other': 404, admin: 404, 'no key': 404, 'wrong key': 404 },
  },
  {
    name: 'a keys-only file cut before [[keys]] (an open relay on the providers)',
    before: `${ECHO}${TEAM_KEY}`,
    after: (before) => before.slice(0, before.indexOf('[[keys]]')),
    reasons: 'remove every key and turn auth off',
    applied: { 'team echo': 200, 'team other': 200, admin: 200, 'no key': 200, 'wrong key': 200 },
  },
  {
    name: 'a file cut before [[keys]] that keeps the admin token (every key gone)',
    before: `admin_token = "${ADMIN}"\n${ECHO}${TEAM_KEY}`,
    after: (before) => before.slice(0, before.indexOf('[[keys]]')),
    reasons: 'remove every key',
    applied: { 'team echo': 401, 'team other': 401 },
  },
  {
    name: "a file cut inside a key's table, before its models (every model for that key)",
    before: `admin_token = "${ADMIN}"\n${ECHO}${TEAM_KEY}`,
    after: (before) => before.slice(0, before.indexOf('models = ["echo"]\n')),
    reasons: "give key 'team' every model",
    applied: { 'team other': 200 },
  },
  {
    name: 'a file without the admin token where it was the only credential (auth on → off)',
    before: `admin_token = "${ADMIN}"\n${ECHO}`,
    after: () => ECHO,
    reasons: 'turn auth off',
    applied: { admin: 200, 'no key': 200, 'wrong key': 200, 'team echo': 200, 'team other': 200 },
  },
  {
    name: 'a file without providers (nothing left to serve)',
    before: `${TEAM_KEY}${ECHO}`,
    after: () => TEAM_KEY,
    reasons: 'remove every provider',
    applied: { 'team echo': 404, 'team other': 404 },
  },
]

describe('SIGHUP with a file that would open or empty the gateway', () => {
  test.each(CASES)('$name: refused, logged, nothing changes; applied with allow_unsafe_reload', async (c) => {
    const { gw, path } = await start(c.before)
    await using _gw = gw
    const before = await answers(gw)

    const next = c.after(c.before)
    writeFileSync(path, next)
    gw.kill('SIGHUP')
    const refused = await gw.waitForLine(REFUSED, 'stderr')
    expect(refused[1]).toContain(`the new file would ${c.reasons} (`)
    expect(refused[1]).toContain('crabllm.toml: reload refused')
    expect(refused[1]).toContain('set allow_unsafe_reload = true in the new file')
    expect(await answers(gw)).toEqual(before)

    // The same file, saying the change is meant: applied.
    writeFileSync(path, `allow_unsafe_reload = true\n${next}`)
    gw.kill('SIGHUP')
    const reloaded = await gw.waitForLine(RELOADED, 'stderr')
    expect(reloaded[1]).toContain(`allow_unsafe_reload="${c.reasons}"`)
    expect(await answers(gw)).toEqual({ ...before, ...c.applied })
    expect(gw.stderr().match(/ERROR/g)).toHaveLength(1)
  })

  test('an ordinary edit (one of two keys and one of two providers removed) is applied without the flag', async () => {
    const second = '[[keys]]\nname = "second"\nkey = "sk-reload-second-0123456789abcdef"\n'
    const { gw, path } = await start(
      `${ECHO}[providers.spare]\nkind = "echo"\nmodels = ["spare"]\n${TEAM_KEY}${second}`,
    )
    await using _gw = gw
    expect(await status(gw, TEAM, 'echo')).toBe(200)
    writeFileSync(path, `${ECHO}${second}`)
    gw.kill('SIGHUP')
    await gw.waitForLine(RELOADED, 'stderr')
    expect(await status(gw, TEAM, 'echo')).toBe(401)
    expect(await status(gw, 'sk-reload-second-0123456789abcdef', 'echo')).toBe(200)
    expect(await status(gw, undefined, 'echo')).toBe(401)
    expect(gw.stderr()).not.toContain('ERROR')
  })
})

describe('the admin API and the last provider', () => {
  const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
  const addProvider = (gw: CrabllmProcess, name: string) =>
    gw.fetch('/v1/admin/providers', {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name, kind: 'echo', models: [name] }),
    })
  const deleteProvider = (gw: CrabllmProcess, name: string) =>
    gw.fetch(`/v1/admin/providers/${name}`, { method: 'DELETE', headers: admin })

  test('deleting the last provider is 409 unsafe_change and it keeps serving; with another one it goes', async () => {
    const { gw } = await start(`admin_token = "${ADMIN}"\n`)
    await using _gw = gw
    expect((await addProvider(gw, 'only')).status).toBe(201)
    expect(await status(gw, ADMIN, 'only')).toBe(200)

    const refused = await deleteProvider(gw, 'only')
    expect(refused.status).toBe(409)
    const body = (await refused.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('unsafe_change')
    expect(body.error.message).toContain('allow_unsafe_reload = true')
    expect(await status(gw, ADMIN, 'only')).toBe(200)

    expect((await addProvider(gw, 'spare')).status).toBe(201)
    expect((await deleteProvider(gw, 'only')).status).toBe(200)
    expect(await status(gw, ADMIN, 'only')).toBe(404)
    expect(await status(gw, ADMIN, 'spare')).toBe(200)
  })

  test('with allow_unsafe_reload = true in the config file the last provider can be deleted', async () => {
    const { gw } = await start(`admin_token = "${ADMIN}"\nallow_unsafe_reload = true\n`)
    await using _gw = gw
    expect((await addProvider(gw, 'only')).status).toBe(201)
    expect((await deleteProvider(gw, 'only')).status).toBe(200)
    expect(await status(gw, ADMIN, 'only')).toBe(404)
  })

  test('revoking the last key is never refused: auth stays on through the admin token', async () => {
    const { gw } = await start(`admin_token = "${ADMIN}"\n${ECHO}`)
    await using _gw = gw
    const created = await gw.fetch('/v1/admin/keys', { method: 'POST', headers: admin, body: '{"name":"last"}' })
    const { key } = (await created.json()) as { key: string }
    expect(await status(gw, key, 'echo')).toBe(200)
    expect((await gw.fetch('/v1/admin/keys/last', { method: 'DELETE', headers: admin })).status).toBe(200)
    expect(await status(gw, key, 'echo')).toBe(401)
    expect(await status(gw, undefined, 'echo')).toBe(401)
  })
})
