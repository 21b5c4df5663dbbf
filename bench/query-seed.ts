/**
 * The data `npm run bench:query` times its queries on: BENCH_SPANS synthetic spans (default 10
 * million) over 30 days with one provider incident, seeded through the gateway's own span writer
 * (spool, batched inserts, the rollup views), then left to merge as a long-running gateway's would.
 */
import type { SpanRow } from '../gateway/src/storage/span-row.ts'
import type { Gateway } from '../gateway/src/app.ts'
import { formatTimestamp } from '../gateway/src/spans/time.ts'

export const SPANS = Number(process.env.BENCH_SPANS ?? 10_000_000)
export const DAYS = 30
export const DAY = 86_400_000

/** A small world: who sends what, and what it costs per 1k tokens (in, out). */
const MODELS: Array<[provider: string, model: string, inPer1k: number, outPer1k: number]> = [
  ['openai', 'gpt-4o-2024-08-06', 0.0025, 0.01],
  ['openai', 'gpt-4o-mini-2024-07-18', 0.00015, 0.0006],
  ['openai', 'gpt-4.1-2025-04-14', 0.002, 0.008],
  ['anthropic', 'claude-sonnet-4-5-20250929', 0.003, 0.015],
  ['anthropic', 'claude-haiku-4-5-20251001', 0.001, 0.005],
  ['gemini', 'gemini-2.5-flash', 0.0003, 0.0025],
  ['groq', 'llama-3.3-70b-versatile', 0.00059, 0.00079],
  ['mistral', 'mistral-large-latest', 0.002, 0.006],
]
const TEAMS = Array.from({ length: 20 }, (_, i) => `team-${i}`)
const WORKFLOWS = Array.from({ length: 50 }, (_, i) => `workflow-${i}`)
const KEYS = Array.from({ length: 200 }, (_, i) => `key-${i}`)
const ERRORS: Array<[type: string, http: number]> = [
  ['429', 429],
  ['500', 500],
  ['503', 503],
  ['timeout', 504],
  ['reset', 502],
  ['stream_interrupted', 200],
  ['400', 400],
]

let seed = 42
/** Deterministic, so two runs seed the same data. */
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() ** 1.6 * xs.length)]! // skewed: a few values dominate
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

function row(base: Partial<SpanRow>): SpanRow {
  return {
    Timestamp: '',
    TraceId: '',
    SpanId: '',
    ParentSpanId: '',
    TraceState: '',
    SpanName: '',
    SpanKind: 'Server',
    ServiceName: 'tracegate',
    ResourceAttributes: {},
    ScopeName: 'tracegate',
    ScopeVersion: '0.1.0',
    SpanAttributes: {},
    Duration: 0,
    StatusCode: 'Ok',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    Provider: '',
    RequestModel: '',
    ResponseModel: '',
    Operation: 'chat',
    Route: '/v1/chat/completions',
    Stream: false,
    InputTokens: null,
    OutputTokens: null,
    CacheReadTokens: null,
    CacheWriteTokens: null,
    ReasoningTokens: null,
    TokensEstimated: false,
    CostUsd: null,
    CostSource: 'genai-prices',
    ProviderCostUsd: null,
    TtftMs: null,
    HttpStatus: 200,
    ErrorType: '',
    Attempt: 1,
    Workflow: '',
    Team: '',
    KeyName: '',
    User: '',
    SessionId: '',
    Tags: [],
    RequestBody: '',
    ResponseBody: '',
    BodyTruncated: false,
    ...base,
  }
}

/**
 * The seeded incident: for half an hour, six hours before the end, 40% of the first attempts to
 * gpt-4o fail with a 503 and fall back to Claude Sonnet, so the incidents page has one to find.
 */
export const INCIDENT = { startBeforeEnd: 6 * 3_600_000, ms: 30 * 60_000, model: 'gpt-4o-2024-08-06', share: 0.4 }
const FALLBACK = MODELS[3]!
let seedEnd = 0

