import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import type { Config } from '@tracegate/schemas'
import type { Operation, ProviderAdapter, Wire } from '../providers/types.ts'
import type { ModelRouter, RoutePlan } from '../routing/resolve.ts'
import type { KeyAuthenticator } from '../keys/authenticate.ts'
import type { SpanRecorder } from '../spans/recorder.ts'
import type { AttemptObservation, RequestObservation } from '../spans/observation.ts'
import { GatewayError } from '../errors.ts'
import { attributionFrom } from '../spans/attribution.ts'
import { newSpanId, nowMs } from '../spans/ids.ts'
import { traceContextFrom, traceparentFor } from '../spans/trace-context.ts'
import { relayAttempt } from './attempt.ts'
import { upstreamHeaders } from './headers.ts'
import { requestParams, upstreamBody, type ParsedBody } from './request-body.ts'

export interface ProxyDeps {
  config: Config
  router: ModelRouter
  keys: KeyAuthenticator
  recorder: SpanRecorder
  dispatcher: Dispatcher
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

/** Bytes of a response kept for reading usage: enough for a whole ordinary response. */
const CAPTURE_HEAD = 1 << 20
const CAPTURE_TAIL = 64 << 10

function observation(req: FastifyRequest, spec: RouteSpec, startMs: number): RequestObservation {
  const tc = traceContextFrom(req.headers.traceparent, req.headers.tracestate)
  return {
    traceId: tc.traceId, spanId: newSpanId(), parentSpanId: tc.parentSpanId, traceState: tc.traceState,
    route: spec.route, method: req.method, wire: spec.wire, operation: spec.operation, stream: false,
    requestedModel: '', alias: '', startMs, endMs: startMs, httpStatus: 0, errorType: '', errorMessage: '',
    attribution: attributionFrom(req.headers), keyName: '', requestBody: null, requestParams: {}, attempts: [],
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
    const plan = spec.plan(model)
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

async function forward(deps: ProxyDeps, spec: RouteSpec, req: FastifyRequest, reply: FastifyReply, obs: RequestObservation, plan: RoutePlan, body: ParsedBody | undefined, forwardKey: string | undefined): Promise<void> {
  reply.hijack()
  const res = reply.raw
  // Retries and fallbacks will walk plan.targets; today the first target answers.
  const target = plan.targets[0]!
  const askUsage = spec.wire === 'openai' && obs.stream && (spec.operation === 'chat' || spec.operation === 'text_completion') && body?.json?.stream_options?.include_usage !== true
  const payload = body && req.method !== 'GET' && req.method !== 'HEAD' ? upstreamBody(body, target.model !== obs.requestedModel ? target.model : undefined, askUsage) : null
  const upstream = spec.upstream(target.adapter, req)
  const attempt: AttemptObservation = {
    spanId: newSpanId(), index: 1, adapter: target.adapter, model: target.model, path: upstream.path,
    startMs: nowMs(), endMs: 0, ttftMs: null, httpStatus: 0, errorType: '', errorMessage: '', response: null,
  }
  obs.attempts.push(attempt)
  const relayed = await relayAttempt({
    dispatcher: deps.dispatcher, origin: upstream.origin,
    path: attempt.path, method: req.method as Dispatcher.HttpMethod,
    headers: upstreamHeaders(req.headers, target.adapter, forwardKey ?? target.adapter.configKey, traceparentFor(obs.traceId, attempt.spanId, true), obs.traceState, payload ? payload.length : null),
    body: payload, timeoutMs: plan.timeoutMs, wire: spec.wire, stream: obs.stream, stripUsageChunk: askUsage,
    captureHead: Math.max(CAPTURE_HEAD, deps.config.max_body_bytes), captureTail: CAPTURE_TAIL,
    responseHeaders: {
      'x-tracegate-trace-id': obs.traceId, 'x-tracegate-attempts': '1',
      'x-tracegate-provider': target.adapter.name, 'x-tracegate-model': target.model,
    },
  }, res, attempt)
  if (!relayed) {
    const timeout = attempt.errorType === 'timeout'
    obs.errorType = attempt.errorType
    throw new GatewayError(timeout ? 'upstream_timeout' : 'upstream_unreachable', `${target.adapter.name}: ${attempt.errorMessage}`)
  }
  obs.httpStatus = attempt.httpStatus
  obs.errorType = attempt.errorType
  obs.errorMessage = attempt.errorMessage
  obs.endMs = nowMs()
  deps.recorder.record(obs)
}
