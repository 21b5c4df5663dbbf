import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Operation, Wire } from '../providers/types.ts'
import { applyOverrides } from '../routing/request-overrides.ts'
import type { KeyIdentity } from '../keys/authenticate.ts'
import type { RequestObservation } from '../spans/observation.ts'
import { GatewayError, fromFrameworkError } from '../errors.ts'
import { attributionFrom } from '../spans/attribution.ts'
import { newSpanId } from '../spans/ids.ts'
import { nowMs } from '../clock.ts'
import { traceContextFrom } from '../spans/trace-context.ts'
import { forward } from './forward.ts'
import { requestParams, type ParsedBody } from './request-body.ts'
import type { ProxyDeps, RouteSpec } from './route-spec.ts'

export type { ProxyDeps, RouteSpec } from './route-spec.ts'

function observation(req: FastifyRequest, route: string, wire: Wire, operation: Operation): RequestObservation {
  const tc = traceContextFrom(req.headers.traceparent, req.headers.tracestate)
  const startMs = nowMs()
  return {
    traceId: tc.traceId,
    spanId: newSpanId(),
    parentSpanId: tc.parentSpanId,
    traceState: tc.traceState,
    route,
    method: req.method,
    wire,
    operation,
    stream: false,
    requestedModel: '',
    alias: '',
    startMs,
    endMs: startMs,
    httpStatus: 0,
    errorType: '',
    errorMessage: '',
    attribution: attributionFrom(req.headers),
    keyName: '',
    requestBody: null,
    requestParams: {},
    attempts: [],
    events: [],
    clockOffsetMs: Date.now() - startMs,
    recorded: false,
  }
}

/** A refused caller's own claims about who it is are not kept: a stranger's 401s must not show under a victim team. */
function untrusted(obs: RequestObservation): void {
  obs.attribution.team = ''
  obs.attribution.user = ''
}

/** A gateway key's own team and user win: headers only fill in what the key leaves open. */
function attribute(obs: RequestObservation, identity: KeyIdentity): void {
  obs.keyName = identity.keyName
  if (!identity.gateway) return
  if (identity.team) obs.attribution.team = identity.team
  if (identity.user) obs.attribution.user = identity.user
}

export async function handleProxy(
  deps: ProxyDeps,
  spec: RouteSpec,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const obs = observation(req, spec.route, spec.wire, spec.operation)
  const body = req.body as ParsedBody | undefined
  let identity: KeyIdentity | undefined
  try {
    identity = deps.keys.authenticate(req.headers, spec.queryKey)
    attribute(obs, identity)
    const model = spec.model(body)
    obs.requestedModel = model
    obs.stream = spec.stream ?? body?.json?.stream === true
    obs.requestParams = requestParams(body?.json)
    // Fallback models named in a header resolve as this route resolves its own (Anthropic's default on /v1/messages).
    const plan = applyOverrides(spec.plan(model), req.headers, spec.plan, deps.config.routing)
    spec.check?.(plan)
    deps.keys.assertMayUse(identity, plan.targets)
    obs.alias = plan.alias?.name ?? ''
    obs.requestBody = body?.raw ?? null
    const who = identity
    // A caller's own key belongs to the provider it called (the plan's first target), never to another one.
    const keyOwner = plan.targets[0]!.adapter.name
    await forward(deps, spec, req, reply, obs, plan, body, (a) =>
      deps.keys.providerKey(who, a.configKey, a.name === keyOwner),
    )
  } catch (err) {
    if (!(err instanceof GatewayError)) req.log.error({ err }, 'proxy failure')
    if (!identity) untrusted(obs)
    answerError(
      deps,
      obs,
      reply,
      err instanceof GatewayError ? err : new GatewayError('internal_error', 'internal gateway error'),
    )
  }
}

/**
 * Record a request the gateway answered itself and answer it. One refused before any upstream
 * attempt (bad key, bad input) is recorded without its body: nobody asked for it to be kept.
 */
function answerError(deps: ProxyDeps, obs: RequestObservation, reply: FastifyReply, gerr: GatewayError): void {
  obs.errorType ||= gerr.code
  obs.errorMessage ||= gerr.message
  obs.httpStatus = gerr.status
  obs.endMs = nowMs()
  if (!obs.attempts.length && gerr.status < 500) obs.requestBody = null
  deps.recorder.record(obs)
  const headers = {
    'content-type': 'application/json',
    'x-tracegate-trace-id': obs.traceId,
    'x-tracegate-attempts': String(obs.attempts.length),
  }
  const body = JSON.stringify(gerr.toJSON())
  // Before forward() hijacked the reply Fastify still owns it; after, only the raw response is ours.
  if (!reply.sent) return void reply.code(gerr.status).headers(headers).send(body)
  const res = reply.raw
  if (res.headersSent || res.destroyed) return void res.destroy()
  res.writeHead(gerr.status, headers)
  res.end(body)
}

/** Fastify's error handler for the proxy routes: errors raised before a handler ran (413, 415, 405…). */
export function recordRefusal(
  deps: ProxyDeps,
  spec: RouteSpec | undefined,
  req: FastifyRequest,
  reply: FastifyReply,
  err: unknown,
): void {
  const gerr = err instanceof GatewayError ? err : fromFrameworkError(err as { code?: string; statusCode?: number })
  if (gerr.code === 'internal_error') req.log.error({ err }, 'unhandled error')
  const route =
    spec?.route ?? (req.routeOptions.url === '/p/:provider/*' ? '/p/{provider}/*' : (req.routeOptions.url ?? ''))
  const obs = observation(req, route, spec?.wire ?? 'openai', spec?.operation ?? 'other')
  untrusted(obs)
  answerError(deps, obs, reply, gerr)
}
