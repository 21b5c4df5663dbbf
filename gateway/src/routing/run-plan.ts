import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import type { ProviderAdapter } from '../providers/types.ts'
import type { WireFormat } from '../wires/types.ts'
import { startAttempt, type AttemptObservation, type RequestObservation } from '../spans/observation.ts'
import { newSpanId } from '../spans/ids.ts'
import { nowMs } from '../clock.ts'
import { callUpstream, type HeldResponse, type UpstreamResponse } from '../upstream/call.ts'
import type { Cooldowns } from './cooldown.ts'
import type { RoutePlan, Target } from './resolve.ts'
import { attemptOrder } from './order.ts'
import { backoffMs } from './backoff.ts'
import { isContextLengthError, matches, reason, retryAfterMs, type AttemptOutcome } from './conditions.ts'
import { synthesiseFault, type FaultKind } from './injected-fault.ts'

/** How a request's plan ended: one response to relay, the provider's own error, or nothing at all. */
export type Outcome =
  | { kind: 'relay'; response: UpstreamResponse }
  /** `attempt`: the attempt whose error this is, not necessarily the last one tried. */
  | { kind: 'held'; held: HeldResponse; attempt: AttemptObservation }
  | { kind: 'failed'; reason: 'timeout' | 'cancelled' | 'unreachable' }

/** One request, as the plan runner needs it: what to send where, and where the answer goes. */
export interface PlanRun {
  plan: RoutePlan
  obs: RequestObservation
  /** The client's response: only watched (a client going away ends the attempt), never written. */
  client: ServerResponse
  method: Dispatcher.HttpMethod
  wire: WireFormat
  upstream(adapter: ProviderAdapter): { origin: string; path: string }
  /** The bytes to send for a model; called once per model however many attempts send it. */
  body(model: string): Buffer | null
  /** The upstream request headers for one attempt (its span id goes into traceparent). */
  headers(adapter: ProviderAdapter, spanId: string, length: number | null): Record<string, string | string[]>
  /** Take out the usage chunk the gateway asked for on the client's behalf. */
  stripUsageChunk: boolean
  /** At least the largest request body: a response echoing it is still read whole. */
  captureHead: number
  /** A failure every attempt at the first target tried is synthesised as (x-tracegate-inject-fault). */
  fault?: FaultKind
}

