// How scripts/agents.ts runs each agent: its command line, its environment (a temp HOME, telemetry and
// updates off, every proxy variable pointing at the trap so nothing reaches a vendor), the tool the mock
// asks it to call, and where its final answer is read from. Each gets the gateway's URL, key and an alias.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Script } from './mock'

export type AgentName = 'claude' | 'codex' | 'agents-sdk'

export interface RunContext {
  /** The agents' npm install dir. */
  dir: string
  /** The gateway's base URL (no /v1), its key, and the model alias to ask for. */
  gateway: string
  key: string
  model: string
  /** The proxy every vendor-bound request goes to (it refuses them). */
  proxy: string
  /** This run's temp HOME, and the agent's working directory under it. */
  home: string
  cwd: string
  /** Text the final answer must contain (the mock answers it). */
  answer: string
  /** For a tool round trip: text only the tool's output carries, so the next request must bring it. */
  toolMarker?: string
  stream: boolean
  /** The deployment runs OpenAI's hosted tools (an openai one); else the agent is told not to offer them. */
  hostedTools: boolean
}

export interface Run {
  cmd: string[]
  env: Record<string, string>
  script: Script
  /** The agent's final answer, from its stdout. */
  answerOf(stdout: string): string
}

function baseEnv(ctx: RunContext): Record<string, string> {
  const proxies = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY'].flatMap((k) => [
    [k, ctx.proxy],
    [k.toLowerCase(), ctx.proxy],
  ])
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: ctx.home,
    TMPDIR: join(ctx.home, 'tmp'),
    XDG_CONFIG_HOME: join(ctx.home, '.config'),
    XDG_CACHE_HOME: join(ctx.home, '.cache'),
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    ...Object.fromEntries(proxies),
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
  }
}

const bin = (ctx: RunContext, name: string) => join(ctx.dir, 'node_modules/.bin', name)
const withTool = (ctx: RunContext, names: string[], args: (name: string) => Record<string, unknown>) =>
  ctx.toolMarker ? { tool: { names, args } } : {}

/** Claude Code in print mode over /v1/messages; every model slot (side calls use haiku's) is the alias. */
function claudeRun(ctx: RunContext): Run {
  const file = join(ctx.cwd, 'crab-note.txt')
  writeFileSync(file, `The note says: ${ctx.toolMarker}\n`)
  const prompt = ctx.toolMarker ? 'Read crab-note.txt and tell me what it says.' : 'Say hello to the crabs.'
  const models = ['MODEL', 'SMALL_FAST_MODEL', 'DEFAULT_HAIKU_MODEL', 'DEFAULT_SONNET_MODEL', 'DEFAULT_OPUS_MODEL']
  return {
    cmd: [bin(ctx, 'claude'), '-p', prompt, '--output-format', 'json', '--model', ctx.model, '--allowedTools', 'Read'],
    env: {
      ...baseEnv(ctx),
      ...Object.fromEntries(models.map((m) => [`ANTHROPIC_${m}`, ctx.model])),
      ANTHROPIC_BASE_URL: ctx.gateway,
      ANTHROPIC_API_KEY: ctx.key,
      CLAUDE_CONFIG_DIR: join(ctx.home, '.claude'),
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    },
    script: { text: ctx.answer, ...withTool(ctx, ['Read'], () => ({ file_path: file })) },
    answerOf: (stdout) => {
      const out = JSON.parse(stdout) as { result?: string; is_error?: boolean }
      return out.is_error ? `error: ${out.result}` : String(out.result)
    },
  }
}

/** The shell tools Codex versions have offered, with the arguments each takes. */
const CODEX_SHELLS: Record<string, (command: string) => Record<string, unknown>> = {
  exec_command: (command) => ({ cmd: command }),
  shell_command: (command) => ({ command }),
  shell: (command) => ({ command: ['bash', '-lc', command] }),
}

/**
 * Codex CLI (`codex exec`) over /v1/responses with a config.toml in a temp CODEX_HOME: one model provider
 * (the gateway), no update check, analytics, feedback, OTel, plugin or app sync.
 */
function codexRun(ctx: RunContext): Run {
  const codexHome = join(ctx.home, '.codex')
  const lastMessage = join(ctx.home, 'last-message.txt')
  mkdirSync(codexHome, { recursive: true })
  writeFileSync(
    join(codexHome, 'config.toml'),
    `model = "${ctx.model}"
model_provider = "crabllm"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false
${ctx.hostedTools ? '' : '# Web search is one of OpenAI\'s hosted tools: a model served through chat cannot run it (README).\nweb_search = "disabled"\n'}
[model_providers.crabllm]
name = "crabllm"
base_url = "${ctx.gateway}/v1"
env_key = "CRABLLM_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false
[feedback]
enabled = false
[otel]
exporter = "none"
[features]
plugins = false
remote_plugin = false
apps = false
`,
  )
  const prompt = ctx.toolMarker ? 'Run `echo` in the shell and tell me what it printed.' : 'Say hello to the crabs.'
  return {
    cmd: [bin(ctx, 'codex'), 'exec', '--skip-git-repo-check', '--color', 'never', '-o', lastMessage, prompt],
    env: { ...baseEnv(ctx), CODEX_HOME: codexHome, CRABLLM_KEY: ctx.key, RUST_LOG: 'warn' },
    script: {
      text: ctx.answer,
      ...withTool(ctx, Object.keys(CODEX_SHELLS), (name) => CODEX_SHELLS[name]!(`echo ${ctx.toolMarker}`)),
    },
    answerOf: (stdout) => (existsSync(lastMessage) ? readFileSync(lastMessage, 'utf8') : stdout),
  }
}

/** The OpenAI Agents SDK (sdk-agent.ts, copied into the install dir and run there) over /v1/responses. */
function agentsSdkRun(ctx: RunContext): Run {
  return {
    cmd: [process.execPath, join(ctx.dir, 'sdk-agent.ts')],
    env: {
      ...baseEnv(ctx),
      OPENAI_BASE_URL: `${ctx.gateway}/v1`,
      OPENAI_API_KEY: ctx.key,
      OPENAI_AGENTS_DISABLE_TRACING: '1',
      CRAB_MODEL: ctx.model,
      CRAB_TOOL_MARKER: ctx.toolMarker ?? '',
      CRAB_STREAM: ctx.stream ? '1' : '0',
    },
    script: { text: ctx.answer, ...withTool(ctx, ['get_crab_fact'], () => ({ topic: 'molting' })) },
    answerOf: (stdout) => stdout,
  }
}

export const RUNNERS: Record<AgentName, (ctx: RunContext) => Run> = {
  claude: claudeRun,
  codex: codexRun,
  'agents-sdk': agentsSdkRun,
}
