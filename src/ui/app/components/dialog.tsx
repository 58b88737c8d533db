// A modal dialog on the native <dialog> element: focus moves in and is trapped, Escape closes it, and
// focus returns to what opened it. The parent renders it while open and drops it on onClose.
import type { ComponentChildren } from 'preact'
import { useEffect, useId, useRef } from 'preact/hooks'

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
