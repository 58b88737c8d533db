// GET /health: liveness, no auth. Answers 503 while draining for shutdown so load balancers stop sending.
// Both answers say which build serves (version, commit, target): what a rollout checks.
import type { Elysia } from 'elysia'
import { BUILD } from '../../core/build-info'
import type { AppContext } from '../context'

export function healthRoutes(ctx: AppContext, state: { draining: boolean }) {
  return (app: Elysia) =>
    app.get('/health', () =>
      state.draining
        ? Response.json({ status: 'draining', inflight: ctx.inflight.count, build: BUILD }, { status: 503 })
        : Response.json({ status: 'ok', build: BUILD }),
    )
}
