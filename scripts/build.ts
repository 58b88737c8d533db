// Compiles the gateway into one self-contained executable: dist/crabllm (or --outfile PATH).
// `bun build --compile --minify`: the binary is the product.
import { resolve } from 'node:path'

const root = resolve(import.meta.dir, '..')
const outIndex = process.argv.indexOf('--outfile')
const outfile = outIndex > 0 ? resolve(process.argv[outIndex + 1]!) : resolve(root, 'dist/crabllm')

const started = performance.now()
// The SQLite checkpoint worker is a second entry point: a compiled binary only holds workers named here.
const entries = [resolve(root, 'src/main.ts'), resolve(root, 'src/storage/checkpoint-worker.ts')]
const proc = Bun.spawn([process.execPath, 'build', '--compile', '--minify', ...entries, '--outfile', outfile], {
  cwd: root,
  stdout: 'inherit',
  stderr: 'inherit',
})
const code = await proc.exited
if (code !== 0) {
  console.error(`build failed (exit ${code})`)
  process.exit(code)
}
console.log(`built ${outfile} in ${Math.round(performance.now() - started)} ms`)
