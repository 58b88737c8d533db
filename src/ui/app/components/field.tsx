// A labelled form control with its hint and error wired to it (aria-describedby, aria-invalid), so
// that a screen reader reads the label, the hint and what is wrong together.
import type { ComponentChildren, JSX } from 'preact'
import { useId } from 'preact/hooks'

export interface ControlProps {
  id: string
  'aria-describedby'?: string
  'aria-invalid'?: 'true'
}

interface FieldProps {
  label: string
  hint?: ComponentChildren
  error?: string | undefined
  children: (props: ControlProps) => JSX.Element
}

export function Field({ label, hint, error, children }: FieldProps) {
  const id = useId()
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ')
  return (
    <div class={error ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children({
        id,
        ...(described ? { 'aria-describedby': described } : {}),
        ...(error ? { 'aria-invalid': 'true' as const } : {}),
      })}
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  )
}
