import { z } from 'zod'
import type { ComparePairsQuery, CompareQuery } from '@tracegate/schemas'
import type { Store } from './client.ts'
import { formatTimestamp } from '../spans/time.ts'
import { readLimitSql } from './read-limits.ts'
import { REJECTED_SQL, SHADOW_SQL } from './span-sql.ts'
import { column, queryRows, rowSchema } from './rows.ts'

/**
 * Shadow traffic as pairs: each shadow call (a CLIENT span with tracegate.shadow=true) beside the
 * request it shadowed (its parent SERVER span, marked tracegate.shadow.sampled=true) and that
 * request's answering attempt (the attempt whose number is the request's attempt count).
 */

/**
 * How long after a request its attempts and shadow calls may start: shadow calls wait in a queue
 * behind the answer, so a request near the period's end still finds its pair.
 */
const SLACK = 'INTERVAL 1 HOUR'

/** A failure of the model, not a request the client walked away from. */
const failed = (t: string) => `${t}.ErrorType NOT IN ('', 'cancelled')`
const answered = (t: string) => `${t}.ErrorType = ''`
const attr = (t: string, name: string) => `${t}.SpanAttributes['tracegate.output.${name}']`

/** The sampled requests in the period (one workflow when given). */
function sampledRequests(db: string, byWorkflow: boolean): string {
  return `SELECT TraceId, SpanId, Timestamp, Attempt, Workflow, SpanAttributes['tracegate.alias'] AS Alias,
      Provider, ResponseModel, Route, Stream, ErrorType, InputTokens, OutputTokens, CostUsd
    FROM ${db}.spans
    WHERE SpanKind = 'Server' AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)}
      AND SpanAttributes['tracegate.shadow.sampled'] = 'true'${byWorkflow ? ' AND Workflow = {workflow:String}' : ''}`
}

/** Upstream calls of the period's requests: shadow calls (`shadow`) or the primary's attempts. */
function clientCalls(db: string, shadow: boolean): string {
  return `SELECT TraceId, SpanId, ParentSpanId, Attempt, Provider, RequestModel, Duration, TtftMs, HttpStatus,
      ErrorType, InputTokens, OutputTokens, CostUsd, CostSource, SpanAttributes, ResponseBody, BodyTruncated
    FROM ${db}.spans
    WHERE SpanKind = 'Client' AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)} + ${SLACK}
      AND ${shadow ? SHADOW_SQL : `NOT (${SHADOW_SQL})`}`
}

/**
 * One row per (sampled request, shadow call). Without a join match ClickHouse fills the attempt's
 * columns with defaults: an empty SpanId says the answering attempt is missing (a request refused
 * before any upstream call), and its figures then read as NULL.
 */
function pairsFrom(db: string, byWorkflow: boolean): string {
  return `(${sampledRequests(db, byWorkflow)}) AS s
    INNER JOIN (${clientCalls(db, true)}) AS sh ON sh.TraceId = s.TraceId AND sh.ParentSpanId = s.SpanId
    LEFT JOIN (${clientCalls(db, false)}) AS a
      ON a.TraceId = s.TraceId AND a.ParentSpanId = s.SpanId AND a.Attempt = s.Attempt`
}

/** The primary target: the answering attempt's provider and model as configured, else the request's. */
const PRIMARY = "if(a.SpanId = '', concat(s.Provider, '/', s.ResponseModel), concat(a.Provider, '/', a.RequestModel))"
const SHADOW = "concat(sh.Provider, '/', sh.RequestModel)"

/** Both sides answered with an output whose hash was recorded: the pairs agreement is measured over. */
const COMPARED = `(${answered('s')} AND ${answered('sh')} AND ${attr('a', 'hash')} != '' AND ${attr('sh', 'hash')} != '')`
const JSON_MODE = `(${attr('a', 'json_valid')} != '' OR ${attr('sh', 'json_valid')} != '')`
const TOOLS = `(${attr('a', 'tools')} != '' OR ${attr('sh', 'tools')} != '')`
const P_MS = "if(a.SpanId = '', NULL, a.Duration / 1e6)"