/** One request: its SERVER span and one CLIENT span per attempt (about 6% retried once, some falling back). */
function request(i: number, ms: number): SpanRow[] {
  const rows = plain(i, ms)
  const since = seedEnd - INCIDENT.startBeforeEnd
  const hit = rows[0]!.ResponseModel === INCIDENT.model && ms >= since && ms < since + INCIDENT.ms
  return hit && rand() < INCIDENT.share ? fellBack(i, ms, rows) : rows
}

function plain(i: number, ms: number): SpanRow[] {
  const [provider, model, inRate, outRate] = pick(MODELS)
  const traceId = `${hex(0xbe7c4, 8)}${hex(i, 24)}`
  const failed = rand() < 0.03
  const [errorType, http] = failed ? ERRORS[Math.floor(rand() * ERRORS.length)]! : ['', 200]
  const retried = rand() < 0.06
  const stream = rand() < 0.5
  const input = 200 + Math.floor(rand() * 3000)
  const output = failed ? null : 20 + Math.floor(rand() * 800)
  const cost = output === null ? null : (input * inRate + output * outRate) / 1000
  const duration = Math.round((300 + rand() * 4000) * 1e6)
  const shared = {
    TraceId: traceId,
    Provider: provider,
    RequestModel: model.replace(/-\d{4}-?\d\d-?\d\d$|-\d{8}$/, ''),
    ResponseModel: model,
    Stream: stream,
    InputTokens: failed ? null : input,
    OutputTokens: output,
    CostUsd: cost,
    TtftMs: stream && !failed ? 150 + rand() * 900 : null,
    HttpStatus: http,
    ErrorType: errorType,
    StatusCode: (failed ? 'Error' : 'Ok') as SpanRow['StatusCode'],
    Workflow: pick(WORKFLOWS),
    Team: pick(TEAMS),
    KeyName: pick(KEYS),
    User: `user-${Math.floor(rand() * 5000)}`,
    SessionId: `s-${Math.floor(i / 7)}`,
    Tags: rand() < 0.3 ? ['beta'] : [],
  }
  const serverId = hex(i * 4, 16)
  const server = row({
    ...shared,
    Timestamp: formatTimestamp(ms),
    SpanId: serverId,
    SpanName: 'POST /v1/chat/completions',
    SpanKind: 'Server',
    Duration: duration,
    Attempt: retried ? 2 : 1,
    SpanAttributes: { 'tracegate.meta.tenant': `tenant-${Math.floor(rand() * 300)}`, 'tracegate.fell_back': 'false' },
  })
  const attempts = [
    row({
      ...shared,
      Timestamp: formatTimestamp(ms + 0.2),
      SpanId: hex(i * 4 + 1, 16),
      ParentSpanId: serverId,
      SpanName: `chat ${model}`,
      SpanKind: 'Client',
      Duration: duration - 2e5,
      Attempt: retried ? 2 : 1,
    }),
  ]
  if (retried)
    attempts.unshift(
      row({
        ...shared,
        Timestamp: formatTimestamp(ms + 0.1),
        SpanId: hex(i * 4 + 2, 16),
        ParentSpanId: serverId,
        SpanName: `chat ${model}`,
        SpanKind: 'Client',
        Duration: 1e7,
        Attempt: 1,
        StatusCode: 'Error',
        ErrorType: '503',
        HttpStatus: 503,
        InputTokens: null,
        OutputTokens: null,
        CostUsd: null,
      }),
    )
  return [server, ...attempts]
}

