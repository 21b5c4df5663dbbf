/**
 * One row of the `spans` table. Column names follow the OpenTelemetry Collector ClickHouse
 * exporter's `otel_traces` so Grafana's trace view reads the table as is; the typed LLM
 * columns after them exist for fast slicing without digging into the attribute map.
 */
export interface SpanRow {
  Timestamp: string // 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' UTC
  TraceId: string
  SpanId: string
  ParentSpanId: string
  TraceState: string
  SpanName: string
  SpanKind: 'Server' | 'Client'
  ServiceName: string
  ResourceAttributes: Record<string, string>
  ScopeName: string
  ScopeVersion: string
  SpanAttributes: Record<string, string>
  Duration: number // nanoseconds
  StatusCode: 'Ok' | 'Error' | 'Unset'
  StatusMessage: string
  'Events.Timestamp': string[]
  'Events.Name': string[]
  'Events.Attributes': Record<string, string>[]
  Provider: string
  RequestModel: string
  ResponseModel: string
  Operation: string
  Route: string
  Stream: boolean
  InputTokens: number | null
  OutputTokens: number | null
  CacheReadTokens: number | null
  CacheWriteTokens: number | null
  ReasoningTokens: number | null
  TokensEstimated: boolean
  CostUsd: number | null
  CostSource: string
  /** The cost the provider itself reported, when it does (xAI, OpenRouter): compared with ours. */
  ProviderCostUsd: number | null
  TtftMs: number | null
  HttpStatus: number
  ErrorType: string
  Attempt: number
  Workflow: string
  Team: string
  KeyName: string
  User: string
  SessionId: string
  Tags: string[]
  RequestBody: string
  ResponseBody: string
  BodyTruncated: boolean
}

/** Column order for compact inserts (no key names per row: ~30% less for ClickHouse to parse). */
export const SPAN_COLUMNS = [
  'Timestamp',
  'TraceId',
  'SpanId',
  'ParentSpanId',
  'TraceState',
  'SpanName',
  'SpanKind',
  'ServiceName',
  'ResourceAttributes',
  'ScopeName',
  'ScopeVersion',
  'SpanAttributes',
  'Duration',
  'StatusCode',
  'StatusMessage',
  'Events.Timestamp',
  'Events.Name',
  'Events.Attributes',
  'Provider',
  'RequestModel',
  'ResponseModel',
  'Operation',
  'Route',
  'Stream',
  'InputTokens',
  'OutputTokens',
  'CacheReadTokens',
  'CacheWriteTokens',
  'ReasoningTokens',
  'TokensEstimated',
  'CostUsd',
  'CostSource',
  'ProviderCostUsd',
  'TtftMs',
  'HttpStatus',
  'ErrorType',
  'Attempt',
  'Workflow',
  'Team',
  'KeyName',
  'User',
  'SessionId',
  'Tags',
  'RequestBody',
  'ResponseBody',
  'BodyTruncated',
] as const satisfies ReadonlyArray<keyof SpanRow>

// Fails to compile if a SpanRow field is missing from SPAN_COLUMNS.
const allColumnsListed: Exclude<keyof SpanRow, (typeof SPAN_COLUMNS)[number]> extends never ? true : never = true
void allColumnsListed

/** The columns of spool rows written before ProviderCostUsd existed, replayed after an upgrade. */
const SPAN_COLUMNS_BEFORE_PROVIDER_COST: readonly string[] = SPAN_COLUMNS.filter((c) => c !== 'ProviderCostUsd')

/** The column list for rows of this many values: spool segments may predate the last column added. */
export function spanColumnsFor(width: number): readonly string[] {
  return width === SPAN_COLUMNS_BEFORE_PROVIDER_COST.length ? SPAN_COLUMNS_BEFORE_PROVIDER_COST : SPAN_COLUMNS
}

