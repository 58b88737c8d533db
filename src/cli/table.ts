// Plain-text rendering for the admin CLI: aligned tables for listings, aligned `label: value` lines for
// one record. No colours and no terminal-width guessing, so the output is the same in a pipe.

/** Placeholder for an empty cell. */
export const NONE = '-'

/**
 * Columns padded to their widest cell, two spaces apart, headers first; no trailing spaces. A row shorter
 * than the headers is padded with NONE. Returns "" for no headers.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (!headers.length) return ''
  const cells = [headers, ...rows].map((row) => headers.map((_, i) => clean(row[i] ?? NONE)))
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => width(row[i]!))))
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : pad(cell, widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** `label:  value` lines with the values aligned; entries whose value is undefined are skipped. */
export function formatFields(fields: readonly (readonly [string, string | undefined])[]): string {
  const shown = fields.filter((f): f is readonly [string, string] => f[1] !== undefined)
  const labelWidth = Math.max(0, ...shown.map(([label]) => width(label) + 1))
  return shown.map(([label, value]) => `${pad(`${label}:`, labelWidth)}  ${clean(value)}`.trimEnd()).join('\n')
}

/** A list for one cell: all of it up to `max` items, then `a, b, c +N more`. */
export function formatList(items: readonly string[] | undefined, max = 3): string {
  if (!items?.length) return NONE
  if (items.length <= max) return items.join(', ')
  return `${items.slice(0, max).join(', ')} +${items.length - max} more`
}

/** Cells are one line: newlines and tabs would break the alignment. */
export function clean(cell: string): string {
  return cell.replace(/[\r\n\t]+/g, ' ')
}

/** Display width, counting code points (so "…" is one column). */
export function width(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}

// --- internal ---

function pad(text: string, to: number): string {
  return text + ' '.repeat(Math.max(0, to - width(text)))
}
