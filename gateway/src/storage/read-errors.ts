import { clickHouseErrorName } from './clickhouse-errors.ts'
import { RowShapeError } from './rows.ts'

/**
 * Why a span store read failed, in the terms the explorer API answers with. `shape`: the store
 * answered, but with rows this gateway cannot read (a column renamed or of another type).
 */
export type ReadFailure = 'input' | 'timeout' | 'unavailable' | 'shape'

/**
 * ClickHouse error types a bound parameter's value can cause: the request is wrong, not the store.
 * A syntax or unknown-identifier error is not here: the SQL text never holds input, so those are ours.
 */
const INPUT_ERRORS = new Set([
  'BAD_QUERY_PARAMETER',
  'BAD_ARGUMENTS',
  'TYPE_MISMATCH',
  'ILLEGAL_TYPE_OF_ARGUMENT',
  'ARGUMENT_OUT_OF_BOUND',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'DECIMAL_OVERFLOW',
  'CANNOT_CONVERT_TYPE',
])
/** max_execution_time reached, or ClickHouse's estimate says it would be. */
const TIMEOUT_ERRORS = new Set(['TIMEOUT_EXCEEDED', 'TOO_SLOW'])
/** What @clickhouse/client throws when its own request_timeout ends a request to a server. */
const CLIENT_TIMEOUT_MESSAGE = 'Timeout error.'

/**
 * Classify a failed read by ClickHouse's error code (the same on chDB and on a server); anything
 * unrecognised is an outage.
 */
export function classifyReadError(err: unknown): ReadFailure {
  if (err instanceof RowShapeError) return 'shape'
  const name = clickHouseErrorName(err)
  if (TIMEOUT_ERRORS.has(name)) return 'timeout'
  if (INPUT_ERRORS.has(name) || name.startsWith('CANNOT_PARSE_')) return 'input'
  if ((err as { message?: unknown } | null)?.message === CLIENT_TIMEOUT_MESSAGE) return 'timeout'
  return 'unavailable'
}
