import { z } from 'zod'
import { REQUEST_RESULTS, type ResultCounts } from '@tracegate/schemas'
import type { Store } from './client.ts'
import { formatTimestamp } from '../spans/time.ts'
import { RESULT_SQL, SYNTHETIC_ATTEMPT_SQL } from './span-sql.ts'
import { readLimitSql } from './read-limits.ts'
import { column, queryRows, rowSchema } from './rows.ts'

/**
 * The reads behind the incidents page. Provider health comes from the attempt rollups (upstream
 * attempts, so a failing primary is seen even when a fallback answered): targets_1m per target,
 * attempts_1m where the caller matters (keys, teams, workflows); what became of the requests comes
 * from the request rollup; only an incident's own window touches the raw spans.
 */

/**
 * Subqueries over the same tables use GLOBAL IN: on a cluster a plain IN inside a Distributed query
 * would run the subquery's Distributed read again on every shard (refused by default); GLOBAL runs
 * it once and ships the set. On one node it is a plain IN.
 */

/** Failed attempts: every error class but a caller hanging up, which is no provider's fault. */
const FAILED = `ErrorClass NOT IN ('ok', 'cancelled')`

export interface Range {
  from: number
  to: number
}
export interface Target {
  provider: string
  model: string
}

const rangeParams = (r: Range) => ({ from: formatTimestamp(r.from), to: formatTimestamp(r.to) })
const IN_RANGE = 'Minute >= toStartOfMinute({from:DateTime64(9)}) AND Minute < {to:DateTime64(9)}'
const FOR_TARGET = 'Provider = {provider:String} AND Model = {model:String}'

const count = column.int
/** Minutes as [minute since the epoch, attempts, failed]: one row per target keeps a week of minutes cheap to read. */
const MINUTE_ROWS = rowSchema(
  'attempts per target and minute',
  z.object({
    provider: column.string,
    model: column.string,
    minutes: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int()])),
  }),
)

