// Compiles the gateway into one self-contained executable: dist/crabllm (or --outfile PATH).
// `bun build --compile --minify`: the binary is the product. The dashboard (src/ui/app/) is bundled
// first and its two files embedded with --asset, so that /ui is served from the binary (src/ui/assets.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { bundleUi, UI_ASSET_DIR, UI_SCRIPT_FILE, UI_STYLE_FILE } from '../src/ui'

const root = resolve(import.meta.dir, '..')
const outIndex = process.argv.indexOf('--outfile')
const outfile = outIndex > 0 ? resolve(process.argv[outIndex + 1]!) : resolve(root, 'dist/crabllm')
// --target TARGET: a release target (linux-x64, linux-x64-baseline, linux-x64-musl, linux-arm64,
// linux-arm64-musl, darwin-arm64, darwin-x64, windows-x64); Bun fetches that runtime from the npm
// registry. Default: this machine's.
const targetIndex = process.argv.indexOf('--target')
const target = targetIndex > 0 ? process.argv[targetIndex + 1]! : hostTarget()
if (!/^(linux|darwin|windows)-(x64|arm64)(-musl|-baseline)?$/.test(target)) {
  console.error(`--target: "${target}" is not a target (e.g. linux-x64, linux-arm64-musl, darwin-arm64, windows-x64)`)
  process.exit(2)
}
const build = buildIdentity(target)

const started = performance.now()
// A folder of this build's own: builds running at once (test processes) do not share files.
const staging = mkdtempSync(join(tmpdir(), 'crabllm-build-'))
const code = await (async () => {
  const ui = await bundleUi()
  const assets = join(staging, UI_ASSET_DIR)
  mkdirSync(assets)
  writeFileSync(join(assets, UI_SCRIPT_FILE), ui.script)
  writeFileSync(join(assets, UI_STYLE_FILE), ui.style)
  console.log(
    `dashboard: ${UI_SCRIPT_FILE} ${kb(ui.script)} (${kb(Bun.gzipSync(ui.script))} gzipped), ${UI_STYLE_FILE} ${kb(ui.style)} (${kb(Bun.gzipSync(ui.style))} gzipped)`,
  )
  // The workers (SQLite checkpoints, the tokenizer) are entry points too: a compiled binary only holds workers named here.
  const entries = ['src/main.ts', 'src/storage/checkpoint-worker.ts', 'src/core/tokenize-worker.ts'].map((f) =>
    resolve(root, f),
  )
  const proc = Bun.spawn(
    [
      process.execPath,
      'build',
      '--compile',
      '--minify',
      `--target=bun-${target}`,
      '--define',
      `CRABLLM_BUILD_COMMIT=${JSON.stringify(build.commit)}`,
      '--define',
      `CRABLLM_BUILD_DATE=${JSON.stringify(build.date)}`,
      '--define',
      `CRABLLM_BUILD_TARGET=${JSON.stringify(target)}`,
      ...entries,
      '--asset',
      assets,
      '--outfile',
      outfile,
    ],
    {
      cwd: root,
      stdout: 'inherit',
      stderr: 'inherit',
    },
  )
  return proc.exited
})().finally(() => rmSync(staging, { recursive: true, force: true }))
if (code !== 0) {
  console.error(`build failed (exit ${code})`)
  process.exit(code)
}
console.log(
  `built ${outfile} (${target}, commit ${build.commit}, ${build.date}) in ${Math.round(performance.now() - started)} ms`,
)

/** This machine as a target name: linux-x64, linux-arm64-musl, darwin-arm64, … */
function hostTarget(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform
  const musl =
    process.platform === 'linux' &&
    !(process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header?.glibcVersionRuntime
  return `${os}-${process.arch}${musl ? '-musl' : ''}`
}

/**
 * The build's identity: the short commit (with -dirty when the tree has uncommitted changes; "unknown"
 * outside a git checkout) and the time, from SOURCE_DATE_EPOCH when set (reproducible builds) else now.
 */
function buildIdentity(_target: string): { commit: string; date: string } {
  const git = (...args: string[]) => {
    // No git on the machine (a container's build stage): the commit is "unknown", not a crash.
    if (!Bun.which('git')) return undefined
    const r = Bun.spawnSync(['git', ...args], { cwd: root, stdout: 'pipe', stderr: 'ignore' })
    return r.exitCode === 0 ? r.stdout.toString().trim() : undefined
  }
  const head = git('rev-parse', '--short=12', 'HEAD')
  const dirty = head !== undefined && (git('status', '--porcelain', '--untracked-files=no') ?? '') !== ''
  const epoch = Number(process.env.SOURCE_DATE_EPOCH)
  const date = new Date(Number.isFinite(epoch) && epoch > 0 ? epoch * 1000 : Date.now())
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
  return { commit: head === undefined ? 'unknown' : `${head}${dirty ? '-dirty' : ''}`, date }
}

function kb(bytes: Uint8Array): string {
  return `${(bytes.byteLength / 1024).toFixed(1)} kB`
}
