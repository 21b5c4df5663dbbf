import type { ClickHouseClient, QueryParams } from '@clickhouse/client'
import { z } from 'zod'

/**
 * Rows read from ClickHouse, checked and mapped by a zod schema declared per query: a renamed
 * column or a value of another type is an error naming the query, the row and the column, never a
 * field that silently reads as undefined, NaN or a string where a number was meant.
 */

/** A row whose shape is not the one its query declares. */
export class RowShapeError extends Error {
  constructor(
    /** The query's name, as its RowSchema gives it. */
    readonly query: string,
    /** 1-based, in the order ClickHouse returned the rows. */
    readonly row: number,
    /** The first column that did not match ('' when the row itself is not an object). */
    readonly column: string,
    message: string,
  ) {
    super(message)
    this.name = 'RowShapeError'
  }
}

/** One query's rows: its name (for errors) and the schema that checks one row and maps it to what callers use. */
export interface RowSchema<T> {
  readonly name: string
  readonly schema: z.ZodType<T>
}

export const rowSchema = <T>(name: string, schema: z.ZodType<T>): RowSchema<T> => ({ name, schema })

const INTEGER_TEXT = /^[+-]?\d+$/
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i
const NON_FINITE_TEXT = /^[+-]?(nan|inf)$/i
/** ClickHouse's DateTime / DateTime64 text, always UTC here: `YYYY-MM-DD hh:mm:ss[.nnnnnnnnn]`. */
export const DATETIME_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})?$/

/** A number ClickHouse may have quoted (UInt64/Int64 with output_format_json_quote_64bit_integers, Decimals). */
const numberFromText = (pattern: RegExp) => (v: unknown) => (typeof v === 'string' && pattern.test(v) ? Number(v) : v)

/**
 * Column types as JSONEachRow writes them. 64-bit integers and Decimals may come quoted, depending
 * on settings; both forms map to a number (exact up to 2^53, which counts, tokens and nanosecond
 * durations stay within). Nullable columns are `.nullable()`: null is accepted, a missing column never.
 */
export const column = {
  string: z.string(),
  bool: z.boolean(),
  /** Any integer type, UInt8 to Int64. */
  int: z.preprocess(numberFromText(INTEGER_TEXT), z.number().int()),
  /** Float32/64 and Decimal. */
  float: z.preprocess(numberFromText(NUMBER_TEXT), z.number()),
  /** A Float64 aggregate that is NaN over no rows (a percentile of nothing, 0/0): null, not 0. */
  metric: z.preprocess(
    (v) => (typeof v === 'string' && NON_FINITE_TEXT.test(v) ? null : numberFromText(NUMBER_TEXT)(v)),
    z.number().nullable(),
  ),
  /** DateTime / DateTime64 in UTC, kept as ClickHouse's text (cursors compare it as is). */
  dateTime: z.string().regex(DATETIME_TEXT, 'expected a ClickHouse DateTime (YYYY-MM-DD hh:mm:ss[.nnnnnnnnn])'),
  map: z.record(z.string(), z.string()),
}

const acceptsNumber = (field: unknown): boolean =>
  field instanceof z.ZodNumber || (field instanceof z.ZodNullable && field.unwrap() instanceof z.ZodNumber)

/**
 * The row of a query whose columns are aliased to the field names of an API shape (schemas/): the
 * API's own schema checks it, each of its number fields also taking ClickHouse's quoted form.
 */
export function apiRow<S extends z.ZodObject>(api: S): z.ZodType<z.output<S>> {
  const numeric = Object.entries(api.shape)
    .filter(([, field]) => acceptsNumber(field))
    .map(([name]) => name)
  const toNumber = numberFromText(NUMBER_TEXT)
  return z.preprocess((row) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return row
    const out: Record<string, unknown> = { ...row }
    for (const name of numeric) out[name] = toNumber(out[name])
    return out
  }, api)
}

const pathText = (path: readonly PropertyKey[]) =>
  path.map((p, i) => (i === 0 ? String(p) : typeof p === 'number' ? `[${p}]` : `[${JSON.stringify(p)}]`)).join('')

function shapeError(rows: RowSchema<unknown>, index: number, raw: unknown, issues: z.ZodError['issues']) {
  const first = issues[0]!
  const column = first.path.length ? String(first.path[0]) : ''
  const missing = first.path.length === 1 && typeof raw === 'object' && raw !== null && !Object.hasOwn(raw, column)
  const where = `${rows.name}, row ${index + 1}${column ? `, column ${pathText(first.path)}` : ''}`
  const what = missing ? 'missing from the result' : first.message.replace(/^Invalid input: /, '')
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''
  return new RowShapeError(rows.name, index + 1, column, `${where}: ${what}${more}`)
}

/** Check and map rows already read; the first that does not match is a RowShapeError. */
export function mapRows<T>(raw: readonly unknown[], rows: RowSchema<T>): T[] {
  return raw.map((r, i) => {
    const parsed = rows.schema.safeParse(r)
    if (!parsed.success) throw shapeError(rows, i, r, parsed.error.issues)
    return parsed.data
  })
}

/** Run a query as JSONEachRow and return its rows checked and mapped by `rows`. */
export async function queryRows<T>(
  client: ClickHouseClient,
  params: Omit<QueryParams, 'format'>,
  rows: RowSchema<T>,
): Promise<T[]> {
  const rs = await client.query({ ...params, format: 'JSONEachRow' })
  return mapRows(await rs.json<unknown>(), rows)
}