/**
 * A row's values in SPAN_COLUMNS order, in two halves around KeyName (see spanRowLine). Spelled out
 * rather than mapped over the column names: every span is encoded on the event loop, and the keyed
 * lookups made encoding ~30% slower (3.7 against 2.4 µs per row with JSON.stringify).
 * span-row.test.ts holds the order to SPAN_COLUMNS.
 */
const valuesBeforeKeyName = (r: SpanRow): unknown[] => [
  r.Timestamp,
  r.TraceId,
  r.SpanId,
  r.ParentSpanId,
  r.TraceState,
  r.SpanName,
  r.SpanKind,
  r.ServiceName,
  r.ResourceAttributes,
  r.ScopeName,
  r.ScopeVersion,
  r.SpanAttributes,
  r.Duration,
  r.StatusCode,
  r.StatusMessage,
  r['Events.Timestamp'],
  r['Events.Name'],
  r['Events.Attributes'],
  r.Provider,
  r.RequestModel,
  r.ResponseModel,
  r.Operation,
  r.Route,
  r.Stream,
  r.InputTokens,
  r.OutputTokens,
  r.CacheReadTokens,
  r.CacheWriteTokens,
  r.ReasoningTokens,
  r.TokensEstimated,
  r.CostUsd,
  r.CostSource,
  r.ProviderCostUsd,
  r.TtftMs,
  r.HttpStatus,
  r.ErrorType,
  r.Attempt,
  r.Workflow,
  r.Team,
]

/** The values after KeyName, pushed onto `values`. */
function pushValuesAfterKeyName(values: unknown[], r: SpanRow): unknown[] {
  values.push(r.User, r.SessionId, r.Tags, r.RequestBody, r.ResponseBody, r.BodyTruncated)
  return values
}

/** A row's values in SPAN_COLUMNS order (fixtures and tests; the writer encodes rows with spanRowLine). */
export function spanRowValues(r: SpanRow): unknown[] {
  const values = valuesBeforeKeyName(r)
  values.push(r.KeyName)
  return pushValuesAfterKeyName(values, r)
}

let lastKeyName = ''
/** The last key name's JSON literal in ASCII, or null when JSON.stringify writes it in ASCII already. */
let lastKeyJson: string | null = null

/**
 * A key name as a JSON literal in ASCII only: every other character as a `\uXXXX` escape, which
 * ClickHouse decodes; null when it has none. Built a character at a time: String.replace on a
 * two-byte string returns a two-byte string, however few characters it kept. The last one is kept,
 * as a batch's rows mostly share their key.
 */
function escapedKeyName(name: string): string | null {
  if (name === lastKeyName) return lastKeyJson
  // (A name that is not a string, which the types rule out, is written as JSON.stringify would: null.)
  const json = (JSON.stringify(name) as string | undefined) ?? 'null'
  let ascii = ''
  let escaped = false
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i)
    escaped ||= code >= 0x80
    ascii += code < 0x80 ? json[i] : `\\u${code.toString(16).padStart(4, '0')}`
  }
  lastKeyName = name
  lastKeyJson = escaped ? ascii : null
  return lastKeyJson
}

/**
 * One row as a JSONCompactEachRow line: how the spool keeps it and ClickHouse takes it. A key name
 * beyond ASCII is written escaped: a bring-your-own key's name (`sha256:<12 hex>…<last 4>`, the
 * default mode) holds U+2026, and that one character makes V8 hold the whole line, and the batch
 * joined from it, at two bytes per character, through the join, the UTF-8 encoding and the garbage
 * collector. The value ClickHouse stores is the same. The line is then encoded in two halves around
 * the key, which costs ~0.6 µs more than one JSON.stringify, so an ASCII key name takes the one.
 */
export function spanRowLine(row: SpanRow): string {
  const key = escapedKeyName(row.KeyName)
  if (key === null) return JSON.stringify(spanRowValues(row))
  const before = JSON.stringify(valuesBeforeKeyName(row))
  const after = JSON.stringify(pushValuesAfterKeyName([], row))
  return `${before.slice(0, -1)},${key},${after.slice(1)}`
}
