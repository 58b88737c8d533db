// Real coding agents from npm against the compiled gateway and a scripted mock upstream (not part of CI):
// Claude Code (/v1/messages) onto anthropic, openai and google deployments, Codex CLI and the OpenAI
// Agents SDK (/v1/responses) onto openai and anthropic ones, each behind an alias. A scenario answers
// plainly or makes one tool round trip (the mock asks for a tool call, then answers once the tool's output
// comes back). Prints agent, provider kind, scenario, pass/fail, seconds, what reached the gateway and the
// upstream, the failure's first line; then each failure's details and stderr tail. Exit 1 on a failure.
//
//   bun scripts/agents.ts [--only claude,codex,agents-sdk] [--bin PATH] [--timeout S] [--update] [--verbose] [--direct]
//
// Agents are installed (npm, latest) into $CRABLLM_AGENTS_DIR or ~/.cache/crabllm-agents on first use;
// --update reinstalls. --direct points the agents at the mock itself (their own API only): a check of the
// mock. The gateway is --bin, $CRABLLM_BIN or dist/crabllm.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { spawnCrabllm } from '../test/support/binary'
import { type Recorded, startMock, startProxyTrap } from './agents/mock'
import { type AgentName, RUNNERS, type RunContext } from './agents/runners'

const PACKAGES = ['@anthropic-ai/claude-code@latest', '@openai/codex@latest', '@openai/agents@latest']
const KEY = 'sk-agents-0123456789abcdefghijklmnopqrstuvwxyzABCDEF'
type Kind = 'anthropic' | 'openai' | 'google'
/** Each kind's deployment: the model it serves, the alias agents ask for, the base path on the mock. */
const DEPLOYMENTS: Record<Kind, { model: string; alias: string; basePath: string }> = {
  anthropic: { model: 'claude-mock-1', alias: 'crab-anthropic', basePath: '/v1' },
  openai: { model: 'gpt-mock-1', alias: 'crab-openai', basePath: '/v1' },
  google: { model: 'gemini-mock-1', alias: 'crab-google', basePath: '/v1beta' },
}
/** The kind whose API each agent speaks (what --direct runs). */
const NATIVE: Record<AgentName, Kind> = { claude: 'anthropic', codex: 'openai', 'agents-sdk': 'openai' }

type Scenario = 'plain' | 'tool' | 'tool-stream'
type Case = { agent: AgentName; kind: Kind; scenario: Scenario }
const matrix = (agent: AgentName, kinds: Kind[], scenarios: Scenario[]) =>
  kinds.flatMap((kind) => scenarios.map((scenario): Case => ({ agent, kind, scenario })))
const CASES = [
  ...matrix('claude', ['anthropic', 'openai', 'google'], ['plain', 'tool']),
  ...matrix('codex', ['openai', 'anthropic'], ['plain', 'tool']),
  ...matrix('agents-sdk', ['openai', 'anthropic'], ['tool', 'tool-stream']),
]

interface Result {
  c: Case
  ok: boolean
  seconds: number
  problems: string[]
  /** Grouped: the gateway's access lines (`messages 200×2`), what reached the mock, the proxy's refusals. */
  gatewayCalls: string
  upstreamCalls: string
  blocked: string
  upstream: Recorded[]
  stderrTail: string
}

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    bin: { type: 'string' },
    timeout: { type: 'string', default: '180' },
    update: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    direct: { type: 'boolean', default: false },
  },
})
const only = opts.only?.split(',')
if (only?.some((a) => !(a in RUNNERS))) fail(2, `--only takes ${Object.keys(RUNNERS).join(', ')}`)
const dir = resolve(process.env.CRABLLM_AGENTS_DIR ?? join(homedir(), '.cache/crabllm-agents'))
const bin = resolve(opts.bin ?? process.env.CRABLLM_BIN ?? join(import.meta.dir, '../dist/crabllm'))
if (!existsSync(bin)) fail(2, `no gateway at ${bin}: bun scripts/build.ts [--outfile PATH], then --bin PATH`)
process.env.CRABLLM_BIN = bin // what spawnCrabllm runs

const cases = CASES.filter((c) => (!only || only.includes(c.agent)) && (!opts.direct || NATIVE[c.agent] === c.kind))
installAgents(new Set(cases.map((c) => c.agent)))
const work = mkdtempSync(join(tmpdir(), 'crabllm-agents-'))
const [mock, trap] = [startMock(), await startProxyTrap()]
writeFileSync(join(work, 'crabllm.toml'), gatewayConfig(mock.url))
await using gateway = spawnCrabllm(['serve', '--config', join(work, 'crabllm.toml'), '--bind', '127.0.0.1:0', '-v'], {
  cwd: work,
  env: { LOG_FORMAT: 'json' },
})
const gatewayUrl = await gateway.ready()
console.log(
  `gateway ${gatewayUrl} (${bin}), mock ${mock.url}${opts.direct ? ', agents calling the mock directly' : ''}`,
)