/** Attempts and failures per minute (oldest first), for every target that failed at least once in the range. */
export async function minutesOfFailingTargets(store: Store, r: Range, timeoutMs?: number) {
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT provider, model, arraySort(m -> m.1, groupArray((minute, attempts, errors))) AS minutes
      FROM (
        SELECT Provider AS provider, Model AS model, toUInt32(toUnixTimestamp(Minute) / 60) AS minute,
          toUInt32(sum(Attempts)) AS attempts, toUInt32(sumIf(Attempts, ${FAILED})) AS errors
        FROM ${store.database}.targets_1m WHERE ${IN_RANGE}
        GROUP BY provider, model, minute)
      GROUP BY provider, model HAVING sum(errors) > 0
      ORDER BY provider, model${readLimitSql(timeoutMs)}`,
      query_params: rangeParams(r),
    },
    MINUTE_ROWS,
  )
  return rows.map(({ provider, model, minutes }) => ({
    provider,
    model,
    stats: minutes.map(([minute, attempts, errors]) => ({ minute: minute * 60_000, attempts, errors })),
  }))
}

/** Attempts, failures and latency: what the health tables show per target and per key. */
const HEALTH = {
  attempts: count,
  errors: count,
  p50_ms: column.metric,
  p95_ms: column.metric,
  ttft_p95_ms: column.metric,
}
const LATENCY = `quantilesTDigestMerge(0.5, 0.95, 0.99)(DurationMs) AS d, d[1] AS p50_ms, d[2] AS p95_ms,
        quantilesTDigestIfMerge(0.5, 0.95)(TtftMs)[2] AS ttft_p95_ms`

const HEALTH_ROWS = rowSchema(
  'target health',
  z.object({ provider: column.string, model: column.string, ...HEALTH, error_types: z.record(z.string(), count) }),
)

/** Every target's attempts over the range, its failures by error class among them. */
export function targetHealth(store: Store, r: Range, timeoutMs?: number) {
  return queryRows(
    store.client,
    {
      query: `SELECT Provider AS provider, Model AS model, sum(Attempts) AS attempts, sumIf(Attempts, ${FAILED}) AS errors,
        ${LATENCY},
        sumMapIf(map(ErrorClass, Attempts), ${FAILED}) AS error_types
      FROM ${store.database}.targets_1m WHERE ${IN_RANGE}
      GROUP BY provider, model ORDER BY errors DESC, attempts DESC, provider, model
      LIMIT 500${readLimitSql(timeoutMs)}`,
      query_params: rangeParams(r),
    },
    HEALTH_ROWS,
  )
}

const KEY_ROWS = rowSchema('key health', z.object({ key: column.string, ...HEALTH }))

/** The keys whose attempts failed most over the range (the caller's side: from the full attempt rollup). */
export function keyHealth(store: Store, r: Range, timeoutMs?: number) {
  return queryRows(
    store.client,
    {
      query: `SELECT KeyName AS key, sum(Attempts) AS attempts, sumIf(Attempts, ${FAILED}) AS errors,
        ${LATENCY}
      FROM ${store.database}.attempts_1m WHERE ${IN_RANGE}
      GROUP BY key HAVING errors > 0 ORDER BY errors DESC, key LIMIT 20${readLimitSql(timeoutMs)}`,
      query_params: rangeParams(r),
    },
    KEY_ROWS,
  )
}

const AFFECTED_ROWS = rowSchema(
  'affected callers',
  z.object({ dimension: column.string, name: column.string, attempts: count, errors: count }),
)

/** The keys, teams and workflows whose attempts to the target failed in the window, most failures first. */
export function affectedCallers(store: Store, r: Range, target: Target, timeoutMs?: number) {
  const per = (dimension: string, col: string) => `(SELECT '${dimension}' AS dimension, ${col} AS name,
      sum(Attempts) AS attempts, sumIf(Attempts, ${FAILED}) AS errors
    FROM ${store.database}.attempts_1m WHERE ${IN_RANGE} AND ${FOR_TARGET}
    GROUP BY name HAVING errors > 0 ORDER BY errors DESC, name LIMIT 5)`
  return queryRows(
    store.client,
    {
      query: `SELECT * FROM (${per('key', 'KeyName')} UNION ALL ${per('team', 'Team')} UNION ALL ${per('workflow', 'Workflow')})
      ORDER BY dimension, errors DESC, name${readLimitSql(timeoutMs)}`,
      query_params: { ...rangeParams(r), ...target },
    },
    AFFECTED_ROWS,
  )
}

const WINDOW_ROWS = rowSchema(
  'incident window',
  z.object({
    p95_before_ms: column.metric,
    p95_during_ms: column.metric,
    retries: count,
    error_types: z.record(z.string(), count),
  }),
)

/**
 * One target's attempts around an incident, in one read: p95 in the hour before and during the
 * window, retries of it and its failures by class during the window.
 */
export async function incidentWindow(store: Store, r: Range, beforeMs: number, target: Target, timeoutMs?: number) {
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT
        quantilesTDigestMergeIf(0.5, 0.95, 0.99)(DurationMs, Minute < {start:DateTime64(9)})[2] AS p95_before_ms,
        quantilesTDigestMergeIf(0.5, 0.95, 0.99)(DurationMs, Minute >= {start:DateTime64(9)})[2] AS p95_during_ms,
        sumIf(Attempts, Minute >= {start:DateTime64(9)} AND Kind = 'retry') AS retries,
        sumMapIf(map(ErrorClass, Attempts), Minute >= {start:DateTime64(9)} AND ${FAILED}) AS error_types
      FROM ${store.database}.targets_1m
      WHERE ${IN_RANGE} AND ${FOR_TARGET}${readLimitSql(timeoutMs)}`,
      query_params: {
        ...rangeParams({ from: r.from - beforeMs, to: r.to }),
        start: formatTimestamp(r.from),
        ...target,
      },
    },
    WINDOW_ROWS,
  )
  return rows[0] ?? { p95_before_ms: null, p95_during_ms: null, retries: 0, error_types: {} }
}

