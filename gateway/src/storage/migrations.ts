import { addColumns, distributedTable, engine, localTable, onCluster, type Layout } from './layout.ts'
import { ATTEMPT_KIND_SQL, OUTCOME_SQL, REJECTED_SQL, RESULT_SQL, SYNTHETIC_ATTEMPT_SQL } from './span-sql.ts'
import { accessTables, alertTables } from './admin-tables.ts'
import { compactInsertParts, verticalSpanMerges } from './span-parts.ts'

/**
 * ClickHouse DDL for the span store, as ordered, idempotent migrations. Every statement is
 * safe to run twice (IF NOT EXISTS), so two gateways starting at once against one server
 * cannot break each other; the ledger table only avoids redoing work.
 *
 * One set of statements serves every mode: on a cluster the same versions create and alter the
 * shard-local tables ON CLUSTER and add the Distributed tables (see layout.ts), so a cluster's
 * ledger holds the same versions as a single node's and later migrations are written once.
 */
export interface Migration {
  version: number
  name: string
  statements: string[]
}

export interface DdlOptions extends Layout {
  retentionDays: number
}

/** A trace's spans and its lookup row live on one shard, so a trace is read from one place and replaced spans meet. */
const SHARD_BY_TRACE = 'cityHash64(TraceId)'

/**
 * The TTL of every table kept for `retention_days` (the rollup 4x as long), in one place: the
 * CREATE statements below and the start-up check that applies a changed value both use these.
 */
export function retentionTtls(
  days: number,
): Record<'spans' | 'spans_trace_id_ts' | 'spans_1m' | 'attempts_1m' | 'targets_1m', string> {
  if (!Number.isInteger(days) || days <= 0) throw new Error(`retention_days must be a positive integer, got ${days}`)
  return {
    spans: `toDateTime(Timestamp) + toIntervalDay(${days})`,
    spans_trace_id_ts: `toDateTime(Start) + toIntervalDay(${days})`,
    spans_1m: `Minute + toIntervalDay(${days * 4})`,
    attempts_1m: `Minute + toIntervalDay(${days * 4})`,
    targets_1m: `Minute + toIntervalDay(${days * 4})`,
  }
}

const spansTable = (l: Layout, days: number) => `
CREATE TABLE IF NOT EXISTS ${localTable(l, 'spans')}${onCluster(l)} (
  Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
  TraceId String CODEC(ZSTD(1)),
  SpanId String CODEC(ZSTD(1)),
  ParentSpanId String CODEC(ZSTD(1)),
  TraceState String CODEC(ZSTD(1)),
  SpanName LowCardinality(String),
  SpanKind LowCardinality(String),
  ServiceName LowCardinality(String),
  ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  ScopeName String,
  ScopeVersion String,
  SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  Duration UInt64 CODEC(ZSTD(1)),
  StatusCode LowCardinality(String),
  StatusMessage String CODEC(ZSTD(1)),
  Events Nested (Timestamp DateTime64(9), Name LowCardinality(String), Attributes Map(LowCardinality(String), String)),
  Links Nested (TraceId String, SpanId String, TraceState String, Attributes Map(LowCardinality(String), String)),
  Provider LowCardinality(String),
  RequestModel LowCardinality(String),
  ResponseModel LowCardinality(String),
  Operation LowCardinality(String),
  Route LowCardinality(String),
  Stream Bool,
  InputTokens Nullable(UInt64),
  OutputTokens Nullable(UInt64),
  CacheReadTokens Nullable(UInt64),
  CacheWriteTokens Nullable(UInt64),
  ReasoningTokens Nullable(UInt64),
  TokensEstimated Bool,
  CostUsd Nullable(Float64),
  CostSource LowCardinality(String),
  TtftMs Nullable(Float64),
  HttpStatus UInt16,
  ErrorType LowCardinality(String),
  Attempt UInt16,
  Workflow LowCardinality(String),
  Team LowCardinality(String),
  KeyName LowCardinality(String),
  User String,
  SessionId String,
  Tags Array(LowCardinality(String)),
  RequestBody String CODEC(ZSTD(3)),
  ResponseBody String CODEC(ZSTD(3)),
  BodyTruncated Bool,
  INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = ${engine(l, 'ReplacingMergeTree', 'spans')}
PARTITION BY toDate(Timestamp)
ORDER BY (SpanKind, toStartOfMinute(Timestamp), Provider, Timestamp, SpanId)
TTL ${retentionTtls(days).spans}
SETTINGS ttl_only_drop_parts = 1`