/** A request of the seeded incident: its gpt-4o attempt failed, Claude Sonnet answered. */
function fellBack(i: number, ms: number, [server, ...clients]: SpanRow[]): SpanRow[] {
  const [provider, model, inRate, outRate] = FALLBACK
  const base = clients.at(-1)!
  const failed = {
    ...base,
    Timestamp: formatTimestamp(ms + 0.1),
    SpanId: hex(i * 4 + 3, 16),
    TtftMs: null,
    Provider: 'openai',
    RequestModel: 'gpt-4o',
    ResponseModel: '',
    SpanName: 'chat gpt-4o',
    Duration: 2e8,
    StatusCode: 'Error' as const,
    ErrorType: '503',
    HttpStatus: 503,
    InputTokens: null,
    OutputTokens: null,
    CostUsd: null,
    Attempt: 1,
  }
  const output = server!.OutputTokens ?? 200
  const input = server!.InputTokens ?? 1000
  const answered = {
    Provider: provider,
    RequestModel: model.replace(/-\d{8}$/, ''),
    ResponseModel: model,
    StatusCode: 'Ok' as const,
    ErrorType: '',
    HttpStatus: 200,
    InputTokens: input,
    OutputTokens: output,
    CostUsd: (input * inRate + output * outRate) / 1000,
  }
  const fallback = {
    ...base,
    ...answered,
    Timestamp: formatTimestamp(ms + 0.3),
    SpanName: `chat ${model}`,
    Attempt: 2,
    SpanAttributes: { 'tracegate.is_fallback': 'true' },
  }
  const request_ = {
    ...server!,
    ...answered,
    Attempt: 2,
    SpanAttributes: { ...server!.SpanAttributes, 'tracegate.fell_back': 'true' },
  }
  return [request_, failed, fallback]
}

export async function count(gw: Gateway): Promise<number> {
  const rs = await gw.store.client.query({
    query: `SELECT count() AS n FROM ${gw.store.database}.spans`,
    format: 'JSONEachRow',
  })
  return Number((await rs.json<{ n: string }>())[0]!.n)
}

/** Through the real writer, paced so at most ~two batches wait; requests spread over 30 days, busier by day. */
export async function seedSpans(gw: Gateway, end: number): Promise<void> {
  const requests = Math.round(SPANS / 2.06)
  const start = end - DAYS * DAY
  seedEnd = end
  const step = (DAYS * DAY) / requests
  const began = Date.now()
  let batch: SpanRow[] = []
  for (let i = 0; i < requests; i++) {
    batch.push(...request(i, start + i * step + rand() * step))
    if (batch.length >= 50_000) {
      gw.writer.add(batch)
      batch = []
      while (gw.writer.stats.pending > 150_000) await new Promise((r) => setTimeout(r, 20))
      if (i % 500_000 < 25_000)
        process.stdout.write(
          `\r  seeded ${gw.writer.stats.written.toLocaleString()} spans, ${((Date.now() - began) / 1000).toFixed(0)} s`,
        )
    }
  }
  gw.writer.add(batch)
  await gw.writer.flush()
  while (gw.writer.stats.pending > 0) await new Promise((r) => setTimeout(r, 50))
  console.log(
    `\n  seeded ${gw.writer.stats.written.toLocaleString()} spans in ${((Date.now() - began) / 1000).toFixed(0)} s`,
  )
}

/**
 * Seeding leaves hundreds of fresh parts; a gateway that has been running for 30 days has merged
 * them long ago. Time the queries against that steady state, not against a merge backlog.
 */
export async function settleMerges(gw: Gateway): Promise<void> {
  const began = Date.now()
  const sql = (query: string) =>
    gw.store.client.query({ query, format: 'JSONEachRow' }).then((r) => r.json<Record<string, string>>())
  while (Date.now() - began < 600_000) {
    const [m] = await sql(`SELECT count() AS n FROM system.merges WHERE database = '${gw.store.database}'`)
    if (Number(m!.n) === 0) break
    await new Promise((r) => setTimeout(r, 1000))
  }
  const parts = await sql(
    `SELECT table, count() AS parts FROM system.parts WHERE database = '${gw.store.database}' AND active AND (table LIKE 'spans%' OR table LIKE 'attempts%') GROUP BY table ORDER BY table`,
  )
  console.log(
    `  merges settled after ${((Date.now() - began) / 1000).toFixed(0)} s; active parts: ${parts.map((p) => `${p.table} ${p.parts}`).join(', ')}`,
  )
}
