// serve re-executes itself to raise Bun's fetch limit (src/cli/fetch-limit.ts). Where the kernel will not
// run the file again (qemu-user without binfmt_misc, a seccomp filter), it serves on with a warning that
// names the variable to set, instead of dying as a bug (seen running the arm64 release under qemu).
import { afterEach, expect, test } from 'bun:test'
import { FETCH_LIMIT_VAR, raiseFetchLimit, UPSTREAM_REQUEST_LIMIT } from '../../src/cli/fetch-limit'

const real = process.execve
afterEach(() => {
  process.execve = real
})

test('an execve the kernel refuses is a warning naming the variable, and serve goes on', () => {
  const calls: string[][] = []
  process.execve = ((file: string, args: string[]) => {
    calls.push([file, ...args])
    throw Object.assign(new Error("ENOEXEC, Exec format error '/x/crabllm'"), { code: 'ENOEXEC' })
  }) as typeof process.execve
  const warnings: string[] = []
  raiseFetchLimit(['serve'], {}, (m) => warnings.push(m))
  expect(calls).toHaveLength(1)
  expect(warnings).toEqual([
    `crabllm: cannot re-execute itself to raise ${FETCH_LIMIT_VAR} (ENOEXEC, Exec format error '/x/crabllm'); serving with Bun's default of 256 upstream requests in flight. Set ${FETCH_LIMIT_VAR}=${UPSTREAM_REQUEST_LIMIT} in the environment to avoid this.`,
  ])
})

test('with the variable set there is nothing to do', () => {
  process.execve = (() => {
    throw new Error('must not be called')
  }) as typeof process.execve
  const warnings: string[] = []
  raiseFetchLimit(['serve'], { [FETCH_LIMIT_VAR]: '512' }, (m) => warnings.push(m))
  expect(warnings).toEqual([])
})
