import { z } from 'zod'
import type { CompareQuery } from '@tracegate/schemas'
import type { Store } from './client.ts'
import { readLimitSql } from './read-limits.ts'
import { rangeParams } from './report-queries.ts'
import { REJECTED_SQL } from './span-sql.ts'
import { column, queryRows, rowSchema } from './rows.ts'
import {
  AGREED,
  answered,
  attr,
  COMPARED,
  failed,
  P_MS,
  pairsFrom,
  prefixed,
  PRIMARY,
  SH_MS,
  SHADOW,
  sampledRequests,
} from './compare-sql.ts'

/** The compare report's reads: both sides' figures per pair row, the projection's rate, the totals. */

const JSON_MODE = `(${attr('a', 'json_valid')} != '' OR ${attr('sh', 'json_valid')} != '')`
const TOOLS = `(${attr('a', 'tools')} != '' OR ${attr('sh', 'tools')} != '')`

/**
 * One side's figures: `p` the primary (the request's outcome, tokens and billed cost; its answering
 * attempt's latency), `sh` the shadow call's own. Latency over answered calls, time to first token
 * over answered streams; averages skip NULLs (no usage, no price).
 */
function sideFigures(side: 'p' | 'sh'): string {
  const t = side === 'p' ? 's' : 'sh'
  const call = side === 'p' ? 'a' : 'sh'
  const ms = side === 'p' ? P_MS : SH_MS
  return `countIf(${failed(t)}) AS ${side}_errors,
    quantileExactIf(0.5)(${ms}, ${answered(t)}) AS ${side}_latency_p50_ms,
    quantileExactIf(0.95)(${ms}, ${answered(t)}) AS ${side}_latency_p95_ms,
    quantileExactIf(0.5)(${call}.TtftMs, ${answered(t)} AND ${call}.TtftMs IS NOT NULL) AS ${side}_ttft_p50_ms,
    quantileExactIf(0.95)(${call}.TtftMs, ${answered(t)} AND ${call}.TtftMs IS NOT NULL) AS ${side}_ttft_p95_ms,
    sum(${t}.InputTokens) AS ${side}_input_tokens, sum(${t}.OutputTokens) AS ${side}_output_tokens,
    avg(${t}.InputTokens) AS ${side}_input_tokens_per_request,
    avg(${t}.OutputTokens) AS ${side}_output_tokens_per_request,
    sum(${t}.CostUsd) AS ${side}_cost_usd, avg(${t}.CostUsd) AS ${side}_cost_per_request_usd,
    countIf(${t}.CostSource = 'unpriced') AS ${side}_unpriced_requests`
}

const metric = column.metric
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

/** Each (workflow, alias, primary target, shadow target) with both sides' figures and their agreement. */
export function pairGroups(store: Store, q: CompareQuery, timeoutMs?: number): Promise<PairGroupRow[]> {
  const [pChars, shChars] = [`toFloat64OrZero(${attr('a', 'chars')})`, `toFloat64OrZero(${attr('sh', 'chars')})`]
  return queryRows(
    store.client,
    {
      query: `SELECT s.Workflow AS workflow, s.Alias AS alias, ${PRIMARY} AS primary, ${SHADOW} AS shadow,
        count() AS requests,
        ${sideFigures('p')},
        ${sideFigures('sh')},
        countIf(${COMPARED}) AS pairs_compared,
        countIf(${AGREED}) AS exact_matches,
        avgIf(${shChars} / ${pChars}, ${COMPARED} AND ${pChars} > 0) AS mean_length_ratio,
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