const results: Result[] = []
for (const c of cases) {
  process.stdout.write(`${c.agent} → ${c.kind} · ${c.scenario} … `)
  results.push(await runCase(c))
  console.log(`${results.at(-1)!.ok ? 'pass' : 'FAIL'} (${results.at(-1)!.seconds.toFixed(1)} s)`)
}
mock.stop()
trap.stop()
printReport(results)
rmSync(work, { recursive: true, force: true })
process.exitCode = results.every((r) => r.ok) ? 0 : 1

async function runCase(c: Case): Promise<Result> {
  const home = join(work, `run-${results.length}`)
  const ctx: RunContext = {
    dir,
    gateway: opts.direct ? mock.url : gatewayUrl,
    key: KEY,
    model: DEPLOYMENTS[c.kind].alias,
    proxy: trap.url,
    home,
    cwd: join(home, 'work'),
    answer: `CRAB-ANSWER-${c.agent}-${c.kind}-${c.scenario}`.toUpperCase(),
    ...(c.scenario !== 'plain' && { toolMarker: `CRAB-TOOL-${Math.random().toString(36).slice(2, 10)}` }),
    stream: c.scenario === 'tool-stream',
    hostedTools: c.kind === 'openai',
  }
  for (const d of [ctx.cwd, join(home, 'tmp'), join(home, '.config')]) mkdirSync(d, { recursive: true })
  const run = RUNNERS[c.agent](ctx)
  mock.script = run.script
  const [upFrom, logFrom, trapFrom, started] = [mock.requests.length, gateway.stderr().length, trap.seen.length, now()]

  const proc = Bun.spawn(run.cmd, { cwd: ctx.cwd, env: run.env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let timedOut = false
  // SIGTERM first: the codex npm wrapper forwards it to its native child, which SIGKILL would orphan.
  const timer = setTimeout(() => {
    timedOut = true
    proc.kill('SIGTERM')
    setTimeout(() => proc.kill('SIGKILL'), 5000).unref()
  }, Number(opts.timeout) * 1000)
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  clearTimeout(timer)
  const seconds = now() - started
  await Bun.sleep(200) // the gateway's access line for the last answer may still be on its way

  const upstream = mock.requests.slice(upFrom)
  const access = accessLines(gateway.stderr().slice(logFrom))
  const problems = access
    .filter((a) => a.status >= 400)
    .map((a) => ['gateway', a.status, a.path, a.error, a.model && `model=${a.model}`].filter(Boolean).join(' '))
  if (timedOut) problems.push(`timed out after ${opts.timeout} s`)
  else if (code !== 0) {
    const said = stderr.split('\n').findLast((l) => /\berror\b/i.test(l) && !/\bWARN\b/.test(l))
    problems.push(`exit ${code}${said ? `: ${oneLine(said)}` : ''}`)
  }
  let answer = stdout
  try {
    answer = run.answerOf(stdout)
  } catch {}
  if (!answer.includes(ctx.answer)) problems.push(`the answer lacks ${ctx.answer}: ${oneLine(answer) || '(empty)'}`)
  if (ctx.toolMarker) {
    const asked = upstream.find((r) => r.answer.startsWith('tool:'))
    const tools = [...new Set(upstream.flatMap((r) => r.tools))].join(', ') || 'none'
    if (!asked) problems.push(`no upstream request offered ${run.script.tool?.names.join(' or ')} (tools: ${tools})`)
    else if (!upstream.some((r) => r.toolResults.some((t) => t.includes(ctx.toolMarker!))))
      problems.push(`${asked.answer} was called, but its output never reached the upstream`)
  }
  if (problems.length === 0) rmSync(home, { recursive: true, force: true })
  return {
    c,
    ok: problems.length === 0,
    seconds,
    problems: [...new Set(problems)],
    gatewayCalls: summarize(access.map((a) => `${a.path.replace(/^\/v1\//, '')} ${a.status}`)),
    upstreamCalls: summarize(upstream.map((u) => `${shortPath(u.path)} ${u.stream ? 'sse' : 'json'}`)),
    blocked: summarize(trap.seen.slice(trapFrom)),
    upstream,
    stderrTail: tail(stderr),
  }
}

function printReport(rs: Result[]): void {
  const head = ['agent', 'kind', 'scenario', 'result', 's', 'gateway calls', 'upstream calls', 'failure']
  const rows = rs.map((r) => [
    ...[r.c.agent, r.c.kind, r.c.scenario, r.ok ? 'pass' : 'FAIL', r.seconds.toFixed(1)],
    ...[r.gatewayCalls, r.upstreamCalls, (r.problems[0] ?? '').slice(0, 100)],
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  console.log(`\n${line(head)}\n${line(widths.map((w) => '-'.repeat(w)))}\n${rows.map(line).join('\n')}`)
  console.log(`\n${rs.filter((r) => r.ok).length}/${rs.length} passed`)
  for (const r of rs.filter((r) => !r.ok || opts.verbose)) {
    console.log(`\n── ${r.c.agent} → ${r.c.kind} · ${r.c.scenario}: ${r.ok ? 'pass' : 'FAIL'}`)
    for (const p of r.problems) console.log(`  ${p}`)
    for (const u of r.upstream)
      console.log(
        `  upstream ${u.path} ${u.stream ? 'sse' : 'json'} tools=[${u.tools}] results=${u.toolResults.length} reasoning=${u.reasoning} → ${u.answer}`,
      )
    if (r.blocked) console.log(`  refused by the proxy trap: ${r.blocked}`)
    if (!r.ok && r.stderrTail) console.log(`  stderr (tail):\n${r.stderrTail.replace(/^/gm, '    | ')}`)
  }
  const blocked = rs.filter((r) => r.blocked).map((r) => `${r.c.agent}: ${r.blocked}`)
  if (blocked.length)
    console.log(`\nvendor hosts the agents tried (all refused):\n  ${[...new Set(blocked)].join('\n  ')}`)
}

type Access = { path: string; status: number; error?: string; model?: string }

/** The gateway's JSON access lines in a slice of its stderr. */
function accessLines(log: string): Access[] {
  const lines: Access[] = []
  for (const l of log.split('\n'))
    try {
      const j = JSON.parse(l)
      if (j.msg === 'request' && j.path !== '/health') lines.push(j)
    } catch {}
  return lines
}

/** The last 15 lines, a timestamped log line repeated only once (agents repeat their warnings). */
function tail(stderr: string): string {
  const stamp = /^\S*\d{2}:\d{2}:\d{2}\S*\s+/
  const seen = new Set<string>()
  const lines: string[] = []
  for (const l of stderr.trimEnd().split('\n').reverse()) {
    if (stamp.test(l) && seen.has(l.replace(stamp, ''))) continue
    seen.add(l.replace(stamp, ''))
    if (lines.unshift(l) === 15) break
  }
  return lines.join('\n')
}

/** `/v1beta/models/gemini-x:streamGenerateContent?alt=sse` → `models/…:streamGenerateContent`. */
function shortPath(path: string): string {
  return path
    .replace(/\?.*/, '')
    .replace(/^\/v1(beta)?\//, '')
    .replace(/^models\/[^:]+/, 'models/…')
}

/** `a, a, b` → `a×2, b`. */
function summarize(items: string[]): string {
  const counts = new Map<string, number>()
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1)
  return [...counts].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(', ')
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim()
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat
}

function now(): number {
  return performance.now() / 1000
}

function fail(code: number, message: string): never {
  console.error(message)
  process.exit(code)
}

function gatewayConfig(upstream: string): string {
  const providers = Object.entries(DEPLOYMENTS).map(
    ([kind, d]) =>
      `[providers.mock-${kind}]\nkind = "${kind}"\nbase_url = "${upstream}${d.basePath}"\napi_key = "mock-${kind}-key"\n` +
      `models = ["${d.model}"]\nmax_retries = 0\ntimeout = 120\n`,
  )
  const aliases = Object.values(DEPLOYMENTS).map((d) => `${d.alias} = "${d.model}"`)
  return `shutdown_timeout = 1\n\n[[keys]]\nname = "agents"\nkey = "${KEY}"\n\n${providers.join('\n')}\n[aliases]\n${aliases.join('\n')}\n`
}

/** npm install (latest) into the cache dir when an agent is missing or on --update; then check each runs. */
function installAgents(agents: Set<AgentName>): void {
  const files = {
    claude: 'node_modules/.bin/claude',
    codex: 'node_modules/.bin/codex',
    'agents-sdk': 'node_modules/@openai/agents/package.json',
  }
  if (opts.update || !Object.values(files).every((f) => existsSync(join(dir, f)))) {
    mkdirSync(dir, { recursive: true })
    console.log(`installing ${PACKAGES.join(' ')} into ${dir} …`)
    const npm = Bun.spawnSync(['npm', 'install', '--prefix', dir, '--no-audit', '--no-fund', ...PACKAGES], {
      stdout: 'inherit',
      stderr: 'inherit',
    })
    if (npm.exitCode !== 0) fail(1, `npm install failed (exit ${npm.exitCode}): is the npm registry reachable?`)
  }
  copyFileSync(join(import.meta.dir, 'agents/sdk-agent.ts'), join(dir, 'sdk-agent.ts'))
  const versions = [...agents].map((agent) => {
    const file = join(dir, files[agent])
    if (agent === 'agents-sdk') return `@openai/agents ${JSON.parse(readFileSync(file, 'utf8')).version}`
    let v = version(file)
    if (!v && agent === 'claude') {
      // Claude Code's postinstall puts its native binary in place; run it again if npm skipped it.
      Bun.spawnSync(['node', 'install.cjs'], { cwd: join(dir, 'node_modules/@anthropic-ai/claude-code') })
      v = version(file)
    }
    return v ?? fail(1, `${file} --version fails: try --update`)
  })
  console.log(`agents: ${versions.join(', ')}`)
}

function version(file: string): string | undefined {
  const home = mkdtempSync(join(tmpdir(), 'crabllm-agents-v-'))
  const r = Bun.spawnSync([file, '--version'], { env: { PATH: process.env.PATH ?? '', HOME: home }, timeout: 30_000 })
  rmSync(home, { recursive: true, force: true })
  return r.exitCode === 0 ? r.stdout.toString().trim() : undefined
}
