// scripts/install.sh against a fake release directory served on loopback by a Bun.serve that records every
// requested path. The release holds the real binary (crabllmBin()) as crabllm-0.1.0-linux-x64.tar.gz and
// -linux-x64-baseline, a musl-named archive whose `crabllm` is a stub script, a darwin-arm64 "archive" of
// random bytes, and a correct SHA256SUMS. It proves that the installer picks the archive for the platform
// (given by CRABLLM_TARGET, detected, or by libc), finds it through SHA256SUMS when the version is `latest`,
// installs it so that `crabllm version` answers byte for byte like the original, and refuses, with one
// `crabllm install: ` line and exit 1, a tampered archive (naming the file and both digests, with nothing
// installed, nothing left in TMPDIR and nothing from the archive run), a SHA256SUMS without the platform,
// an unsupported target and a plain-http URL off loopback. It runs the script under sh, dash and
// bash --posix when present, and with wget when curl is hidden from PATH.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Server } from 'bun'
import { archiveName as releaseArchiveName } from '../../scripts/release'
import { crabllmBin } from '../support/binary'

const ROOT = resolve(import.meta.dir, '../..')
const SCRIPT = join(ROOT, 'scripts/install.sh')
const VERSION = '0.1.0'
/** Upper bound for one installer run; a guard against a hung test, not a timing assumption. */
const RUN_TIMEOUT_MS = 45_000

// The fake release holds the real binary for linux-x64 (glibc) only: elsewhere there is nothing to install.
// glibc is what `ldd --version` says (a /lib/ld-musl-* alone proves nothing: Debian's musl package adds one).
const hostIsLinuxX64Glibc =
  process.platform === 'linux' &&
  process.arch === 'x64' &&
  /GLIBC|GNU libc/.test(Bun.spawnSync(['ldd', '--version'], { stdout: 'pipe', stderr: 'pipe' }).stdout.toString())
const cpuHasAvx2 = hostIsLinuxX64Glibc && /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))

let root: string
let www: string
let server: Server<undefined>
let original: { stdout: Buffer; stderr: Buffer }
/** Every path the release server was asked for, in order. */
const requests: string[] = []
let seq = 0

const sha256 = (bytes: Uint8Array) => new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
/** The release's own naming (scripts/release.ts), which the installer reads. */
const archiveName = (target: string, version = VERSION) => releaseArchiveName(version, target)
const baseUrl = (release: string) => `http://127.0.0.1:${server.port}/${release}`

async function run(cmd: string[], cwd: string): Promise<void> {
  const proc = Bun.spawn(cmd, { cwd, stdout: 'pipe', stderr: 'pipe' })
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
  if (code !== 0) throw new Error(`${cmd.join(' ')} failed (exit ${code}): ${stderr}`)
}

/** `crabllm-<version>-<target>.tar.gz` in `release`, one top folder of the same name with the four files. */
async function makeArchive(release: string, name: string, crabllm: { copy: string } | { script: string }) {
  const folder = name.replace(/\.tar\.gz$/, '')
  const stage = join(root, 'stage', `${++seq}`)
  const dir = join(stage, folder)
  mkdirSync(dir, { recursive: true })
  if ('copy' in crabllm) copyFileSync(crabllm.copy, join(dir, 'crabllm'))
  else writeFileSync(join(dir, 'crabllm'), crabllm.script)
  chmodSync(join(dir, 'crabllm'), 0o755)
  copyFileSync(join(ROOT, 'README.md'), join(dir, 'README.md'))
  copyFileSync(join(ROOT, 'crabllm.toml'), join(dir, 'crabllm.toml'))
  const license = join(ROOT, 'LICENSE')
  if (existsSync(license)) copyFileSync(license, join(dir, 'LICENSE'))
  else
    writeFileSync(
      join(dir, 'LICENSE'),
      'MIT License\n\nCopyright (c) crabllm contributors (placeholder for the test)\n',
    )
  await run(['tar', '-czf', join(www, release, name), '-C', stage, folder], root)
  rmSync(stage, { recursive: true, force: true })
}

/** SHA256SUMS in sha256sum's format for the named files of `release` (or the given digests). */
function writeSums(release: string, entries: Record<string, string | undefined>) {
  const lines = Object.entries(entries).map(
    ([name, digest]) => `${digest ?? sha256(readFileSync(join(www, release, name)))}  ${name}\n`,
  )
  writeFileSync(join(www, release, 'SHA256SUMS'), lines.join(''))
}

