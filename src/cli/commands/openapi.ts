// `crabllm openapi [--format json|html]`: prints the OpenAPI document, or a self-contained HTML page
// (the Scalar reference with its script and the document inlined, for a file or a static site).
import pkg from '../../../package.json' with { type: 'json' }
import { UsageError } from '../../config/errors'
import { openApiDocument } from '../../openapi/document'
import { docsPage } from '../../openapi/page'
import { scalarScriptText } from '../../openapi/scalar'
import type { FlagSpec } from '../args'

export const openapiFlags: FlagSpec[] = [
  {
    name: 'format',
    short: 'f',
    value: true,
    placeholder: 'FORMAT',
    description: 'json (the OpenAPI 3.1 document, the default) or html (a self-contained page)',
  },
]

/** The text to print for these flags. */
export function openapiOutput(flags: Record<string, string | true>): string {
  const format = typeof flags.format === 'string' ? flags.format : 'json'
  const document = openApiDocument({ version: pkg.version })
  if (format === 'json') return `${JSON.stringify(document, null, 2)}\n`
  if (format === 'html') return docsPage(document, { inline: scalarScriptText() })
  throw new UsageError(`--format: expected json or html, got "${format}"`, 'openapi')
}

export async function runOpenapi(flags: Record<string, string | true>): Promise<void> {
  const text = openapiOutput(flags)
  // One write of a few MB; wait for it to drain before main() returns and the process exits. A reader
  // that stops early (`| head`) is not an error.
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(text, (err) =>
      err && (err as NodeJS.ErrnoException).code !== 'EPIPE' ? reject(err) : resolve(),
    ),
  )
}
