// `crabllm budget [KEY]`: each key's budget, spend and what remains, from GET /v1/budget
// ([extensions.budget]). The admin token sees every key; a key's own token sees its row. The route
// takes no filter, so KEY picks the row here; a KEY the answer does not hold is an error (exit 1).
import type { Static } from '@sinclair/typebox'
import { CliError } from '../../config/errors'
import { formatUsd, usdToMicros } from '../../extensions/pricing'
import type { BudgetRowSchema } from '../../wire/extensions'
import type { AdminCommand } from '../admin-command'
import { stringFlag } from '../args'
import { BUDGET_ROUTE, callExtension } from '../extension-route'
import { formatTable } from '../table'

export type BudgetRow = Static<typeof BudgetRowSchema>

export const budgetCommand: AdminCommand = {
  summary: "each key's budget, spend and what remains (needs [extensions.budget])",
  args: '[KEY]',
  flags: [
    {
      name: 'key',
      value: true,
      positional: true,
      placeholder: 'KEY',
      description: 'only this key (also accepted bare)',
    },
  ],
  async run(client, flags, output) {
    const key = stringFlag(flags, 'key')
    const { value, text } = await callExtension<BudgetRow[]>(client, BUDGET_ROUTE)
    const rows = key === undefined ? value : value.filter((r) => r.key === key)
    if (key !== undefined && !rows.length)
      throw new CliError(`no budget for key '${key}': the gateway knows no such key (\`crabllm keys list\` lists them)`)
    if (flags.json) return output.out(key === undefined ? text : JSON.stringify(rows))
    if (!rows.length) return output.out('no keys')
    output.out(formatBudgetTable(rows))
  },
}

/** KEY, BUDGET, SPENT, REMAINING, in dollars as the gateway writes them ("$10.00", "$0.000013"). */
export function formatBudgetTable(rows: readonly BudgetRow[]): string {
  const usd = (n: number | null) => (n === null ? 'no limit' : formatUsd(usdToMicros(n)))
  return formatTable(
    ['KEY', 'BUDGET', 'SPENT', 'REMAINING'],
    rows.map((r) => [r.key, usd(r.budget_usd), usd(r.spent_usd), usd(r.remaining_usd)]),
  )
}
