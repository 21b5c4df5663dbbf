import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import { GatewayError } from '../errors.ts'
import type { RoutePlan, Target } from '../routing/resolve.ts'
import type { ProviderAdapter } from '../providers/types.ts'
import { attemptOrder } from '../routing/order.ts'
import { backoffMs } from '../routing/backoff.ts'
import { isContextLengthError, matches, reason, retryAfterMs, type AttemptOutcome } from '../routing/conditions.ts'
import type { AttemptObservation, RequestObservation } from '../spans/observation.ts'
import { newSpanId } from '../spans/ids.ts'
import { nowMs } from '../clock.ts'
import { traceparentFor } from '../spans/trace-context.ts'
import { relayAttempt, type AttemptResult, type HeldResponse } from './attempt.ts'
import { downstreamHeaders, upstreamHeaders } from './headers.ts'
import { upstreamBody, type ParsedBody } from './request-body.ts'
import type { ProxyDeps, RouteSpec } from './route-spec.ts'

/** Bytes of a response kept for reading usage: enough for a whole ordinary response. */
const CAPTURE_HEAD = 1 << 20
const CAPTURE_TAIL = 64 << 10

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function outcomeOf(a: AttemptObservation, r: AttemptResult): AttemptOutcome {
  if (!a.errorType) return { kind: 'ok' }
  if (a.httpStatus >= 400) {
    const held = !r.relayed ? r.held : null
    const body = held ? Buffer.concat(held.body).toString('utf8') : ''
    return {
      kind: 'http',
      status: a.httpStatus,
      contextLength: isContextLengthError(a.httpStatus, body),
      retryAfterMs: retryAfterMs(held?.headers['retry-after']),
    }
  }
  return { kind: 'transport', type: a.errorType }
}

/**
 * Feed the cooldown breaker. Failures that say something about the target count: 429, 5xx and
 * transport errors. Any other answer (a 400, a stream cut after its first byte) proves it serves.
 */
function recordHealth(deps: ProxyDeps, target: Target, policy: RoutePlan['policy'], o: AttemptOutcome): void {
  const failed =
    (o.kind === 'transport' && o.type !== 'stream_interrupted') ||
    (o.kind === 'http' && (o.status === 429 || o.status >= 500))
  if (failed) deps.cooldowns.failure(target.key, policy)
  else deps.cooldowns.success(target.key)
}

/**
 * The targets to try, admitted one at a time, only when the previous one is done with: a target is
 * marked (and a half-open probe taken) only if it is really tried. Targets cooling down are skipped
 * and become events; if every target is cooling, they are tried anyway rather than failing untried.
 */
function* admitted(deps: ProxyDeps, obs: RequestObservation, order: Target[]): Generator<[number, Target]> {
  const skipped: Array<[number, Target]> = []
  for (let i = 0; i < order.length; i++) {
    const t = order[i]!
    if (deps.cooldowns.admit(t.key) === 'cooling') {
      skipped.push([i, t])
      obs.events.push({ timeMs: nowMs(), name: 'target skipped: cooldown', attributes: { 'tracegate.target': t.key } })
      continue
    }
    yield [i, t]
  }
  if (skipped.length === order.length) yield* skipped
}

/**
 * Walk the plan: each target up to `retries + 1` times, then the next, as `retry_on` and
 * `fallback_on` allow, within the whole-request deadline and `routing.max_attempts`. Only what
 * reached the client counts as the answer; error responses are held back while another attempt
 * may still succeed.
 */
