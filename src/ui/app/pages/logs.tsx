// Logs: the audit records of GET /v1/admin/logs, newest first, filtered by key, model, status and time
// range, a page at a time (Older follows `next_until`; Newer goes back), and every field of one record
// in a dialog. Key and model suggestions come from GET /v1/admin/keys and GET /v1/models.
import { useState } from 'preact/hooks'
import { ApiError, type AuditRecord, enc, type KeyView, type LogPage } from '../api'
import { Dialog } from '../components/dialog'
import { Field } from '../components/field'
import { ErrorNotice, Notice } from '../components/notice'
import { TableScroll } from '../components/table'
import { clock, count, dateTime, fromLocalInput, ms, usd } from '../format'
import { useApi, useLoad } from '../hooks'

interface Filters {
  key: string
  model: string
  status: string
  since: string
  until: string
  limit: string
}

const EMPTY: Filters = { key: '', model: '', status: '', since: '', until: '', limit: '50' }

const STATUS_CHOICES = [
  ['', 'Any'],
  ['ok', 'Succeeded'],
  ['error', 'Failed'],
  ['2xx', '2xx'],
  ['4xx', '4xx'],
  ['5xx', '5xx'],
  ['429', '429 (limits)'],
] as const

export function LogsPage() {
  const api = useApi()
  const [filters, setFilters] = useState<Filters>(EMPTY)
  /** `until` of each page shown so far (undefined: the newest); the last is the current page. */
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined])
  const [detail, setDetail] = useState<AuditRecord | null>(null)
  const until = cursors[cursors.length - 1]
  const page = useLoad(() => api.get<LogPage>(`/v1/admin/logs?${query(filters, until)}`), [filters, until])
  const keys = useLoad(() => api.get<{ data: KeyView[] }>('/v1/admin/keys'), [])
  const models = useLoad(() => api.get<{ data: { id: string }[] }>('/v1/models'), [])
  const auditOff = page.error instanceof ApiError && page.error.status === 404

  const apply = (event: Event) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: string) => String(form.get(name) ?? '').trim()
    setFilters({
      key: text('key'),
      model: text('model'),
      status: text('status'),
      since: text('since'),
      until: text('until'),
      limit: text('limit') || '50',
    })
    setCursors([undefined])
  }

  return (
    <>
      <form class="filters" onSubmit={apply} aria-label="Filter the audit log" key={JSON.stringify(filters)}>
        <Field label="Key">
          {(p) => <input {...p} name="key" list="log-keys" autoComplete="off" defaultValue={filters.key} />}
        </Field>
        <datalist id="log-keys">
          {(keys.data?.data ?? []).map((k) => (
            <option key={k.name} value={k.name} />
          ))}
        </datalist>
        <Field label="Model">
          {(p) => <input {...p} name="model" list="log-models" autoComplete="off" defaultValue={filters.model} />}
        </Field>
        <datalist id="log-models">
          {(models.data?.data ?? []).map((m) => (
            <option key={m.id} value={m.id} />
          ))}
        </datalist>
        <Field label="Status">
          {(p) => (
            <select {...p} name="status" defaultValue={filters.status}>
              {STATUS_CHOICES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="From">
          {(p) => <input {...p} name="since" type="datetime-local" defaultValue={filters.since} />}
        </Field>
        <Field label="To">
          {(p) => <input {...p} name="until" type="datetime-local" defaultValue={filters.until} />}
        </Field>
        <Field label="Per page">
          {(p) => (
            <select {...p} name="limit" defaultValue={filters.limit}>
              {['25', '50', '100', '200'].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div class="filter-actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setFilters({ ...EMPTY })
              setCursors([undefined])
            }}
          >
            Reset
          </button>
        </div>
      </form>
      {auditOff ? (
        <Notice tone="warn">
          The audit log is off: add an [extensions.audit] table to the config file and restart the gateway.
        </Notice>
      ) : (
        <ErrorNotice error={page.error} />
      )}
      {page.data ? (
        <>
          <p class="muted" role="status">
            {page.loading
              ? 'Loading…'
              : `Page ${cursors.length}: ${count(page.data.data.length)} record${page.data.data.length === 1 ? '' : 's'}, newest first.`}
            {page.data.truncated
              ? ' The filter scanned as far as one page may: older matches may remain (Older continues).'
              : ''}
          </p>
          {page.data.data.length === 0 ? (
            <p>No records match.</p>
          ) : (
            <LogTable records={page.data.data} onOpen={setDetail} />
          )}
          <nav class="pager" aria-label="Pages">
            <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
              Newer
            </button>
            <button
              type="button"
              disabled={!page.data.has_more || page.data.next_until === undefined}
              onClick={() => setCursors([...cursors, page.data!.next_until])}
            >
              Older
            </button>
          </nav>
        </>
      ) : null}
      {detail ? <RecordDialog record={detail} onClose={() => setDetail(null)} /> : null}
    </>
  )
}

function query(filters: Filters, until: number | undefined): string {
  const params: string[] = [`limit=${enc(filters.limit)}`]
  if (filters.key) params.push(`key=${enc(filters.key)}`)
  if (filters.model) params.push(`model=${enc(filters.model)}`)
  if (filters.status) params.push(`status=${enc(filters.status)}`)
  const since = fromLocalInput(filters.since)
  if (since) params.push(`since=${enc(since)}`)
  // The page's own cursor, or the filter's end of range.
  const end = until ?? (filters.until ? new Date(filters.until).getTime() + 59_999 : undefined)
  if (end !== undefined && Number.isFinite(end)) params.push(`until=${end}`)
  return params.join('&')
}

function LogTable({ records, onOpen }: { records: AuditRecord[]; onOpen: (r: AuditRecord) => void }) {
  return (
    <TableScroll label="Audit records">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Key</th>
          <th scope="col">Model</th>
          <th scope="col">Provider</th>
          <th scope="col">Status</th>
          <th scope="col" class="num">
            Latency
          </th>
          <th scope="col" class="num">
            Tokens
          </th>
          <th scope="col" class="num">
            Cost
          </th>
        </tr>
      </thead>
      <tbody>
        {records.map((r) => (
          <tr key={r.request_id + r.time} class="clickable" onClick={() => onOpen(r)}>
            <td>
              <button
                type="button"
                class="link"
                onClick={(e) => {
                  e.stopPropagation()
                  onOpen(r)
                }}
              >
                {clock(r.time, true)}
                <span class="visually-hidden">, details</span>
              </button>
            </td>
            <td>{r.key}</td>
            <td>
              {r.model}
              {r.requested_model !== r.model ? <span class="small muted"> ({r.requested_model})</span> : null}
            </td>
            <td>{r.provider ?? (r.cached ? 'cache' : '–')}</td>
            <td>
              <StatusBadge record={r} />
            </td>
            <td class="num">{ms(r.latency_ms)}</td>
            <td class="num">{r.total_tokens === null ? '–' : count(r.total_tokens)}</td>
            <td class="num">{r.cost_usd === null ? '–' : usd(r.cost_usd)}</td>
          </tr>
        ))}
      </tbody>
    </TableScroll>
  )
}

function failed(r: AuditRecord): boolean {
  return (
    (r.status !== null && r.status >= 400) ||
    r.outcome === 'upstream_error' ||
    r.outcome === 'truncated' ||
    r.error !== null
  )
}

function StatusBadge({ record: r }: { record: AuditRecord }) {
  const bad = failed(r)
  const text = `${r.status ?? '–'}${r.stream && r.outcome && r.outcome !== 'done' ? ` ${r.outcome.replace('_', ' ')}` : ''}`
  return <span class={`badge ${bad ? 'err' : 'ok'}`}>{text}</span>
}

function RecordDialog({ record, onClose }: { record: AuditRecord; onClose: () => void }) {
  const rows: [string, string][] = [
    ['Request id', record.request_id],
    ['Time', `${dateTime(record.time)} (${record.timestamp})`],
    ['Key', record.key],
    ['Model', record.model],
    ['Requested model', record.requested_model],
    ['Provider', record.provider ?? '–'],
    ['Endpoint', record.surface],
    ['Stream', record.stream ? `yes, ${record.outcome ?? 'no outcome'}` : 'no'],
    ['Status', String(record.status ?? '–')],
    ['Error', record.error ?? '–'],
    ['Latency', ms(record.latency_ms)],
    ['Prompt tokens', record.prompt_tokens === null ? '–' : count(record.prompt_tokens)],
    ['Completion tokens', record.completion_tokens === null ? '–' : count(record.completion_tokens)],
    ['Total tokens', record.total_tokens === null ? '–' : count(record.total_tokens)],
    ['Cost', record.cost_usd === null ? '–' : usd(record.cost_usd)],
    ['From the cache', record.cached ? 'yes' : 'no'],
  ]
  return (
    <Dialog title={`Request at ${clock(record.time, true)}`} onClose={onClose} wide>
      <dl class="record">
        {rows.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{term === 'Request id' ? <code>{value}</code> : value}</dd>
          </div>
        ))}
      </dl>
      <details>
        <summary>Raw record</summary>
        <pre>{JSON.stringify(record, null, 2)}</pre>
      </details>
      <div class="dialog-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  )
}
