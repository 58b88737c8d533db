// GET /health (src/server/routes/health.ts): liveness for load balancers; 503 while draining.
import { Type as T } from '@sinclair/typebox'

export const HealthSchema = T.Object(
  {
    status: T.Union([T.Literal('ok'), T.Literal('draining')]),
    inflight: T.Optional(
      T.Integer({ minimum: 0, description: 'While draining: requests (streams included) still running.' }),
    ),
    build: T.Object(
      {
        version: T.String({ description: 'The release, e.g. 0.1.0.' }),
        commit: T.String({ description: 'Short commit hash of the build ("unknown" when run from source).' }),
        built: T.String({ description: 'When the binary was built, ISO 8601 ("source" when run from source).' }),
        target: T.String({ description: 'The platform the binary was built for, e.g. linux-x64 or linux-arm64-musl.' }),
      },
      { description: 'Which build is serving.' },
    ),
  },
  { title: 'Health' },
)