const traceLookup = (l: Layout, days: number) => [
  `CREATE TABLE IF NOT EXISTS ${localTable(l, 'spans_trace_id_ts')}${onCluster(l)} (
  TraceId String CODEC(ZSTD(1)),
  Start DateTime64(9),
  End DateTime64(9)
) ENGINE = ${engine(l, 'MergeTree', 'spans_trace_id_ts')} ORDER BY (TraceId, Start)
TTL ${retentionTtls(days).spans_trace_id_ts}
SETTINGS ttl_only_drop_parts = 1`,
  ...distributedTable(l, 'spans_trace_id_ts', SHARD_BY_TRACE),
  // On a cluster the view sits on each shard's local spans and fills that shard's lookup rows.
  `CREATE MATERIALIZED VIEW IF NOT EXISTS ${l.database}.spans_trace_id_ts_mv${onCluster(l)} TO ${localTable(l, 'spans_trace_id_ts')} AS
SELECT TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
FROM ${localTable(l, 'spans')} WHERE TraceId != '' GROUP BY TraceId`,
]

/**
 * The view that fills the rollup. v3 created it without outcome and fallbacks, v5 replaced it
 * with them, v6 leaves out requests the gateway refused itself; all come from here so the
 * definitions cannot drift apart.
 */
function rollupView(l: Layout, version: 3 | 5 | 6 | 7 | 8): string {
  const withOutcome = version >= 5
  const result = version >= 8 ? `\n  ${RESULT_SQL} AS Result,` : ''
  const outcome = withOutcome ? `\n  ${OUTCOME_SQL} AS Outcome,${result}` : ''
  const fallbacks = withOutcome ? `\n  countIf(SpanAttributes['tracegate.fell_back'] = 'true') AS Fallbacks,` : ''
  const where = version >= 6 ? ` AND NOT (${REJECTED_SQL})` : ''
  // Columns read through the table alias: the output aliases (CostUsd…) would shadow them.
  const providerCost =
    version >= 7
      ? `
  sum(ifNull(s.ProviderCostUsd, 0)) AS ProviderCostUsd,
  sumIf(ifNull(s.CostUsd, 0), s.ProviderCostUsd IS NOT NULL) AS CostUsdProviderReported,
  countIf(s.ProviderCostUsd IS NOT NULL) AS ProviderReportedRequests,`
      : ''
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${l.database}.spans_1m_mv${onCluster(l)} TO ${localTable(l, 'spans_1m')} AS
SELECT
  toStartOfMinute(Timestamp) AS Minute, Provider, ResponseModel AS Model, KeyName, Team, Workflow,
  StatusCode AS Status,${outcome}
  count() AS Requests,
  sum(toUInt64(Attempt)) AS Attempts,${fallbacks}
  sum(ifNull(InputTokens, 0)) AS InputTokens,
  sum(ifNull(OutputTokens, 0)) AS OutputTokens,
  sum(ifNull(CacheReadTokens, 0)) AS CacheReadTokens,
  sum(ifNull(CostUsd, 0)) AS CostUsd,${providerCost}
  quantilesTDigestState(0.5, 0.95, 0.99)(Duration / 1e6) AS DurationMs,
  quantilesTDigestIfState(0.5, 0.95)(ifNull(TtftMs, 0), TtftMs IS NOT NULL) AS TtftMs
FROM ${localTable(l, 'spans')}${version >= 7 ? ' AS s' : ''} WHERE SpanKind = 'Server'${where}
GROUP BY Minute, Provider, Model, KeyName, Team, Workflow, Status${withOutcome ? ', Outcome' : ''}${version >= 8 ? ', Result' : ''}`
}

const dropRollupView = (l: Layout) => `DROP VIEW IF EXISTS ${l.database}.spans_1m_mv${onCluster(l)}`

/**
 * Per-minute rollup of request (SERVER) spans for dashboards over long ranges. On a cluster each
 * shard rolls up its own requests; reads through the Distributed table merge the shards' rows.
 */
const rollup = (l: Layout, days: number) => [
  `CREATE TABLE IF NOT EXISTS ${localTable(l, 'spans_1m')}${onCluster(l)} (
  Minute DateTime,
  Provider LowCardinality(String),
  Model LowCardinality(String),
  KeyName LowCardinality(String),
  Team LowCardinality(String),
  Workflow LowCardinality(String),
  Status LowCardinality(String),
  Requests SimpleAggregateFunction(sum, UInt64),
  Attempts SimpleAggregateFunction(sum, UInt64),
  InputTokens SimpleAggregateFunction(sum, UInt64),
  OutputTokens SimpleAggregateFunction(sum, UInt64),
  CacheReadTokens SimpleAggregateFunction(sum, UInt64),
  CostUsd SimpleAggregateFunction(sum, Float64),
  DurationMs AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
  TtftMs AggregateFunction(quantilesTDigestIf(0.5, 0.95), Float64, UInt8)
) ENGINE = ${engine(l, 'AggregatingMergeTree', 'spans_1m')}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Minute, Provider, Model, KeyName, Team, Workflow, Status)
TTL ${retentionTtls(days).spans_1m}
SETTINGS ttl_only_drop_parts = 1`,
  ...distributedTable(l, 'spans_1m'),
  rollupView(l, 3),
]

/**
 * v4: spool replays reuse the segment name as insert_deduplication_token; these windows make the
 * tables (views included) remember recent tokens. A non-replicated table keeps none by default.
 * Replicated tables keep them in Keeper; recent ClickHouse keeps them only an hour, too short for a
 * gateway that restarts after a long outage, hence a week (the count still bounds Keeper's load).
 */
function dedupWindow(l: Layout, tables = ['spans', 'spans_trace_id_ts', 'spans_1m']): string[] {
  const setting = l.cluster
    ? 'replicated_deduplication_window = 10000, replicated_deduplication_window_seconds = 604800'
    : 'non_replicated_deduplication_window = 10000'
  return tables.map((t) => `ALTER TABLE ${localTable(l, t)}${onCluster(l)} MODIFY SETTING ${setting}`)
}

/**
 * v5: the rollup learns each request's outcome and whether it fell back, so the overview and
 * incident pages never scan raw spans. Rows written before it have Outcome ''. The view is
 * replaced, which on a shared server leaves a moment when inserts skip the rollup.
 */
const rollupOutcome = (l: Layout) => [
  ...addColumns(
    l,
    'spans_1m',
    [
      'ADD COLUMN IF NOT EXISTS Outcome LowCardinality(String)',
      'ADD COLUMN IF NOT EXISTS Fallbacks SimpleAggregateFunction(sum, UInt64)',
    ],
    ['MODIFY ORDER BY (Minute, Provider, Model, KeyName, Team, Workflow, Status, Outcome)'],
  ),
  dropRollupView(l),
  rollupView(l, 5),
]

/**
 * v6: requests the gateway refused before any upstream attempt (bad key, bad input, wrong origin)
 * stay out of the rollup: they are neither traffic a provider served nor its errors or cost.
 */
const rollupWithoutRefusals = (l: Layout) => [dropRollupView(l), rollupView(l, 6)]

/**
 * v7: the cost a provider reports itself (xAI, OpenRouter) is kept next to ours, on each span and
 * in the rollup with our own cost over the same requests, so reports can show where they disagree.
 */
const providerCost = (l: Layout) => [
  ...addColumns(l, 'spans', ['ADD COLUMN IF NOT EXISTS ProviderCostUsd Nullable(Float64) AFTER CostSource']),
  ...addColumns(l, 'spans_1m', [
    'ADD COLUMN IF NOT EXISTS ProviderCostUsd SimpleAggregateFunction(sum, Float64)',
    'ADD COLUMN IF NOT EXISTS CostUsdProviderReported SimpleAggregateFunction(sum, Float64)',
    'ADD COLUMN IF NOT EXISTS ProviderReportedRequests SimpleAggregateFunction(sum, UInt64)',
  ]),
  dropRollupView(l),
  rollupView(l, 7),
]

/** The per-minute rollups of upstream attempts: attempts_1m (v8) by caller too, targets_1m (v10) by target only. */
type AttemptRollup = 'attempts_1m' | 'targets_1m'

const CALLER_COLUMNS = `
  KeyName LowCardinality(String),
  Team LowCardinality(String),
  Workflow LowCardinality(String),`

/** An attempt rollup's table, its distributed table on a cluster, and its dedup window. */
const attemptTable = (l: Layout, table: AttemptRollup, days: number) => {
  const callers = table === 'attempts_1m'
  return [
    `CREATE TABLE IF NOT EXISTS ${localTable(l, table)}${onCluster(l)} (
  Minute DateTime,
  Provider LowCardinality(String),
  Model LowCardinality(String),${callers ? CALLER_COLUMNS : ''}
  ErrorClass LowCardinality(String),
  Kind LowCardinality(String),
  Attempts SimpleAggregateFunction(sum, UInt64),
  DurationMs AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
  TtftMs AggregateFunction(quantilesTDigestIf(0.5, 0.95), Float64, UInt8)
) ENGINE = ${engine(l, 'AggregatingMergeTree', table)}
PARTITION BY toYYYYMM(Minute)
ORDER BY (Minute, Provider, Model, ErrorClass, Kind${callers ? ', KeyName, Team, Workflow' : ''})
TTL ${retentionTtls(days)[table]}
SETTINGS ttl_only_drop_parts = 1`,
    ...distributedTable(l, table),
    ...dedupWindow(l, [table]),
  ]
}

/**
 * The views that fill the attempt rollups. v12 leaves out shadow calls (they answer no one: a
 * shadow target's failures are no incident of the requests' targets) and the failures `tracegate
 * check` injects (the target was never called).
 */
const attemptWhere = (version: number) =>
  `SpanKind = 'Client'${version >= 12 ? ` AND NOT ${SYNTHETIC_ATTEMPT_SQL}` : ''}`

/**
 * The view filling an attempt rollup: attempts_1m keeps the caller columns, targets_1m does not.
 * The target model (what was asked of that provider): an attempt that failed has no response model.
 */
const attemptView = (l: Layout, table: AttemptRollup, version: 8 | 10 | 12) => {
  const callers = table === 'attempts_1m' ? ' KeyName, Team, Workflow,' : ''
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${l.database}.${table}_mv${onCluster(l)} TO ${localTable(l, table)} AS
SELECT
  toStartOfMinute(Timestamp) AS Minute, Provider, RequestModel AS Model,${callers}
  ${OUTCOME_SQL} AS ErrorClass,
  ${ATTEMPT_KIND_SQL} AS Kind,
  count() AS Attempts,
  quantilesTDigestState(0.5, 0.95, 0.99)(Duration / 1e6) AS DurationMs,
  quantilesTDigestIfState(0.5, 0.95)(ifNull(TtftMs, 0), TtftMs IS NOT NULL) AS TtftMs
FROM ${localTable(l, 'spans')} WHERE ${attemptWhere(version)}
GROUP BY Minute, Provider, Model,${callers} ErrorClass, Kind`
}
const attemptsView = (l: Layout, version: 8 | 12) => attemptView(l, 'attempts_1m', version)
const targetsView = (l: Layout, version: 10 | 12) => attemptView(l, 'targets_1m', version)

