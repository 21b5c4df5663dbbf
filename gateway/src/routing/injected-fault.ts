import type { IncomingHttpHeaders } from 'node:http'
import { GatewayError } from '../errors.ts'
import { nowMs } from '../clock.ts'
import type { AttemptObservation } from '../spans/observation.ts'
import type { CallResult } from '../upstream/call.ts'

export const INJECT_FAULT_HEADER = 'x-tracegate-inject-fault'
export const ADMIN_TOKEN_HEADER = 'x-tracegate-admin-token'
export const FAULT_KINDS = ['429', '500', 'timeout'] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

/**
 * The fault a request asks for with `x-tracegate-inject-fault`, for `tracegate check --live`
 * to exercise fallbacks without a provider failing for real. Only the operator may ask: the
 * same request must carry the admin token in `x-tracegate-admin-token` (compared in constant
 * time). Anyone else gets a 403, never a silently ignored header, so a caller cannot mistake
 * an unfaulted answer for a tested fallback, nor fault another tenant's targets.
 */
export function injectedFault(
  headers: IncomingHttpHeaders,
  isAdmin: ((token: string) => boolean) | undefined,
): FaultKind | undefined {
  const raw = one(headers[INJECT_FAULT_HEADER])
  if (raw === undefined) return undefined
  if (!isAdmin)
    throw new GatewayError(
      'fault_injection_forbidden',
      `${INJECT_FAULT_HEADER} is not available: the gateway has no TRACEGATE_ADMIN_TOKEN`,
      INJECT_FAULT_HEADER,
    )
  if (!isAdmin(one(headers[ADMIN_TOKEN_HEADER]) ?? ''))
    throw new GatewayError(
      'fault_injection_forbidden',
      `${INJECT_FAULT_HEADER} needs the admin token in ${ADMIN_TOKEN_HEADER}`,
      INJECT_FAULT_HEADER,
    )
  const kind = raw.trim().toLowerCase()
  if (!(FAULT_KINDS as readonly string[]).includes(kind))
    throw new GatewayError(
      'invalid_header',
      `${INJECT_FAULT_HEADER} must be one of ${FAULT_KINDS.join(', ')}, got "${raw.slice(0, 20)}"`,
      INJECT_FAULT_HEADER,
    )
  return kind as FaultKind
}

/** The error body a provider would send, in OpenAI's shape, saying plainly that it was staged. */
function errorBody(status: number): Buffer {
  const type = status === 429 ? 'rate_limit_exceeded' : 'server_error'
  const message = `injected fault: ${status} (${INJECT_FAULT_HEADER}); the provider was not called`
  return Buffer.from(JSON.stringify({ error: { message, type, code: 'injected_fault', param: null } }))
}

/**
 * An attempt that fails as asked without contacting the upstream: a held 429/500 error response,
 * or a timeout. Its span carries `tracegate.injected_fault`, so nobody reads it as an outage.
 */
export function synthesiseFault(kind: FaultKind, attempt: AttemptObservation): CallResult {
  attempt.injectedFault = kind
  attempt.endMs = nowMs()
  if (kind === 'timeout') {
    attempt.errorType = 'timeout'
    attempt.errorMessage = `injected timeout (${INJECT_FAULT_HEADER}); the provider was not called`
    return { kind: 'failed' }
  }
  const status = Number(kind)
  attempt.httpStatus = status
  attempt.errorType = kind
  attempt.errorMessage = `upstream answered ${status} (injected)`
  return { kind: 'held', held: { status, headers: { 'content-type': 'application/json' }, body: errorBody(status) } }
}
