import { ALERT_SCOPE_KEYS, type AlertMetric, type AlertRuleSpec } from '@tracegate/schemas'
import { z } from 'zod'
import type { Store } from '../storage/client.ts'
import { column, queryRows, rowSchema } from '../storage/rows.ts'
import { chTime } from '../storage/ch-time.ts'

/**
 * What a rule's metric is over its window, read from the per-minute rollups. Provider health comes
 * from attempts_1m (every upstream attempt, so a request a fallback saved still counts its failing
 * primary); cost and lost requests from spans_1m. Attempts the client cancelled say nothing about
 * the provider and are left out.
 */
interface MetricSql {
  table: 'attempts_1m' | 'spans_1m'
  value: string
  /** Attempts or requests in the window, what min_attempts is compared with. */
  count: string
  where: string
}

const METRICS: Record<AlertMetric, MetricSql> = {
  error_rate: {
    table: 'attempts_1m',
    value: `sumIf(Attempts, ErrorClass != 'ok') / sum(Attempts)`,
    count: 'sum(Attempts)',
    where: `ErrorClass != 'cancelled'`,
  },
  latency_p95_ms: {
    table: 'attempts_1m',
    value: 'quantilesTDigestMerge(0.5, 0.95, 0.99)(DurationMs)[2]',
    count: 'sum(Attempts)',
    where: `ErrorClass != 'cancelled'`,
  },
  ttft_p95_ms: {
    table: 'attempts_1m',
    value: 'quantilesTDigestIfMerge(0.5, 0.95)(TtftMs)[2]',
    count: 'sum(Attempts)',
    where: `ErrorClass != 'cancelled'`,
  },
  cost_usd: { table: 'spans_1m', value: 'sum(CostUsd)', count: 'sum(Requests)', where: '1' },
  requests_lost: { table: 'spans_1m', value: `sumIf(Requests, Result = 'lost')`, count: 'sum(Requests)', where: '1' },
}

/** Scope keys to rollup columns: the only identifiers that reach the SQL text; values are parameters. */
const SCOPE_COLUMNS: Record<(typeof ALERT_SCOPE_KEYS)[number], string> = {
  provider: 'Provider',
  model: 'Model',
  team: 'Team',
  key: 'KeyName',
  workflow: 'Workflow',
}

const MEASURE_ROWS = rowSchema('alert measure', z.object({ value: column.metric, count: column.int }))

export interface Measure {
  /** null: no data to judge (nothing in the window, or no time to first token recorded). */
  value: number | null
  count: number
}

/**
 * The metric over the last `window_minutes` whole minutes before the one `nowMs` falls in. The
 * current minute is left out: it is still filling, and a rate over its first seconds says little.
 */
export async function measure(store: Store, rule: AlertRuleSpec, nowMs: number): Promise<Measure> {
  const m = METRICS[rule.metric]
  const params: Record<string, string | number> = { now: chTime(nowMs), window: rule.window_minutes }
  const scope = ALERT_SCOPE_KEYS.filter((k) => rule.scope[k] !== undefined).map((k) => {
    params[`scope_${k}`] = rule.scope[k]!
    return ` AND ${SCOPE_COLUMNS[k]} = {scope_${k}:String}`
  })
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT ${m.value} AS value, ${m.count} AS count FROM ${store.database}.${m.table}
        WHERE Minute >= toStartOfMinute({now:DateTime64(3)}) - toIntervalMinute({window:UInt32})
          AND Minute < toStartOfMinute({now:DateTime64(3)}) AND ${m.where}${scope.join('')}`,
      query_params: params,
    },
    MEASURE_ROWS,
  )
  const row = rows[0] ?? { value: null, count: 0 }
  return { value: row.count > 0 ? row.value : null, count: row.count }
}
