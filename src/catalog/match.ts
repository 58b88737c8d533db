// genai-prices' model-name matching, reimplemented over the embedded rules so that the gateway finds a
// model the way the price source itself does: case-insensitive equals / starts_with / ends_with /
// contains, a regex tested as written, and or / and of them; a dated id retried with its date dashed
// (claude-opus-4-20250514 → claude-opus-4-2025-05-14). Regexes are compiled once per process.
import type { MatchRule } from './data'

/** Whether `name` (lower-cased by the caller) satisfies `rule`. */
export function matches(rule: MatchRule, name: string): boolean {
  if ('or' in rule) return rule.or.some((r) => matches(r, name))
  if ('and' in rule) return rule.and.every((r) => matches(r, name))
  if ('equals' in rule) return name === rule.equals.toLowerCase()
  if ('starts_with' in rule) return name.startsWith(rule.starts_with.toLowerCase())
  if ('ends_with' in rule) return name.endsWith(rule.ends_with.toLowerCase())
  if ('contains' in rule) return name.includes(rule.contains.toLowerCase())
  if ('regex' in rule) return regexOf(rule.regex).test(name)
  return false
}

/**
 * The name with each 8-digit date written with dashes (-20250514 → -2025-05-14), as genai-prices
 * retries a name no rule matched; the name itself when it holds no valid date.
 */
export function dashDates(name: string): string {
  return name.replace(DATE, (whole, dash: string, y: string, m: string, d: string) => {
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)))
    const valid =
      date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d)
    return valid ? `${dash}${y}-${m}-${d}` : whole
  })
}

// --- internal ---

const DATE = /(-)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=-|:|$)/g

const REGEXES = new Map<string, RegExp>()

function regexOf(source: string): RegExp {
  let re = REGEXES.get(source)
  if (!re) REGEXES.set(source, (re = new RegExp(source)))
  return re
}
