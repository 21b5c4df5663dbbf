import { z } from 'zod'
import {
  CostSourceSchema,
  InstantSchema,
  type Span,
  type TraceListQuery,
  type TraceListResponse,
  type TraceSummary,
} from '@tracegate/schemas'
import { OUTCOME_SQL, RESULT_SQL } from './span-sql.ts'
import type { SpanRow } from './span-row.ts'
import type { Store } from './client.ts'
import { formatTimestamp, isoFromClickHouse } from '../spans/time.ts'
import { readLimitSql } from './read-limits.ts'
import { column, DATETIME_TEXT, queryRows, rowSchema } from './rows.ts'

/** Filters of the trace list: query key → column. Only these names ever reach SQL text. */
const FILTER_COLUMNS = {
  provider: 'Provider',
  team: 'Team',
  workflow: 'Workflow',
  key_name: 'KeyName',
  user: 'User',
  session_id: 'SessionId',
  error_type: 'ErrorType',
} as const

/** Free-text search: an exact trace id, else a piece of a model name or of the error message. */
function searchSql(q: string, params: Record<string, unknown>): string {
  params.q = q
  if (/^[0-9a-f]{32}$/.test(q)) return 'TraceId = {q:String}'
  return (
    '(positionCaseInsensitive(RequestModel, {q:String}) > 0 OR positionCaseInsensitive(ResponseModel, {q:String}) > 0' +
    ' OR positionCaseInsensitive(StatusMessage, {q:String}) > 0 OR ErrorType = {q:String})'
  )
}

/** The filters that are not a plain column match. */
function extraFilters(q: TraceListQuery, where: string[], params: Record<string, unknown>): void {
  if (q.status === 'cancelled') where.push("ErrorType = 'cancelled'")
  else if (q.status) {
    where.push('StatusCode = {status:String}')
    params.status = q.status === 'ok' ? 'Ok' : 'Error'
  }
  if (q.outcome) {
    where.push(`${OUTCOME_SQL} = {outcome:String}`)
    params.outcome = q.outcome
  }
  if (q.result) {
    where.push(`${RESULT_SQL} = {result:String}`)
    params.result = q.result
  }
  if (q.model) {
    // Dashboards name the model the provider answered with (dated); callers name what they asked for.
    where.push('(RequestModel = {model:String} OR ResponseModel = {model:String})')
    params.model = q.model
  }
  if (q.tag) {
    where.push('has(Tags, {tag:String})')
    params.tag = q.tag
  }
  if (q.meta) {
    const eq = q.meta.indexOf('=')
    where.push('SpanAttributes[{meta_key:String}] = {meta_value:String}')
    params.meta_key = `tracegate.meta.${q.meta.slice(0, eq)}`
    params.meta_value = q.meta.slice(eq + 1)
  }
  if (q.min_cost_usd !== undefined) {
    where.push('CostUsd >= {min_cost:Float64}')
    params.min_cost = q.min_cost_usd
  }
  if (q.min_duration_ms !== undefined) {
    // Duration is in nanoseconds.
    where.push('Duration >= {min_duration_ns:UInt64}')
    params.min_duration_ns = Math.round(q.min_duration_ms * 1e6)
  }
  if (q.q) where.push(searchSql(q.q, params))
}

const DAY_MS = 86_400_000

/**
 * The columns of `spans` the explorer reads, as JSONEachRow writes them; the SELECT lists are these
 * names. SpanKind and StatusCode stay text: a kind or status this gateway never writes (an OTel
 * collector's `Internal` span in the same table) is shown, not refused.
 */
