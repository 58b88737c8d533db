// Overview: GET /v1/admin/stats for the last hour or day (refreshed every 10 s while the tab is
// visible): live gauges, totals, p50/p99 latency, charts per bucket, and the top keys and models.
import { useState } from 'preact/hooks'
import type { Stats, StatsRow } from '../api'
import { Chart } from '../components/chart'
import { ErrorNotice, Notice } from '../components/notice'
import { TableScroll } from '../components/table'
import { clock, compact, count, ms, percent, usd } from '../format'
import { useApi, useInterval, useLoad } from '../hooks'

const REFRESH_MS = 10_000
type Range = Stats['window']

export function OverviewPage() {
  const api = useApi()
  const [range, setRange] = useState<Range>('1h')
  const stats = useLoad(() => api.get<Stats>(`/v1/admin/stats?window=${range}`), [range])
  useInterval(() => void stats.reload(), REFRESH_MS)
  const s = stats.data

  return (
    <>
      <div class="toolbar">
        {/* biome-ignore lint/a11y/useSemanticElements: a toggle-button group, not a form fieldset */}
        <div class="segmented" role="group" aria-label="Time window">
          {(['1h', '24h'] as const).map((w) => (
            <button key={w} type="button" aria-pressed={range === w} onClick={() => setRange(w)}>
              {w === '1h' ? 'Last hour' : 'Last 24 hours'}
            </button>
          ))}
        </div>
        <button type="button" onClick={() => void stats.reload()} disabled={stats.loading}>
          Refresh
        </button>
        <span class="muted" aria-live="polite">
          {s ? `Updated ${clock(s.until, true)}` : stats.loading ? 'Loading…' : ''}
        </span>
      </div>
      <ErrorNotice error={stats.error} />
      {s ? <StatsView stats={s} /> : null}
    </>
  )
}

function StatsView({ stats: s }: { stats: Stats }) {
  const t = s.totals
  const times = s.buckets.map((b) => b.time)
  const span = s.window === '1h' ? 'last hour' : 'last 24 hours'
  return (
    <>
      <section aria-labelledby="live-heading">
        <h2 id="live-heading" class="section-title">
          Now
        </h2>
        <div class="cards">
          <Card label="In-flight requests" value={count(s.live.inflight_requests)} />
          <Card
            label="Open streams"
            value={s.live.open_streams === null ? '–' : count(s.live.open_streams)}
            note={s.live.open_streams === null ? 'metrics are off' : undefined}
          />
          {t ? (
            <>
              <Card label={`Requests, ${span}`} value={count(t.requests)} />
              <Card
                label="Errors"
                value={count(t.errors)}
                note={`${percent(t.errors, t.requests)} of requests`}
                tone={t.errors > 0 ? 'err' : undefined}
              />
              <Card
                label="Tokens"
                value={compact(t.total_tokens)}
                note={`${compact(t.prompt_tokens)} prompt · ${compact(t.completion_tokens)} completion`}
              />
              <Card label="Spend" value={usd(t.cost_usd)} />
              <Card label="Latency p50" value={ms(t.latency_p50_ms)} />
              <Card label="Latency p99" value={ms(t.latency_p99_ms)} />
            </>
          ) : null}
        </div>
      </section>
      {!s.audit ? (
        <Notice tone="warn">
          <strong>Audit is off, so there is no history to chart.</strong> {s.hint}
        </Notice>
      ) : (
        <>
          {s.truncated ? (
            <Notice tone="warn">
              The window holds more than {count(s.max_records)} requests: only the newest were counted (complete since{' '}
              {s.complete_since ? clock(s.complete_since) : '–'}).
            </Notice>
          ) : null}
          <section aria-labelledby="charts-heading">
            <h2 id="charts-heading" class="section-title">
              Per {s.bucket_seconds >= 3600 ? `${s.bucket_seconds / 3600} h` : `${s.bucket_seconds / 60} min`}, {span}
            </h2>
            <div class="charts">
              <Chart
                title="Requests and errors"
                kind="stacked"
                times={times}
                format={compact}
                series={[
                  { label: 'Succeeded', tone: 'a', values: s.buckets.map((b) => b.requests - b.errors) },
                  { label: 'Failed', tone: 'err', values: s.buckets.map((b) => b.errors) },
                ]}
                summary={`${count(t!.requests)} requests, ${count(t!.errors)} failed, over the ${span}.`}
              />
              <Chart
                title="Tokens"
                kind="stacked"
                times={times}
                format={compact}
                series={[
                  { label: 'Prompt', tone: 'a', values: s.buckets.map((b) => b.prompt_tokens) },
                  { label: 'Completion', tone: 'b', values: s.buckets.map((b) => b.completion_tokens) },
                ]}
                summary={`${count(t!.prompt_tokens)} prompt and ${count(t!.completion_tokens)} completion tokens.`}
              />
              <Chart
                title="Spend (USD)"
                kind="stacked"
                times={times}
                format={usd}
                series={[{ label: 'Spend', tone: 'b', values: s.buckets.map((b) => b.cost_usd) }]}
                summary={`${usd(t!.cost_usd)} spent.`}
              />
              <Chart
                title="Latency"
                kind="lines"
                times={times}
                format={ms}
                series={[
                  { label: 'p50', tone: 'a', values: s.buckets.map((b) => b.latency_p50_ms) },
                  { label: 'p99', tone: 'err', values: s.buckets.map((b) => b.latency_p99_ms) },
                ]}
                summary={`median ${ms(t!.latency_p50_ms)}, 99th percentile ${ms(t!.latency_p99_ms)}.`}
              />
            </div>
          </section>
          <section aria-labelledby="top-heading">
            <h2 id="top-heading" class="section-title">
              Top, {span}
            </h2>
            <div class="tops">
              <TopTable title="Keys by requests" rows={s.top_keys.by_requests} />
              <TopTable title="Keys by spend" rows={s.top_keys.by_spend} />
              <TopTable title="Models by requests" rows={s.top_models.by_requests} />
              <TopTable title="Models by spend" rows={s.top_models.by_spend} />
            </div>
          </section>
        </>
      )}
    </>
  )
}

function Card({
  label,
  value,
  note,
  tone,
}: {
  label: string
  value: string
  note?: string | undefined
  tone?: 'err' | undefined
}) {
  return (
    <div class={tone ? `card ${tone}` : 'card'}>
      <div class="card-label">{label}</div>
      <div class="card-value">{value}</div>
      {note ? <div class="card-note">{note}</div> : null}
    </div>
  )
}

function TopTable({ title, rows }: { title: string; rows: readonly StatsRow[] }) {
  return (
    <div class="panel">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p class="muted">Nothing yet.</p>
      ) : (
        <TableScroll label={title}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" class="num">
                Requests
              </th>
              <th scope="col" class="num">
                Errors
              </th>
              <th scope="col" class="num wide-only">
                Tokens
              </th>
              <th scope="col" class="num">
                Spend
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name}>
                <th scope="row">{r.name}</th>
                <td class="num">{count(r.requests)}</td>
                <td class="num">{count(r.errors)}</td>
                <td class="num wide-only">{compact(r.total_tokens)}</td>
                <td class="num">{usd(r.cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </TableScroll>
      )}
    </div>
  )
}
