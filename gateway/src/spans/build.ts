import type { SpanRow } from '../storage/span-row.ts'
import { emptyFacts, type ResponseFacts } from '../wires/facts.ts'
import type { Usage } from '../wires/usage-keys.ts'
import { priceAttempt, type AttemptCost } from './attempt-cost.ts'
import type { Pricer } from './pricing.ts'
import type { AttemptObservation, RequestObservation } from './observation.ts'
import { formatTimestamp } from './time.ts'
import { maskSecrets } from '../secrets.ts'
import { outputAttributes } from './output-summary.ts'

export interface BuildOptions {
  serviceName: string
  captureBodies: boolean
  maxBodyBytes: number
  pricer: Pricer
  resource: Record<string, string>
}

/** Cut text to at most `max` bytes (UTF-8), reporting whether anything was dropped. */
function cap(text: string, max: number): [string, boolean] {
  if (Buffer.byteLength(text) <= max) return [text, false]
  return [
    Buffer.from(text)
      .subarray(0, max)
      .toString('utf8')
      .replace(/\uFFFD+$/, ''),
    true,
  ]
}

/** A request the client abandoned is neither a success nor the provider's failure: OTel's Unset. */
const statusCode = (errorType: string): SpanRow['StatusCode'] =>
  errorType === 'cancelled' ? 'Unset' : errorType ? 'Error' : 'Ok'

const opName = (op: string) => (op === 'responses' ? 'chat' : op)
const sumOrNull = (xs: Array<number | null>) =>
  xs.some((x) => x !== null) ? xs.reduce<number>((a, x) => a + (x ?? 0), 0) : null
const setIf = (attrs: Record<string, string>, key: string, v: number | string | null | undefined) => {
  if (v !== null && v !== undefined && v !== '') attrs[key] = String(v)
}

/** The columns that differ between the request span and its attempt spans. */
type SpanPart = Omit<
  SpanRow,
  | 'TraceId'
  | 'TraceState'
  | 'ServiceName'
  | 'ResourceAttributes'
  | 'ScopeName'
  | 'ScopeVersion'
  | 'Events.Timestamp'
  | 'Events.Name'
  | 'Events.Attributes'
  | 'Operation'
  | 'Route'
  | 'Stream'
  | 'TokensEstimated'
  | 'Workflow'
  | 'Team'
  | 'KeyName'
  | 'User'
  | 'SessionId'
  | 'Tags'
>

/**
 * The shared columns are added onto the part in place: spreading a large object into a literal
 * and then adding more keys is ~30x slower in V8, and this runs for every span.
 */
function completeRow(part: SpanPart, o: RequestObservation, opts: BuildOptions): SpanRow {
  return Object.assign(part, {
    TraceId: o.traceId,
    TraceState: o.traceState,
    ServiceName: opts.serviceName,
    ResourceAttributes: opts.resource,
    ScopeName: 'tracegate',
    ScopeVersion: '0.1.0',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    Operation: o.wire.operation,
    Route: o.route,
    Stream: o.stream,
    TokensEstimated: false,
    Workflow: o.attribution.workflow,
    Team: o.attribution.team,
    KeyName: o.keyName,
    User: o.attribution.user,
    SessionId: o.attribution.sessionId,
    Tags: o.attribution.tags,
  })
}

interface AttemptResult {
  row: SpanRow
  facts: ResponseFacts
  cost: AttemptCost
  estimated: boolean
}

/** The typed token columns, from the billed usage. */
const columns = (u: Usage | null) => ({
  InputTokens: u?.input_tokens ?? null,
  OutputTokens: u?.output_tokens ?? null,
  CacheReadTokens: u?.cache_read_tokens ?? null,
  CacheWriteTokens: u?.cache_write_tokens ?? null,
  ReasoningTokens: u?.output_reasoning_tokens ?? null,
})

/** Dollars as text to a trillionth, without the float noise of a learnt rate. */
const usd = (v: number) => String(Number(v.toFixed(12)))

/** What the usage holds beyond the typed columns, and the cost's parts, as span attributes. */
function usageAttributes(attrs: Record<string, string>, facts: ResponseFacts, cost: AttemptCost): void {
  const u = facts.usage
  setIf(attrs, 'tracegate.usage.cache_write_5m_tokens', u?.cache_write_5m_tokens)
  setIf(attrs, 'tracegate.usage.cache_write_1h_tokens', u?.cache_write_1h_tokens)
  setIf(attrs, 'tracegate.usage.web_searches', u?.web_searches)
  setIf(attrs, 'tracegate.usage.web_fetches', facts.webFetches)
  if (facts.iterations) attrs['tracegate.usage.iterations'] = String(facts.iterations.length)
  if (cost.webSearchUsd) attrs['tracegate.cost.web_search_usd'] = usd(cost.webSearchUsd)
  if (cost.webFetchUsd) attrs['tracegate.cost.web_fetch_usd'] = usd(cost.webFetchUsd)
  if (facts.providerCostUsd !== null) attrs['tracegate.cost.provider_usd'] = usd(facts.providerCostUsd)
}

