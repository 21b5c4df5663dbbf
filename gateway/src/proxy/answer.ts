import type { FastifyReply } from 'fastify'
import { GatewayError } from '../errors.ts'
import { nowMs } from '../clock.ts'
import type { Outcome } from '../routing/run-plan.ts'
import type { UpstreamResponse } from '../upstream/call.ts'
import type { AttemptObservation, RequestObservation } from '../spans/observation.ts'
import type { SpanRecorder } from '../spans/recorder.ts'
import { downstreamHeaders } from './headers.ts'

/** The x-tracegate-* headers every answer carries: the trace to look up and who answered (by default the last attempt). */
function ours(obs: RequestObservation, last = obs.attempts.at(-1)): Record<string, string> {
  const headers: Record<string, string> = {
    'x-tracegate-trace-id': obs.traceId,
    'x-tracegate-attempts': String(obs.attempts.length),
    // LiteLLM's names, for clients moved from a LiteLLM proxy that read them.
    'x-litellm-call-id': obs.traceId,
  }
  if (last) {
    headers['x-tracegate-provider'] = last.adapter.name
    headers['x-tracegate-model'] = last.model
    headers['x-litellm-model-id'] = `${last.adapter.name}/${last.model}`
  }
  return obs.limits ? Object.assign(headers, obs.limits.headers) : headers
}

/** The request's own status and error: those of its last attempt, or the gateway's when it answered itself. */
function settle(obs: RequestObservation, status: number, errorType: string, message: string): void {
  obs.endMs = nowMs()
  obs.httpStatus = status
  obs.errorType = errorType
  obs.errorMessage = message
}

/** Names the last attempt's own failure: which timeout, or that `tracegate check` staged it and no provider was called. */
function gatewayFailure(obs: RequestObservation, reason: 'timeout' | 'unreachable'): GatewayError {
  const n = obs.attempts.length
  const last = obs.attempts.at(-1)
  if (reason === 'timeout') {
    const lastWhy = last?.errorMessage ? `; the last, ${last.adapter.name}: ${last.errorMessage}` : ''
    return new GatewayError(
      'upstream_timeout',
      `no answer within the request's time limit after ${n} attempt(s)${lastWhy}`,
    )
  }
  return new GatewayError(
    'upstream_unreachable',
    `${last?.adapter.name ?? 'upstream'}: ${last?.errorMessage ?? 'failed'} after ${n} attempt(s)`,
  )
}

/** Prices an answered attempt from its captured body, for LiteLLM's x-litellm-response-cost. */
export type ResponseCost = (obs: RequestObservation, attempt: AttemptObservation) => number | null

/** The most of a body held back to price it before answering. */
const COST_HEADER_MAX_BYTES = 1 << 20

/**
 * LiteLLM's cost header, when asked for: only a non-streamed success can be priced before its
 * head goes out, and only by waiting for its body, which is then relayed all at once.
 */
async function addCostHeader(
  headers: Record<string, string>,
  responseCost: ResponseCost,
  obs: RequestObservation,
  response: UpstreamResponse,
): Promise<void> {
  if (obs.stream || response.status >= 400 || !(await response.body.whole(COST_HEADER_MAX_BYTES))) return
  const usd = responseCost(obs, obs.attempts.at(-1)!)
  if (usd !== null) headers['x-litellm-response-cost'] = String(Number(usd.toFixed(12)))
}

/**
 * Answer the client with how the plan ended, and record the request once it is over: the one
 * place the proxy writes an answer after the reply was hijacked.
 */
export async function answer(
  recorder: SpanRecorder,
  reply: FastifyReply,
  obs: RequestObservation,
  outcome: Outcome,
  responseCost?: ResponseCost,
): Promise<void> {
  const res = reply.raw
  if (outcome.kind === 'relay') {
    const { response } = outcome
    const headers = ours(obs)
    // Off by default: only then does the answer wait for anything before its head goes out.
    if (responseCost) await addCostHeader(headers, responseCost, obs, response)
    res.writeHead(response.status, downstreamHeaders(response.headers, headers, response.rewritesBody))
    await response.body.relay(res)
    const last = obs.attempts.at(-1)!
    settle(obs, last.httpStatus, last.errorType, last.errorMessage)
    return recorder.record(obs)
  }
  if (outcome.kind === 'held') {
    // The provider's own error, unchanged, when retrying and falling back did not help; named as
    // that attempt's, even when a later one failed without an answer.
    const { held, attempt } = outcome
    settle(obs, held.status, String(held.status), attempt.errorMessage)
    recorder.record(obs)
    res.writeHead(held.status, downstreamHeaders(held.headers, ours(obs, attempt), false))
    return void res.end(held.body)
  }
  if (outcome.reason === 'cancelled') {
    settle(obs, 499, 'cancelled', 'client went away')
    recorder.record(obs)
    return void res.destroy()
  }
  const err = gatewayFailure(obs, outcome.reason)
  settle(obs, err.status, outcome.reason, err.message)
  recorder.record(obs)
  writeError(reply, obs, err)
}

/**
 * Record a request the gateway refused itself and answer it. One refused before any upstream
 * attempt (bad key, bad input) is recorded without its body: nobody asked for it to be kept.
 */
export function refuse(recorder: SpanRecorder, reply: FastifyReply, obs: RequestObservation, err: GatewayError): void {
  settle(obs, err.status, obs.errorType || err.code, obs.errorMessage || err.message)
  if (!obs.attempts.length && err.status < 500) obs.requestBody = null
  recorder.record(obs)
  writeError(reply, obs, err)
}

/** An OpenAI-style error body, through Fastify while it still owns the reply (its hooks' headers, CORS, `allow`). */
function writeError(reply: FastifyReply, obs: RequestObservation, err: GatewayError): void {
  const headers = { 'content-type': 'application/json', ...ours(obs), ...err.headers }
  const body = JSON.stringify(err.toJSON())
  if (!reply.sent) return void reply.code(err.status).headers(headers).send(body)
  const res = reply.raw
  if (res.headersSent || res.destroyed) return void res.destroy()
  res.writeHead(err.status, headers)
  res.end(body)
}
