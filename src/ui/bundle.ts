// Bundles the dashboard's browser code (src/ui/app/, Preact) with Bun.build into one minified ES module
// and one stylesheet. scripts/build.ts runs it before compiling the binary (which then embeds the two
// files); from source, assets.ts runs it once on first use. JSX settings come from src/ui/app/tsconfig.json.
import { resolve } from 'node:path'

export interface UiBundle {
  script: Uint8Array<ArrayBuffer>
  style: Uint8Array<ArrayBuffer>
}

export const UI_ENTRY = resolve(import.meta.dir, 'app/main.tsx')

export async function bundleUi(): Promise<UiBundle> {
  let result: Bun.BuildOutput
  try {
    result = await Bun.build({
      entrypoints: [UI_ENTRY],
      target: 'browser',
      format: 'esm',
      minify: true,
      sourcemap: 'none',
      define: { 'process.env.NODE_ENV': '"production"' },
    })
  } catch (err) {
    throw new Error(
      `bundling the dashboard failed: ${err instanceof AggregateError ? err.errors.map(String).join('\n') : String(err)}`,
    )
  }
  if (!result.success) throw new Error(`bundling the dashboard failed:\n${result.logs.map(String).join('\n')}`)
  const script = result.outputs.find((o) => o.kind === 'entry-point' && o.path.endsWith('.js'))
  const style = result.outputs.find((o) => o.path.endsWith('.css'))
  if (!script || !style)
    throw new Error(
      `bundling the dashboard gave ${result.outputs.map((o) => o.path).join(', ')}: expected one .js and one .css`,
    )
  return { script: new Uint8Array(await script.arrayBuffer()), style: new Uint8Array(await style.arrayBuffer()) }
}
