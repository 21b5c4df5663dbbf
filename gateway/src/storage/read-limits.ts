/**
 * The SETTINGS clause that bounds an explorer read: after `timeoutMs` ClickHouse stops it with
 * TIMEOUT_EXCEEDED (answered as a 504) instead of letting one heavy slice hold the engine.
 *
 * Written into the SQL, not passed as `clickhouse_settings`: chDB applies those with SET, which
 * stays on its session for every later query, span inserts included. The number comes from the
 * validated config (storage.query_timeout_ms, an integer), never from a request.
 */
export function readLimitSql(timeoutMs: number | undefined): string {
  if (!timeoutMs) return ''
  const seconds = Math.max(1, Math.round(timeoutMs)) / 1000
  return `\nSETTINGS max_execution_time = ${seconds}, timeout_overflow_mode = 'throw'`
}
