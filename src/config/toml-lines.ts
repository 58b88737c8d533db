// Where a dotted config field sits in the TOML text, for the line number in a ConfigError.

/**
 * Best-effort line of a dotted field in the TOML text: finds the table header of the path's prefix
 * (`[providers.openai]`, the n-th `[[keys]]`) and then the key after it. Undefined when not found.
 */
export function findLine(text: string, field: string): number | undefined {
  if (!field) return undefined
  const lines = text.split('\n')
  const segments = field.match(/[^.[\]]+|\[\d+\]/g) ?? []
  let start = 0
  let tablePath: string[] = []
  // Walk down: try the longest table header that matches a prefix of the path.
  for (let cut = segments.length; cut > 0; cut--) {
    const prefix = segments.slice(0, cut)
    const last = prefix[prefix.length - 1]!
    if (last.startsWith('[')) {
      const index = Number(last.slice(1, -1))
      const header = prefix.slice(0, -1).join('.')
      let seen = -1
      const at = lines.findIndex(
        (l) => new RegExp(`^\\s*\\[\\[\\s*${escapeRegExp(header)}\\s*\\]\\]`).test(l) && ++seen === index,
      )
      if (at >= 0) {
        start = at
        tablePath = prefix
        break
      }
    } else {
      const header = prefix
        .map((p) => `(?:"${escapeRegExp(p)}"|'${escapeRegExp(p)}'|${escapeRegExp(p)})`)
        .join('\\s*\\.\\s*')
      const at = lines.findIndex((l) => new RegExp(`^\\s*\\[\\s*${header}\\s*\\]`).test(l))
      if (at >= 0) {
        start = at
        tablePath = prefix
        break
      }
    }
  }
  const rest = segments.slice(tablePath.length).filter((s) => !s.startsWith('['))
  if (rest.length === 0) return tablePath.length ? start + 1 : undefined
  const key = rest[rest.length === 1 ? 0 : 0]!
  for (let i = start + (tablePath.length ? 1 : 0); i < lines.length; i++) {
    if (tablePath.length && i > start && /^\s*\[/.test(lines[i]!)) break
    if (!tablePath.length && /^\s*\[/.test(lines[i]!)) break
    if (new RegExp(`^\\s*(?:"${escapeRegExp(key)}"|${escapeRegExp(key)})\\s*[.=]`).test(lines[i]!)) return i + 1
  }
  return tablePath.length ? start + 1 : undefined
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
