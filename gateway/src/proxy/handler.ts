import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import type { WireFormat, RequestFacts } from '../wires/types.ts'
import { unknownWire } from '../wires/raw.ts'
import { applyOverrides } from '../routing/request-overrides.ts'
import { runPlan, type PlanRun } from '../routing/run-plan.ts'
import { injectedFault } from '../routing/injected-fault.ts'
import type { RoutePlan } from '../routing/resolve.ts'
import type { KeyIdentity } from '../keys/authenticate.ts'
import type { RequestObservation } from '../spans/observation.ts'
import { GatewayError, fromFrameworkError } from '../errors.ts'
import { attributionFrom, attributionFromBody } from '../spans/attribution.ts'
import { newSpanId } from '../spans/ids.ts'
import { nowMs, wallNowMs } from '../clock.ts'
import { traceContextFrom, traceparentFor } from '../spans/trace-context.ts'
import { upstreamHeaders } from '../upstream/request-headers.ts'
import { answer, refuse } from './answer.ts'
import { requestParams, upstreamBody, type ParsedBody } from './request-body.ts'
import type { ProxyDeps, RouteSpec } from './route-spec.ts'

export type { ProxyDeps, RouteSpec } from './route-spec.ts'

function observation(req: FastifyRequest, route: string, wire: WireFormat): RequestObservation {
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
    clockOffsetMs: wallNowMs() - startMs,
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

/**
 * What the plan runner needs for this request: the bytes per model (unchanged unless an alias
 * renames the model or the gateway asks for streamed usage), the headers per attempt, and the
 * provider key, which a caller's own key supplies only for the provider it called.
 */
function planRun(
  deps: ProxyDeps,
  spec: RouteSpec,
  req: FastifyRequest,
  reply: FastifyReply,
  obs: RequestObservation,
  plan: RoutePlan,
  request: RequestFacts,
  identity: KeyIdentity,
): PlanRun {
  const body = req.body as ParsedBody | undefined
  const stripUsageChunk = spec.wire.asksUsage && request.stream && !request.clientAskedUsage
  const sendsBody = body !== undefined && req.method !== 'GET' && req.method !== 'HEAD'
  const keyOwner = plan.targets[0]!.adapter.name
  return {
    plan,
    obs,
    client: reply.raw,
    method: req.method as Dispatcher.HttpMethod,
    wire: spec.wire,
    upstream: spec.upstream,
    body: (model) =>
      sendsBody ? upstreamBody(body, model !== obs.requestedModel ? model : undefined, stripUsageChunk) : null,
    headers: (adapter, spanId, length) =>
      upstreamHeaders(
        req.headers,
        adapter,
        deps.keys.providerKey(identity, adapter.configKey, adapter.name === keyOwner),
        traceparentFor(obs.traceId, spanId, true),
        obs.traceState,
        length,
      ),
    stripUsageChunk,
    captureHead: deps.config.max_body_bytes,
  }
}

/** From here on the raw response is ours; headers hooks set on the reply (CORS) go with it. */
function takeOver(deps: ProxyDeps, reply: FastifyReply): void {
  if (deps.config.server.cors_origins.length)
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) reply.raw.setHeader(k, v)
  reply.hijack()
}

export async function handleProxy(
  deps: ProxyDeps,
  spec: RouteSpec,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const obs = observation(req, spec.route, spec.wire)
  const body = req.body as ParsedBody | undefined
  let identity: KeyIdentity | undefined
  try {
    const fault = injectedFault(req.headers, deps.isAdmin)
    identity = deps.keys.authenticate(req.headers, spec.queryKey)
    attribute(obs, identity)
    const request = spec.wire.parseRequest(body)
    attributionFromBody(obs.attribution, request.json)
    obs.requestedModel = request.model
    obs.stream = request.stream
    obs.requestParams = requestParams(request.json)
    // Fallback models named in a header resolve as this route resolves its own (Anthropic's default on /v1/messages).
    const plan = applyOverrides(spec.plan(request.model), req.headers, spec.plan, deps.config.routing)
    spec.check?.(plan)
    deps.keys.assertMayUse(identity, plan.targets)
    const admitted = deps.limits.admit(identity, plan, request, body?.raw.length ?? 0)
    const granted = admitted instanceof Promise ? await admitted : admitted
    if (granted) obs.limits = granted
    obs.alias = plan.alias?.name ?? ''
    obs.requestBody = body?.raw ?? null
    const run = planRun(deps, spec, req, reply, obs, plan, request, identity)
    if (fault) run.fault = fault
    takeOver(deps, reply)
    // A caller's own provider key is never spent on the operator's experiment, and a staged
    // failure (tracegate check) is no answer to compare a candidate with.
    if (plan.shadow && !identity.forwardKey && !fault) deps.shadow.offer(run, request.json, spec.serves)
    const outcome = await runPlan({ cooldowns: deps.cooldowns, maxAttempts: deps.config.routing.max_attempts }, run)
    await answer(deps.recorder, reply, obs, outcome, deps.responseCost)
  } catch (err) {
    if (!(err instanceof GatewayError)) req.log.error({ err, trace_id: obs.traceId }, 'proxy failure')
    if (!identity) untrusted(obs)
    const gerr = err instanceof GatewayError ? err : new GatewayError('internal_error', 'internal gateway error')
    refuse(deps.recorder, reply, obs, gerr)
  }
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
  const route =
    spec?.route ?? (req.routeOptions.url === '/p/:provider/*' ? '/p/{provider}/*' : (req.routeOptions.url ?? ''))
  const obs = observation(req, route, spec?.wire ?? unknownWire)
  // The trace id the client got back is how an operator finds this line (no per-request logger binds one).
  if (gerr.code === 'internal_error') req.log.error({ err, trace_id: obs.traceId }, 'unhandled error')
  untrusted(obs)
  refuse(deps.recorder, reply, obs, gerr)
}