function attemptRow(o: RequestObservation, a: AttemptObservation, opts: BuildOptions): AttemptResult {
  const captured = a.response ? a.response.text() : ''
  const facts = a.response
    ? o.wire.readResponse(captured, {
        stream: o.stream && a.httpStatus < 400,
        quirks: a.adapter.usageQuirks,
      })
    : emptyFacts()
  // A stream cut short has no usage event: estimate its output from the text seen, and say so.
  const estimated =
    facts.usage?.output_tokens === undefined &&
    Boolean(facts.outputText) &&
    (a.errorType === 'stream_interrupted' || a.errorType === 'cancelled')
  // The provider bills the whole prompt all the same: without its count, about 4 bytes of body a token.
  if (estimated)
    facts.usage = {
      input_tokens: Math.ceil((o.requestBody?.length ?? 0) / 4),
      ...facts.usage,
      output_tokens: Math.ceil(facts.outputText!.length / 4),
    }
  const cost = priceAttempt(o, a, facts, opts.pricer)
  const tokens = columns(facts.usage)
  const attrs: Record<string, string> = {
    'gen_ai.operation.name': opName(o.wire.operation),
    'gen_ai.provider.name': a.adapter.semconvName,
    'gen_ai.request.model': a.model,
    'server.address': a.adapter.native.host,
    'server.port': String(a.adapter.native.port),
    'url.path': maskSecrets(a.path),
    'http.request.method': o.method,
    'http.response.status_code': String(a.httpStatus),
    'tracegate.provider': a.adapter.name,
    'tracegate.cost.source': cost.source,
  }
  for (const [k, v] of Object.entries(o.requestParams)) attrs[`gen_ai.request.${k}`] = String(v)
  setIf(attrs, 'gen_ai.response.model', facts.responseModel)
  setIf(attrs, 'gen_ai.response.id', facts.responseId)
  if (facts.finishReasons.length) attrs['gen_ai.response.finish_reasons'] = JSON.stringify(facts.finishReasons)
  setIf(attrs, 'gen_ai.usage.input_tokens', tokens.InputTokens)
  setIf(attrs, 'gen_ai.usage.output_tokens', tokens.OutputTokens)
  setIf(attrs, 'gen_ai.usage.cache_read.input_tokens', tokens.CacheReadTokens)
  setIf(attrs, 'gen_ai.usage.cache_creation.input_tokens', tokens.CacheWriteTokens)
  setIf(attrs, 'gen_ai.usage.reasoning.output_tokens', tokens.ReasoningTokens)
  usageAttributes(attrs, facts, cost)
  setIf(attrs, 'error.type', a.errorType)
  attrs['tracegate.target_index'] = String(a.targetIndex)
  attrs['http.request.resend_count'] = String(a.resendCount)
  attrs['tracegate.is_fallback'] = String(a.isFallback)
  if (a.retryReason) attrs['tracegate.retry_reason'] = a.retryReason
  if (a.backoffMs) attrs['tracegate.backoff_ms'] = String(a.backoffMs)
  if (a.injectedFault) attrs['tracegate.injected_fault'] = a.injectedFault
  if (a.ttfbMs !== null) attrs['tracegate.ttfb_ms'] = a.ttfbMs.toFixed(3)
  if (facts.rawUsage !== undefined) attrs['tracegate.usage.raw'] = JSON.stringify(facts.rawUsage)
  if (a.response?.gap) attrs['tracegate.response.capture_gap'] = 'true'
  if (o.shadow && a.httpStatus > 0 && a.httpStatus < 400) outputAttributes(attrs, o, captured, o.shadow.asksJson)

  let responseBody = ''
  let truncated = false
  if (opts.captureBodies) {
    const text = facts.outputText !== null ? facts.outputText : captured
    ;[responseBody, truncated] = cap(text, opts.maxBodyBytes)
    truncated ||= Boolean(a.response?.gap)
  }
  const row = completeRow(
    {
      Timestamp: formatTimestamp(a.startMs + o.clockOffsetMs),
      SpanId: a.spanId,
      ParentSpanId: o.spanId,
      SpanName: `${opName(o.wire.operation)} ${a.model}`,
      SpanKind: 'Client',
      SpanAttributes: attrs,
      Duration: Math.max(0, Math.round((a.endMs - a.startMs) * 1e6)),
      StatusCode: statusCode(a.errorType),
      StatusMessage: a.errorMessage,
      Provider: a.adapter.name,
      RequestModel: a.model,
      ResponseModel: facts.responseModel,
      ...tokens,
      CostUsd: cost.usd,
      CostSource: cost.source,
      ProviderCostUsd: facts.providerCostUsd,
      TtftMs: a.ttftMs,
      HttpStatus: a.httpStatus,
      ErrorType: a.errorType,
      Attempt: a.index,
      RequestBody: '',
      ResponseBody: responseBody,
      BodyTruncated: truncated,
    },
    o,
    opts,
  )
  row.TokensEstimated = estimated
  return { row, facts, cost, estimated }
}

