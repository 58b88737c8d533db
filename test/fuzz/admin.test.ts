// The admin API (/v1/admin/keys, /v1/admin/providers) under hostile payloads and names, through the real
// server in-process: creates and updates with every field of the wrong type, unknown and prototype
// keys, nulls, damaged JSON; names in the path that are long, encoded, unicode or prototype keys. Always
// a 2xx or a 4xx in the admin API's (OpenAI's) error shape; what a case creates is deleted again.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ADMIN_TOKEN, expectWellFormed, type FuzzGateways, KEY, MODELS, startFuzzGateways } from './support/gateway'
import {
  caseCount,
  fuzz,
  type PrototypeSnapshot,
  preview,
  prototypeChanges,
  snapshotPrototypes,
} from './support/harness'
import { Dup, damage, hostileString, mutate, PROTO_KEYS, render, type Tree } from './support/json'
import type { Rng } from './support/rng'

let gws: FuzzGateways
let before: PrototypeSnapshot
let upstream: string

const KEY_NAME = 'fz-key'
const PROVIDER_NAME = 'fz-provider'

beforeAll(async () => {
  before = snapshotPrototypes()
  gws = await startFuzzGateways()
  upstream = `${gws.mock.url}/v1`
  const created = await Promise.all([
    admin('POST', '/v1/admin/keys', JSON.stringify({ name: KEY_NAME, models: [MODELS.openai] })),
    admin(
      'POST',
      '/v1/admin/providers',
      JSON.stringify({
        name: PROVIDER_NAME,
        kind: 'openai',
        base_url: upstream,
        api_key: 'sk-p',
        models: ['fz-model'],
      }),
    ),
  ])
  for (const res of created) expect(res.status).toBe(201)
})
afterAll(async () => {
  await gws[Symbol.asyncDispose]()
})