export async function forward(
  deps: ProxyDeps,
  spec: RouteSpec,
  req: FastifyRequest,
  reply: FastifyReply,
  obs: RequestObservation,
  plan: RoutePlan,
  body: ParsedBody | undefined,
  keyFor: (a: ProviderAdapter) => string | undefined,
): Promise<void> {
  const res = reply.raw
  // Headers hooks set on the reply (CORS) would be lost with it; the raw response keeps them.
  if (deps.config.server.cors_origins.length)
    for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) res.setHeader(k, v)
  reply.hijack()
  const { policy } = plan
  const deadline = obs.startMs + policy.timeout_ms
  const maxAttempts = deps.config.routing.max_attempts
  const order = attemptOrder(policy.strategy, plan.tree)
  const askUsage =
    spec.wire === 'openai' &&
    obs.stream &&
    (spec.operation === 'chat' || spec.operation === 'text_completion') &&
    body?.json?.stream_options?.include_usage !== true
  const captureHead = Math.max(CAPTURE_HEAD, deps.config.max_body_bytes)
  let held: HeldResponse | null = null
  let wait = 0
  let why = ''
  let first: Target | undefined
  // The bytes for a model are built once, however many targets and retries send them.
  const payloads = new Map<string, Buffer | null>()
  const bodyFor = (model: string): Buffer | null => {
    let p = payloads.get(model)
    if (p === undefined)
      payloads.set(
        model,
        (p =
          body && req.method !== 'GET' && req.method !== 'HEAD'
            ? upstreamBody(body, model !== obs.requestedModel ? model : undefined, askUsage)
            : null),
      )
    return p
  }

  for (const [ti, target] of admitted(deps, obs, order)) {
    first ??= target
    const lastTarget = ti === order.length - 1
    const payload = bodyFor(target.model)
    const upstream = spec.upstream(target.adapter)
    for (let retry = 0; retry <= policy.retries; retry++) {
      if (wait > 0) {
        if (nowMs() + wait >= deadline) return finish(deps, obs, res, held, 'timeout')
        await sleep(wait)
      }
      if (res.destroyed) return finish(deps, obs, res, held, 'cancelled')
      const attempt: AttemptObservation = {
        spanId: newSpanId(),
        index: obs.attempts.length + 1,
        adapter: target.adapter,
        model: target.model,
        path: upstream.path,
        startMs: nowMs(),
        endMs: 0,
        ttftMs: null,
        ttfbMs: null,
        httpStatus: 0,
        errorType: '',
        errorMessage: '',
        response: null,
        targetIndex: plan.targets.indexOf(target),
        resendCount: retry,
        isFallback: target !== first,
        retryReason: why,
        backoffMs: wait,
      }
      obs.attempts.push(attempt)
      const attemptsLeft = obs.attempts.length < maxAttempts
      const canRetry = retry < policy.retries && attemptsLeft
      const result = await relayAttempt(
        {
          dispatcher: target.adapter.dispatcher,
          origin: upstream.origin,
          path: upstream.path,
          method: req.method as Dispatcher.HttpMethod,
          headers: upstreamHeaders(
            req.headers,
            target.adapter,
            keyFor(target.adapter),
            traceparentFor(obs.traceId, attempt.spanId, true),
            obs.traceState,
            payload ? payload.length : null,
          ),
          body: payload,
          deadline,
          attemptTimeoutMs: policy.attempt_timeout_ms,
          firstByteTimeoutMs: policy.first_byte_timeout_ms ?? policy.first_token_timeout_ms,
          mayHold: canRetry || (!lastTarget && attemptsLeft),
          wire: spec.wire,
          stream: obs.stream,
          stripUsageChunk: askUsage,
          firstToken: spec.firstToken,
          // A half-open probe is settled by its response headers, not by the end of a long stream.
          onResponseStart: (status) => {
            if (status < 400) deps.cooldowns.success(target.key)
          },
          captureHead,
          captureTail: CAPTURE_TAIL,
          responseHeaders: {
            'x-tracegate-trace-id': obs.traceId,
            'x-tracegate-attempts': String(obs.attempts.length),
            'x-tracegate-provider': target.adapter.name,
            'x-tracegate-model': target.model,
          },
        },
        res,
        attempt,
      )
      if (attempt.errorType === 'cancelled') {
        deps.cooldowns.release(target.key)
        return finish(deps, obs, res, null, 'cancelled')
      }
      const outcome = outcomeOf(attempt, result)
      recordHealth(deps, target, policy, outcome)
      if (result.relayed) return finish(deps, obs, res, null, '')
      held = result.held ?? held
      why = reason(outcome)
      if (!attemptsLeft) return finish(deps, obs, res, held, attempt.errorType)
      if (canRetry && matches(policy.retry_on, outcome)) {
        const after = outcome.kind === 'http' ? outcome.retryAfterMs : null
        wait = backoffMs(policy, retry + 1, after)
        // A wait the deadline cannot hold is not taken: the next target (or the provider's own answer) instead.
        if ((after === null || after <= policy.retry_after_max_ms) && nowMs() + wait < deadline) continue
      }
      wait = 0
      if (!lastTarget && matches(policy.fallback_on, outcome)) break
      return finish(deps, obs, res, result.held, attempt.errorType)
    }
  }
  return finish(deps, obs, res, held, obs.attempts.at(-1)?.errorType ?? 'upstream_error')
}

/** Answer the client when no attempt's response was relayed, and record the request. */
function finish(
  deps: ProxyDeps,
  obs: RequestObservation,
  res: FastifyReply['raw'],
  held: HeldResponse | null,
  failure: string,
): void {
  const last = obs.attempts.at(-1)
  obs.endMs = nowMs()
  if (!failure || res.headersSent) {
    obs.httpStatus = last?.httpStatus ?? 0
    obs.errorType = last?.errorType ?? failure
    obs.errorMessage = last?.errorMessage ?? ''
    deps.recorder.record(obs)
    return
  }
  const ours = {
    'x-tracegate-trace-id': obs.traceId,
    'x-tracegate-attempts': String(obs.attempts.length),
    'x-tracegate-provider': last?.adapter.name ?? '',
    'x-tracegate-model': last?.model ?? '',
  }
  if (held && failure !== 'cancelled' && failure !== 'timeout') {
    // The provider's own error, unchanged, when retrying and falling back did not help.
    obs.httpStatus = held.status
    obs.errorType = String(held.status)
    obs.errorMessage = last?.errorMessage ?? ''
    deps.recorder.record(obs)
    res.writeHead(held.status, downstreamHeaders(held.headers, ours, false))
    res.end(Buffer.concat(held.body))
    return
  }
  const err =
    failure === 'timeout'
      ? new GatewayError(
          'upstream_timeout',
          `no answer within the request's time limit after ${obs.attempts.length} attempt(s)`,
        )
      : new GatewayError(
          'upstream_unreachable',
          `${last?.adapter.name ?? 'upstream'}: ${last?.errorMessage ?? 'failed'} after ${obs.attempts.length} attempt(s)`,
        )
  obs.httpStatus = failure === 'cancelled' ? 499 : err.status
  obs.errorType = failure
  obs.errorMessage = failure === 'cancelled' ? 'client went away' : err.message
  deps.recorder.record(obs)
  if (res.destroyed) return
  res.writeHead(err.status, { 'content-type': 'application/json', ...ours })
  res.end(JSON.stringify(err.toJSON()))
}