/** The per-side figures of a pair row; `p` the primary, `sh` the shadow. */
const SIDE_FIGURES = (side: 'p' | 'sh') => {
  const t = side === 'p' ? 's' : 'sh'
  const call = side === 'p' ? 'a' : 'sh'
  const ms = side === 'p' ? P_MS : 'sh.Duration / 1e6'
  return `countIf(${failed(t)}) AS ${side}_errors,
    quantileExactIf(0.5)(${ms}, ${answered(t)}) AS ${side}_latency_p50_ms,
    quantileExactIf(0.95)(${ms}, ${answered(t)}) AS ${side}_latency_p95_ms,
    quantileExactIf(0.5)(${call}.TtftMs, ${answered(t)} AND ${call}.TtftMs IS NOT NULL) AS ${side}_ttft_p50_ms,
    quantileExactIf(0.95)(${call}.TtftMs, ${answered(t)} AND ${call}.TtftMs IS NOT NULL) AS ${side}_ttft_p95_ms,
    sum(${t}.InputTokens) AS ${side}_input_tokens, sum(${t}.OutputTokens) AS ${side}_output_tokens,
    avg(${t}.InputTokens) AS ${side}_input_tokens_per_request, avg(${t}.OutputTokens) AS ${side}_output_tokens_per_request,
    sum(${t}.CostUsd) AS ${side}_cost_usd, avg(${t}.CostUsd) AS ${side}_cost_per_request_usd,
    countIf(${t}.CostUsd IS NULL AND ${side === 'p' ? "s.ErrorType = '' AND a.CostSource = 'unpriced'" : "sh.CostSource = 'unpriced'"}) AS ${side}_unpriced_requests`
}

const metric = column.metric

/** The same columns for both sides, under `p_` (primary) and `sh_` (shadow). */
function prefixed<P extends string, T extends Record<string, z.ZodType>>(
  prefix: P,
  shape: T,
): { [K in keyof T & string as `${P}_${K}`]: T[K] } {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [`${prefix}_${k}`, v])) as {
    [K in keyof T & string as `${P}_${K}`]: T[K]
  }
}

const SIDE_COLUMNS = {
  errors: column.int,
  latency_p50_ms: metric,
  latency_p95_ms: metric,
  ttft_p50_ms: metric,
  ttft_p95_ms: metric,
  input_tokens: column.int.nullable(),
  output_tokens: column.int.nullable(),
  input_tokens_per_request: metric,
  output_tokens_per_request: metric,
  cost_usd: column.float.nullable(),
  cost_per_request_usd: metric,
  unpriced_requests: column.int,
}

const PairGroupColumns = z.object({
  workflow: column.string,
  alias: column.string,
  primary: column.string,
  shadow: column.string,
  requests: column.int,
  ...prefixed('p', SIDE_COLUMNS),
  ...prefixed('sh', SIDE_COLUMNS),
  pairs_compared: column.int,
  exact_matches: column.int,
  mean_length_ratio: metric,
  json_pairs: column.int,
  json_valid_primary: column.int,
  json_valid_shadow: column.int,
  tool_pairs: column.int,
  same_tools: column.int,
})
/** One (workflow, alias, primary, shadow) row; the `p_…`/`sh_…` fields are the two sides' figures. */
export type PairGroupRow = z.output<typeof PairGroupColumns>
const PAIR_GROUP_ROWS = rowSchema('shadow comparison', PairGroupColumns)

const rangeParams = (q: { from: Date; to: Date }) => ({
  from: formatTimestamp(q.from.getTime()),
  to: formatTimestamp(q.to.getTime()),
})

/** Each (workflow, alias, primary target, shadow target) with both sides' figures and their agreement. */
export function pairGroups(store: Store, q: CompareQuery, timeoutMs?: number): Promise<PairGroupRow[]> {
  const p = `${attr('a', 'chars')}`
  const sh = `${attr('sh', 'chars')}`
  return queryRows(
    store.client,
    {
      query: `SELECT s.Workflow AS workflow, s.Alias AS alias, ${PRIMARY} AS primary, ${SHADOW} AS shadow,
        count() AS requests,
        ${SIDE_FIGURES('p')},
        ${SIDE_FIGURES('sh')},
        countIf(${COMPARED}) AS pairs_compared,
        countIf(${COMPARED} AND ${attr('a', 'hash')} = ${attr('sh', 'hash')}) AS exact_matches,
        avgIf(toFloat64OrZero(${sh}) / toFloat64OrZero(${p}), ${COMPARED} AND toFloat64OrZero(${p}) > 0) AS mean_length_ratio,
        countIf(${COMPARED} AND ${JSON_MODE}) AS json_pairs,
        countIf(${COMPARED} AND ${JSON_MODE} AND ${attr('a', 'json_valid')} = 'true') AS json_valid_primary,
        countIf(${COMPARED} AND ${JSON_MODE} AND ${attr('sh', 'json_valid')} = 'true') AS json_valid_shadow,
        countIf(${COMPARED} AND ${TOOLS}) AS tool_pairs,
        countIf(${COMPARED} AND ${TOOLS} AND ${attr('a', 'tools')} = ${attr('sh', 'tools')}) AS same_tools
      FROM ${pairsFrom(store.database, q.workflow !== undefined)}
      GROUP BY workflow, alias, primary, shadow
      ORDER BY workflow, alias, primary, shadow${readLimitSql(timeoutMs)}`,
      query_params: { ...rangeParams(q), workflow: q.workflow },
    },
    PAIR_GROUP_ROWS,
  )
}

