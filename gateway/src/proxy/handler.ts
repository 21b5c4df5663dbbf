import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import type { Config } from '@tracegate/schemas'
import type { Operation, ProviderAdapter, Wire } from '../providers/types.ts'
import type { ModelRouter, RoutePlan } from '../routing/resolve.ts'
import type { Cooldowns } from '../routing/cooldown.ts'
import { applyOverrides } from '../routing/request-overrides.ts'
import type { KeyAuthenticator } from '../keys/authenticate.ts'
import type { SpanRecorder } from '../spans/recorder.ts'
import type { RequestObservation } from '../spans/observation.ts'
import { GatewayError } from '../errors.ts'
import { attributionFrom } from '../spans/attribution.ts'
import { newSpanId, nowMs } from '../spans/ids.ts'
import { traceContextFrom } from '../spans/trace-context.ts'
import { forward } from './forward.ts'
import { requestParams, type ParsedBody } from './request-body.ts'

export interface ProxyDeps {
  config: Config
  router: ModelRouter
  keys: KeyAuthenticator
  recorder: SpanRecorder
  dispatcher: Dispatcher
  cooldowns: Cooldowns
}

/** How one client route maps onto an upstream: wire format, operation, plan and path. */
export interface RouteSpec {
  route: string
  wire: Wire
  operation: Operation
  /** Model from the body; routes that need one throw a 400 without it. */
  model(body: ParsedBody | undefined): string
  plan(model: string): RoutePlan
  /** Where a chosen target is reached: origin and path with query. */
  upstream(adapter: ProviderAdapter, req: FastifyRequest): { origin: string; path: string }
}

function observation(req: FastifyRequest, spec: RouteSpec, startMs: number): RequestObservation {
  const tc = traceContextFrom(req.headers.traceparent, req.headers.tracestate)
  return {
    traceId: tc.traceId, spanId: newSpanId(), parentSpanId: tc.parentSpanId, traceState: tc.traceState,
    route: spec.route, method: req.method, wire: spec.wire, operation: spec.operation, stream: false,
    requestedModel: '', alias: '', startMs, endMs: startMs, httpStatus: 0, errorType: '', errorMessage: '',
    attribution: attributionFrom(req.headers), keyName: '', requestBody: null, requestParams: {}, attempts: [], events: [],
  }
}

export async function handleProxy(deps: ProxyDeps, spec: RouteSpec, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const obs = observation(req, spec, nowMs())
  const body = req.body as ParsedBody | undefined
  try {
    obs.requestBody = body?.raw ?? null
    const model = spec.model(body)
    obs.requestedModel = model
    obs.stream = body?.json?.stream === true
    obs.requestParams = requestParams(body?.json)
    const identity = deps.keys.authenticate(req.headers)
    obs.keyName = identity.keyName
    if (identity.team && !obs.attribution.team) obs.attribution.team = identity.team
    const plan = applyOverrides(spec.plan(model), req.headers, (m) => deps.router.resolve(m, deps.config.default_provider))
    obs.alias = plan.alias?.name ?? ''
    await forward(deps, spec, req, reply, obs, plan, body, identity.forwardKey)
  } catch (err) {
    const gerr = err instanceof GatewayError ? err : new GatewayError('internal_error', 'internal gateway error')
    if (!(err instanceof GatewayError)) req.log.error({ err }, 'proxy failure')
    obs.errorType ||= gerr.code
    obs.errorMessage ||= gerr.message
    obs.httpStatus = gerr.status
    obs.endMs = nowMs()
    deps.recorder.record(obs)
    if (reply.raw.headersSent || reply.raw.destroyed) {
      reply.raw.destroy()
      return
    }
    reply.raw.writeHead(gerr.status, { 'content-type': 'application/json', 'x-tracegate-trace-id': obs.traceId, 'x-tracegate-attempts': String(obs.attempts.length) })
    reply.raw.end(JSON.stringify(gerr.toJSON()))
  }
}