function admin(
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` },
) {
  return gws.plain.fetch(path, { method, headers: { 'content-type': 'application/json', ...headers }, body })
}

// --- valid payloads, the mutators' starting points ---

function keyCreate(rng: Rng): Record<string, unknown> {
  const body: Record<string, unknown> = { name: `fz-${rng.u32().toString(36)}` }
  if (rng.chance(0.5)) body.models = rng.pick([['*'], [MODELS.openai, MODELS.anthropic]])
  if (rng.chance(0.4))
    body.rate_limit = { requests_per_minute: 60, ...(rng.chance(0.5) ? { tokens_per_minute: 1000 } : {}) }
  if (rng.chance(0.4)) body.budget = rng.pick([0, 10.5])
  if (rng.chance(0.4))
    body.expires_at = rng.pick(['2099-01-31T12:00:00Z', '2099-01-31T12:00+02:00', '2099-12-31T23:59:59.123456789Z'])
  if (rng.chance(0.4)) body.max_inflight = 4
  return body
}

function keyPatch(rng: Rng): Record<string, unknown> {
  const body = keyCreate(rng)
  delete body.name
  for (const field of ['rate_limit', 'budget', 'expires_at', 'max_inflight']) if (rng.chance(0.15)) body[field] = null
  if (rng.chance(0.1)) body.name = KEY_NAME
  return body
}

const KINDS: Record<string, (rng: Rng) => Record<string, unknown>> = {
  openai: () => ({ api_key: 'sk-x' }),
  custom: () => ({}),
  ollama: () => ({}),
  azure: () => ({ api_key: 'az', api_version: '2024-06-01' }),
  anthropic: () => ({ api_key: 'sk-ant' }),
  google: () => ({ api_key: 'g' }),
  bedrock: (rng) => ({
    region: 'us-east-1',
    access_key: 'AKID',
    secret_key: 'secret',
    ...(rng.chance(0.3) ? { session_token: 'tok' } : {}),
  }),
  echo: () => ({}),
}

function providerCreate(rng: Rng): Record<string, unknown> {
  const kind = rng.pick(Object.keys(KINDS))
  const body: Record<string, unknown> = {
    name: `fzp-${rng.u32().toString(36)}`,
    kind: kind === 'custom' ? 'my-server' : kind,
    ...KINDS[kind]!(rng),
  }
  if (kind !== 'echo' || rng.chance(0.5)) body.base_url = upstream
  if (rng.chance(0.8)) body.models = ['fz-a', 'fz-b']
  for (const [field, value] of [
    ['weight', 2],
    ['max_retries', 0],
    ['timeout', 5],
    ['stream_idle_timeout', 30],
    ['cooldown_failures', 3],
    ['cooldown_seconds', 10],
  ] as const)
    if (rng.chance(0.2)) body[field] = value
  return body
}

function providerPatch(rng: Rng): Record<string, unknown> {
  const body = providerCreate(rng)
  delete body.name
  for (const field of Object.keys(body)) if (rng.chance(0.5)) delete body[field]
  if (rng.chance(0.2)) body[rng.pick(['api_key', 'weight', 'timeout', 'region'])] = null
  if (rng.chance(0.1)) body.name = PROVIDER_NAME
  return body
}

/** A name for the URL path: plain, odd, encoded or not, a prototype key. */
function pathName(rng: Rng): string {
  const name = rng.weighted<() => string>([
    [2, () => rng.pick(PROTO_KEYS)],
    [
      2,
      () =>
        rng.pick([
          KEY_NAME,
          PROVIDER_NAME,
          'nope',
          'a'.repeat(65),
          'a'.repeat(5000),
          '.',
          '..',
          '...',
          '-',
          '%',
          '%00',
          '%2F',
          '%252F',
          'a%20b',
        ]),
    ],
    [2, () => hostileString(rng).slice(0, 200)],
  ])()
  if (rng.chance(0.3)) return name.replace(/[^\w.~-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  try {
    return encodeURIComponent(name)
  } catch {
    return 'lone-surrogate'
  }
}

type Op = {
  method: string
  path: string
  body?: Uint8Array
  headers: Record<string, string>
  creates?: 'keys' | 'providers'
}

function opFor(rng: Rng): Op {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  const roll = rng.float()
  if (roll < 0.95) headers.authorization = `Bearer ${ADMIN_TOKEN}`
  else if (roll < 0.97) headers.authorization = `Bearer ${KEY}`
  else if (roll < 0.98) headers.authorization = `Bearer ${ADMIN_TOKEN}x`
  const withBody = (base: Tree, discovery: boolean): Uint8Array => {
    let tree = rng.chance(0.9) ? mutate(rng, base) : base
    // A provider without models is created by asking its upstream: keep that upstream the mock (a
    // request to the real internet could only fail as a 502 or 504, which is right but not what is tested).
    if (discovery) tree = withMockUpstreamForDiscovery(tree)
    return damage(rng, render(tree, rng), 0.12)
  }
  switch (rng.int(7)) {
    case 0:
    case 1:
      return { method: 'POST', path: '/v1/admin/keys', body: withBody(keyCreate(rng), false), headers, creates: 'keys' }
    case 2:
      return {
        method: 'PATCH',
        path: `/v1/admin/keys/${rng.chance(0.8) ? KEY_NAME : pathName(rng)}`,
        body: withBody(keyPatch(rng), false),
        headers,
      }
    case 3:
    case 4:
      return {
        method: 'POST',
        path: '/v1/admin/providers',
        body: withBody(providerCreate(rng), true),
        headers,
        creates: 'providers',
      }
    case 5:
      return {
        method: 'PATCH',
        path: `/v1/admin/providers/${rng.chance(0.8) ? PROVIDER_NAME : pathName(rng)}`,
        body: withBody(providerPatch(rng), true),
        headers,
      }
    default: {
      const method = rng.pick(['GET', 'DELETE', 'PATCH', 'PUT', 'POST'])
      const collection = rng.pick(['keys', 'providers'])
      // Never delete the two that PATCH cases update.
      let name = pathName(rng)
      if (method === 'DELETE' && (name === KEY_NAME || name === PROVIDER_NAME)) name = 'nope'
      return {
        method,
        path: `/v1/admin/${collection}/${name}`,
        headers,
        body: method === 'GET' || method === 'DELETE' ? undefined : new Uint8Array(),
      }
    }
  }
}

/** The tree with base_url pointing at the mock when it would be created by discovery (no models). */
function withMockUpstreamForDiscovery(tree: Tree): Tree {
  let parsed: unknown
  try {
    parsed = JSON.parse(render(tree))
  } catch {
    return tree
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return tree
  const models = (parsed as Record<string, unknown>).models
  if (models !== undefined && models !== null && !(Array.isArray(models) && models.length === 0)) return tree
  // The last occurrence of a key wins in JSON.parse: append base_url to what is there.
  if (tree instanceof Dup) return new Dup([...tree.entries, ['base_url', upstream]])
  return new Dup([...Object.entries(tree as Record<string, unknown>), ['base_url', upstream]])
}

describe('fuzz the admin API', () => {
  test('hostile payloads and names get a 2xx or a 4xx in the admin error shape, never a 5xx', async () => {
    await fuzz<Op>('admin API (keys, providers)', {
      cases: caseCount(2000),
      concurrency: 4,
      generate: opFor,
      show: (op) =>
        `${op.method} ${op.path.slice(0, 200)} ${JSON.stringify(op.headers)} ${op.body ? preview(op.body) : ''}`,
      async check(op) {
        const res = await gws.plain.fetch(op.path, { method: op.method, headers: op.headers, body: op.body })
        const copy = res.clone()
        const status = await expectWellFormed(gws.plain, res, 'openai', op.body?.byteLength)
        if (op.creates && status === 201) {
          const { name } = (await copy.json()) as { name: string }
          const removed = await admin('DELETE', `/v1/admin/${op.creates}/${encodeURIComponent(name)}`)
          expect(removed.status).toBe(200)
        }
        return `${op.method} ${status}`
      },
    })
  }, 120_000)

  test('the keys and providers it did not delete are still there and still valid', async () => {
    for (const path of [`/v1/admin/keys/${KEY_NAME}`, `/v1/admin/providers/${PROVIDER_NAME}`])
      expect((await admin('GET', path)).status).toBe(200)
    const keys = (await (await admin('GET', '/v1/admin/keys')).json()) as { data: { name: string }[] }
    expect(keys.data.map((k) => k.name)).toEqual(['fuzzer', KEY_NAME])
  })

  test('no built-in prototype was polluted', () => {
    expect(prototypeChanges(before)).toEqual([])
  })
})
