// Prometheus metrics for one gateway (one AppContext): the registry, the pipeline extension that feeds
// it, dispatch's observer, and the count of requests refused before the pipeline. GET /metrics is in
// route.ts. Built only when `metrics` is on (the default).
import type { Config } from '../config/schema'
import type { GatewayError } from '../core/errors'
import type { Extension } from '../extensions/types'
import type { DispatchObserver } from '../routing/dispatch'
import type { Registry as ModelRegistry } from '../routing/registry'
import { metricsExtension } from './extension'
import { createMetricSet } from './metric-set'
import { dispatchObserver } from './observer'
import { earlyRefusal } from './refusals'

export interface Metrics {
  /** The text exposition for GET /metrics (format 0.0.4): process metrics, then the gateway's own. */
  render(): Promise<string>
  /** The content type of that text: text/plain; version=0.0.4; charset=utf-8. */
  readonly contentType: string
  /** Runs first in the pipeline: records every request that reached it. */
  readonly extension: Extension
  /** Goes into DispatchOptions: attempts, retries, fallbacks. */
  readonly observer: DispatchObserver
  /**
   * A model request refused before the pipeline (no key, bad body, unknown or forbidden model):
   * counted with provider "none" and, when the registry does not know the model, model "unknown".
   */
  refused(route: string, model: string | undefined, error: GatewayError, started: number): void
  /** Streams being relayed now (crabllm_open_streams): a live gauge of GET /v1/admin/stats. */
  openStreams(): number
}

/** What the metrics read from the context at request or scrape time (so reloads are seen). */
export interface MetricsSource {
  readonly config: Config
  readonly registry: ModelRegistry
  readonly inflight: { readonly count: number }
}

export function createMetrics(source: MetricsSource): Metrics {
  const m = createMetricSet({ inflight: source.inflight, breakers: () => source.registry.breakers })
  return {
    render: m.render,
    contentType: m.contentType,
    extension: metricsExtension(m, source),
    observer: dispatchObserver(m),
    openStreams: () => m.openStreams.value,
    refused(route, model, error, started) {
      const known = model !== undefined && source.registry.deployments(model) ? model : 'unknown'
      m.rejection(earlyRefusal(error)).inc()
      const s = m.series(route, known, 'none')
      s.request(error.status).inc()
      s.duration().observe((performance.now() - started) / 1000)
    },
  }
}