const DetailColumns = z.object({
  TraceId: column.string,
  SpanId: column.string,
  ParentSpanId: column.string,
  SpanName: column.string,
  SpanKind: column.string,
  Timestamp: column.dateTime,
  Duration: column.int,
  StatusCode: column.string,
  StatusMessage: column.string,
  Provider: column.string,
  RequestModel: column.string,
  ResponseModel: column.string,
  Operation: column.string,
  Stream: column.bool,
  InputTokens: column.int.nullable(),
  OutputTokens: column.int.nullable(),
  TokensEstimated: column.bool,
  CacheReadTokens: column.int.nullable(),
  CacheWriteTokens: column.int.nullable(),
  ReasoningTokens: column.int.nullable(),
  CostUsd: column.float.nullable(),
  CostSource: column.string,
  ProviderCostUsd: column.float.nullable(),
  TtftMs: column.float.nullable(),
  HttpStatus: column.int,
  ErrorType: column.string,
  Attempt: column.int,
  Workflow: column.string,
  Team: column.string,
  KeyName: column.string,
  User: column.string,
  SessionId: column.string,
  Tags: z.array(column.string),
  SpanAttributes: column.map,
  'Events.Timestamp': z.array(column.dateTime),
  'Events.Name': z.array(column.string),
  'Events.Attributes': z.array(column.map),
  RequestBody: column.string,
  ResponseBody: column.string,
  BodyTruncated: column.bool,
} satisfies Partial<Record<keyof SpanRow, z.ZodType>>)

/** What the trace list shows of a request span; a freshly built SpanRow (the live tail) has it too. */
const SummaryColumns = DetailColumns.pick({
  TraceId: true,
  SpanId: true,
  SpanName: true,
  Timestamp: true,
  Duration: true,
  StatusCode: true,
  Provider: true,
  RequestModel: true,
  ResponseModel: true,
  Operation: true,
  Stream: true,
  InputTokens: true,
  OutputTokens: true,
  CostUsd: true,
  CostSource: true,
  HttpStatus: true,
  ErrorType: true,
  Workflow: true,
  Team: true,
  KeyName: true,
  User: true,
  Attempt: true,
})
type SummaryRow = z.output<typeof SummaryColumns>
type DetailRow = z.output<typeof DetailColumns>
const SUMMARY_ROWS = rowSchema('trace list', SummaryColumns)
const DETAIL_ROWS = rowSchema('trace detail', DetailColumns)
const selectList = (columns: z.ZodObject) => Object.keys(columns.shape).join(', ')

const status = (r: { ErrorType: string; StatusCode: string }) =>
  r.ErrorType === 'cancelled' ? 'cancelled' : r.StatusCode === 'Error' ? 'error' : 'ok'
const costSource = (v: string): Span['cost_source'] => CostSourceSchema.safeParse(v).data ?? 'no_usage'

function encodeCursor(ts: string, spanId: string): string {
  return Buffer.from(`${ts}|${spanId}`).toString('base64url')
}

/** Where a page of the trace list continues: the last row of the page before. */
export interface TraceCursor {
  ts: string
  spanId: string
}

const SPAN_ID = /^[0-9a-f]{16}$/

/**
 * The API layer decodes (and refuses) cursors before any query runs; null when it is not one of
 * ours. The time must be a real instant the API accepts: ClickHouse reads `2026-99-99` as some
 * other day and refuses year 9999 only once the query runs.
 */
export function decodeCursor(cursor: string): TraceCursor | null {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|')
  const [ts, spanId] = parts
  if (parts.length !== 2 || !ts || !spanId || !DATETIME_TEXT.test(ts) || !SPAN_ID.test(spanId)) return null
  if (!InstantSchema.safeParse(`${ts.replace(' ', 'T')}Z`).success) return null
  return { ts, spanId }
}

export async function listTraces(
  store: Store,
  q: TraceListQuery,
  after: TraceCursor | null = null,
  timeoutMs?: number,
): Promise<TraceListResponse> {
  const db = store.database
  const to = q.to ?? new Date(Date.now() + 60_000)
  const from = q.from ?? new Date(to.getTime() - 7 * DAY_MS)
  const where = ["SpanKind = 'Server'", 'Timestamp >= {from:DateTime64(9)}', 'Timestamp < {to:DateTime64(9)}']
  const params: Record<string, unknown> = {
    from: formatTimestamp(from.getTime()),
    to: formatTimestamp(to.getTime()),
    limit: q.limit + 1,
  }
  for (const [key, column] of Object.entries(FILTER_COLUMNS)) {
    const value = q[key as keyof typeof FILTER_COLUMNS]
    if (value === undefined) continue
    where.push(`${column} = {${key}:String}`)
    params[key] = value
  }
  extraFilters(q, where, params)
  if (after) {
    where.push('(Timestamp, SpanId) < ({cursor_ts:DateTime64(9)}, {cursor_span:String})')
    params.cursor_ts = after.ts
    params.cursor_span = after.spanId
  }
  const rows = await queryRows(
    store.client,
    {
      query: `SELECT ${selectList(SummaryColumns)}
    FROM ${db}.spans WHERE ${where.join(' AND ')}
    ORDER BY Timestamp DESC, SpanId DESC LIMIT {limit:UInt32}${readLimitSql(timeoutMs)}`,
      query_params: params,
    },
    SUMMARY_ROWS,
  )
  const more = rows.length > q.limit
  const page = more ? rows.slice(0, q.limit) : rows
  const last = page.at(-1)
  return {
    traces: page.map(toSummary),
    next_cursor: more && last ? encodeCursor(last.Timestamp, last.SpanId) : null,
  }
}

