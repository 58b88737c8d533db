// logging: one structured line per completed request (request id, key, model, provider, status, latency,
// tokens, how a stream ended, whether it was a cache hit) and one per failed request.
//
// Levels. A completed request is logged at info; a stream the upstream broke or cut short at warn; a
// failed request at warn (4xx: the client's or a limit's doing) or error (5xx); `debug` adds a line
// when a request enters the pipeline. `[extensions.logging] level` is the threshold for these lines,
// independent of the gateway's own level (-v / LOG_LEVEL, default warn): the lines go through
// `log.withLevel(level)`, the gateway's logger (same output, same text or JSON format) with the
// extension's threshold. So `level = "info"` shows every request even when the gateway logs at warn,
// and `level = "error"` keeps these lines to server-side failures even under -vv. Each line carries
// its own level, so a log shipper can still filter on it.
import type { ExtensionsConfig } from '../../config/schema'
import type { GatewayError } from '../../core/errors'
import type { Fields } from '../../core/log'
import type { Extension, ExtensionFactory, RelayOutcome, RequestContext } from '../types'

type LoggingOptions = NonNullable<ExtensionsConfig['logging']>

export const loggingExtension: ExtensionFactory<LoggingOptions> = (deps) => {
  const log = deps.log.withLevel(deps.options.level ?? 'info')
  const extension: Extension = {
    name: 'logging',
    needsUsage: true,
    onRequest(ctx) {
      if (!log.enabled('debug')) return
      log.debug('request started', {
        request_id: ctx.requestId,
        key: ctx.key,
        model: ctx.model,
        requested_model: ctx.requestedModel !== ctx.model ? ctx.requestedModel : undefined,
        surface: ctx.surface,
        stream: ctx.stream,
      })
    },
    onResponse(ctx) {
      if (log.enabled('info')) log.info('request completed', fieldsOf(ctx))
    },
    onStreamEnd(ctx, outcome: RelayOutcome) {
      const failed = outcome === 'upstream_error' || outcome === 'truncated'
      const level = failed ? 'warn' : 'info'
      if (log.enabled(level)) log[level]('request completed', { ...fieldsOf(ctx), stream: outcome })
    },
    onError(ctx, error: GatewayError) {
      const level = error.status >= 500 ? 'error' : 'warn'
      if (log.enabled(level))
        log[level]('request failed', {
          ...fieldsOf(ctx),
          status: error.status,
          error: error.code ?? error.type,
          error_message: error.message,
        })
    },
  }
  return extension
}

function fieldsOf(ctx: RequestContext): Fields {
  const usage = ctx.usage
  return {
    request_id: ctx.requestId,
    key: ctx.key,
    model: ctx.model,
    requested_model: ctx.requestedModel !== ctx.model ? ctx.requestedModel : undefined,
    provider: ctx.provider,
    surface: ctx.surface,
    status: ctx.status,
    latency_ms: Math.round((performance.now() - ctx.started) * 100) / 100,
    prompt_tokens: usage?.prompt_tokens,
    completion_tokens: usage?.completion_tokens,
    total_tokens: usage?.total_tokens,
    cached: ctx.cached === true,
  }
}
