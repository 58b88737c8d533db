// Keys: GET /v1/admin/keys (with spend against budget from GET /v1/budget when the budget extension is
// on); create (POST, the secret shown once with a copy button), edit models, rate limits, budget,
// in-flight cap and expiry (PATCH, a blank field removes it), revoke (DELETE). Keys of the config file
// are listed read-only.
import { useState } from 'preact/hooks'
import { ApiError, type BudgetRow, type CreatedKey, enc, type KeyView } from '../api'
import { ConfirmDelete, Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { BudgetMeter } from '../components/meter'
import { ErrorNotice, Notice } from '../components/notice'
import { TableScroll } from '../components/table'
import { count, dateTime, fromLocalInput, list, toLocalInput, usd } from '../format'
import { useApi, useLoad } from '../hooks'

type Open =
  | { kind: 'create' }
  | { kind: 'edit'; key: KeyView }
  | { kind: 'revoke'; key: KeyView }
  | { kind: 'secret'; created: CreatedKey }
  | null

export function KeysPage() {
  const api = useApi()
  const keys = useLoad(() => api.get<{ data: KeyView[] }>('/v1/admin/keys'), [])
  // GET /v1/budget exists only with [extensions.budget]: without it, no spend column.
  const budgets = useLoad(async () => {
    try {
      return new Map((await api.get<BudgetRow[]>('/v1/budget')).map((row) => [row.key, row]))
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null
      throw err
    }
  }, [])
  const [open, setOpen] = useState<Open>(null)
  const [message, setMessage] = useState('')
  const close = () => setOpen(null)
  const refresh = () => Promise.all([keys.reload(), budgets.reload()])

  return (
    <>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setOpen({ kind: 'create' })}>
          New key
        </button>
        <button type="button" onClick={() => void refresh()} disabled={keys.loading}>
          Refresh
        </button>
        <span class="muted" role="status">
          {message}
        </span>
      </div>
      <ErrorNotice error={keys.error ?? budgets.error} />
      {budgets.data === null ? (
        <Notice>Spend is not tracked: the budget extension is off ([extensions.budget] in the config file).</Notice>
      ) : null}
      {keys.data ? <KeyTable keys={keys.data.data} budgets={budgets.data ?? undefined} onOpen={setOpen} /> : null}
      {open?.kind === 'create' || open?.kind === 'edit' ? (
        <KeyForm
          editing={open.kind === 'edit' ? open.key : undefined}
          onClose={close}
          onSaved={(saved, created) => {
            void refresh()
            if (created) setOpen({ kind: 'secret', created })
            else {
              setMessage(`Key ${saved} saved.`)
              close()
            }
          }}
        />
      ) : null}
      {open?.kind === 'secret' ? <SecretDialog created={open.created} onClose={close} /> : null}
      {open?.kind === 'revoke' ? (
        <ConfirmDelete
          title={`Revoke key ${open.key.name}?`}
          path={`/v1/admin/keys/${enc(open.key.name)}`}
          action="Revoke key"
          onClose={close}
          onDone={() => {
            setMessage(`Key ${open.key.name} revoked.`)
            close()
            void refresh()
          }}
        >
          Requests with this key are refused from the next one on, on every instance. This cannot be undone.
        </ConfirmDelete>
      ) : null}
    </>
  )
}

