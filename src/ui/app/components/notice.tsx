// Messages in the flow of a page: errors are announced at once (role=alert), the rest politely.
import type { ComponentChildren } from 'preact'
import { ApiError } from '../api'

export function Notice({ tone = 'info', children }: { tone?: 'info' | 'warn' | 'error'; children: ComponentChildren }) {
  return (
    <div class={`notice ${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  )
}

/** An API failure in words: the gateway's own message, which names the field or the fix. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null
  const message = error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error)
  return <Notice tone="error">{message}</Notice>
}