/** v12: the attempt views again, without shadow calls and injected faults. */
const attemptViewsWithoutShadow = (l: Layout) => [
  `DROP VIEW IF EXISTS ${l.database}.attempts_1m_mv${onCluster(l)}`,
  attemptsView(l, 12),
  `DROP VIEW IF EXISTS ${l.database}.targets_1m_mv${onCluster(l)}`,
  targetsView(l, 12),
]

/**
 * v8: provider health is judged per upstream attempt, not per request: a request a fallback saved
 * still had a failing primary, and blaming the target that answered points on-call at the wrong
 * provider. A per-minute rollup of the attempt (CLIENT) spans by target, error class and kind
 * (first try, retry, fallback), and each request's result in the request rollup.
 */
const attemptRollup = (l: Layout, days: number) => [
  ...attemptTable(l, 'attempts_1m', days),
  attemptsView(l, 8),
  ...addColumns(
    l,
    'spans_1m',
    ['ADD COLUMN IF NOT EXISTS Result LowCardinality(String)'],
    ['MODIFY ORDER BY (Minute, Provider, Model, KeyName, Team, Workflow, Status, Outcome, Result)'],
  ),
  dropRollupView(l),
  rollupView(l, 8),
]

/**
 * v10: the attempt rollup narrowed to what incident detection and provider health read: per minute,
 * target, error class and kind. attempts_1m keeps the caller (key, team, workflow) and so, with many
 * callers, holds nearly a row per attempt; this one stays a few rows per target and minute, which is
 * what makes a week of incidents cheap. On one node it is first filled from attempts_1m (spans a
 * second gateway writes to a shared server between that and the view's creation are missed; the
 * embedded engine has no second writer); on a cluster it starts empty.
 */