function KeyTable({
  keys,
  budgets,
  onOpen,
}: {
  keys: KeyView[]
  budgets: Map<string, BudgetRow> | undefined
  onOpen: (open: Open) => void
}) {
  if (keys.length === 0) return <p class="muted">No keys yet: create one.</p>
  return (
    <TableScroll label="Keys">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Secret</th>
          <th scope="col">Models</th>
          <th scope="col">Limits</th>
          <th scope="col">Spend / budget</th>
          <th scope="col">Expires</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => {
          const row = budgets?.get(key.name)
          return (
            <tr key={key.name}>
              <th scope="row">
                {key.name}
                {key.source === 'config' ? <span class="badge">config file</span> : null}
                {key.expired ? <span class="badge err">expired</span> : null}
              </th>
              <td>
                <code>{key.masked}</code>
              </td>
              <td class="models">{key.models.join(', ')}</td>
              <td>{limits(key)}</td>
              <td>
                {row && row.budget_usd !== null ? (
                  <BudgetMeter spent={row.spent_usd} budget={row.budget_usd} />
                ) : row ? (
                  `${usd(row.spent_usd)} spent`
                ) : key.budget !== undefined ? (
                  usd(key.budget)
                ) : (
                  '–'
                )}
              </td>
              <td>{key.expires_at ? dateTime(key.expires_at) : 'never'}</td>
              <td class="actions">
                {key.source === 'api' ? (
                  <>
                    <button type="button" aria-label={`Edit ${key.name}`} onClick={() => onOpen({ kind: 'edit', key })}>
                      Edit
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Revoke ${key.name}`}
                      onClick={() => onOpen({ kind: 'revoke', key })}
                    >
                      Revoke
                    </button>
                  </>
                ) : (
                  <span class="muted">read-only</span>
                )}
              </td>
            </tr>
          )
        })}
      </tbody>
    </TableScroll>
  )
}

function limits(key: KeyView): string {
  const parts: string[] = []
  if (key.rate_limit?.requests_per_minute) parts.push(`${count(key.rate_limit.requests_per_minute)} req/min`)
  if (key.rate_limit?.tokens_per_minute) parts.push(`${count(key.rate_limit.tokens_per_minute)} tok/min`)
  if (key.max_inflight) parts.push(`${count(key.max_inflight)} in flight`)
  return parts.length ? parts.join(' · ') : 'defaults'
}

/** Field name in the form ← `param` of a 400 from the API. */
const FIELD_OF_PARAM: Record<string, string> = {
  name: 'name',
  models: 'models',
  budget: 'budget',
  expires_at: 'expires',
  max_inflight: 'max_inflight',
  rate_limit: 'rpm',
  'rate_limit.requests_per_minute': 'rpm',
  'rate_limit.tokens_per_minute': 'tpm',
}

function KeyForm({
  editing,
  onClose,
  onSaved,
}: {
  editing?: KeyView | undefined
  onClose: () => void
  onSaved: (name: string, created?: CreatedKey) => void
}) {
  const api = useApi()
  const [error, setError] = useState<ApiError | undefined>()
  const [busy, setBusy] = useState(false)
  const fieldError = (field: string) =>
    error?.param && FIELD_OF_PARAM[error.param.replace(/^models\[\d+\]$/, 'models')] === field
      ? error.message
      : undefined

  const submit = async (event: Event) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: string) => String(form.get(name) ?? '').trim()
    const num = (name: string) => (text(name) === '' ? undefined : Number(text(name)))
    const models = list(text('models'))
    const rpm = num('rpm')
    const tpm = num('tpm')
    const rateLimit =
      rpm === undefined && tpm === undefined
        ? undefined
        : {
            ...(rpm !== undefined ? { requests_per_minute: rpm } : {}),
            ...(tpm !== undefined ? { tokens_per_minute: tpm } : {}),
          }
    const budget = num('budget')
    const maxInflight = num('max_inflight')
    const expires = text('expires')
    setBusy(true)
    setError(undefined)
    try {
      if (!editing) {
        const body: Record<string, unknown> = { name: text('name') }
        if (models.length) body.models = models
        if (rateLimit) body.rate_limit = rateLimit
        if (budget !== undefined) body.budget = budget
        if (maxInflight !== undefined) body.max_inflight = maxInflight
        if (expires) body.expires_at = fromLocalInput(expires) ?? expires
        const created = await api.send<CreatedKey>('POST', '/v1/admin/keys', body)
        onSaved(created.name, created)
      } else {
        const body: Record<string, unknown> = {}
        if (models.join(',') !== editing.models.join(',')) body.models = models.length ? models : ['*']
        if (JSON.stringify(rateLimit ?? null) !== JSON.stringify(editing.rate_limit ?? null))
          body.rate_limit = rateLimit ?? null
        if (budget !== editing.budget) body.budget = budget ?? null
        if (maxInflight !== editing.max_inflight) body.max_inflight = maxInflight ?? null
        if (expires !== toLocalInput(editing.expires_at))
          body.expires_at = expires ? (fromLocalInput(expires) ?? expires) : null
        await api.send('PATCH', `/v1/admin/keys/${enc(editing.name)}`, body)
        onSaved(editing.name)
      }
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, null, String(err)))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog title={editing ? `Edit key ${editing.name}` : 'New key'} onClose={onClose}>
      <form onSubmit={submit}>
        {error && !error.param ? <ErrorNotice error={error} /> : null}
        {error?.param && !FIELD_OF_PARAM[error.param.replace(/^models\[\d+\]$/, 'models')] ? (
          <ErrorNotice error={error} />
        ) : null}
        <Field
          label="Name"
          hint={editing ? 'A key cannot be renamed.' : 'Letters, digits, ".", "_" or "-"; shows in logs and usage.'}
          error={fieldError('name')}
        >
          {(p) => (
            <input
              {...p}
              name="name"
              required
              pattern="[A-Za-z0-9._\-]{1,64}"
              maxLength={64}
              autoComplete="off"
              readOnly={!!editing}
              autoFocus={!editing}
              defaultValue={editing?.name}
            />
          )}
        </Field>
        <Field
          label="Models"
          hint='Comma-separated; "*" (the default) allows every model.'
          error={fieldError('models')}
        >
          {(p) => (
            <input
              {...p}
              name="models"
              autoComplete="off"
              placeholder="*"
              autoFocus={!!editing}
              defaultValue={editing?.models.join(', ')}
            />
          )}
        </Field>
        <div class="row">
          <Field
            label="Requests per minute"
            hint="Blank: the rate_limit extension's default."
            error={fieldError('rpm')}
          >
            {(p) => (
              <input
                {...p}
                name="rpm"
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                defaultValue={editing?.rate_limit?.requests_per_minute}
              />
            )}
          </Field>
          <Field label="Tokens per minute" error={fieldError('tpm')}>
            {(p) => (
              <input
                {...p}
                name="tpm"
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                defaultValue={editing?.rate_limit?.tokens_per_minute}
              />
            )}
          </Field>
        </div>
        <div class="row">
          <Field label="Budget (USD)" hint="Blank: the budget extension's default." error={fieldError('budget')}>
            {(p) => (
              <input
                {...p}
                name="budget"
                type="number"
                min={0}
                step="any"
                inputMode="decimal"
                defaultValue={editing?.budget}
              />
            )}
          </Field>
          <Field label="Max in flight" hint="Concurrent requests; blank: no cap." error={fieldError('max_inflight')}>
            {(p) => (
              <input
                {...p}
                name="max_inflight"
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                defaultValue={editing?.max_inflight}
              />
            )}
          </Field>
        </div>
        <Field label="Expires" hint="Your local time; blank: never." error={fieldError('expires')}>
          {(p) => (
            <input {...p} name="expires" type="datetime-local" defaultValue={toLocalInput(editing?.expires_at)} />
          )}
        </Field>
        <div class="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {editing ? 'Save' : 'Create key'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}

function SecretDialog({ created, onClose }: { created: CreatedKey; onClose: () => void }) {
  const [copied, setCopied] = useState('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key)
      setCopied('Copied to the clipboard.')
    } catch {
      const input = document.getElementById('new-secret') as HTMLInputElement | null
      input?.select()
      setCopied(
        document.execCommand('copy')
          ? 'Copied to the clipboard.'
          : 'Copying was refused: select the key and copy it yourself.',
      )
    }
  }
  return (
    <Dialog title={`Key ${created.name} created`} onClose={onClose}>
      <p>
        <strong>Copy the secret now: it is shown only this once.</strong> The gateway keeps only its digest.
      </p>
      <div class="secret">
        <label for="new-secret" class="visually-hidden">
          Secret of {created.name}
        </label>
        <input
          id="new-secret"
          readOnly
          value={created.key}
          onFocus={(e) => (e.currentTarget as HTMLInputElement).select()}
        />
        {/* biome-ignore lint/a11y/noAutofocus: the dialog shows a secret once; focus goes to its Copy button (WAI-ARIA dialog pattern) */}
        <button type="button" class="primary" autoFocus onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p class="muted" role="status">
        {copied}
      </p>
      <div class="dialog-actions">
        <button type="button" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  )
}