const AliasRequestColumns = z.object({ workflow: column.string, alias: column.string, requests: column.int })
const ALIAS_REQUEST_ROWS = rowSchema('requests per workflow and alias', AliasRequestColumns)

/** Every request of each workflow and alias in the period, sampled or not: the projection's rate. */
export function aliasRequests(store: Store, q: CompareQuery, timeoutMs?: number) {
  return queryRows(
    store.client,
    {
      query: `SELECT Workflow AS workflow, SpanAttributes['tracegate.alias'] AS alias, count() AS requests
      FROM ${store.database}.spans
      WHERE SpanKind = 'Server' AND NOT (${REJECTED_SQL})
        AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)}
        ${q.workflow !== undefined ? 'AND Workflow = {workflow:String}' : ''}
      GROUP BY workflow, alias${readLimitSql(timeoutMs)}`,
      query_params: { ...rangeParams(q), workflow: q.workflow },
    },
    ALIAS_REQUEST_ROWS,
  )
}

const SampledColumns = z.object({ sampled_requests: column.int, billed_cost_usd: column.float.nullable() })
const SAMPLED_ROWS = rowSchema('sampled requests', SampledColumns)

/** The sampled requests and their billed cost, each counted once however many shadow targets it had. */
export async function sampledTotals(store: Store, q: CompareQuery, timeoutMs?: number) {
  const [row] = await queryRows(
    store.client,
    {
      query: `SELECT count() AS sampled_requests, sum(CostUsd) AS billed_cost_usd
      FROM (${sampledRequests(store.database, q.workflow !== undefined)})${readLimitSql(timeoutMs)}`,
      query_params: { ...rangeParams(q), workflow: q.workflow },
    },
    SAMPLED_ROWS,
  )
  return { sampled_requests: row?.sampled_requests ?? 0, billed_cost_usd: row?.billed_cost_usd ?? 0 }
}

/** One side of one pair, as the drill-down reads it. */
const PAIR_SIDE_COLUMNS = {
  span_id: column.string,
  error_type: column.string,
  http_status: column.int,
  latency_ms: column.float.nullable(),
  ttft_ms: column.float.nullable(),
  cost_usd: column.float.nullable(),
  output: column.string,
  output_truncated: column.bool,
  chars: column.string,
  json_valid: column.string,
  tools: column.string,
}
const PairColumns = z.object({
  trace_id: column.string,
  start_time: column.dateTime,
  route: column.string,
  stream: column.bool,
  compared: column.int,
  agreed: column.int,
  ...prefixed('p', PAIR_SIDE_COLUMNS),
  ...prefixed('sh', PAIR_SIDE_COLUMNS),
})
export type PairRow = z.output<typeof PairColumns>
const PAIR_ROWS = rowSchema('shadow pairs', PairColumns)

/** The columns of one side of a pair: the request's outcome (s) for the primary, with its answering attempt's call. */
function pairSideSql(side: 'p' | 'sh'): string {
  const outcome = side === 'p' ? 's' : 'sh'
  const call = side === 'p' ? 'a' : 'sh'
  return `${call}.SpanId AS ${side}_span_id, ${outcome}.ErrorType AS ${side}_error_type,
    ${call}.HttpStatus AS ${side}_http_status, ${side === 'p' ? P_MS : 'sh.Duration / 1e6'} AS ${side}_latency_ms,
    ${call}.TtftMs AS ${side}_ttft_ms, ${outcome}.CostUsd AS ${side}_cost_usd,
    ${call}.ResponseBody AS ${side}_output, ${call}.BodyTruncated AS ${side}_output_truncated,
    ${attr(call, 'chars')} AS ${side}_chars, ${attr(call, 'json_valid')} AS ${side}_json_valid,
    ${attr(call, 'tools')} AS ${side}_tools`
}

/** The most recent pairs of one row, newest first, with both answers. */
export function latestPairs(store: Store, q: ComparePairsQuery, timeoutMs?: number): Promise<PairRow[]> {
  return queryRows(
    store.client,
    {
      query: `SELECT s.TraceId AS trace_id, s.Timestamp AS start_time, s.Route AS route, s.Stream AS stream,
        ${COMPARED} AS compared, ${COMPARED} AND ${attr('a', 'hash')} = ${attr('sh', 'hash')} AS agreed,
        ${pairSideSql('p')},
        ${pairSideSql('sh')}
      FROM ${pairsFrom(store.database, true)}
      WHERE ${PRIMARY} = {primary:String} AND ${SHADOW} = {shadow:String}
        ${q.alias !== undefined ? 'AND s.Alias = {alias:String}' : ''}
      ORDER BY s.Timestamp DESC, sh.SpanId LIMIT {limit:UInt32}${readLimitSql(timeoutMs)}`,
      query_params: { ...q, ...rangeParams(q) },
    },
    PAIR_ROWS,
  )
}
