/**
 * The ClickHouse errors the gateway tells apart, by their numeric codes (stable across versions;
 * test/clickhouse-errors.test.ts checks each against the engine's own errorCodeToName).
 */
export const CLICKHOUSE_ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [7, 'INCORRECT_NUMBER_OF_COLUMNS'],
  [16, 'NO_SUCH_COLUMN_IN_TABLE'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [33, 'CANNOT_READ_ALL_DATA'],
  [36, 'BAD_ARGUMENTS'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [43, 'ILLEGAL_TYPE_OF_ARGUMENT'],
  [44, 'ILLEGAL_COLUMN'],
  [50, 'UNKNOWN_TYPE'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [128, 'TOO_LARGE_ARRAY_SIZE'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [159, 'TIMEOUT_EXCEEDED'],
  [160, 'TOO_SLOW'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [407, 'DECIMAL_OVERFLOW'],
  [441, 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING'],
  [457, 'BAD_QUERY_PARAMETER'],
  [467, 'CANNOT_PARSE_BOOL'],
  [675, 'CANNOT_PARSE_IPV4'],
  [676, 'CANNOT_PARSE_IPV6'],
])

/**
 * The name of the ClickHouse error `err` carries, from its numeric code; '' for any other error.
 * Not the client's `type`: @clickhouse/client takes that from the first parenthesised capitals in
 * the message, which can be a word quoted from a row or a prompt, "(NASA)".
 */
export function clickHouseErrorName(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string' && typeof code !== 'number') return ''
  return CLICKHOUSE_ERROR_NAMES.get(Number(code)) ?? ''
}