const stub = (line: string) => `#!/bin/sh\necho '${line}'\n`

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'crabllm-install-'))
  // A copy of its own: the archives and the reference `version` come from the same bytes even if dist/ is rebuilt.
  const bin = join(root, 'crabllm')
  copyFileSync(crabllmBin(), bin)
  chmodSync(bin, 0o755)
  www = join(root, 'www')
  for (const release of ['rel', 'tampered', 'swapped', 'nosums', 'twoversions'])
    mkdirSync(join(www, release), { recursive: true })
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname
      requests.push(path)
      const file = join(www, path)
      if (file.startsWith(`${www}/`) && existsSync(file) && statSync(file).isFile()) return new Response(Bun.file(file))
      return new Response('not found\n', { status: 404 })
    },
  })
  const version = Bun.spawnSync([bin, 'version'], { stdout: 'pipe', stderr: 'pipe' })
  original = { stdout: version.stdout, stderr: version.stderr }

  // The release: the real binary for linux-x64 and its baseline variant, a musl stub, darwin junk.
  await Promise.all([
    makeArchive('rel', archiveName('linux-x64'), { copy: bin }),
    makeArchive('rel', archiveName('linux-x64-baseline'), { copy: bin }),
    makeArchive('rel', archiveName('linux-x64-musl'), { script: stub('crabllm 0.1.0 (fake musl build)') }),
  ])
  writeFileSync(join(www, 'rel', archiveName('darwin-arm64')), crypto.getRandomValues(new Uint8Array(4096)))
  const relNames = ['linux-x64', 'linux-x64-baseline', 'linux-x64-musl', 'darwin-arm64'].map((t) => archiveName(t))
  writeSums('rel', Object.fromEntries(relNames.map((n) => [n, undefined])))
  const genuine = readFileSync(join(www, 'rel', 'SHA256SUMS'))

  // Tampered: the genuine SHA256SUMS, and the linux-x64 archive with one byte changed after it was written.
  const bytes = readFileSync(join(www, 'rel', archiveName('linux-x64')))
  bytes[bytes.length >> 1]! ^= 0xff
  writeFileSync(join(www, 'tampered', archiveName('linux-x64')), bytes)
  writeFileSync(join(www, 'tampered', 'SHA256SUMS'), genuine)

  // Swapped: a well-formed archive whose crabllm would leave a mark if anything ran it; the genuine SHA256SUMS.
  await makeArchive('swapped', archiveName('linux-x64'), {
    script: `#!/bin/sh\ntouch '${join(root, 'swapped-ran')}'\necho 'crabllm 6.6.6'\n`,
  })
  writeFileSync(join(www, 'swapped', 'SHA256SUMS'), genuine)

  // No line for linux-x64 (the archive is there, but SHA256SUMS does not vouch for it).
  copyFileSync(join(www, 'rel', archiveName('linux-x64')), join(www, 'nosums', archiveName('linux-x64')))
  copyFileSync(join(www, 'rel', archiveName('linux-x64-musl')), join(www, 'nosums', archiveName('linux-x64-musl')))
  writeSums('nosums', { [archiveName('linux-x64-musl')]: undefined })

  // Two versions for linux-x64: `latest` cannot choose; a pinned version can.
  await Promise.all([
    makeArchive('twoversions', archiveName('linux-x64', '0.1.0'), { script: stub('crabllm 0.1.0 (fake)') }),
    makeArchive('twoversions', archiveName('linux-x64', '0.2.0'), { script: stub('crabllm 0.2.0 (fake)') }),
  ])
  writeSums('twoversions', {
    [archiveName('linux-x64', '0.1.0')]: undefined,
    [archiveName('linux-x64', '0.2.0')]: undefined,
  })
  // Compressing the ~100 MB binary twice takes a few seconds: a bound against a hang, not a timing assumption.
}, 120_000)

afterAll(async () => {
  await server?.stop(true)
  if (root) rmSync(root, { recursive: true, force: true })
})

interface Install {
  code: number
  stdout: string
  stderr: string
  /** CRABLLM_INSTALL_DIR (fresh, empty before the run). */
  dir: string
  /** TMPDIR (fresh, empty before the run). */
  tmp: string
  /** Paths the release server was asked for during this run. */
  requests: string[]
}

