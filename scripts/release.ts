// `bun run release`: the release archives. For every target, scripts/build.ts compiles the binary (Bun
// fetches that target's runtime from the npm registry), and the binary goes into a folder named like the
// archive with README.md, LICENSE and the example config; the folder is packed as
// `crabllm-<version>-<target>.tar.gz` (`.zip` for Windows), and `SHA256SUMS` lists every archive in
// sha256sum's format. Archives are reproducible for one commit: entries sorted, owner 0, times and gzip
// header set from SOURCE_DATE_EPOCH (the commit's time when unset), so two runs of the same commit give
// the same bytes. scripts/install.sh reads this layout.
//
//   bun scripts/release.ts [--targets linux-x64,linux-arm64-musl,…] [--out dist/release]
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pkg from '../package.json' with { type: 'json' }

/** Every target a release has, in the order the archives are listed. */
export const TARGETS = [
  'linux-x64',
  'linux-x64-baseline',
  'linux-x64-musl',
  'linux-arm64',
  'linux-arm64-musl',
  'darwin-arm64',
  'darwin-x64',
  'windows-x64',
] as const
export type Target = (typeof TARGETS)[number]

/** `crabllm-0.1.0-linux-arm64-musl.tar.gz`, `crabllm-0.1.0-windows-x64.zip`. */
export function archiveName(version: string, target: string): string {
  return `${folderName(version, target)}${target.startsWith('windows-') ? '.zip' : '.tar.gz'}`
}

export function folderName(version: string, target: string): string {
  return `crabllm-${version}-${target}`
}

const ROOT = resolve(import.meta.dir, '..')
/** What each archive holds beside the binary. */
const EXTRAS = ['README.md', 'LICENSE', 'crabllm.toml'] as const

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const targets = (arg('targets')?.split(',') ?? [...TARGETS]) as Target[]
  for (const t of targets)
    if (!(TARGETS as readonly string[]).includes(t)) {
      console.error(`--targets: "${t}" is not a target; the targets are ${TARGETS.join(', ')}`)
      process.exit(2)
    }
  const out = resolve(arg('out') ?? join(ROOT, 'dist/release'))
  process.exit(await release(targets, out))
}

/** Builds and packs `targets` into `out` (emptied first) with SHA256SUMS; resolves with an exit code. */
export async function release(targets: readonly Target[], out: string): Promise<number> {
  const epoch = sourceDateEpoch()
  const env = { ...process.env, SOURCE_DATE_EPOCH: String(epoch) }
  rmSync(out, { recursive: true, force: true })
  const staging = join(out, '.staging')
  mkdirSync(staging, { recursive: true })
  const lines: string[] = []
  for (const target of targets) {
    const started = performance.now()
    const folder = join(staging, folderName(pkg.version, target))
    mkdirSync(folder)
    const binary = join(folder, target.startsWith('windows-') ? 'crabllm.exe' : 'crabllm')
    const build = Bun.spawnSync(
      [process.execPath, join(ROOT, 'scripts/build.ts'), '--target', target, '--outfile', binary],
      { cwd: ROOT, env, stdout: 'pipe', stderr: 'pipe' },
    )
    if (build.exitCode !== 0) {
      console.error(`${target}: build failed (exit ${build.exitCode})\n${build.stdout}${build.stderr}`)
      return 1
    }
    for (const extra of EXTRAS) copyFileSync(join(ROOT, extra), join(folder, extra))
    // Every entry gets the same time, so the archive's bytes depend on the contents only.
    for (const entry of [folder, ...readdirSync(folder).map((f) => join(folder, f))]) utimesSync(entry, epoch, epoch)
    const archive = archiveName(pkg.version, target)
    const packed = target.startsWith('windows-')
      ? zip(staging, folder, join(out, archive))
      : tarGz(staging, folder, join(out, archive), epoch)
    if (!packed) return 1
    const bytes = readFileSync(join(out, archive))
    lines.push(`${new Bun.CryptoHasher('sha256').update(bytes).digest('hex')}  ${archive}`)
    console.log(
      `${archive}: binary ${mb(Bun.file(binary).size)}, archive ${mb(bytes.byteLength)} (${Math.round(performance.now() - started)} ms)`,
    )
  }
  rmSync(staging, { recursive: true, force: true })
  writeFileSync(join(out, 'SHA256SUMS'), `${lines.join('\n')}\n`)
  console.log(`${targets.length} archive(s) and SHA256SUMS in ${out}`)
  return 0
}

/** SOURCE_DATE_EPOCH, else the time of the commit being built (so the same commit packs the same bytes). */
function sourceDateEpoch(): number {
  const given = Number(process.env.SOURCE_DATE_EPOCH)
  if (Number.isInteger(given) && given > 0) return given
  if (!Bun.which('git')) return Math.floor(Date.now() / 1000)
  const git = Bun.spawnSync(['git', 'log', '-1', '--format=%ct'], { cwd: ROOT, stdout: 'pipe', stderr: 'ignore' })
  const time = Number(git.stdout.toString().trim())
  return git.exitCode === 0 && time > 0 ? time : Math.floor(Date.now() / 1000)
}

function tarGz(cwd: string, folder: string, archive: string, epoch: number): boolean {
  const name = folder.slice(cwd.length + 1)
  const tar = Bun.spawnSync(
    ['tar', '--sort=name', `--mtime=@${epoch}`, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', name],
    { cwd, stdout: 'pipe', stderr: 'pipe' },
  )
  if (tar.exitCode !== 0) {
    console.error(`tar failed: ${tar.stderr}`)
    return false
  }
  // gzip -n: no file name or time in the header.
  const gz = Bun.spawnSync(['gzip', '-n', '-9'], { stdin: tar.stdout, stdout: 'pipe', stderr: 'pipe' })
  if (gz.exitCode !== 0) {
    console.error(`gzip failed: ${gz.stderr}`)
    return false
  }
  writeFileSync(archive, gz.stdout)
  return true
}

function zip(cwd: string, folder: string, archive: string): boolean {
  const name = folder.slice(cwd.length + 1)
  const files = [
    name,
    ...readdirSync(folder)
      .sort()
      .map((f) => `${name}/${f}`),
  ]
  // -X: no extra file attributes (uid/gid, extended times); entries in sorted order.
  const z = Bun.spawnSync(['zip', '-X', '-q', '-9', archive, ...files], { cwd, stdout: 'pipe', stderr: 'pipe' })
  if (z.exitCode !== 0) {
    console.error(`zip failed (is the zip command installed?): ${z.stderr}`)
    return false
  }
  return true
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`
}
