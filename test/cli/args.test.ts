import { describe, expect, test } from 'bun:test'
import { type FlagSpec, type ParsedArgs, parseArgs } from '../../src/cli/args'
import { UsageError } from '../../src/config/errors'

const COMMANDS: Record<string, readonly FlagSpec[]> = {
  serve: [
    { name: 'config', short: 'c', value: true, placeholder: 'PATH', description: 'config file' },
    { name: 'bind', short: 'b', value: true, placeholder: 'ADDR', description: 'listen address' },
  ],
  init: [
    { name: 'config', short: 'c', value: true, placeholder: 'PATH', description: 'config file' },
    { name: 'force', short: 'f', value: false, description: 'overwrite' },
  ],
}

const none: ParsedArgs = { command: undefined, flags: {}, verbosity: 0, help: false, version: false }

describe('parseArgs', () => {
  test.each<[string[], Partial<ParsedArgs>]>([
    // --- commands ---
    [[], {}],
    [['serve'], { command: 'serve' }],
    [['init'], { command: 'init' }],
    // --- value flags ---
    [['serve', '--config', 'a.toml'], { command: 'serve', flags: { config: 'a.toml' } }],
    [['serve', '--config=a.toml'], { command: 'serve', flags: { config: 'a.toml' } }],
    [['serve', '--config=a=b.toml'], { command: 'serve', flags: { config: 'a=b.toml' } }],
    [['serve', '-c', 'a.toml'], { command: 'serve', flags: { config: 'a.toml' } }],
    [['serve', '-b', '0.0.0.0:80', '-c', 'x'], { command: 'serve', flags: { bind: '0.0.0.0:80', config: 'x' } }],
    [['serve', '--config', 'a', '--config', 'b'], { command: 'serve', flags: { config: 'b' } }],
    [['serve', '--config', '-v'], { command: 'serve', flags: { config: '-v' } }], // a value is taken as-is
    // --- switches ---
    [['init', '--force'], { command: 'init', flags: { force: true } }],
    [['init', '-f', '--config', 'x'], { command: 'init', flags: { force: true, config: 'x' } }],
    // --- verbosity ---
    [['-v'], { verbosity: 1 }],
    [['-vv'], { verbosity: 2 }],
    [['-vvv'], { verbosity: 3 }],
    [['-v', '-vv'], { verbosity: 3 }],
    [['--verbose'], { verbosity: 1 }],
    [['--verbose', '--verbose', '-v'], { verbosity: 3 }],
    [['serve', '-vv', '-c', 'x'], { command: 'serve', verbosity: 2, flags: { config: 'x' } }],
    // --- help and version ---
    [['--help'], { help: true }],
    [['-h'], { help: true }],
    [['serve', '--help'], { command: 'serve', help: true }],
    [['--version'], { version: true }],
    [['-V'], { version: true }],
    [['-V', '-h'], { version: true, help: true }],
  ])('%p', (argv, expected) => {
    expect(parseArgs(argv, COMMANDS)).toEqual({ ...none, ...expected })
  })

  test.each([
    // --- unknown ---
    [['nope'], "unknown command 'nope'"],
    [['toString'], "unknown command 'toString'"], // not fooled by Object.prototype
    [['--nope'], 'unknown flag --nope'],
    [['serve', '--nope'], "unknown flag --nope for 'serve'"],
    [['serve', '-x'], "unknown flag -x for 'serve'"],
    [['serve', '--force'], "unknown flag --force for 'serve'"], // a flag of another command
    [['--config', 'x', 'serve'], 'unknown flag --config'], // flags follow their command
    [['serve', '-config'], "unknown flag -config for 'serve'"],
    // --- values ---
    [['serve', '--config'], '--config needs a value (PATH)'],
    [['serve', '-c'], '--config needs a value (PATH)'],
    [['serve', '--config='], '--config needs a value (PATH)'],
    [['init', '--force=yes'], '--force takes no value'],
    // --- extra arguments ---
    [['serve', 'extra'], "unexpected argument 'extra'"],
    [['serve', 'init'], "unexpected argument 'init'"],
  ])('%p is a usage error: %s', (argv, message) => {
    let error: unknown
    try {
      parseArgs(argv, COMMANDS)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe(message)
    expect((error as UsageError).exitCode).toBe(2)
  })

  test.each([
    [['serve', '--nope'], 'serve'],
    [['init', '--force=1'], 'init'],
    [['serve', '-c'], 'serve'],
    [['serve', 'extra'], 'serve'],
    [['--nope'], undefined],
    [['nope'], undefined],
  ])('%p names the command whose usage to print: %p', (argv, command) => {
    expect(() => parseArgs(argv, COMMANDS)).toThrow(UsageError)
    try {
      parseArgs(argv, COMMANDS)
    } catch (err) {
      expect((err as UsageError).command).toBe(command)
    }
  })
})
