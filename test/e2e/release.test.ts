// `bun run release` (scripts/release.ts) for three of its targets, and the binaries it packs, run:
// - every archive is named crabllm-<version>-<target>.tar.gz, holds one folder of that name with the
//   binary, README.md, LICENSE and crabllm.toml, and SHA256SUMS lists each with its real digest;
// - the linux-x64 binary from its archive: `version` names its target and commit, then init, serve, a
//   chat request relayed to a mock upstream, SIGTERM and exit 0;
// - linux-x64-musl: its ELF asks for musl's loader; it runs the same way where musl's loader and a
//   musl libstdc++ are installed (Alpine: `apk add libstdc++`), else the test says what is missing;
// - linux-arm64: its ELF header is AArch64; under qemu-user (Debian's qemu-user with libc6:arm64), it
//   serves and relays like the x64 one.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pkg from '../../package.json' with { type: 'json' }
import { archiveName, folderName } from '../../scripts/release'
import { type CrabllmProcess, spawnCrabllm } from '../support/binary'
import { chatCompletion, type MockUpstream, startMockUpstream } from '../support/mock-upstream'

const ROOT = resolve(import.meta.dir, '../..')
const TARGETS = ['linux-x64', 'linux-x64-musl', 'linux-arm64'] as const
const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64'
/** musl's loader looks in /lib, /usr/local/lib and /usr/lib: a musl libstdc++ there (Debian has none). */
const muslRunnable =
  existsSync('/lib/ld-musl-x86_64.so.1') &&
  ['/lib', '/usr/local/lib', '/usr/lib'].some((d) => existsSync(join(d, 'libstdc++.so.6')) && !d.includes('gnu'))
const qemu = Bun.which('qemu-aarch64')
const arm64Runnable = qemu !== null && existsSync('/lib/ld-linux-aarch64.so.1')
const VERSION_LINE = /^crabllm (\S+) \(commit (\S+), built (\S+), (\S+)\)\n$/

let out: string
let work: string
let upstream: MockUpstream

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'crabllm-release-'))
  work = mkdtempSync(join(tmpdir(), 'crabllm-release-run-'))
  upstream = await startMockUpstream()
  upstream.fallback = () => ({ json: chatCompletion('relayed by a release binary') })
  if (!onLinuxX64) return
  const release = Bun.spawn(
    [process.execPath, join(ROOT, 'scripts/release.ts'), '--targets', TARGETS.join(','), '--out', out],
    { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' },
  )
  const code = await release.exited
  if (code !== 0)
    throw new Error(
      `release.ts failed (${code}):\n${await new Response(release.stdout).text()}${await new Response(release.stderr).text()}`,
    )
  for (const target of TARGETS) {
    const tar = Bun.spawnSync(['tar', 'xzf', join(out, archiveName(pkg.version, target)), '-C', work])
    if (tar.exitCode !== 0) throw new Error(`cannot unpack ${target}: ${tar.stderr}`)
  }
}, 600_000)

afterAll(async () => {
  await upstream?.close()
  rmSync(out, { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
})

const binaryOf = (target: string) => join(work, folderName(pkg.version, target), 'crabllm')

/** The ELF header's class, data, machine and the interpreter it asks for. */
function elf(path: string): { class64: boolean; little: boolean; machine: number; interpreter: string } {
  const bytes = readFileSync(path)
  expect([...bytes.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46])
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const little = bytes[5] === 1
  const phoff = Number(view.getBigUint64(0x20, little))
  const phentsize = view.getUint16(0x36, little)
  const phnum = view.getUint16(0x38, little)
  let interpreter = ''
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    if (view.getUint32(at, little) !== 3) continue // PT_INTERP
    const offset = Number(view.getBigUint64(at + 8, little))
    const size = Number(view.getBigUint64(at + 32, little))
    interpreter = bytes.subarray(offset, offset + size - 1).toString('latin1')
  }
  return { class64: bytes[4] === 2, little, machine: view.getUint16(0x12, little), interpreter }
}

/** init, serve, one relayed chat completion, SIGTERM: what a user does first with a downloaded binary. */
async function serveAndRelay(command: string[], target: string): Promise<void> {
  const version = Bun.spawnSync([...command, 'version'], { stdout: 'pipe', stderr: 'pipe' })
  expect(version.exitCode).toBe(0)
  const [, v, commit, , t] = version.stdout.toString().match(VERSION_LINE)!
  expect(v).toBe(pkg.version)
  expect(t).toBe(target)
  expect(commit).toMatch(/^[0-9a-f]{12}(-dirty)?$|^unknown$/)
  const dir = join(work, `run-${target}`)
  mkdirSync(dir, { recursive: true })
  const init = Bun.spawnSync([...command, 'init'], { cwd: dir, stdout: 'pipe', stderr: 'pipe' })
  expect(init.exitCode).toBe(0)
  const key = init.stderr.toString().match(/default key: (sk-\S+)/)![1]!
  // The starter serves the echo model; add the mock as an openai provider.
  const config = join(dir, 'crabllm.toml')
  await Bun.write(
    config,
    `${readFileSync(config, 'utf8')}\n[providers.mock]\nkind = "openai"\napi_key = "sk-up"\nbase_url = "${upstream.url}/v1"\nmodels = ["gpt-4o-mini"]\n`,
  )
  await using gw: CrabllmProcess = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: dir, command })
  await gw.ready()
  const health = (await (await gw.fetch('/health')).json()) as { build: { target: string } }
  expect(health.build.target).toBe(target)
  const res = await gw.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  })
  expect(res.status).toBe(200)
  expect(((await res.json()) as any).choices[0].message.content).toBe('relayed by a release binary')
  gw.kill('SIGTERM')
  expect(await gw.exited).toBe(0)
  expect(gw.stderr()).toContain('stopped')
}

