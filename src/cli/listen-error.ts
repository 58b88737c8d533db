// The start-up error for a listen address that cannot be bound, for one process and for a supervisor's
// check of the port its workers will share.
import { ConfigError } from '../config/errors'

export function listenError(
  configPath: string,
  bound: boolean,
  listen: { hostname: string; port: number },
  err: unknown,
): ConfigError {
  const code = (err as { code?: string }).code
  const where = `${listen.hostname.includes(':') ? `[${listen.hostname}]` : listen.hostname}:${listen.port}`
  if (code === 'EADDRINUSE')
    return new ConfigError(
      configPath,
      bound ? '' : 'listen',
      `cannot listen on ${where}: the address is already in use (another crabllm, or another program)`,
      'stop the other process, pick another port with --bind HOST:PORT (or `listen`), or set reuse_port = true in every gateway sharing it',
    )
  return new ConfigError(
    configPath,
    bound ? '' : 'listen',
    `cannot listen on ${where}: ${code ?? (err as Error).message}`,
    'pick a free port, or pass --bind',
  )
}
