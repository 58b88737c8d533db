// GET /health: liveness, no auth. Answers 503 while draining for shutdown so load balancers stop sending.
import type { Elysia } from 'elysia'
import type { AppContext } from '../context'

export function healthRoutes(ctx: AppContext, state: { draining: boolean }) {
  return (app: Elysia) =>
    app.get('/health', () =>
      state.draining
        ? Response.json({ status: 'draining', inflight: ctx.inflight.count }, { status: 503 })
        : Response.json({ status: 'ok' }),
    )
}
