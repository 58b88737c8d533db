// GET /health (src/server/routes/health.ts): liveness for load balancers; 503 while draining.
import { Type as T } from '@sinclair/typebox'

export const HealthSchema = T.Object(
  {
    status: T.Union([T.Literal('ok'), T.Literal('draining')]),
    inflight: T.Optional(
      T.Integer({ minimum: 0, description: 'While draining: requests (streams included) still running.' }),
    ),
  },
  { title: 'Health' },
)
