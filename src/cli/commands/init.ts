// `crabllm init [--out PATH] [--force]`: writes a starter config with a fresh admin token and key.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { CliError } from '../../config/errors'
import { generateKey } from '../../config/generate-key'
import { starterConfig } from '../../config/starter'
import type { FlagSpec } from '../args'

export const initFlags: FlagSpec[] = [
  {
    name: 'out',
    short: 'o',
    value: true,
    placeholder: 'PATH',
    description: 'where to write the config (default crabllm.toml)',
  },
  { name: 'force', short: 'f', value: false, description: 'overwrite an existing file' },
]

export interface InitResult {
  path: string
  adminToken: string
  defaultKey: string
}

export function runInit(flags: Record<string, string | true>, print: (line: string) => void): InitResult {
  const path = typeof flags.out === 'string' ? flags.out : 'crabllm.toml'
  return writeStarter(path, flags.force === true, print)
}

/** Writes the starter to `path`; refuses to overwrite unless `force`. Prints the secrets once. */
export function writeStarter(path: string, force: boolean, print: (line: string) => void): InitResult {
  if (existsSync(path) && !force) throw new CliError(`${path} already exists; pass --force to overwrite it`)
  const adminToken = generateKey()
  const defaultKey = generateKey()
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, starterConfig({ adminToken, defaultKey }), { mode: 0o600 })
  } catch (err) {
    throw new CliError(`cannot write ${path}: ${(err as Error).message}`)
  }
  print(`wrote ${path}`)
  print(`admin token: ${adminToken}`)
  print(`default key: ${defaultKey}`)
  print('these values are also in the config file; keep them safe.')
  return { path, adminToken, defaultKey }
}
