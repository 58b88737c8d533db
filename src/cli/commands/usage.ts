// `crabllm usage`: tokens and requests per key and model, from GET /v1/usage ([extensions.usage]). The
// route takes no filters, so --key and --model filter here. Its counters are running totals since the
// store began, with no time dimension: --since is refused (exit 2) and points at `crabllm logs --since`,
// whose audit records carry times (and costs).
import type { Static } from '@sinclair/typebox'
import { UsageError } from '../../config/errors'
import { formatUsd, usdToMicros } from '../../extensions/pricing'
import type { UsageRowSchema } from '../../wire/extensions'
import type { AdminCommand } from '../admin-command'
import { type FlagSpec, stringFlag } from '../args'
import { callExtension, USAGE_ROUTE } from '../extension-route'
import { formatTable } from '../table'

/** A row as the route answers it; `cost_usd` is shown when a gateway sends it (this one does not). */
export type UsageRow = Static<typeof UsageRowSchema> & { cost_usd?: number }

const FLAGS: FlagSpec[] = [
  { name: 'key', value: true, placeholder: 'KEY', description: "only this key's rows" },
  { name: 'model', value: true, placeholder: 'MODEL', description: "only this model's rows (the served name)" },
  {
    name: 'since',
    value: true,
    placeholder: 'WHEN',
    description: 'not available: usage counters are totals with no time; use `crabllm logs --since`',
  },
]

export const usageCommand: AdminCommand = {
  summary: 'tokens and requests per key and model, totals since the store began (needs [extensions.usage])',
  flags: FLAGS,
  async run(client, flags, output, command) {
    if (flags.since !== undefined)
      throw new UsageError(
        '--since: the usage counters are running totals with no time dimension; for a time range use `crabllm logs --since WHEN` (needs [extensions.audit])',
        command,
      )
    const key = stringFlag(flags, 'key')
    const model = stringFlag(flags, 'model')
    const { value, text } = await callExtension<UsageRow[]>(client, USAGE_ROUTE)
    const filtered = key !== undefined || model !== undefined
    const rows = value.filter((r) => (key === undefined || r.key === key) && (model === undefined || r.model === model))
    if (flags.json) return output.out(filtered ? JSON.stringify(rows) : text)
    if (!rows.length) return output.out(filtered ? 'no usage matches' : 'no usage recorded yet')
    output.out(formatUsageTable(rows))
  },
}

/** KEY, MODEL, REQUESTS, CACHED, PROMPT, COMPLETION, TOTAL, and COST when any row has one. */
export function formatUsageTable(rows: readonly UsageRow[]): string {
  const withCost = rows.some((r) => typeof r.cost_usd === 'number')
  const headers = ['KEY', 'MODEL', 'REQUESTS', 'CACHED', 'PROMPT', 'COMPLETION', 'TOTAL']
  if (withCost) headers.push('COST')
  return formatTable(
    headers,
    rows.map((r) => {
      const cells = [
        r.key,
        r.model,
        String(r.requests),
        String(r.cached_requests),
        String(r.prompt_tokens),
        String(r.completion_tokens),
        String(r.total_tokens),
      ]
      if (withCost) cells.push(typeof r.cost_usd === 'number' ? formatUsd(usdToMicros(r.cost_usd)) : '-')
      return cells
    }),
  )
}
