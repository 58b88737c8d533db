// read file → smol-toml → ${VAR} → crabllm's shapes mapped → defaults → compiled schema check →
// semantic checks → Config. Every failure is a ConfigError naming the file, the line where it can be
// found, the field and the fix.
import { dirname, isAbsolute, resolve } from 'node:path'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Value } from '@sinclair/typebox/value'
import { parse, TomlError } from 'smol-toml'
import { fieldInFile, fromCrabllm, providerFieldIssue } from './crabllm-compat'
import { ConfigError } from './errors'
import { type Env, InterpolationError, interpolate } from './interpolate'
import { type Config, ConfigSchema, type ProviderConfig, ProviderConfigSchema } from './schema'
import { describeSchemaError, shapeIssue } from './schema-errors'
import { type ConfigNote, checkProvider, checkSemantics, type ProviderRules, type SemanticIssue } from './semantics'
import { findLine } from './toml-lines'

const checkConfig = TypeCompiler.Compile(ConfigSchema)
const checkProviderSchema = TypeCompiler.Compile(ProviderConfigSchema)

export interface LoadedConfig {
  config: Config
  /** Absolute path of the file it came from (relative paths inside resolve against its folder). */
  file: string
  /** The folder relative paths in the config resolve against. */
  dir: string
  /** What loading decided for the file (a defaulted kind, a stripped base_url): info log lines. */
  notes: ConfigNote[]
}

