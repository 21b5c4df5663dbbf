import type { Config } from '@tracegate/schemas'
import type { Operation, ProviderAdapter, Wire } from '../providers/types.ts'
import type { StreamFormat } from '../providers/first-token.ts'
import type { ModelRouter, RoutePlan } from '../routing/resolve.ts'
import type { Cooldowns } from '../routing/cooldown.ts'
import type { KeyAuthenticator } from '../keys/authenticate.ts'
import type { SpanRecorder } from '../spans/recorder.ts'
import type { ParsedBody } from './request-body.ts'

export interface ProxyDeps {
  config: Config
  router: ModelRouter
  keys: KeyAuthenticator
  recorder: SpanRecorder
  cooldowns: Cooldowns
}

/** How one client route maps onto an upstream: wire format, operation, plan and path. */
export interface RouteSpec {
  /** The route template, as spans and metrics name it (`/p/{provider}/*`, never a raw path). */
  route: string
  wire: Wire
  operation: Operation
  /** Model from the body; routes that need one throw a 400 without it. */
  model(body: ParsedBody | undefined): string
  plan(model: string): RoutePlan
  /** Refuse a plan this route cannot serve, once per-request overrides are applied. */
  check?(plan: RoutePlan): void
  /** How a streamed answer marks its first output token (undefined: no token stream, e.g. embeddings). */
  firstToken?: StreamFormat
  /** Whether the answer streams, when the path says so (Gemini's streamGenerateContent) rather than the body. */
  stream?: boolean
  /** A key sent in the query string (Google's `?key=`), taken out of the forwarded URL. */
  queryKey?: string
  /** Where a chosen target is reached: origin and path with query. */
  upstream(adapter: ProviderAdapter): { origin: string; path: string }
}