export interface PlanDeps {
  cooldowns: Cooldowns
  maxAttempts: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function outcomeOf(a: AttemptObservation, held: HeldResponse | null): AttemptOutcome {
  if (!a.errorType) return { kind: 'ok' }
  if (a.httpStatus >= 400) {
    const body = held ? held.body.toString('utf8') : ''
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
 * Feed the cooldown breaker once an attempt is over. Failures that say something about the
 * target count: 429, 5xx and transport errors. Any other answer (a 400, a stream cut after its
 * first byte) proves it serves; an attempt the client abandoned proves nothing.
 */
function recordHealth(cooldowns: Cooldowns, target: Target, plan: RoutePlan, a: AttemptObservation, o: AttemptOutcome) {
  if (a.errorType === 'cancelled') return cooldowns.release(target.key)
  const failed =
    (o.kind === 'transport' && o.type !== 'stream_interrupted') ||
    (o.kind === 'http' && (o.status === 429 || o.status >= 500))
  if (failed) cooldowns.failure(target.key, plan.policy)
  else cooldowns.success(target.key)
}

/**
 * The targets to try, admitted one at a time, only when the previous one is done with: a target is
 * marked (and a half-open probe taken) only if it is really tried. Targets cooling down are skipped
 * and become events; if every target is cooling, they are tried anyway rather than failing untried.
 */
function* admitted(cooldowns: Cooldowns, obs: RequestObservation, order: Target[]): Generator<[number, Target]> {
  const skipped: Array<[number, Target]> = []
  for (let i = 0; i < order.length; i++) {
    const t = order[i]!
    if (cooldowns.admit(t.key) === 'cooling') {
      skipped.push([i, t])
      obs.events.push({ timeMs: nowMs(), name: 'target skipped: cooldown', attributes: { 'tracegate.target': t.key } })
      continue
    }
    yield [i, t]
  }
  if (skipped.length === order.length) yield* skipped
}

/** A provider's error response held back, with the attempt that got it. */
interface Held {
  held: HeldResponse
  attempt: AttemptObservation
}

/** The plan ended without a response to relay: the provider's last held error, unless time or the client ran out. */
function ended(held: Held | null, failure: string): Outcome {
  if (failure === 'timeout' || failure === 'cancelled') return { kind: 'failed', reason: failure }
  return held ? { kind: 'held', ...held } : { kind: 'failed', reason: 'unreachable' }
}

function newAttempt(
  run: PlanRun,
  target: Target,
  path: string,
  retry: number,
  first: Target,
  why: string,
  wait: number,
): AttemptObservation {
  const { obs, plan } = run
  const attempt = startAttempt(
    {
      spanId: newSpanId(),
      index: obs.attempts.length + 1,
      adapter: target.adapter,
      model: target.model,
      path,
      targetIndex: plan.targets.indexOf(target),
      resendCount: retry,
      isFallback: target !== first,
      retryReason: why,
      backoffMs: wait,
    },
    nowMs(),
  )
  obs.attempts.push(attempt)
  return attempt
}

/**
 * Walk the plan: each target up to `retries + 1` times, then the next, as `retry_on` and
 * `fallback_on` allow, within the whole-request deadline and `routing.max_attempts`. Error
 * responses are held back while another attempt may still answer; the first response that may
 * reach the client ends the walk, its body still arriving. Writes nothing to the client.
 */
export async function runPlan(deps: PlanDeps, run: PlanRun): Promise<Outcome> {
  const { plan, obs, client } = run
  const { policy } = plan
  const deadline = obs.startMs + policy.timeout_ms
  const order = attemptOrder(policy.strategy, plan.tree)
  const bodies = new Map<string, Buffer | null>()
  let held: Held | null = null
  let wait = 0
  let why = ''
  let first: Target | undefined

  for (const [ti, target] of admitted(deps.cooldowns, obs, order)) {
    first ??= target
    const lastTarget = ti === order.length - 1
    if (!bodies.has(target.model)) bodies.set(target.model, run.body(target.model))
    const payload = bodies.get(target.model)!
    const upstream = run.upstream(target.adapter)
    for (let retry = 0; retry <= policy.retries; retry++) {
      if (wait > 0) {
        if (nowMs() + wait >= deadline) return ended(held, 'timeout')
        await sleep(wait)
      }
      if (client.destroyed) return ended(held, 'cancelled')
      const attempt = newAttempt(run, target, upstream.path, retry, first, why, wait)
      const attemptsLeft = obs.attempts.length < deps.maxAttempts
      const canRetry = retry < policy.retries && attemptsLeft
      // Every attempt at the first target, retries included, so the walk reaches the fallback
      // whatever `retries` says; later targets are called for real.
      const injected = target === first ? run.fault : undefined
      const result = injected
        ? synthesiseFault(injected, attempt)
        : await callUpstream(
            {
              dispatcher: target.adapter.dispatcher,
              origin: upstream.origin,
              path: upstream.path,
              method: run.method,
              headers: run.headers(target.adapter, attempt.spanId, payload ? payload.length : null),
              body: payload,
              deadline,
              attemptTimeoutMs: policy.attempt_timeout_ms,
              firstByteTimeoutMs: policy.first_byte_timeout_ms ?? policy.first_token_timeout_ms,
              mayHold: canRetry || (!lastTarget && attemptsLeft),
              stream: obs.stream,
              wire: run.wire,
              stripUsageChunk: run.stripUsageChunk,
              // A half-open probe is settled by its response headers, not by the end of a long stream.
              onResponseStart: (status) => {
                if (status < 400) deps.cooldowns.success(target.key)
              },
              captureAtLeast: run.captureHead,
            },
            client,
            attempt,
          )
      if (result.kind === 'response') {
        // Its health is known once its body is over: a body cut short is a transport failure.
        void result.body.finished.then(() =>
          recordHealth(deps.cooldowns, target, plan, attempt, outcomeOf(attempt, null)),
        )
        return { kind: 'relay', response: result }
      }
      const thisHeld = result.kind === 'held' ? { held: result.held, attempt } : null
      const outcome = outcomeOf(attempt, thisHeld?.held ?? null)
      // A staged failure says nothing about the target: it must not put a healthy one in cooldown.
      if (injected) deps.cooldowns.release(target.key)
      else recordHealth(deps.cooldowns, target, plan, attempt, outcome)
      if (attempt.errorType === 'cancelled') return ended(null, 'cancelled')
      held = thisHeld ?? held
      why = reason(outcome)
      if (!attemptsLeft) return ended(held, attempt.errorType)
      if (canRetry && matches(policy.retry_on, outcome)) {
        const after = outcome.kind === 'http' ? outcome.retryAfterMs : null
        wait = backoffMs(policy, retry + 1, after)
        // A wait the deadline cannot hold is not taken: the next target (or the provider's own answer) instead.
        if ((after === null || after <= policy.retry_after_max_ms) && nowMs() + wait < deadline) continue
      }
      wait = 0
      if (!lastTarget && matches(policy.fallback_on, outcome)) break
      return ended(thisHeld, attempt.errorType)
    }
  }
  return ended(held, obs.attempts.at(-1)?.errorType ?? 'upstream_error')
}
