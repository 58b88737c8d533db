// The admin CLI's HTTP client for /v1/admin/{keys,providers} on a running gateway. Every failure becomes
// an AdminError (a CliError: main.ts prints its one-line message and exits 1); it never shows a stack.
// It does not decide where the gateway is (admin-command.ts does) or how results are shown.
import { CliError } from '../config/errors'

export interface RateLimit {
  requests_per_minute?: number
  tokens_per_minute?: number
}

/** A key as the API lists it: never the secret, only `masked`. */
export interface KeyView {
  name: string
  masked: string
  models: string[]
  rate_limit?: RateLimit
  budget?: number
  expires_at?: string
  max_inflight?: number
  expired?: boolean
  source: 'config' | 'api'
  created_at?: string
  updated_at?: string
}

/** The answer to a create: the only time the full secret (`key`) is sent. */
export interface CreatedKey extends KeyView {
  key: string
}

export interface KeyInput {
  name?: string
  models?: string[]
  rate_limit?: RateLimit | null
  budget?: number | null
  expires_at?: string | null
  max_inflight?: number | null
}

/** A provider as the API shows it: config fields with secrets masked, plus its source. */
export interface ProviderView {
  name: string
  kind: string
  source: 'config' | 'api'
  base_url?: string
  models?: string[]
  weight?: number
  max_retries?: number
  timeout?: number
  api_key?: string
  api_version?: string
  region?: string
  access_key?: string
  secret_key?: string
  session_token?: string
  created_at?: string
  updated_at?: string
}

export interface ProviderInput {
  name?: string
  kind?: string
  api_key?: string
  base_url?: string
  models?: string[]
  weight?: number
  max_retries?: number
  timeout?: number
  api_version?: string
  region?: string
  access_key?: string
  secret_key?: string
  session_token?: string
}

export interface Deleted {
  name: string
  deleted: true
}

interface List<T> {
  object: 'list'
  data: T[]
}

/** A parsed answer and its body text as it came (what `--json` prints). */
export interface Answer<T> {
  value: T
  text: string
}

/** A failed admin call. `status` is the HTTP status (0: no answer), `code` the API's error code. */
export class AdminError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | null = null,
  ) {
    super(message, 1)
  }
}

export interface AdminClientOptions {
  /** Gateway base URL, e.g. http://127.0.0.1:5632 (no /v1). */
  url: string
  /** The admin token; without one the gateway answers 401. */
  token?: string
  /** Give up on an answer after this long. Provider creation waits for the upstream's model list. */
  timeoutMs?: number
}

export class AdminClient {
  readonly url: string
  private readonly token: string | undefined
  private readonly timeoutMs: number

  constructor(options: AdminClientOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.token = options.token
    this.timeoutMs = options.timeoutMs ?? 120_000
  }

  listKeys(): Promise<Answer<List<KeyView>>> {
    return this.call('GET', 'keys')
  }
  getKey(name: string): Promise<Answer<KeyView>> {
    return this.call('GET', `keys/${encodeURIComponent(name)}`)
  }
  createKey(input: KeyInput): Promise<Answer<CreatedKey>> {
    return this.call('POST', 'keys', input)
  }
  updateKey(name: string, input: KeyInput): Promise<Answer<KeyView>> {
    return this.call('PATCH', `keys/${encodeURIComponent(name)}`, input)
  }
  deleteKey(name: string): Promise<Answer<Deleted>> {
    return this.call('DELETE', `keys/${encodeURIComponent(name)}`)
  }

  listProviders(): Promise<Answer<List<ProviderView>>> {
    return this.call('GET', 'providers')
  }
  getProvider(name: string): Promise<Answer<ProviderView>> {
    return this.call('GET', `providers/${encodeURIComponent(name)}`)
  }
  createProvider(input: ProviderInput): Promise<Answer<ProviderView>> {
    return this.call('POST', 'providers', input)
  }
  updateProvider(name: string, input: ProviderInput): Promise<Answer<ProviderView>> {
    return this.call('PATCH', `providers/${encodeURIComponent(name)}`, input)
  }
  deleteProvider(name: string): Promise<Answer<Deleted>> {
    return this.call('DELETE', `providers/${encodeURIComponent(name)}`)
  }

  /** One call: `path` is relative to /v1/admin/, or absolute (`/v1/usage`) under --url's prefix. */
  async call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const target = path.startsWith('/') ? `${this.url}${path}` : `${this.url}/v1/admin/${path}`
    const headers: Record<string, string> = { accept: 'application/json' }
    if (this.token) headers.authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetch(target, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      })
    } catch (err) {
      const timedOut = (err as { name?: string }).name === 'TimeoutError'
      throw new AdminError(
        timedOut
          ? `crabllm at ${this.url} did not answer within ${this.timeoutMs < 1000 ? `${this.timeoutMs} ms` : `${Math.round(this.timeoutMs / 1000)} s`}`
          : `cannot reach crabllm at ${this.url}: ${describeNetworkError(err)}; is it running? pass --url or set CRABLLM_URL`,
        0,
      )
    }
    let text: string
    try {
      text = await response.text()
    } catch (err) {
      throw new AdminError(`crabllm at ${this.url} cut the answer short: ${describeNetworkError(err)}`, response.status)
    }
    if (!response.ok) throw this.failure(response.status, text)
    try {
      return { value: JSON.parse(text) as T, text }
    } catch {
      throw new AdminError(
        `${method} ${target}: expected JSON, got ${preview(text)}; is ${this.url} a crabllm gateway?`,
        response.status,
      )
    }
  }

  // --- internal ---

  private failure(status: number, text: string): AdminError {
    const error = readApiError(text)
    if (status === 401) {
      const message = this.token
        ? 'the admin token was refused; pass --token or set CRABLLM_TOKEN'
        : 'the gateway wants an admin token; pass --token or set CRABLLM_TOKEN (or set admin_token in the config given by --config)'
      return new AdminError(message, status, error?.code ?? null)
    }
    if (error) {
      const message =
        error.param && !error.message.includes(error.param) ? `${error.param}: ${error.message}` : error.message
      return new AdminError(message, status, error.code)
    }
    return new AdminError(
      `crabllm at ${this.url} answered HTTP ${status}${text.trim() ? `: ${preview(text)}` : ''}`,
      status,
    )
  }
}

/** The message of an OpenAI-shaped error body, or undefined when the body is something else. */
function readApiError(text: string): { message: string; param: string | null; code: string | null } | undefined {
  try {
    const error = (JSON.parse(text) as { error?: { message?: unknown; param?: unknown; code?: unknown } }).error
    if (!error || typeof error.message !== 'string') return undefined
    return {
      message: error.message,
      param: typeof error.param === 'string' ? error.param : null,
      code: typeof error.code === 'string' ? error.code : null,
    }
  } catch {
    return undefined
  }
}

/** "connection refused" rather than Bun's "Unable to connect. Is the computer able to access the url?". */
function describeNetworkError(err: unknown): string {
  const code = (err as { code?: string }).code
  switch (code) {
    case 'ConnectionRefused':
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ENOTFOUND':
    case 'EAI_NONAME':
    case 'DNSException':
      return 'host not found'
    case 'ConnectionClosed':
    case 'ECONNRESET':
      return 'connection closed'
    case 'FailedToOpenSocket':
      return 'cannot open a connection'
    default:
      return code ?? (err instanceof Error ? err.message : String(err))
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return JSON.stringify(flat.length > 200 ? `${flat.slice(0, 200)}…` : flat)
}
