// scripts/crabllm.service: `systemd-analyze verify` accepts it, and its hardening and shutdown keys stay
// set. verify runs on a copy in a temp folder whose ExecStart names the compiled binary instead of
// /usr/local/bin/crabllm (verify requires the command to exist; nothing else in the copy changes). What
// is accepted from verify: exit code 0 and no output line naming the unit; any other line (about
// another unit, or the machine: a container without systemd as PID 1) is printed, not hidden, and not
// a failure. A broken copy (a misspelt key, a bad value) shows that such lines are caught. Skipped with
// a message without systemd-analyze. The keys are read from the file itself: the last assignment of
// each in [Service], as systemd reads it, and TimeoutStopSec is checked against the shutdown_timeout
// of the starter config that `crabllm init` writes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { crabllmBin, runCrabllm } from '../support/binary'

const ROOT = resolve(import.meta.dir, '../..')
const UNIT = readFileSync(join(ROOT, 'scripts/crabllm.service'), 'utf8')
const INSTALLED = '/usr/local/bin/crabllm'
const SYSTEMD_ANALYZE = Bun.which('systemd-analyze')
if (!SYSTEMD_ANALYZE)
  console.warn('test/deploy/systemd.test.ts: skipping `systemd-analyze verify`: no systemd-analyze on PATH')

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'crabllm-systemd-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every `Key=value` of a section, in file order (systemd lets a key repeat; the last one counts for single values). */
function section(unit: string, name: string): [string, string][] {
  const out: [string, string][] = []
  let current = ''
  for (const raw of unit.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = line.match(/^\[(.+)\]$/)
    if (header) {
      current = header[1]!
      continue
    }
    if (current !== name) continue
    const eq = line.indexOf('=')
    if (eq < 0) throw new Error(`not a Key=value line in [${name}]: ${line}`)
    out.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()])
  }
  return out
}
const service = section(UNIT, 'Service')
/** The value systemd uses for a single-valued key: the last assignment; undefined when unset. */
const last = (key: string) => service.findLast(([k]) => k === key)?.[1]

/** `systemd-analyze verify` on `unit` written as DIR/crabllm.service: exit code and output lines. */
function verify(unit: string): { code: number; lines: string[]; path: string } {
  const path = join(dir, 'crabllm.service')
  writeFileSync(path, unit)
  const r = Bun.spawnSync([SYSTEMD_ANALYZE!, 'verify', path], { stdout: 'pipe', stderr: 'pipe' })
  const lines = (r.stdout.toString() + r.stderr.toString()).split('\n').filter((l) => l.trim() !== '')
  return { code: r.exitCode ?? -1, lines, path }
}
const aboutTheUnit = (lines: string[]) => lines.filter((l) => l.includes('crabllm.service'))

/** The unit with ExecStart's /usr/local/bin/crabllm replaced by the compiled binary, nothing else changed. */
function unitWithBinary(): string {
  const execStart = service.filter(([k]) => k === 'ExecStart')
  expect(execStart).toHaveLength(1)
  expect(execStart[0]![1]).toStartWith(`${INSTALLED} serve --config /etc/crabllm/crabllm.toml`)
  const copy = UNIT.replace(`ExecStart=${INSTALLED} `, `ExecStart=${crabllmBin()} `)
  expect(copy).not.toBe(UNIT)
  return copy
}

describe.skipIf(!SYSTEMD_ANALYZE)('systemd-analyze verify', () => {
  test('accepts the unit: exit code 0 and nothing said about it', () => {
    const { code, lines } = verify(unitWithBinary())
    const other = lines.filter((l) => !l.includes('crabllm.service'))
    if (other.length > 0)
      console.warn(`systemd-analyze verify said, about other things than the unit (accepted):\n${other.join('\n')}`)
    expect(aboutTheUnit(lines)).toEqual([])
    expect(code).toBe(0)
  })

  test('a broken copy is caught: a misspelt key and a bad value are named, with their lines', () => {
    const broken = unitWithBinary()
      .replace('\nKillSignal=SIGTERM\n', '\nKillSignl=SIGTERM\n')
      .replace('\nProtectSystem=strict\n', '\nProtectSystem=stricter\n')
    expect(broken).toContain('\nKillSignl=SIGTERM\n')
    const { lines, path } = verify(broken)
    const said = aboutTheUnit(lines).join('\n')
    expect(said).toContain(`${path}:`)
    expect(said).toContain("Unknown key 'KillSignl' in section [Service]")
    expect(said).toContain('stricter')
  })

  test('the original, with the binary not installed, is refused for that reason (verify checks ExecStart)', () => {
    const { code, lines } = verify(UNIT.replace(`ExecStart=${INSTALLED} `, `ExecStart=${join(dir, 'absent')} `))
    expect(code).not.toBe(0)
    expect(aboutTheUnit(lines).join('\n')).toContain('is not executable')
  })
})

describe('the hardening and shutdown keys stay set', () => {
  test('privileges, files and devices', () => {
    expect(last('NoNewPrivileges')).toBe('yes')
    expect(last('ProtectSystem')).toBe('strict')
    expect(last('ProtectHome')).toBe('yes')
    expect(last('PrivateTmp')).toBe('yes')
    expect(last('PrivateDevices')).toBe('yes')
    expect(last('DynamicUser')).toBe('yes')
    // Empty: no capabilities at all (the gateway listens on a port >= 1024).
    expect(last('CapabilityBoundingSet')).toBe('')
    expect(last('SystemCallFilter')).toBe('@system-service')
  })

  test('address families: IPv4 and IPv6, and AF_UNIX, which the multi-worker supervisor uses to talk to its workers', () => {
    const families = last('RestrictAddressFamilies')!.split(/\s+/)
    expect(families[0]).not.toStartWith('~') // an allow-list, not a deny-list
    expect(families).toEqual(expect.arrayContaining(['AF_UNIX', 'AF_INET', 'AF_INET6']))
  })

  test("SIGTERM to the gateway only, and more time to stop than the starter's shutdown_timeout", async () => {
    expect(last('KillMode')).toBe('mixed')
    expect(last('KillSignal')).toBe('SIGTERM')
    const timeout = last('TimeoutStopSec')!
    const m = timeout.match(/^(\d+)(s|sec|min)?$/)
    if (!m) throw new Error(`TimeoutStopSec=${timeout}: not a plain number of seconds or minutes`)
    const seconds = Number(m[1]) * (m[2] === 'min' ? 60 : 1)

    const starter = join(dir, 'starter.toml')
    const init = await runCrabllm(['init', '--out', starter], { cwd: dir })
    expect(init.code).toBe(0)
    const shutdownTimeout = (Bun.TOML.parse(readFileSync(starter, 'utf8')) as { shutdown_timeout?: number })
      .shutdown_timeout
    expect(shutdownTimeout).toBe(30)
    expect(seconds).toBeGreaterThan(shutdownTimeout!)
  })
})
