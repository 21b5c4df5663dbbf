import { z } from 'zod'
import type { ComparePairsQuery } from '@tracegate/schemas'
import type { Store } from './client.ts'
import { readLimitSql } from './read-limits.ts'
import { rangeParams } from './report-queries.ts'
import { column, queryRows, rowSchema } from './rows.ts'
import { AGREED, attr, COMPARED, P_MS, pairsFrom, prefixed, PRIMARY, SH_MS, SHADOW, SLACK } from './compare-sql.ts'

/**
 * The drill-down's read: one pair row's latest pairs, then the captured answers of just those
 * calls, so no more than `limit` pairs of bodies are ever read.
 */

const PAIR_SIDE_COLUMNS = {
  span_id: column.string,
  error_type: column.string,
  http_status: column.int,
  latency_ms: column.float.nullable(),
  ttft_ms: column.float.nullable(),
  cost_usd: column.float.nullable(),
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
const PAIR_ROWS = rowSchema('shadow pairs', PairColumns)
const BODY_ROWS = rowSchema('shadow pair answers', z.object({ SpanId: column.string, ResponseBody: column.string }))

/** One pair, each side's captured answer ('' when not captured) beside its figures. */
export type PairRow = z.output<typeof PairColumns> & { p_output: string; sh_output: string }

/** One side's columns: the request's outcome and billed cost (primary) or the shadow call's, with its call. */
function pairSideSql(side: 'p' | 'sh'): string {
  const outcome = side === 'p' ? 's' : 'sh'
  const call = side === 'p' ? 'a' : 'sh'
  return `${call}.SpanId AS ${side}_span_id, ${outcome}.ErrorType AS ${side}_error_type,
    ${call}.HttpStatus AS ${side}_http_status, ${side === 'p' ? P_MS : SH_MS} AS ${side}_latency_ms,
    ${call}.TtftMs AS ${side}_ttft_ms, ${outcome}.CostUsd AS ${side}_cost_usd,
    ${call}.BodyTruncated AS ${side}_output_truncated, ${attr(call, 'chars')} AS ${side}_chars,
    ${attr(call, 'json_valid')} AS ${side}_json_valid, ${attr(call, 'tools')} AS ${side}_tools`
}

/** The most recent pairs of one row, newest first, with both answers. */
export async function latestPairs(store: Store, q: ComparePairsQuery, timeoutMs?: number): Promise<PairRow[]> {
  const pairs = await queryRows(
    store.client,
    {
      query: `SELECT s.TraceId AS trace_id, s.Timestamp AS start_time, s.Route AS route, s.Stream AS stream,
        ${COMPARED} AS compared, ${AGREED} AS agreed,
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
  const bodies = await answers(store, q, pairs, timeoutMs)
  return pairs.map((p) => ({
    ...p,
    p_output: bodies.get(p.p_span_id) ?? '',
    sh_output: bodies.get(p.sh_span_id) ?? '',
  }))
}

/** The captured answers of these pairs' calls, by span id. */
async function answers(
  store: Store,
  q: ComparePairsQuery,
  pairs: Array<z.output<typeof PairColumns>>,
  timeoutMs?: number,
): Promise<Map<string, string>> {
  if (!pairs.length) return new Map()
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT SpanId, ResponseBody FROM ${store.database}.spans
      WHERE SpanKind = 'Client' AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)} + ${SLACK}
        AND TraceId IN {traces:Array(String)} AND SpanId IN {spans:Array(String)}${readLimitSql(timeoutMs)}`,
      query_params: {
        ...rangeParams(q),
        traces: pairs.map((p) => p.trace_id),
        spans: pairs.flatMap((p) => [p.p_span_id, p.sh_span_id]).filter(Boolean),
      },
    },
    BODY_ROWS,
  )
  return new Map(rows.map((r) => [r.SpanId, r.ResponseBody]))
}
