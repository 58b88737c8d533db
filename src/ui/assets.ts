// The dashboard's script and stylesheet. In the compiled binary they are the files scripts/build.ts
// bundled (bundle.ts) and embedded with `bun build --compile --asset dist/crabllm-ui`: read from the
// binary on first use. From source (`bun src/main.ts`, `bun test`) they are bundled once per process on
// first use. Each is served as is and gzipped, under a URL that carries its content hash.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { bundleUi } from './bundle'

/** The folder scripts/build.ts writes the bundle to and embeds, and its name inside the binary. */
export const UI_ASSET_DIR = 'crabllm-ui'
export const UI_SCRIPT_FILE = 'app.js'
export const UI_STYLE_FILE = 'app.css'

export interface UiAsset {
  bytes: Uint8Array<ArrayBuffer>
  gzipped: Uint8Array<ArrayBuffer>
  /** First 16 hex digits of the SHA-256 of `bytes`: the `?v=` of its URL. */
  hash: string
}

export interface UiAssets {
  script: UiAsset
  style: UiAsset
  /** Where they came from: "embedded" (the binary) or "bundled" (from source, at first use). */
  origin: 'embedded' | 'bundled'
}

let loading: Promise<UiAssets> | undefined

export function uiAssets(): Promise<UiAssets> {
  loading ??= load().catch((err) => {
    loading = undefined
    throw err
  })
  return loading
}

// --- internal ---

async function load(): Promise<UiAssets> {
  const embedded = embeddedDir()
  if (embedded) {
    const read = (file: string) => asset(new Uint8Array(readFileSync(join(embedded, file))))
    return { script: read(UI_SCRIPT_FILE), style: read(UI_STYLE_FILE), origin: 'embedded' }
  }
  if (Bun.isStandaloneExecutable)
    throw new Error(`this binary has no dashboard embedded (${UI_ASSET_DIR}/): build it with \`bun run build\``)
  const bundle = await bundleUi()
  return { script: asset(bundle.script), style: asset(bundle.style), origin: 'bundled' }
}

/** The embedded folder inside a compiled binary (modules and --asset files share its root). */
function embeddedDir(): string | undefined {
  if (!Bun.isStandaloneExecutable) return undefined
  const dir = join(import.meta.dir, UI_ASSET_DIR)
  return existsSync(join(dir, UI_SCRIPT_FILE)) ? dir : undefined
}

function asset(bytes: Uint8Array): UiAsset {
  const copy = new Uint8Array(bytes)
  return {
    bytes: copy,
    gzipped: Bun.gzipSync(copy),
    hash: new Bun.CryptoHasher('sha256').update(copy).digest('hex').slice(0, 16),
  }
}
