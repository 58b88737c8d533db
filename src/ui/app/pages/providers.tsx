// Providers: GET /v1/admin/providers with each one's circuit breaker (`health`) and, from GET
// /v1/admin/stats, its requests, error rate and latency over the last hour; create (POST: with the
// models left blank the gateway fills them from the upstream's model list), edit (PATCH: only the
// fields changed; a masked secret left as it is keeps the secret) and delete. Providers of the config
// file are listed read-only.
import { useState } from 'preact/hooks'
import { ApiError, enc, type ProviderView, type Stats, type StatsRow } from '../api'
import { ConfirmDelete, Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { ErrorNotice } from '../components/notice'
import { TableScroll } from '../components/table'
import { clock, count, list, ms, percent } from '../format'
import { useApi, useInterval, useLoad } from '../hooks'

/** Kinds the form offers; any other name with a base_url is an OpenAI-compatible custom provider. */
const KINDS = ['openai', 'anthropic', 'google', 'bedrock', 'azure', 'ollama', 'echo', 'custom'] as const

/** Fields only some kinds use. */
const KIND_FIELDS: Record<string, readonly string[]> = {
  azure: ['api_version'],
  bedrock: ['region', 'access_key', 'secret_key', 'session_token'],
}

type Open =
  | { kind: 'create' }
  | { kind: 'edit'; provider: ProviderView }
  | { kind: 'delete'; provider: ProviderView }
  | null

export function ProvidersPage() {
  const api = useApi()
  const providers = useLoad(() => api.get<{ data: ProviderView[] }>('/v1/admin/providers'), [])
  const stats = useLoad(() => api.get<Stats>('/v1/admin/stats?window=1h'), [])
  useInterval(() => {
    void providers.reload()
    void stats.reload()
  }, 15_000)
  const [open, setOpen] = useState<Open>(null)
  const [message, setMessage] = useState('')
  const close = () => setOpen(null)
  const refresh = () => Promise.all([providers.reload(), stats.reload()])
  const recent = new Map((stats.data?.providers ?? []).map((row) => [row.name, row]))

  return (
    <>
      <div class="toolbar">
        <button type="button" class="primary" onClick={() => setOpen({ kind: 'create' })}>
          New provider
        </button>
        <button type="button" onClick={() => void refresh()} disabled={providers.loading}>
          Refresh
        </button>
        <span class="muted" role="status">
          {message}
        </span>
      </div>
      <ErrorNotice error={providers.error ?? stats.error} />
      {stats.data && !stats.data.audit ? (
        <p class="muted">Error rate and latency need the audit extension ([extensions.audit]).</p>
      ) : null}
      {providers.data ? (
        <ProviderTable
          providers={providers.data.data}
          recent={stats.data?.audit ? recent : undefined}
          onOpen={setOpen}
        />
      ) : null}
      {open?.kind === 'create' || open?.kind === 'edit' ? (
        <ProviderForm
          editing={open.kind === 'edit' ? open.provider : undefined}
          onClose={close}
          onSaved={(saved, autofilled) => {
            setMessage(
              `Provider ${saved.name} saved${autofilled ? ` with ${count(saved.models.length)} model${saved.models.length === 1 ? '' : 's'} from its upstream` : ''}.`,
            )
            close()
            void refresh()
          }}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDelete
          title={`Delete provider ${open.provider.name}?`}
          path={`/v1/admin/providers/${enc(open.provider.name)}`}
          action="Delete provider"
          onClose={close}
          onDone={() => {
            setMessage(`Provider ${open.provider.name} deleted.`)
            close()
            void refresh()
          }}
        >
          Requests in flight finish; new requests no longer route to it. Models only it serves stop being available.
        </ConfirmDelete>
      ) : null}
    </>
  )
}

function ProviderTable({
  providers,
  recent,
  onOpen,
}: {
  providers: ProviderView[]
  recent: Map<string, StatsRow> | undefined
  onOpen: (open: Open) => void
}) {
  if (providers.length === 0) return <p class="muted">No providers yet: add one.</p>
  return (
    <TableScroll label="Providers">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Kind</th>
          <th scope="col">Models</th>
          <th scope="col">Health</th>
          <th scope="col" class="num">
            Requests, 1 h
          </th>
          <th scope="col" class="num">
            Error rate
          </th>
          <th scope="col" class="num">
            p50 / p99
          </th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {providers.map((p) => {
          const row = recent?.get(p.name)
          return (
            <tr key={p.name}>
              <th scope="row">
                {p.name}
                {p.source === 'config' ? <span class="badge">config file</span> : null}
              </th>
              <td>{p.kind}</td>
              <td class="models" title={p.models.join(', ')}>
                {p.models.slice(0, 3).join(', ')}
                {p.models.length > 3 ? ` +${p.models.length - 3} more` : ''}
              </td>
              <td>
                <Health provider={p} />
              </td>
              <td class="num">{row ? count(row.requests) : recent ? '0' : '–'}</td>
              <td class={row && row.errors > 0 ? 'num err-text' : 'num'}>
                {row ? percent(row.errors, row.requests) : '–'}
              </td>
              <td class="num">{row ? `${ms(row.latency_p50_ms)} / ${ms(row.latency_p99_ms)}` : '–'}</td>
              <td class="actions">
                {p.source === 'api' ? (
                  <>
                    <button
                      type="button"
                      aria-label={`Edit ${p.name}`}
                      onClick={() => onOpen({ kind: 'edit', provider: p })}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Delete ${p.name}`}
                      onClick={() => onOpen({ kind: 'delete', provider: p })}
                    >
                      Delete
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

function Health({ provider }: { provider: ProviderView }) {
  const h = provider.health
  if (!h) return <span class="badge">no traffic yet</span>
  const failures = h.consecutive_failures > 0 ? `${count(h.consecutive_failures)} failed in a row` : ''
  const trips = h.cooldowns > 0 ? `${count(h.cooldowns)} cooldown${h.cooldowns === 1 ? '' : 's'} since start` : ''
  const detail = [failures, trips].filter(Boolean).join(' · ')
  if (h.state === 'open')
    return (
      <span>
        <span class="badge err">cooldown</span> until {h.cooldown_until ? clock(h.cooldown_until, true) : '–'}
        {detail ? <span class="small muted"> {detail}</span> : null}
      </span>
    )
  if (h.state === 'half_open')
    return (
      <span>
        <span class="badge warn">probing</span>
        {detail ? <span class="small muted"> {detail}</span> : null}
      </span>
    )
  return (
    <span>
      <span class="badge ok">healthy</span>
      {detail ? <span class="small muted"> {detail}</span> : null}
    </span>
  )
}

const TEXT_FIELDS = [
  'base_url',
  'api_key',
  'api_version',
  'region',
  'access_key',
  'secret_key',
  'session_token',
] as const
const NUMBER_FIELDS = ['weight', 'timeout', 'max_retries'] as const

function ProviderForm({
  editing,
  onClose,
  onSaved,
}: {
  editing?: ProviderView | undefined
  onClose: () => void
  onSaved: (saved: ProviderView, autofilled: boolean) => void
}) {
  const api = useApi()
  const initialKind = editing
    ? KINDS.includes(editing.kind as (typeof KINDS)[number])
      ? editing.kind
      : 'custom'
    : 'openai'
  const [kind, setKind] = useState(initialKind)
  const [error, setError] = useState<ApiError | undefined>()
  const [busy, setBusy] = useState(false)
  const fieldError = (field: string) => (error?.param?.replace(/\[\d+\]$/, '') === field ? error.message : undefined)
  const shows = (field: string) =>
    field === 'api_key'
      ? kind !== 'echo' && kind !== 'bedrock'
      : !Object.values(KIND_FIELDS).flat().includes(field) || (KIND_FIELDS[kind] ?? []).includes(field)

  const submit = async (event: Event) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: string) => String(form.get(name) ?? '').trim()
    const chosenKind = kind === 'custom' ? text('custom_kind') || 'custom' : kind
    const models = list(text('models'))
    const fields: Record<string, unknown> = {}
    for (const field of TEXT_FIELDS) if (shows(field) && text(field)) fields[field] = text(field)
    for (const field of NUMBER_FIELDS) if (text(field)) fields[field] = Number(text(field))
    setBusy(true)
    setError(undefined)
    try {
      if (!editing) {
        const body = { name: text('name'), kind: chosenKind, ...fields, ...(models.length ? { models } : {}) }
        onSaved(await api.send<ProviderView>('POST', '/v1/admin/providers', body), models.length === 0)
      } else {
        const before = editing as unknown as Record<string, unknown>
        const body: Record<string, unknown> = {}
        if (chosenKind !== editing.kind) body.kind = chosenKind
        if (models.join(',') !== editing.models.join(',')) body.models = models.length ? models : null
        for (const field of [...TEXT_FIELDS, ...NUMBER_FIELDS]) {
          const now = fields[field]
          if (now === undefined && before[field] !== undefined && shows(field)) body[field] = null
          else if (now !== undefined && now !== before[field]) body[field] = now
        }
        onSaved(await api.send<ProviderView>('PATCH', `/v1/admin/providers/${enc(editing.name)}`, body), false)
      }
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, null, String(err)))
    } finally {
      setBusy(false)
    }
  }

  const known = ['name', 'kind', 'models', ...TEXT_FIELDS, ...NUMBER_FIELDS]
  const value = (field: string) => {
    const v = editing ? (editing as unknown as Record<string, unknown>)[field] : undefined
    return v === undefined || v === null ? undefined : String(v)
  }
  return (
    <Dialog title={editing ? `Edit provider ${editing.name}` : 'New provider'} onClose={onClose} wide>
      <form onSubmit={submit}>
        {error && !known.includes(error.param?.replace(/\[\d+\]$/, '') ?? '') ? <ErrorNotice error={error} /> : null}
        <div class="row">
          <Field
            label="Name"
            hint={editing ? 'A provider cannot be renamed.' : 'Letters, digits, ".", "_" or "-".'}
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
          <Field label="Kind" error={fieldError('kind')}>
            {(p) => (
              <select
                {...p}
                name="kind"
                value={kind}
                onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value)}
              >
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {k === 'custom' ? 'custom (OpenAI-compatible)' : k}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        {kind === 'custom' ? (
          <Field label="Custom kind name" hint="Any name; served as an OpenAI-compatible upstream at its base URL.">
            {(p) => (
              <input
                {...p}
                name="custom_kind"
                autoComplete="off"
                defaultValue={
                  editing && !KINDS.includes(editing.kind as (typeof KINDS)[number]) ? editing.kind : 'custom'
                }
              />
            )}
          </Field>
        ) : null}
        <Field
          label="Base URL"
          hint={kind === 'custom' || kind === 'azure' ? 'Required for this kind.' : "Blank: the kind's default."}
          error={fieldError('base_url')}
        >
          {(p) => (
            <input
              {...p}
              name="base_url"
              type="url"
              autoComplete="off"
              placeholder="https://api.example.com/v1"
              autoFocus={!!editing}
              defaultValue={value('base_url')}
            />
          )}
        </Field>
        {shows('api_key') ? (
          <Field
            label="API key"
            hint={
              editing
                ? 'Shown masked; leave it as it is to keep the secret.'
                : 'Sent to the upstream; ${VAR} reads the environment.'
            }
            error={fieldError('api_key')}
          >
            {(p) => <input {...p} name="api_key" type="password" autoComplete="off" defaultValue={value('api_key')} />}
          </Field>
        ) : null}
        {shows('api_version') ? (
          <Field label="API version" error={fieldError('api_version')}>
            {(p) => (
              <input
                {...p}
                name="api_version"
                autoComplete="off"
                placeholder="2024-10-21"
                defaultValue={value('api_version')}
              />
            )}
          </Field>
        ) : null}
        {shows('region') ? (
          <div class="row">
            <Field label="AWS region" error={fieldError('region')}>
              {(p) => (
                <input {...p} name="region" autoComplete="off" placeholder="us-east-1" defaultValue={value('region')} />
              )}
            </Field>
            <Field label="Access key id" error={fieldError('access_key')}>
              {(p) => (
                <input {...p} name="access_key" type="password" autoComplete="off" defaultValue={value('access_key')} />
              )}
            </Field>
            <Field label="Secret access key" error={fieldError('secret_key')}>
              {(p) => (
                <input {...p} name="secret_key" type="password" autoComplete="off" defaultValue={value('secret_key')} />
              )}
            </Field>
            <Field label="Session token" error={fieldError('session_token')}>
              {(p) => (
                <input
                  {...p}
                  name="session_token"
                  type="password"
                  autoComplete="off"
                  defaultValue={value('session_token')}
                />
              )}
            </Field>
          </div>
        ) : null}
        <Field
          label="Models"
          hint={
            editing
              ? 'Comma-separated.'
              : "Comma-separated. Leave blank to fill them from the upstream's model list (the gateway asks it before saving)."
          }
          error={fieldError('models')}
        >
          {(p) => (
            <textarea {...p} name="models" rows={2} autoComplete="off" defaultValue={editing?.models.join(', ')} />
          )}
        </Field>
        <div class="row">
          <Field label="Weight" hint="Share among deployments of a model." error={fieldError('weight')}>
            {(p) => (
              <input
                {...p}
                name="weight"
                type="number"
                min={0}
                step="any"
                placeholder="1"
                defaultValue={value('weight')}
              />
            )}
          </Field>
          <Field label="Timeout (s)" error={fieldError('timeout')}>
            {(p) => (
              <input
                {...p}
                name="timeout"
                type="number"
                min={0}
                step="any"
                placeholder="30"
                defaultValue={value('timeout')}
              />
            )}
          </Field>
          <Field label="Max retries" error={fieldError('max_retries')}>
            {(p) => (
              <input
                {...p}
                name="max_retries"
                type="number"
                min={0}
                max={10}
                step={1}
                placeholder="2"
                defaultValue={value('max_retries')}
              />
            )}
          </Field>
        </div>
        <div class="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Saving…' : editing ? 'Save' : 'Create provider'}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
