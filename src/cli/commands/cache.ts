// `crabllm cache clear`: DELETE /v1/cache ([extensions.cache], admin token). The gateway moves to a new
// cache generation, so no answer stored before is served again.
import type { AdminCommand } from '../admin-command'
import { CACHE_ROUTE, callExtension } from '../extension-route'

export const cacheCommands: Record<string, AdminCommand> = {
  clear: {
    summary: 'forget every cached answer (needs [extensions.cache] and the admin token)',
    flags: [],
    async run(client, flags, output) {
      const { text } = await callExtension<{ cleared: true; generation: number }>(client, CACHE_ROUTE)
      output.out(flags.json ? text : 'cache cleared')
    },
  },
}
