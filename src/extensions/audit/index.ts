// audit: one record per request that reached the pipeline (answers, streams with how they ended, and
// failures, refusals by other extensions included), appended to the store's time-ordered log off the
// response path; GET /v1/admin/logs reads them back newest first (query.ts).
//
// Each record is one store.append through deps.defer: the pipeline's flush (graceful shutdown) waits
// for every deferred write before storage closes, so that a record accepted before shutdown is on disk
// (SQLite) or in Redis when the process exits.
// A cache hit reaches onResponse with ctx.cached set and no provider: it is recorded as such.
import type { ExtensionsConfig } from '../../config/schema'
import type { GatewayError } from '../../core/errors'
import type { Extension, ExtensionFactory, RelayOutcome, RequestContext } from '../types'
import { parseLogQuery, readLogs } from './query'
import { auditRecord, type Ending } from './record'

export { type AuditRecord, isFailure } from './record'

/** The store log (in this extension's namespace) that holds the records. */
export const AUDIT_LOG = 'records'

export const auditExtension: ExtensionFactory<NonNullable<ExtensionsConfig['audit']>> = (deps) => {
  const { store, config } = deps
  const write = (ctx: RequestContext, ending: Ending) => {
    const record = auditRecord(config, ctx, ending)
    deps.defer(store.append(AUDIT_LOG, record.time, JSON.stringify(record)))
  }
  const extension: Extension = {
    name: 'audit',
    needsUsage: true,
    onResponse(ctx) {
      write(ctx, {})
    },
    onStreamEnd(ctx, outcome: RelayOutcome) {
      write(ctx, { outcome })
    },
    onError(ctx, error: GatewayError) {
      write(ctx, { error: { code: error.code, type: error.type } })
    },
    routes: [
      {
        method: 'GET',
        path: '/v1/admin/logs',
        admin: true,
        async handle(request) {
          // A base: Bun's request.url is relative ("/v1/…") when the Host header is empty.
          const query = parseLogQuery(new URL(request.url, 'http://invalid-host').searchParams)
          const page = await readLogs(store, AUDIT_LOG, query)
          return Response.json(page)
        },
      },
    ],
  }
  return extension
}
