// A modal dialog on the native <dialog> element: focus moves in and is trapped, Escape closes it, and
// focus returns to what opened it. The parent renders it while open and drops it on onClose.
import type { ComponentChildren } from 'preact'
import { useEffect, useId, useRef, useState } from 'preact/hooks'
import { useApi } from '../hooks'
import { ErrorNotice } from './notice'

interface DialogProps {
  title: string
  onClose: () => void
  children: ComponentChildren
  wide?: boolean
}

export function Dialog({ title, onClose, children, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const closed = useRef(onClose)
  closed.current = onClose
  useEffect(() => {
    const dialog = ref.current!
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    dialog.showModal()
    const onDialogClose = () => closed.current()
    dialog.addEventListener('close', onDialogClose)
    return () => {
      dialog.removeEventListener('close', onDialogClose)
      if (dialog.open) dialog.close()
      if (opener?.isConnected) opener.focus()
    }
  }, [])
  return (
    <dialog ref={ref} class={wide ? 'wide' : undefined} aria-labelledby={titleId}>
      <div class="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={() => ref.current?.close()}>
          ×
        </button>
      </div>
      {children}
    </dialog>
  )
}

interface ConfirmDeleteProps {
  title: string
  /** What deleting does, in a sentence or two. */
  children: ComponentChildren
  /** The admin API path the DELETE goes to. */
  path: string
  /** The danger button's label. */
  action: string
  onClose: () => void
  onDone: () => void
}

/** "Are you sure?" for a DELETE on the admin API: Cancel has the focus; errors show in the dialog. */
export function ConfirmDelete({ title, children, path, action, onClose, onDone }: ConfirmDeleteProps) {
  const api = useApi()
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const confirm = async () => {
    setBusy(true)
    try {
      await api.send('DELETE', path)
      onDone()
    } catch (err) {
      setError(err)
      setBusy(false)
    }
  }
  return (
    <Dialog title={title} onClose={onClose}>
      <p>{children}</p>
      <ErrorNotice error={error} />
      <div class="dialog-actions">
        {/* biome-ignore lint/a11y/noAutofocus: a confirmation dialog focuses its safe choice (WAI-ARIA alertdialog pattern) */}
        <button type="button" autoFocus onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="danger solid" disabled={busy} onClick={() => void confirm()}>
          {action}
        </button>
      </div>
    </Dialog>
  )
}