/** A request starts before its attempts: its span is looked for this much before the window. */
const REQUEST_LEAD_MS = 15 * 60_000

/** The target's failed attempts in the window, from the raw spans (a caller hanging up is no failure of the target). */
const FAILED_ATTEMPTS = `SpanKind = 'Client' AND NOT ${SYNTHETIC_ATTEMPT_SQL}
    AND Timestamp >= {from:DateTime64(9)} AND Timestamp < {to:DateTime64(9)}
    AND Provider = {provider:String} AND RequestModel = {model:String}
    AND StatusCode = 'Error' AND ErrorType != 'cancelled'`

const FATE_ROWS = rowSchema(
  'fate of requests with a failed attempt',
  z.object({ result: column.string, requests: count, fell_back: count }),
)

/** What became of the requests that had a failed attempt on the target in the window, and how many fell back. */
export async function fateOfFailedRequests(store: Store, r: Range, target: Target, timeoutMs?: number) {
  const db = store.database
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT ${RESULT_SQL} AS result, count() AS requests,
        countIf(SpanAttributes['tracegate.fell_back'] = 'true') AS fell_back
      FROM ${db}.spans
      WHERE SpanKind = 'Server' AND Timestamp >= {lead:DateTime64(9)} AND Timestamp < {to:DateTime64(9)}
        AND TraceId GLOBAL IN (SELECT DISTINCT TraceId FROM ${db}.spans WHERE ${FAILED_ATTEMPTS})
      GROUP BY result${readLimitSql(timeoutMs)}`,
      query_params: { ...rangeParams(r), lead: formatTimestamp(r.from - REQUEST_LEAD_MS), ...target },
    },
    FATE_ROWS,
  )
  return { requests: resultCounts(rows), fallbacks: rows.reduce((n, x) => n + x.fell_back, 0) }
}

const EXAMPLE_ROWS = rowSchema('example failing traces', z.object({ trace_id: column.string }))

/** The most recent failed attempts on the target in the window: where an investigation starts reading. */
export function exampleTraces(store: Store, r: Range, target: Target, timeoutMs?: number) {
  return queryRows(
    store.client,
    {
      query: `SELECT TraceId AS trace_id FROM ${store.database}.spans WHERE ${FAILED_ATTEMPTS}
      ORDER BY Timestamp DESC LIMIT 5${readLimitSql(timeoutMs)}`,
      query_params: { ...rangeParams(r), ...target },
    },
    EXAMPLE_ROWS,
  )
}

const RESULT_ROWS = rowSchema('request results', z.object({ time: column.int, result: column.string, requests: count }))

/** Requests by result in buckets of `bucketS` seconds (time is the bucket's start, epoch ms). */
export function resultSeries(store: Store, r: Range, bucketS: number, timeoutMs?: number) {
  return queryRows(
    store.client,
    {
      query: `SELECT toUnixTimestamp(toStartOfInterval(Minute, toIntervalSecond({bucket:UInt32}))) * 1000 AS time,
        Result AS result, sum(Requests) AS requests
      FROM ${store.database}.spans_1m WHERE ${IN_RANGE} AND Result != ''
      GROUP BY time, result ORDER BY time${readLimitSql(timeoutMs)}`,
      query_params: { ...rangeParams(r), bucket: bucketS },
    },
    RESULT_ROWS,
  )
}

/** Counts per request result, every result present (0 when none). */
export function resultCounts(rows: ReadonlyArray<{ result: string; requests: number }>): ResultCounts {
  const out = Object.fromEntries(REQUEST_RESULTS.map((k) => [k, 0])) as ResultCounts
  for (const row of rows) if (row.result in out) out[row.result as keyof ResultCounts] += row.requests
  return out
}
