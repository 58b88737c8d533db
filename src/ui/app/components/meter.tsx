// Spend against budget as a bar, with the numbers beside it (the bar alone carries no information a
// screen reader or a colour-blind reader would miss).
import { percent, usd } from '../format'

export function BudgetMeter({ spent, budget }: { spent: number; budget: number }) {
  const share = budget > 0 ? Math.min(1, spent / budget) : spent > 0 ? 1 : 0
  const tone = share >= 1 ? 'over' : share >= 0.8 ? 'near' : 'ok'
  const label = `${usd(spent)} of ${usd(budget)} spent (${percent(spent, budget)})`
  return (
    <div class="budget">
      {/* biome-ignore lint/a11y/useSemanticElements: a styled bar with role meter; <meter> cannot be styled across browsers */}
      <div
        class={`meter ${tone}`}
        role="meter"
        aria-valuemin={0}
        aria-valuemax={budget}
        aria-valuenow={Math.min(spent, budget)}
        aria-label={label}
      >
        <span style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </div>
      <span class="budget-text">
        {usd(spent)} / {usd(budget)}
      </span>
    </div>
  )
}
