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
    [process.execPath, 'build', '--compile', '--minify', ...entries, '--asset', assets, '--outfile', outfile],
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
console.log(`built ${outfile} in ${Math.round(performance.now() - started)} ms`)

function kb(bytes: Uint8Array): string {
  return `${(bytes.byteLength / 1024).toFixed(1)} kB`
}
