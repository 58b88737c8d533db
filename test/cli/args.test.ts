import { describe, expect, test } from 'bun:test'
import { type FlagSpec, listFlag, numberFlag, type ParsedArgs, parseArgs, subCommands } from '../../src/cli/args'
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

// --- sub-commands and positional arguments (crabllm keys create NAME …) ---

const GROUPED: Record<string, readonly FlagSpec[]> = {
  ...COMMANDS,
  'keys list': [{ name: 'json', value: false, description: 'json' }],
  'keys get': [{ name: 'name', value: true, positional: true, description: 'name' }],
  'keys create': [
    { name: 'name', value: true, positional: true, description: 'name' },
    { name: 'models', value: true, description: 'models' },
  ],
}

describe('parseArgs with sub-commands', () => {
  test.each<[string[], Partial<ParsedArgs>]>([
    [['keys', 'list'], { command: 'keys list' }],
    [['keys', 'list', '--json'], { command: 'keys list', flags: { json: true } }],
    [['keys', 'get', 'ci'], { command: 'keys get', flags: { name: 'ci' } }],
    [['keys', 'get', '--name', 'ci'], { command: 'keys get', flags: { name: 'ci' } }],
    [['keys', 'create', 'ci', '--models', 'a,b'], { command: 'keys create', flags: { name: 'ci', models: 'a,b' } }],
    [['keys', 'create', '--models', 'a', 'ci'], { command: 'keys create', flags: { name: 'ci', models: 'a' } }],
    [['keys', 'get', 'list'], { command: 'keys get', flags: { name: 'list' } }], // a name, not a command
    [['keys', 'create', '-vv', 'ci'], { command: 'keys create', verbosity: 2, flags: { name: 'ci' } }],
    // help for a group lists its commands; help for a sub-command shows its flags
    [['keys', '--help'], { command: 'keys', help: true }],
    [['--help', 'keys'], { command: 'keys', help: true }],
    [['keys', 'create', '--help'], { command: 'keys create', help: true }],
    [['keys', '-V'], { command: 'keys', version: true }],
  ])('%p', (argv, expected) => {
    expect(parseArgs(argv, GROUPED)).toEqual({ ...none, ...expected })
  })

  test.each<[string[], string, string | undefined]>([
    [['keys'], "'keys' needs a command: list, get, create", 'keys'],
    [['keys', 'nope'], "unknown command 'keys nope' (keys commands: list, get, create)", 'keys'],
    [['keys', '--json', 'list'], "unknown flag --json for 'keys'", 'keys'], // flags follow the sub-command
    [['keys', 'list', 'extra'], "unexpected argument 'extra'", 'keys list'],
    [['keys', 'get', 'a', 'b'], "unexpected argument 'b'", 'keys get'],
    [['keys', 'get', '--name', 'a', 'b'], "unexpected argument 'b'", 'keys get'],
    [['list'], "unknown command 'list'", undefined],
    [['serve', 'keys'], "unexpected argument 'keys'", 'serve'],
  ])('%p is a usage error: %s', (argv, message, command) => {
    let error: unknown
    try {
      parseArgs(argv, GROUPED)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).message).toBe(message)
    expect((error as UsageError).command).toBe(command)
  })

  test('subCommands lists a group in table order', () => {
    expect(subCommands(GROUPED, 'keys')).toEqual(['list', 'get', 'create'])
    expect(subCommands(GROUPED, 'serve')).toEqual([])
  })
})

describe('flag values', () => {
  test.each<[string, string[] | undefined]>([
    ['a', ['a']],
    ['a,b', ['a', 'b']],
    [' a , b ,', ['a', 'b']],
    ['*', ['*']],
  ])('listFlag %p', (value, expected) => {
    expect(listFlag({ models: value }, 'models')).toEqual(expected!)
  })

  test('listFlag: absent is undefined, nothing in it is a usage error', () => {
    expect(listFlag({}, 'models')).toBeUndefined()
    expect(() => listFlag({ models: ' , ' }, 'models', 'keys create')).toThrow('--models needs at least one name')
  })

  test.each<[string, { integer?: boolean; min?: number }, number | string]>([
    ['60', { integer: true, min: 1 }, 60],
    ['0.5', {}, 0.5],
    ['0', {}, 0],
    ['1e3', {}, 1000],
    ['0', { integer: true, min: 1 }, '--n: expected a whole number of at least 1, got "0"'],
    ['1.5', { integer: true }, '--n: expected a whole number of at least 0, got "1.5"'],
    ['-1', {}, '--n: expected a number of at least 0, got "-1"'],
    ['ten', {}, '--n: expected a number of at least 0, got "ten"'],
    [' ', {}, '--n: expected a number of at least 0, got " "'],
    ['Infinity', {}, '--n: expected a number of at least 0, got "Infinity"'],
  ])('numberFlag %p %p → %p', (value, options, expected) => {
    if (typeof expected === 'number') expect(numberFlag({ n: value }, 'n', 'x', options)).toBe(expected)
    else expect(() => numberFlag({ n: value }, 'n', 'x', options)).toThrow(expected)
  })
})
