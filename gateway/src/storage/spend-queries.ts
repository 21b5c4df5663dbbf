import { z } from 'zod'
import type { Store } from './client.ts'
import { formatTimestamp } from '../spans/time.ts'
import { REJECTED_SQL } from './span-sql.ts'
import { column, queryRows, rowSchema } from './rows.ts'

export type SpendScope = 'key' | 'team' | 'user'
const MAX_MS = Date.UTC(2262, 0, 1)

const SPEND_ROWS = rowSchema('spend in a period', z.object({ name: column.string, usd: column.float }))

/**
 * What each of these keys, teams or users spent in [since, until): the rollup for keys and teams,
 * the request spans for users (the rollup has no user). Refused requests cost nothing either way.
 */
export async function spendIn(
  store: Store,
  scope: SpendScope,
  names: string[],
  since: number,
  until: number,
): Promise<Map<string, number>> {
  const db = store.database
  const query =
    scope === 'user'
      ? `SELECT User AS name, sum(ifNull(CostUsd, 0)) AS usd FROM ${db}.spans
        WHERE SpanKind = 'Server' AND Timestamp >= {since:DateTime64(9)} AND Timestamp < {until:DateTime64(9)}
          AND User IN {names:Array(String)}
          AND NOT (${REJECTED_SQL})
        GROUP BY name`
      : `SELECT ${scope === 'key' ? 'KeyName' : 'Team'} AS name, sum(CostUsd) AS usd FROM ${db}.spans_1m
        WHERE Minute >= toStartOfMinute({since:DateTime64(9)}) AND Minute < {until:DateTime64(9)}
          AND name IN {names:Array(String)}
        GROUP BY name`
  const rows = await queryRows(
    store.client,
    // A budget without a period reads to the end of what DateTime64(9) holds.
    { query, query_params: { since: formatTimestamp(since), until: formatTimestamp(Math.min(until, MAX_MS)), names } },
    SPEND_ROWS,
  )
  return new Map(rows.map((r) => [r.name, r.usd]))
}
