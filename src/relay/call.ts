// One model request as it goes through the relay's stages (relay.ts): each stage adds what it learnt to
// the same record, and the type says which stage it has passed. The error path and the access line read
// whatever is known so far.
import type { Principal } from '../auth'
import type { JsonObject } from '../core/json'
import { requestIdOf } from '../core/request-id'
import type { RequestContext } from '../extensions'
import type { Deployment } from '../routing/registry'
import type { MultipartBody } from './multipart'
import type { Surface } from './surfaces'

/** How the answer goes back to the client: whole, as server-sent events, or as bytes as they arrive. */
export type AnswerMode = 'buffered' | 'sse' | 'raw'

export interface Call {
  readonly surface: Surface
  readonly request: Request
  readonly requestId: string
  /** performance.now() at arrival. */
  readonly started: number
  /** The key's name, once authenticated. */
  key?: string
  /** The canonical model, once resolved. */
  model?: string
  /**
   * The extensions' view of the request once the pipeline has seen it (screened, or refused by an
   * extension's onKey); absent when no extension is configured. Failures without it are counted as
   * refused before the pipeline.
   */
  hooks?: RequestContext
}

/** A call whose key is known (identify): who is calling, and the extensions' early view of the request. */
export interface KeyedCall extends Call {
  readonly principal: Principal
  key: string
  /** The extensions' view before the body is read (model and json still empty); screen completes it. */
  readonly early: RequestContext | undefined
}

/** A call whose body and model are known and allowed (readCall). */
export interface ReadCall extends KeyedCall {
  model: string
  /** The model name as the client sent it (an alias, or the canonical name). */
  readonly requestedModel: string
  /** The parsed body (for multipart, its text fields); the stages after read may rewrite `model` and `stream_options`. */
  readonly json: JsonObject
  /** The body's bytes as they came. */
  readonly bytes: Uint8Array
  /** The multipart body, when the surface takes one. */
  readonly form: MultipartBody | undefined
  /** The client asked to stream (`stream: true`). */
  readonly stream: boolean
  readonly mode: AnswerMode
  /** The model's deployments that serve this surface's endpoint, in weight order. */
  readonly deployments: readonly Deployment[]
  /** A stage changed `json` beyond the model (a Responses conversation expanded): it is sent serialised. */
  rewritten?: boolean
}

export function startCall(surface: Surface, request: Request): Call {
  return { surface, request, requestId: requestIdOf(request), started: performance.now() }
}

/** The answer mode of a surface for a client that does or does not stream. */
export function answerMode(surface: Surface, stream: boolean): AnswerMode {
  switch (surface.answer) {
    case 'json':
      return 'buffered'
    case 'sse':
      return stream ? 'sse' : 'buffered'
    case 'raw':
      return 'raw'
    case 'raw-if-stream':
      return stream ? 'raw' : 'buffered'
  }
}
