// `--write-docs`: puts a run's report between the results markers of docs/benchmarks.md (leaving the
// rest of the page alone) and writes the chart to docs/benchmarks.svg. The rewrite is pure and
// idempotent: writing the same report twice gives the same page.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './processes'

export const RESULTS_START = '<!-- bench:results:start -->'
export const RESULTS_END = '<!-- bench:results:end -->'
export const DOCS_PAGE = join(ROOT, 'docs/benchmarks.md')
export const DOCS_CHART = join(ROOT, 'docs/benchmarks.svg')

/** `page` with everything between the markers replaced by `content`; throws when the markers are missing or out of order. */
export function replaceResults(page: string, content: string): string {
  const start = page.indexOf(RESULTS_START)
  const end = page.indexOf(RESULTS_END)
  if (start < 0 || end < 0 || end < start)
    throw new Error(
      `docs/benchmarks.md needs the markers ${RESULTS_START} and ${RESULTS_END}, in that order, around its results section`,
    )
  return `${page.slice(0, start + RESULTS_START.length)}\n${content.trim()}\n${page.slice(end)}`
}

/** Writes the report into the docs page and the chart beside it. */
export function writeDocs(report: string, svg: string, paths = { page: DOCS_PAGE, chart: DOCS_CHART }): void {
  writeFileSync(paths.page, replaceResults(readFileSync(paths.page, 'utf8'), report))
  writeFileSync(paths.chart, svg)
}
