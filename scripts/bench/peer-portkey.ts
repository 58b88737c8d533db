// The optional peer: Portkey's open-source gateway (`@portkey-ai/gateway` from the npm registry), for
// `bun run bench -- --peers`. It is installed on demand into .bench/peers/portkey (gitignored, outside
// the project's dependencies) with the project's bun, and started as its own process with bun: under
// Node 20 its streaming and embeddings routes fail ("TypeError: immutable" from undici's Headers), under
// Bun all routes work. It reaches the mock through its `custom-host` routing headers.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ChildService, freePort, ROOT, spawnService, UPSTREAM_KEY } from './processes'

/** Pinned so that runs compare like with like; bump it deliberately. */
export const PORTKEY_VERSION = '1.15.2'
export const PORTKEY_DIR = join(ROOT, '.bench/peers/portkey')
const ENTRY = join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway/build/start-server.js')

/**
 * The headers that route a request through Portkey to the mock at `upstreamUrl` as an upstream of the
 * given kind: OpenAI-compatible by default, or Anthropic (for the anthropic-kind scenario, so that Portkey
 * translates as crabllm does).
 */
export function portkeyHeaders(
  upstreamUrl: string,
  provider: 'openai' | 'anthropic' = 'openai',
): Record<string, string> {
  return {
    authorization: `Bearer ${UPSTREAM_KEY}`,
    'x-portkey-provider': provider,
    'x-portkey-custom-host': `${upstreamUrl}/v1`,
  }
}

/** Installs the pinned Portkey gateway into PORTKEY_DIR unless it is there already; returns its server entry. */
export async function ensurePortkey(log: (line: string) => void): Promise<string> {
  if (existsSync(ENTRY) && installedVersion() === PORTKEY_VERSION) return ENTRY
  log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${PORTKEY_DIR} (bun add)`)
  mkdirSync(PORTKEY_DIR, { recursive: true })
  writeFileSync(
    join(PORTKEY_DIR, 'package.json'),
    `${JSON.stringify({ name: 'crabllm-bench-peer-portkey', private: true }, null, 2)}\n`,
  )
  const proc = Bun.spawn([process.execPath, 'add', `@portkey-ai/gateway@${PORTKEY_VERSION}`], {
    cwd: PORTKEY_DIR,
    stdout: 'pipe',
    stderr: 'pipe',
    stdin: 'ignore',
  })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 180_000)
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  clearTimeout(timer)
  if (code !== 0 || !existsSync(ENTRY))
    throw new Error(`bun add @portkey-ai/gateway@${PORTKEY_VERSION} failed (exit ${code})\n${(out + err).slice(-2000)}`)
  return ENTRY
}

/** Starts Portkey on a free port (it takes `--port=N`, and prints "Ready for connections!" after a 1 s banner). */
export async function spawnPortkey(
  entry: string,
  env: Record<string, string | undefined> = process.env,
): Promise<ChildService> {
  const port = freePort()
  return spawnService([process.execPath, entry, `--port=${port}`, '--headless'], {
    ready: 'Ready for connections',
    url: `http://127.0.0.1:${port}`,
    cwd: PORTKEY_DIR,
    env,
    timeoutMs: 30_000,
  })
}

// --- internal ---

function installedVersion(): string | undefined {
  try {
    return (
      JSON.parse(readFileSync(join(PORTKEY_DIR, 'node_modules/@portkey-ai/gateway/package.json'), 'utf8')) as {
        version?: string
      }
    ).version
  } catch {
    return undefined
  }
}