/** A freshly built request row as the list shows it (the live tail). */
export const summaryFromRow = (r: SpanRow): TraceSummary => toSummary(r)

function toSummary(r: SummaryRow): TraceSummary {
  return {
    trace_id: r.TraceId,
    span_id: r.SpanId,
    name: r.SpanName,
    start_time: isoFromClickHouse(r.Timestamp),
    duration_ms: r.Duration / 1e6,
    status: status(r),
    provider: r.Provider,
    request_model: r.RequestModel,
    response_model: r.ResponseModel,
    operation: r.Operation,
    stream: r.Stream,
    input_tokens: r.InputTokens,
    output_tokens: r.OutputTokens,
    cost_usd: r.CostUsd,
    cost_source: costSource(r.CostSource),
    http_status: r.HttpStatus,
    error_type: r.ErrorType,
    workflow: r.Workflow,
    team: r.Team,
    key_name: r.KeyName,
    user: r.User,
    attempts: r.Attempt,
  }
}

function toSpan(r: DetailRow): Span {
  return {
    trace_id: r.TraceId,
    span_id: r.SpanId,
    parent_span_id: r.ParentSpanId,
    name: r.SpanName,
    kind: r.SpanKind === 'Server' ? 'server' : 'client',
    start_time: isoFromClickHouse(r.Timestamp),
    duration_ms: r.Duration / 1e6,
    status: status(r),
    status_message: r.StatusMessage,
    provider: r.Provider,
    request_model: r.RequestModel,
    response_model: r.ResponseModel,
    operation: r.Operation,
    stream: r.Stream,
    input_tokens: r.InputTokens,
    output_tokens: r.OutputTokens,
    tokens_estimated: r.TokensEstimated,
    cache_read_tokens: r.CacheReadTokens,
    cache_write_tokens: r.CacheWriteTokens,
    reasoning_tokens: r.ReasoningTokens,
    cost_usd: r.CostUsd,
    cost_source: costSource(r.CostSource),
    provider_cost_usd: r.ProviderCostUsd,
    ttft_ms: r.TtftMs,
    http_status: r.HttpStatus,
    error_type: r.ErrorType,
    attempt: r.Attempt,
    workflow: r.Workflow,
    team: r.Team,
    key_name: r.KeyName,
    user: r.User,
    session_id: r.SessionId,
    tags: r.Tags,
    attributes: r.SpanAttributes,
    events: r['Events.Timestamp'].map((t, i) => ({
      time: isoFromClickHouse(t),
      name: r['Events.Name'][i] ?? '',
      attributes: r['Events.Attributes'][i] ?? {},
    })),
    request_body: r.RequestBody,
    response_body: r.ResponseBody,
    body_truncated: r.BodyTruncated,
  }
}

/**
 * All spans of one trace, with every column but links and the resource (about 10% less to
 * decompress); the lookup table narrows the time range so the scan touches few parts.
 */
export async function getTrace(store: Store, traceId: string, timeoutMs?: number): Promise<Span[]> {
  const db = store.database
  const rows = await queryRows(
    store.client,
    {
      query: `WITH (SELECT (min(Start), max(End)) FROM ${db}.spans_trace_id_ts WHERE TraceId = {id:String}) AS range
    SELECT ${selectList(DetailColumns)} FROM ${db}.spans
    WHERE TraceId = {id:String} AND Timestamp >= range.1 AND Timestamp <= range.2
    ORDER BY Timestamp, SpanKind DESC${readLimitSql(timeoutMs)}`,
      query_params: { id: traceId },
    },
    DETAIL_ROWS,
  )
  return rows.map(toSpan)
}