interface InstallOptions {
  /** The shell and its flags; `sh` by default. */
  shell?: string[]
  /** Added to a clean environment (PATH, HOME, TMPDIR, CRABLLM_INSTALL_DIR); `undefined` leaves a name out. */
  env?: Record<string, string | undefined>
  args?: string[]
}

/** Runs the installer in a clean environment: no CRABLLM_* from the outside, HOME/TMPDIR/install dir fresh. */
async function install(options: InstallOptions = {}): Promise<Install> {
  const base = join(root, `run${++seq}`)
  const home = join(base, 'home')
  const tmp = join(base, 'tmp')
  const dir = join(base, 'bin')
  for (const d of [home, tmp, dir]) mkdirSync(d, { recursive: true })
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: tmp,
    CRABLLM_INSTALL_DIR: dir,
  }
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  const from = requests.length
  const proc = Bun.spawn([...(options.shell ?? ['sh']), SCRIPT, ...(options.args ?? [])], {
    cwd: base,
    env,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), RUN_TIMEOUT_MS)
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  clearTimeout(timer)
  return { code, stdout, stderr, dir, tmp, requests: requests.slice(from) }
}

/** `crabllm version` of the installed binary, compared byte for byte with the original's. */
function expectInstalledRealBinary(r: Install) {
  expect(r.stderr).toBe('')
  expect(r.code).toBe(0)
  expect(readdirSync(r.dir)).toEqual(['crabllm'])
  const installed = join(r.dir, 'crabllm')
  expect(statSync(installed).mode & 0o777).toBe(0o755)
  const version = Bun.spawnSync([installed, 'version'], { stdout: 'pipe', stderr: 'pipe' })
  expect(version.exitCode).toBe(0)
  expect(Buffer.from(version.stdout)).toEqual(Buffer.from(original.stdout))
  expect(Buffer.from(version.stderr)).toEqual(Buffer.from(original.stderr))
  expect(r.stdout).toContain(`installed ${installed}\n`)
  expect(r.stdout).toContain(original.stdout.toString())
  // The private download folder is gone.
  expect(readdirSync(r.tmp)).toEqual([])
}

/** One `crabllm install: ` line on stderr, exit 1, nothing installed, nothing left in TMPDIR. */
function expectRefused(r: Install): string {
  expect(r.code).toBe(1)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toStartWith('crabllm install: ')
  expect(readdirSync(r.dir)).toEqual([])
  expect(readdirSync(r.tmp)).toEqual([])
  return lines[0]!
}

const shells: { name: string; cmd: string[] }[] = [
  { name: 'sh', cmd: ['sh'] },
  ...(existsSync('/bin/dash') ? [{ name: 'dash', cmd: ['/bin/dash'] }] : []),
  ...(Bun.which('bash') ? [{ name: 'bash --posix', cmd: ['bash', '--posix'] }] : []),
]

