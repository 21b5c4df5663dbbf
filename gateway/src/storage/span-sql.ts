/**
 * What a span means, as SQL over the spans table's columns: shared by the rollups' views
 * (migrations.ts) and the queries over raw spans, so both always agree.
 */

/** A request the gateway refused itself (4xx) before trying any upstream. */
export const REJECTED_SQL = 'Attempt = 0 AND HttpStatus >= 400 AND HttpStatus < 500'

/**
 * One word per request outcome, shared by the rollup and raw-span queries so both agree.
 * Transport failures come first: a gateway timeout also carries HTTP 504.
 */
export const OUTCOME_SQL = `multiIf(
  ErrorType = '', 'ok',
  ErrorType = 'cancelled', 'cancelled',
  ${REJECTED_SQL}, 'rejected',
  ErrorType = 'timeout', 'timeout',
  ErrorType IN ('reset', 'connect_error'), 'reset',
  ErrorType = 'stream_interrupted', 'stream_interrupted',
  HttpStatus = 429, '429',
  HttpStatus >= 500, '5xx',
  HttpStatus >= 400, '4xx',
  'error')`

/**
 * How a request ended for its caller: answered by its first attempt, saved by a retry of the same
 * target or by a fallback to another, or lost (an error reached the client). What tells a team
 * whether a provider incident hurt its users, which the error class alone cannot.
 */
export const RESULT_SQL = `multiIf(
  ErrorType = 'cancelled', 'cancelled',
  ErrorType != '', 'lost',
  SpanAttributes['tracegate.fell_back'] = 'true', 'saved_by_fallback',
  Attempt > 1, 'saved_by_retry',
  'first_try')`

/** Whether an upstream attempt was the request's first, a retry of the same target, or a fallback to another. */
export const ATTEMPT_KIND_SQL = `multiIf(
  SpanAttributes['tracegate.is_fallback'] = 'true', 'fallback',
  Attempt > 1, 'retry',
  'first')`

/**
 * A shadow call: sent to compare a candidate target, answering no one. Left out of attempt
 * rollups and incidents; its cost is never in its request's (the SERVER row sums its attempts only).
 */
export const SHADOW_SQL = `SpanAttributes['tracegate.shadow'] = 'true'`

/**
 * An attempt that says nothing of its target's health under real traffic: a shadow call, or a
 * failure `tracegate check` injected (the upstream was never called). Left out of the attempt
 * rollups, so neither can start an incident or page anyone.
 */
export const SYNTHETIC_ATTEMPT_SQL = `(${SHADOW_SQL} OR SpanAttributes['tracegate.injected_fault'] != '')`
