// The Scalar API reference (the standalone browser bundle of @scalar/api-reference), embedded in the
// binary by `bun build --compile` so that /docs renders with no internet access. Imported with the
// `file` loader, which stores the bundle's bytes as they are (4.3 MB); the `text` loader would store a
// JS string, UTF-16 for this non-Latin-1 bundle, twice that. The bytes are read on first use. The
// package's exports map does not list the bundle, hence the paths into node_modules.
import { readFileSync } from 'node:fs'
import scalarPath from '../../node_modules/@scalar/api-reference/dist/browser/standalone.js' with { type: 'file' }
import scalarPackage from '../../node_modules/@scalar/api-reference/package.json' with { type: 'json' }

/** The bundle's version; /docs asks for /docs/scalar.js?v=<version>, so it can be cached for a year. */
export const SCALAR_VERSION: string = scalarPackage.version

let bytes: Uint8Array<ArrayBuffer> | undefined
let text: string | undefined

/** The bundle, as bytes (served as is). */
export function scalarScript(): Uint8Array<ArrayBuffer> {
  bytes ??= new Uint8Array(readFileSync(scalarPath))
  return bytes
}

/** The bundle, as text (to inline in a page). */
export function scalarScriptText(): string {
  text ??= new TextDecoder().decode(scalarScript())
  return text
}
