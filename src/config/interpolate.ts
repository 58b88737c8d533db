// ${VAR} and ${VAR:-default} expansion over string values of the parsed config (pure; table-tested).
// `$${` escapes a literal `${`. An unset variable without a default is an error naming the field.

export type Env = Record<string, string | undefined>

export class InterpolationError extends Error {
  constructor(
    readonly path: string,
    readonly variable: string,
  ) {
    super(`environment variable ${variable} is not set`)
  }
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

/** Expands one string; `path` names the field for error messages. */
export function interpolateString(value: string, env: Env, path = ''): string {
  if (!value.includes('${')) return value
  return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${'
    const found = env[name!]
    if (found !== undefined && found !== '') return found
    if (fallback !== undefined) return fallback
    throw new InterpolationError(path, name!)
  })
}

/** Walks any parsed TOML value and expands every string in it. */
export function interpolate<T>(value: T, env: Env, path = ''): T {
  if (typeof value === 'string') return interpolateString(value, env, path) as T
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, `${path}[${i}]`)) as T
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    // fromEntries defines each key: a key named "__proto__" stays a key (for the schema check to name)
    // instead of replacing the new object's prototype.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env, path ? `${path}.${key}` : key)]),
    ) as T
  }
  return value
}
