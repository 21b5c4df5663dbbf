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