/** The request's cost source: a flaw in any attempt's cost shows on the request. */
function requestCostSource(rows: SpanRow[]): string {
  for (const flaw of ['unpriced', 'usage_unreadable']) if (rows.some((r) => r.CostSource === flaw)) return flaw
  return rows.at(-1)?.CostSource ?? 'no_usage'
}

/** One SERVER row for the request and one CLIENT row per upstream attempt. */
export function buildRows(o: RequestObservation, opts: BuildOptions): SpanRow[] {
  const attempts = o.attempts.map((a) => attemptRow(o, a, opts))
  const last = attempts.at(-1)
  const lastObs = o.attempts.at(-1)
  const attrs: Record<string, string> = {
    'http.route': o.route,
    'http.request.method': o.method,
    'http.response.status_code': String(o.httpStatus),
    'gen_ai.operation.name': opName(o.wire.operation),
    'gen_ai.request.model': o.requestedModel,
    'tracegate.attempts': String(o.attempts.length),
    // Answered (or last tried) by another target than the first one tried.
    'tracegate.fell_back': String(lastObs?.isFallback ?? false),
  }
  setIf(attrs, 'tracegate.alias', o.alias)
  if (o.shadow) attrs['tracegate.shadow.sampled'] = 'true'
  setIf(attrs, 'error.type', o.errorType)
  setIf(attrs, 'gen_ai.provider.name', lastObs?.adapter.semconvName)
  setIf(attrs, 'gen_ai.response.model', last?.facts.responseModel)
  for (const [k, v] of Object.entries(o.attribution.meta)) attrs[`tracegate.meta.${k}`] = v
  for (const [k, v] of Object.entries(o.requestParams)) attrs[`gen_ai.request.${k}`] = String(v)
  const rows = attempts.map((a) => a.row)
  const sum = (
    col:
      | 'InputTokens'
      | 'OutputTokens'
      | 'CacheReadTokens'
      | 'CacheWriteTokens'
      | 'ReasoningTokens'
      | 'CostUsd'
      | 'ProviderCostUsd',
  ) => sumOrNull(rows.map((r) => r[col]))
  let requestBody = ''
  let truncated = false
  if (opts.captureBodies && o.requestBody) {
    ;[requestBody, truncated] = cap(o.requestBody.toString('utf8'), opts.maxBodyBytes)
  }
  const row = completeRow(
    {
      Timestamp: formatTimestamp(o.startMs + o.clockOffsetMs),
      SpanId: o.spanId,
      ParentSpanId: o.parentSpanId,
      SpanName: `${o.method} ${o.route}`,
      SpanKind: 'Server',
      SpanAttributes: attrs,
      Duration: Math.max(0, Math.round((o.endMs - o.startMs) * 1e6)),
      StatusCode: statusCode(o.errorType),
      StatusMessage: o.errorMessage,
      Provider: lastObs?.adapter.name ?? '',
      RequestModel: o.requestedModel,
      ResponseModel: last?.facts.responseModel || lastObs?.model || '',
      InputTokens: sum('InputTokens'),
      OutputTokens: sum('OutputTokens'),
      CacheReadTokens: sum('CacheReadTokens'),
      CacheWriteTokens: sum('CacheWriteTokens'),
      ReasoningTokens: sum('ReasoningTokens'),
      CostUsd: sum('CostUsd'),
      CostSource: requestCostSource(rows),
      ProviderCostUsd: sum('ProviderCostUsd'),
      TtftMs: lastObs && lastObs.ttftMs !== null ? lastObs.startMs - o.startMs + lastObs.ttftMs : null,
      HttpStatus: o.httpStatus,
      ErrorType: o.errorType,
      Attempt: o.attempts.length,
      RequestBody: requestBody,
      ResponseBody: '',
      BodyTruncated: truncated,
    },
    o,
    opts,
  )
  row.TokensEstimated = attempts.some((a) => a.estimated)
  if (o.events.length) {
    row['Events.Timestamp'] = o.events.map((e) => formatTimestamp(e.timeMs + o.clockOffsetMs))
    row['Events.Name'] = o.events.map((e) => e.name)
    row['Events.Attributes'] = o.events.map((e) => e.attributes)
  }
  return [row, ...attempts.map((a) => a.row)]
}

/**
 * A shadow call's row: a CLIENT span under the request, marked `tracegate.shadow`, so rollups,
 * incidents and billed cost leave it out (storage/span-sql.ts SHADOW_SQL) while it keeps its own cost.
 */
export function buildShadowRow(o: RequestObservation, a: AttemptObservation, opts: BuildOptions): SpanRow {
  const { row } = attemptRow(o, a, opts)
  row.SpanAttributes['tracegate.shadow'] = 'true'
  row.SpanName += ' (shadow)'
  return row
}
