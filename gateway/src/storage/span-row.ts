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

/** Columns as an INSERT statement lists them; the names are ours (SPAN_COLUMNS), never input. */
export const sqlColumnList = (columns: readonly string[]) => columns.map((c) => `\`${c}\``).join(', ')

/**
 * A row's values in SPAN_COLUMNS order. Spelled out rather than mapped over the column names: every
 * span is encoded on the event loop, and the keyed lookups made encoding ~30% slower (3.7 against
 * 2.4 µs per row with JSON.stringify). span-row.test.ts holds the order to SPAN_COLUMNS.
 */
export function spanRowValues(r: SpanRow): unknown[] {
  return [
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
    r.KeyName,
    r.User,
    r.SessionId,
    r.Tags,
    r.RequestBody,
    r.ResponseBody,
    r.BodyTruncated,
  ]
}

const KEY_NAME = SPAN_COLUMNS.indexOf('KeyName')

const NON_ASCII = /[\u0080-\uffff]/
/** Escaped key names by name; a full map starts over (names repeat: one per key or bring-your-own key). */
const escapedNames = new Map<string, string>()
const MAX_ESCAPED_NAMES = 1_000

/**
 * A key name beyond ASCII as a JSON literal in ASCII only, every other character a `\uXXXX` escape
 * (ClickHouse decodes them); null for an ASCII name, which JSON.stringify writes in ASCII already.
 */
function escapedKeyName(name: string): string | null {
  if (!NON_ASCII.test(name)) return null
  let json = escapedNames.get(name)
  if (json === undefined) {
    json = asciiJson(name)
    if (escapedNames.size >= MAX_ESCAPED_NAMES) escapedNames.clear()
    escapedNames.set(name, json)
  }
  return json
}

/**
 * Built a character at a time: String.replace on a two-byte string returns a two-byte string,
 * however few characters it kept.
 */
function asciiJson(s: string): string {
  const json = JSON.stringify(s)
  let ascii = ''
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i)
    ascii += code < 0x80 ? json[i] : `\\u${code.toString(16).padStart(4, '0')}`
  }
  return ascii
}

/**
 * One row as a JSONCompactEachRow line: how the spool keeps it and ClickHouse takes it. A key name
 * beyond ASCII is written escaped: a bring-your-own key's name (`sha256:<12 hex>…<last 4>`, the
 * default mode) holds U+2026, and that one character makes V8 hold the whole line, and the batch
 * joined from it, at two bytes per character, through the join, the UTF-8 encoding and the garbage
 * collector. The value ClickHouse stores is the same. Only then are the values stringified in two
 * halves around the key; an ASCII key name keeps the one JSON.stringify.
 */
export function spanRowLine(row: SpanRow): string {
  const values = spanRowValues(row)
  const key = escapedKeyName(row.KeyName)
  if (key === null) return JSON.stringify(values)
  const before = JSON.stringify(values.slice(0, KEY_NAME))
  const after = JSON.stringify(values.slice(KEY_NAME + 1))
  return `${before.slice(0, -1)},${key},${after.slice(1)}`
}