const targetRollup = (l: Layout, days: number) => [
  ...attemptTable(l, 'targets_1m', days),
  // Filled before its view exists, and only while empty, so a rerun after an interruption adds nothing twice.
  ...(l.cluster
    ? []
    : [
        `INSERT INTO ${l.database}.targets_1m
SELECT Minute, Provider, Model, ErrorClass, Kind, sum(Attempts),
  quantilesTDigestMergeState(0.5, 0.95, 0.99)(DurationMs), quantilesTDigestIfMergeState(0.5, 0.95)(TtftMs)
FROM ${l.database}.attempts_1m
WHERE (SELECT count() FROM ${l.database}.targets_1m) = 0
GROUP BY Minute, Provider, Model, ErrorClass, Kind`,
      ]),
  targetsView(l, 10),
]

export function migrations({ retentionDays: days, ...l }: DdlOptions): Migration[] {
  return [
    { version: 1, name: 'spans', statements: [spansTable(l, days), ...distributedTable(l, 'spans', SHARD_BY_TRACE)] },
    { version: 2, name: 'trace id lookup', statements: traceLookup(l, days) },
    { version: 3, name: 'per-minute rollup', statements: rollup(l, days) },
    { version: 4, name: 'insert deduplication for spool replays', statements: dedupWindow(l) },
    { version: 5, name: 'rollup outcome and fallbacks', statements: rollupOutcome(l) },
    { version: 6, name: 'rollup without requests the gateway refused', statements: rollupWithoutRefusals(l) },
    { version: 7, name: 'provider-reported cost', statements: providerCost(l) },
    { version: 8, name: 'attempt rollup and request results', statements: attemptRollup(l, days) },
    { version: 9, name: 'alert rules, events and deliveries', statements: alertTables(l) },
    { version: 10, name: 'target rollup for incidents', statements: targetRollup(l, days) },
    { version: 11, name: 'gateway keys and teams', statements: accessTables(l) },
    {
      version: 12,
      name: 'attempt rollups without shadow calls or injected faults',
      statements: attemptViewsWithoutShadow(l),
    },
    { version: 13, name: 'vertical merges for the wide spans table', statements: verticalSpanMerges(l) },
    { version: 14, name: 'compact parts for inserts', statements: compactInsertParts(l) },
  ]
}

/**
 * The database and the ledger of applied versions. On a cluster the ledger is one replicated table
 * across every host (its Keeper path names no shard; its replica name does), so a gateway reads the
 * same versions whichever host it reaches.
 */
export const ledgerStatements = (l: Layout) => [
  `CREATE DATABASE IF NOT EXISTS ${l.database}${onCluster(l)}`,
  `CREATE TABLE IF NOT EXISTS ${l.database}.tracegate_migrations${onCluster(l)} (
  version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ${
    l.cluster
      ? `ReplicatedReplacingMergeTree('/clickhouse/tables/${l.cluster}/${l.database}/tracegate_migrations', '{shard}-{replica}')`
      : 'ReplacingMergeTree'
  } ORDER BY version`,
]