describe.skipIf(!onLinuxX64)('bun run release', () => {
  test('every archive holds one folder with the binary, README, LICENSE and example config; SHA256SUMS is exact', async () => {
    const names = TARGETS.map((t) => archiveName(pkg.version, t))
    expect(readdirSync(out).sort()).toEqual([...names, 'SHA256SUMS'].sort())
    const sums = readFileSync(join(out, 'SHA256SUMS'), 'utf8')
    const lines = sums.trimEnd().split('\n')
    expect(lines).toHaveLength(TARGETS.length)
    for (const [i, target] of TARGETS.entries()) {
      const name = names[i]!
      const digest = new Bun.CryptoHasher('sha256').update(readFileSync(join(out, name))).digest('hex')
      expect(lines[i]).toBe(`${digest}  ${name}`)
      const list = Bun.spawnSync(['tar', 'tzf', join(out, name)], { stdout: 'pipe' }).stdout.toString()
      const folder = folderName(pkg.version, target)
      expect(list.trimEnd().split('\n').sort()).toEqual(
        [
          `${folder}/`,
          `${folder}/LICENSE`,
          `${folder}/README.md`,
          `${folder}/crabllm`,
          `${folder}/crabllm.toml`,
        ].sort(),
      )
    }
  })

  test('linux-x64: version, init, serve, a relayed request, SIGTERM', async () => {
    expect(elf(binaryOf('linux-x64'))).toMatchObject({ class64: true, little: true, machine: 62 })
    await serveAndRelay([binaryOf('linux-x64')], 'linux-x64')
  }, 60_000)

  test("linux-x64-musl: an x86-64 ELF that asks for musl's loader", () => {
    expect(elf(binaryOf('linux-x64-musl'))).toEqual({
      class64: true,
      little: true,
      machine: 62,
      interpreter: '/lib/ld-musl-x86_64.so.1',
    })
  })

  if (!muslRunnable)
    console.warn(
      'release.test: the musl binary is not run here: it needs musl (Debian: apt install musl) and a musl libstdc++ (Alpine: apk add libstdc++), and Debian has no musl libstdc++',
    )
  test.skipIf(!muslRunnable)(
    'linux-x64-musl: version, init, serve, a relayed request, SIGTERM',
    async () => {
      await serveAndRelay([binaryOf('linux-x64-musl')], 'linux-x64-musl')
    },
    60_000,
  )

  test('linux-arm64: an AArch64 ELF that asks for the glibc loader', () => {
    expect(elf(binaryOf('linux-arm64'))).toEqual({
      class64: true,
      little: true,
      machine: 183,
      interpreter: '/lib/ld-linux-aarch64.so.1',
    })
  })

  if (!arm64Runnable)
    console.warn(
      'release.test: the arm64 binary is not run here: it needs qemu-user and the arm64 C library (apt install qemu-user libc6:arm64 libstdc++6:arm64 after dpkg --add-architecture arm64)',
    )
  test.skipIf(!arm64Runnable)(
    'linux-arm64 under qemu-user: version, init, serve, a relayed request, SIGTERM',
    async () => {
      await serveAndRelay([qemu!, '-L', '/', binaryOf('linux-arm64')], 'linux-arm64')
    },
    180_000,
  )
})
