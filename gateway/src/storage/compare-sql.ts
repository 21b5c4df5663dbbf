import type { z } from 'zod'
import { SHADOW_SQL } from './span-sql.ts'

/**
 * Shadow traffic as pairs, the SQL the compare queries share: each shadow call (a CLIENT span
 * marked tracegate.shadow) beside the request it shadowed (its parent SERVER span, marked
 * tracegate.shadow.sampled) and that request's answering attempt (the attempt whose number is the
 * request's attempt count). Every value a request gives is a query parameter.
 */

/**
 * How long after a request its attempts and shadow calls may start: shadow calls wait in a queue
 * behind the answer, so a request near the period's end still finds its pair.
 */
export const SLACK = 'INTERVAL 1 HOUR'

/** A failure of the model, not a request the client walked away from. */
export const failed = (t: string) => `${t}.ErrorType NOT IN ('', 'cancelled')`
export const answered = (t: string) => `${t}.ErrorType = ''`
export const attr = (t: string, name: string) => `${t}.SpanAttributes['tracegate.output.${name}']`

const SAMPLED_WHERE = `SpanKind = 'Server' AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)}
      AND SpanAttributes['tracegate.shadow.sampled'] = 'true'`
const byWorkflowSql = (byWorkflow: boolean) => (byWorkflow ? ' AND Workflow = {workflow:String}' : '')

/** The sampled requests in the period (one workflow when given). */
export function sampledRequests(db: string, byWorkflow: boolean): string {
  return `SELECT TraceId, SpanId, Timestamp, Attempt, Workflow, SpanAttributes['tracegate.alias'] AS Alias,
      Provider, ResponseModel, Route, Stream, ErrorType, InputTokens, OutputTokens, CostUsd, CostSource
    FROM ${db}.spans
    WHERE ${SAMPLED_WHERE}${byWorkflowSql(byWorkflow)}`
}

/**
 * Upstream calls of the sampled requests: their shadow calls (`shadow`) or their own attempts. Only
 * the sampled traces' calls are read, and no bodies: the join holds this side in memory.
 */
function clientCalls(db: string, shadow: boolean, byWorkflow: boolean): string {
  return `SELECT TraceId, SpanId, ParentSpanId, Attempt, Provider, RequestModel, Duration, TtftMs, HttpStatus,
      ErrorType, InputTokens, OutputTokens, CostUsd, CostSource, SpanAttributes, BodyTruncated
    FROM ${db}.spans
    WHERE SpanKind = 'Client' AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)} + ${SLACK}
      AND ${shadow ? SHADOW_SQL : `NOT (${SHADOW_SQL})`}
      AND TraceId IN (SELECT TraceId FROM ${db}.spans WHERE ${SAMPLED_WHERE}${byWorkflowSql(byWorkflow)})`
}

/**
 * One row per (sampled request, shadow call): `s` the request, `sh` the shadow call, `a` the
 * answering attempt. Without a join match ClickHouse fills the attempt's columns with defaults: an
 * empty SpanId says it is missing (a request refused before any upstream call).
 */
export function pairsFrom(db: string, byWorkflow: boolean): string {
  return `(${sampledRequests(db, byWorkflow)}) AS s
    INNER JOIN (${clientCalls(db, true, byWorkflow)}) AS sh ON sh.TraceId = s.TraceId AND sh.ParentSpanId = s.SpanId
    LEFT JOIN (${clientCalls(db, false, byWorkflow)}) AS a
      ON a.TraceId = s.TraceId AND a.ParentSpanId = s.SpanId AND a.Attempt = s.Attempt`
}

/** The primary target: the answering attempt's provider and model as configured, else the request's. */
export const PRIMARY =
  "if(a.SpanId = '', concat(s.Provider, '/', s.ResponseModel), concat(a.Provider, '/', a.RequestModel))"
export const SHADOW = "concat(sh.Provider, '/', sh.RequestModel)"
/** The primary's latency: its answering attempt's, one upstream call as the shadow's is. */
export const P_MS = "if(a.SpanId = '', NULL, a.Duration / 1e6)"
export const SH_MS = 'sh.Duration / 1e6'

/** Both sides answered with an output whose digest was recorded: the pairs agreement is measured over. */
export const COMPARED = `(${answered('s')} AND ${answered('sh')} AND ${attr('a', 'hash')} != '' AND ${attr('sh', 'hash')} != '')`
export const AGREED = `${COMPARED} AND ${attr('a', 'hash')} = ${attr('sh', 'hash')}`

/** The same columns for both sides, under `p_` (primary) and `sh_` (shadow). */
export function prefixed<P extends string, T extends Record<string, z.ZodType>>(
  prefix: P,
  shape: T,
): { [K in keyof T & string as `${P}_${K}`]: T[K] } {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [`${prefix}_${k}`, v])) as {
    [K in keyof T & string as `${P}_${K}`]: T[K]
  }
}
