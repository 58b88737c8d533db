// The compile entry, kept small on purpose. `serve` re-executes itself once to raise Bun's fetch limit
// (cli/fetch-limit.ts); doing that here, before the gateway's modules are evaluated, spares the first
// process their start-up (measured: ready line 434 → 2xx ms). Everything else is cli/main.ts.
import { raiseFetchLimit } from './cli/fetch-limit'

const argv = process.argv.slice(2)
// The command is the first argument unless it is a flag (a bare `crabllm`, with or without flags, serves).
const command = argv[0] !== undefined && !argv[0].startsWith('-') ? argv[0] : 'serve'
const justAsking = argv.some((a) => a === '-h' || a === '--help' || a === '-V' || a === '--version')
if (command === 'serve' && !justAsking) raiseFetchLimit(argv)

import('./cli/main').then(({ main }) => main(argv)).then((code) => process.exit(code))
