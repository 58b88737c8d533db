// A port already in use, through the compiled binary (finding 17): a second `crabllm serve` on it exits 1
// with one line naming the address and the fix, and the first keeps serving alone; with reuse_port = true
// in both, both start (the kernel then splits new connections between them, as asked).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crabllmBin, runCrabllm, spawnCrabllm } from '../support/binary'

let root: string
let seq = 0
beforeAll(() => {
  crabllmBin()
  root = mkdtempSync(join(tmpdir(), 'crabllm-port-'))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A config directory of its own; `extra` is added to a minimal config. */
function configDir(extra = ''): string {
  const dir = join(root, `t${++seq}`)
  mkdirSync(dir)
  writeFileSync(join(dir, 'crabllm.toml'), `${extra}\n[providers.echo]\nkind = "echo"\n`)
  return dir
}

const portOf = (url: string) => Number(new URL(url).port)

describe('a port already in use', () => {
  test('a second gateway on it (--bind) exits 1 naming the address and the fix; the first keeps serving', async () => {
    await using first = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: configDir() })
    const port = portOf(await first.ready())
    const second = await runCrabllm(['serve', '--bind', `127.0.0.1:${port}`], { cwd: configDir() })
    expect(second.code).toBe(1)
    expect(second.stdout).not.toContain('crabllm listening')
    const line = second.stderr.trim()
    expect(line.split('\n')).toHaveLength(1)
    expect(line).toStartWith('error: crabllm.toml: ')
    expect(line).toContain(`cannot listen on 127.0.0.1:${port}: the address is already in use`)
    expect(line).toContain('stop the other process')
    expect(line).toContain('pick another port with --bind')
    expect(line).toContain('set reuse_port = true')
    expect((await first.fetch('/health')).status).toBe(200)
  })

  test('the same from `listen` in the file: the error names the field', async () => {
    await using first = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: configDir() })
    const port = portOf(await first.ready())
    const second = await runCrabllm(['serve'], { cwd: configDir(`listen = "127.0.0.1:${port}"`) })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(
      `crabllm.toml: listen: cannot listen on 127.0.0.1:${port}: the address is already in use`,
    )
  })

  test('reuse_port = true in both: both start on the same port', async () => {
    await using first = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: configDir('reuse_port = true') })
    const port = portOf(await first.ready())
    await using second = spawnCrabllm(['serve', '--bind', `127.0.0.1:${port}`], {
      cwd: configDir('reuse_port = true'),
    })
    expect(portOf(await second.ready())).toBe(port)
    expect((await first.fetch('/health')).status).toBe(200)
    expect((await second.fetch('/health')).status).toBe(200)
  })

  test('reuse_port = true in the second only is still refused: every gateway sharing the port must set it', async () => {
    await using first = spawnCrabllm(['serve', '--bind', '127.0.0.1:0'], { cwd: configDir() })
    const port = portOf(await first.ready())
    const second = await runCrabllm(['serve', '--bind', `127.0.0.1:${port}`], { cwd: configDir('reuse_port = true') })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain('already in use')
  })
})
