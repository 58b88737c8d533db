// A table that scrolls sideways on a narrow screen; the scroll region is focusable and named, so that
// a keyboard user can scroll it too.
import type { ComponentChildren } from 'preact'

export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable and named to scroll by keyboard (axe scrollable-region-focusable)
    <div class="table-scroll" role="region" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </div>
  )
}
