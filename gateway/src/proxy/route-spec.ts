import type { Config } from '@tracegate/schemas'
import type { ProviderAdapter } from '../providers/types.ts'
import type { WireFormat } from '../wires/types.ts'
import type { ModelRouter, RoutePlan, Target } from '../routing/resolve.ts'
import type { Cooldowns } from '../routing/cooldown.ts'
import type { KeyAuthenticator } from '../keys/authenticate.ts'
import type { Enforcer } from '../limits/enforcer.ts'
import type { SpanRecorder } from '../spans/recorder.ts'
import type { ShadowSender } from '../shadow/sender.ts'
import type { ResponseCost } from './answer.ts'

export interface ProxyDeps {
  config: Config
  router: ModelRouter
  keys: KeyAuthenticator
  limits: Enforcer
  recorder: SpanRecorder
  cooldowns: Cooldowns
  shadow: ShadowSender
  /** Set when config.litellm.response_cost_header asks for x-litellm-response-cost. */
  responseCost?: ResponseCost
  /** Matches TRACEGATE_ADMIN_TOKEN: only a request carrying it may inject a fault (routing/injected-fault.ts). */
  isAdmin?: (token: string) => boolean
}

/** How one client route maps onto an upstream: wire format, plan and path. */
export interface RouteSpec {
  /** The route template, as spans and metrics name it (`/p/{provider}/*`, never a raw path). */
  route: string
  /** What the gateway knows about this route's bodies: model, stream flag, usage, first token, errors. */
  wire: WireFormat
  plan(model: string): RoutePlan
  /** Whether this route can send to a target (absent: any); `check` refuses a plan with one it cannot. */
  serves?(target: Target): boolean
  /** Refuse a plan this route cannot serve, once per-request overrides are applied. */
  check?(plan: RoutePlan): void
  /** A key sent in the query string (Google's `?key=`), taken out of the forwarded URL. */
  queryKey?: string
  /** Where a chosen target is reached: origin and path with query. */
  upstream(adapter: ProviderAdapter): { origin: string; path: string }
}