describe.skipIf(!hostIsLinuxX64Glibc)('scripts/install.sh', () => {
  test('--help lists every environment variable and downloads nothing', async () => {
    const r = await install({ args: ['--help'] })
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    for (const name of [
      'CRABLLM_VERSION',
      'CRABLLM_DOWNLOAD_URL',
      'CRABLLM_INSTALL_DIR',
      'CRABLLM_TARGET',
      'CRABLLM_LIBC',
      'CRABLLM_ALLOW_HTTP',
      'TMPDIR',
    ])
      expect(r.stdout).toContain(name)
    expect(r.requests).toEqual([])
    expect(readdirSync(r.dir)).toEqual([])
  })

  test('an unknown argument is refused', async () => {
    const line = expectRefused(await install({ args: ['--prefix=/opt'] }))
    expect(line).toContain('unknown argument: --prefix=/opt')
  })

  for (const shell of shells)
    test(`${shell.name}: a pinned version for CRABLLM_TARGET=linux-x64 installs the real binary`, async () => {
      const r = await install({
        shell: shell.cmd,
        env: { CRABLLM_DOWNLOAD_URL: baseUrl('rel'), CRABLLM_VERSION: VERSION, CRABLLM_TARGET: 'linux-x64' },
      })
      expectInstalledRealBinary(r)
      expect(r.requests).toEqual(['/rel/SHA256SUMS', `/rel/${archiveName('linux-x64')}`])
      expect(r.stdout).toContain(`into ${r.dir}`)
      // The install dir is not on the test's PATH: the hint says how to add it.
      expect(r.stdout).toContain(`export PATH="${r.dir}:$PATH"`)
    })

  test('detection alone: linux-x64 on glibc (the baseline build when the CPU lacks AVX2)', async () => {
    const r = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('rel'), CRABLLM_VERSION: VERSION } })
    expectInstalledRealBinary(r)
    const target = cpuHasAvx2 ? 'linux-x64' : 'linux-x64-baseline'
    expect(r.requests).toEqual(['/rel/SHA256SUMS', `/rel/${archiveName(target)}`])
    expect(r.stdout).toContain(`for ${target} into`)
  })

  test('latest (CRABLLM_VERSION unset): the archive is found through SHA256SUMS', async () => {
    const r = await install({ env: { CRABLLM_DOWNLOAD_URL: `${baseUrl('rel')}/`, CRABLLM_TARGET: 'linux-x64' } })
    expectInstalledRealBinary(r)
    expect(r.requests).toEqual(['/rel/SHA256SUMS', `/rel/${archiveName('linux-x64')}`])
  })

  test('musl: detected from `ldd --version`, or CRABLLM_LIBC=musl, or CRABLLM_TARGET=linux-x64-musl', async () => {
    // A PATH whose ldd is musl's (the first line of musl's `ldd --version`, on stderr).
    const fakeLdd = join(root, 'musl-ldd-bin')
    mkdirSync(fakeLdd)
    writeFileSync(join(fakeLdd, 'ldd'), "#!/bin/sh\necho 'musl libc (x86_64)' >&2\nexit 1\n")
    chmodSync(join(fakeLdd, 'ldd'), 0o755)
    for (const env of [
      { PATH: `${fakeLdd}:${process.env.PATH}` },
      { CRABLLM_LIBC: 'musl' },
      { CRABLLM_TARGET: 'linux-x64-musl' },
    ]) {
      const r = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('rel'), ...env } })
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.requests).toEqual(['/rel/SHA256SUMS', `/rel/${archiveName('linux-x64-musl')}`])
      expect(r.stdout).toContain('crabllm 0.1.0 (fake musl build)\n')
      expect(readdirSync(r.dir)).toEqual(['crabllm'])
    }
  })

  test('installing over an existing crabllm replaces it and leaves no temporary file', async () => {
    const env = { CRABLLM_DOWNLOAD_URL: baseUrl('twoversions'), CRABLLM_TARGET: 'linux-x64' }
    const first = await install({ env: { ...env, CRABLLM_VERSION: '0.1.0' } })
    expect(first.code).toBe(0)
    const second = await install({ env: { ...env, CRABLLM_VERSION: '0.2.0', CRABLLM_INSTALL_DIR: first.dir } })
    expect(second.stderr).toBe('')
    expect(second.code).toBe(0)
    expect(readdirSync(first.dir)).toEqual(['crabllm'])
    expect(Bun.spawnSync([join(first.dir, 'crabllm'), 'version']).stdout.toString()).toBe('crabllm 0.2.0 (fake)\n')
  })

  test('latest with two versions listed for the platform is an error naming the platform and both', async () => {
    const r = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('twoversions'), CRABLLM_TARGET: 'linux-x64' } })
    const line = expectRefused(r)
    expect(line).toContain('several archives for linux-x64')
    expect(line).toContain(archiveName('linux-x64', '0.1.0'))
    expect(line).toContain(archiveName('linux-x64', '0.2.0'))
    expect(r.requests).toEqual(['/twoversions/SHA256SUMS'])
  })

  test('a tampered archive: exit 1 naming the file and both digests; nothing unpacked, run or installed', async () => {
    const name = archiveName('linux-x64')
    const expected = sha256(readFileSync(join(www, 'rel', name)))
    const actual = sha256(readFileSync(join(www, 'tampered', name)))
    const r = await install({
      env: { CRABLLM_DOWNLOAD_URL: baseUrl('tampered'), CRABLLM_VERSION: VERSION, CRABLLM_TARGET: 'linux-x64' },
    })
    const line = expectRefused(r)
    expect(line).toContain(`checksum mismatch for ${name}`)
    expect(line).toContain(expected)
    expect(line).toContain(actual)
    expect(line).toContain('nothing was installed')
    // The archive was downloaded in full (the server saw it), then refused.
    expect(r.requests).toEqual(['/tampered/SHA256SUMS', `/tampered/${name}`])
    expect(r.stdout).not.toContain('installed ')
  })

  test('a well-formed archive that does not match SHA256SUMS is never unpacked nor run', async () => {
    const r = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('swapped'), CRABLLM_TARGET: 'linux-x64' } })
    const line = expectRefused(r)
    expect(line).toContain(`checksum mismatch for ${archiveName('linux-x64')}`)
    expect(r.requests).toEqual(['/swapped/SHA256SUMS', `/swapped/${archiveName('linux-x64')}`])
    // Its crabllm would have touched this file had anything run it.
    expect(existsSync(join(root, 'swapped-ran'))).toBe(false)
  })

  test('no SHA256SUMS line for the platform: an error naming it, and the archive is never fetched', async () => {
    const latest = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('nosums'), CRABLLM_TARGET: 'linux-x64' } })
    expect(expectRefused(latest)).toContain('no archive for linux-x64 in ')
    expect(latest.requests).toEqual(['/nosums/SHA256SUMS'])

    const pinned = await install({
      env: { CRABLLM_DOWNLOAD_URL: baseUrl('nosums'), CRABLLM_TARGET: 'linux-x64', CRABLLM_VERSION: `v${VERSION}` },
    })
    expect(expectRefused(pinned)).toContain(`no line for ${archiveName('linux-x64')} in `)
    expect(pinned.requests).toEqual(['/nosums/SHA256SUMS'])
  })

  test('a verified file that is not an archive: an error, nothing installed', async () => {
    const r = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('rel'), CRABLLM_TARGET: 'darwin-arm64' } })
    expect(expectRefused(r)).toContain(`cannot unpack ${archiveName('darwin-arm64')}`)
  })

  test('an unsupported CRABLLM_TARGET or CRABLLM_LIBC is refused before any download', async () => {
    const target = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('rel'), CRABLLM_TARGET: 'linux-riscv64' } })
    const line = expectRefused(target)
    expect(line).toContain('unsupported target: linux-riscv64')
    expect(line).toContain('linux-x64-musl')
    expect(target.requests).toEqual([])

    const libc = await install({ env: { CRABLLM_DOWNLOAD_URL: baseUrl('rel'), CRABLLM_LIBC: 'uclibc' } })
    expect(expectRefused(libc)).toContain('CRABLLM_LIBC must be musl or glibc')
    expect(libc.requests).toEqual([])
  })

  test('plain http off loopback is refused unless CRABLLM_ALLOW_HTTP=1', async () => {
    for (const url of [
      'http://example.invalid/releases',
      `http://localhost:${server.port}@example.invalid/releases`,
      `http://127.0.0.2:1/releases`,
    ]) {
      const r = await install({ env: { CRABLLM_DOWNLOAD_URL: url, CRABLLM_TARGET: 'linux-x64' } })
      const line = expectRefused(r)
      expect(line).toContain(`refusing plain-http URL ${url}`)
      expect(line).toContain('CRABLLM_ALLOW_HTTP=1')
      expect(r.stdout).toBe('')
    }
    // Allowed, the same URL gets as far as the download (nothing listens there).
    const allowed = await install({
      env: {
        CRABLLM_DOWNLOAD_URL: 'http://127.0.0.2:1/releases',
        CRABLLM_TARGET: 'linux-x64',
        CRABLLM_ALLOW_HTTP: '1',
      },
    })
    expect(expectRefused(allowed)).toContain('could not download http://127.0.0.2:1/releases/SHA256SUMS')
    expect(requests.filter((p) => p.startsWith('/releases'))).toEqual([])
  })

  test.skipIf(!Bun.which('wget'))('without curl on PATH it downloads with wget', async () => {
    const bin = join(root, 'no-curl-bin')
    mkdirSync(bin)
    const linked = new Set(['curl'])
    for (const d of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
      if (!existsSync(d)) continue
      for (const f of readdirSync(d)) {
        if (linked.has(f)) continue
        linked.add(f)
        symlinkSync(join(d, f), join(bin, f))
      }
    }
    const r = await install({
      env: { PATH: bin, CRABLLM_DOWNLOAD_URL: baseUrl('rel'), CRABLLM_VERSION: VERSION, CRABLLM_TARGET: 'linux-x64' },
    })
    expectInstalledRealBinary(r)
    expect(r.requests).toEqual(['/rel/SHA256SUMS', `/rel/${archiveName('linux-x64')}`])
  })
})