/** Loads and validates a config file, provider kinds checked by `rules`; throws ConfigError. */
export async function loadConfigFile(
  path: string,
  rules: ProviderRules,
  env: Env = process.env,
): Promise<LoadedConfig> {
  const file = resolve(path)
  let text: string
  try {
    text = await Bun.file(file).text()
  } catch (err) {
    const code = (err as { code?: string }).code
    throw new ConfigError(
      path,
      '',
      code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? String(err)})`,
      code === 'ENOENT'
        ? 'run `crabllm init` to write a starter config, or pass --config PATH'
        : 'check the path and its permissions',
    )
  }
  const notes: ConfigNote[] = []
  const config = parseConfig(text, path, rules, env, notes)
  const dir = dirname(file)
  // cloud_models is a file beside the config, wherever the gateway was started from.
  if (config.cloud_models && !isAbsolute(config.cloud_models)) config.cloud_models = resolve(dir, config.cloud_models)
  return { config, file, dir, notes }
}

/**
 * Parses and validates config text; `name` is used in error messages. Pure apart from `env`; `notes`
 * collects what loading decided that the file left open (see LoadedConfig.notes).
 */
export function parseConfig(
  text: string,
  name: string,
  rules: ProviderRules,
  env: Env = process.env,
  notes?: ConfigNote[],
): Config {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    if (err instanceof TomlError) {
      const problem = `invalid TOML: ${err.message.split('\n')[0]}`
      throw new ConfigError(name, '', problem, 'correct the TOML syntax at that line', err.line)
    }
    throw new ConfigError(name, '', `invalid TOML: ${String(err)}`)
  }
  try {
    raw = interpolate(raw, env)
  } catch (err) {
    if (err instanceof InterpolationError) {
      throw new ConfigError(
        name,
        err.path,
        err.message,
        `export ${err.variable}=…; if it is optional, write \${${err.variable}:-} (empty when unset, as crabllm expands it) or \${${err.variable}:-default}`,
        findLine(text, err.path),
      )
    }
    throw err
  }
  const proto = protoKeyPath(raw)
  if (proto !== undefined)
    throw new ConfigError(name, proto, PROTO_PROBLEM, 'rename or remove it', findLine(text, proto))
  const { issue: crabllm, moved } = fromCrabllm(raw, rules, notes)
  /** The error for `issue`, its field as the file wrote it. */
  const fail = (issue: SemanticIssue) => {
    const field = fieldInFile(issue.field, moved)
    return new ConfigError(name, field, issue.problem, issue.fix, findLine(text, field))
  }
  if (crabllm) throw fail(crabllm)
  const shape = shapeIssue(ConfigSchema, raw, '')
  if (shape) throw fail(shape)
  const withDefaults = applyDefaults(Value.Clone(raw))
  if (!checkConfig.Check(withDefaults)) throw fail(describeSchemaError(checkConfig.Errors(withDefaults).First()!))
  const config = withDefaults as Config
  const semantic = checkSemantics(config, rules, notes) // also applies kind defaults
  if (semantic) throw fail(semantic)
  for (const [provider, fields] of Object.entries(config.providers)) {
    const issue = headerIssue(fields)
    if (issue) throw fail({ ...issue, field: `providers.${provider}.${issue.field}` })
  }
  return config
}

/**
 * Validates one provider's fields as a [providers.<name>] table would be (the admin API's path):
 * defaults, the schema check, then checkProvider. The issue's field is relative to the provider.
 */
export function validateProvider(
  raw: unknown,
  rules: ProviderRules,
  options: { discover?: boolean } = {},
): { ok: true; config: ProviderConfig } | { ok: false; issue: SemanticIssue } {
  const proto = protoKeyPath(raw)
  if (proto !== undefined) return { ok: false, issue: { field: proto, problem: PROTO_PROBLEM } }
  // JSON (the admin API) can carry what TOML cannot: a lone surrogate, on which encodeURIComponent
  // throws when the registry builds the provider's URLs (one stored provider then failed every rebuild).
  const unpaired = unpairedSurrogatePath(raw)
  if (unpaired !== undefined)
    return {
      ok: false,
      issue: { field: unpaired, problem: 'contains an unpaired UTF-16 surrogate (it is not valid Unicode text)' },
    }
  const crabllm = providerFieldIssue(raw)
  if (crabllm) return { ok: false, issue: crabllm }
  const shape = shapeIssue(ProviderConfigSchema, raw, '')
  if (shape) return { ok: false, issue: shape }
  const withDefaults = Value.Default(ProviderConfigSchema, Value.Clone(raw))
  if (!checkProviderSchema.Check(withDefaults))
    return {
      ok: false,
      issue: describeSchemaError(checkProviderSchema.Errors(withDefaults).First()!, ProviderConfigSchema),
    }
  const { config, issue } = checkProvider(withDefaults, rules, options)
  const problem = issue ?? headerIssue(config)
  return problem ? { ok: false, issue: problem } : { ok: true, config }
}

/** Absolute storage path for sqlite, resolved beside the config file. */
export function resolveBeside(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path)
}

// --- internal ---

const PROTO_PROBLEM = 'cannot be used as a key (JavaScript reserves it)'

/** Credentials that go upstream in a request header (Authorization, x-api-key, api-key, SigV4's). */
const HEADER_FIELDS = ['api_key', 'access_key', 'session_token'] as const

/**
 * A credential fetch refuses as a header value (a character above U+00FF, CR, LF or NUL) would fail
 * every call to the provider with a 502 ("Header has invalid value"): refused here, by name. The value
 * itself is never quoted (it is a secret).
 */
function headerIssue(config: ProviderConfig): SemanticIssue | undefined {
  for (const field of HEADER_FIELDS) {
    const value = config[field]
    if (value === undefined) continue
    try {
      new Headers({ authorization: `Bearer ${value}` })
    } catch {
      return {
        field,
        problem: 'contains characters an HTTP header cannot carry (above U+00FF, or a line break or NUL)',
        fix: 'paste the key exactly as the provider issued it',
      }
    }
  }
  return undefined
}

/**
 * The dotted path of the first key named "__proto__", if any. Value.Clone (and any plain assignment)
 * turns such a key into the object's prototype: the schema check would then never see it, and what it
 * holds would be read through inheritance. Found before cloning, it is refused by name instead.
 */
function protoKeyPath(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object' || value instanceof Date) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = protoKeyPath(value[i], `${path}[${i}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key
    if (key === '__proto__') return at
    const found = protoKeyPath((value as Record<string, unknown>)[key], at)
    if (found !== undefined) return found
  }
  return undefined
}

/** The dotted path of the first string that is not well-formed UTF-16 (a lone surrogate), if any. */
function unpairedSurrogatePath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path
  if (value === null || typeof value !== 'object') return undefined
  for (const [key, item] of Array.isArray(value)
    ? value.map((v, i) => [`[${i}]`, v] as const)
    : Object.entries(value)) {
    const found = unpairedSurrogatePath(item, Array.isArray(value) ? `${path}${key}` : path ? `${path}.${key}` : key)
    if (found !== undefined) return found
  }
  return undefined
}

/** Value.Default does not reach into Record values, so provider tables get theirs explicitly. */
function applyDefaults(raw: unknown): unknown {
  const config = Value.Default(ConfigSchema, raw) as { providers?: unknown }
  if (
    config &&
    typeof config === 'object' &&
    config.providers &&
    typeof config.providers === 'object' &&
    !Array.isArray(config.providers)
  ) {
    const providers = config.providers as Record<string, unknown>
    for (const name of Object.keys(providers)) providers[name] = Value.Default(ProviderConfigSchema, providers[name])
  }
  return config
}
