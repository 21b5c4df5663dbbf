import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { SpanRow } from '../storage/span-row.ts'
import type { RowSink } from '../spans/recorder.ts'
import type { SpanWriter } from '../storage/writer.ts'
import type { MetricLabels } from './metric-labels.ts'
import { CounterFamily, HistogramFamily, type CounterSeries, type HistogramSeries } from './metric-families.ts'

/** Cached series beyond this are dropped and found again (their counts stay in the families): a bound, never reached with bounded labels. */
const MAX_SERIES = 10_000

interface AttemptSeries {
  attempts: CounterSeries
  duration: HistogramSeries
  ttft: HistogramSeries
  inputUsage: HistogramSeries
  outputUsage: HistogramSeries
  inputTokens: CounterSeries
  outputTokens: CounterSeries
  cost: CounterSeries
}

/** Bucket boundaries the GenAI semantic conventions recommend. */
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0]
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]

/**
 * Prometheus metrics, fed from the same span rows as storage (off the request path), plus the
 * spool and writer state read at scrape time and Node's own metrics (event-loop lag included).
 */
export class GatewayMetrics implements RowSink {
  readonly registry = new Registry()
  private readonly requests = new CounterFamily(
    'tracegate_requests_total',
    'Requests by route template, status class, final provider and requested model (bounded: unknown models are other)',
    ['route', 'status', 'provider', 'model'],
  )
  private readonly attempts = new CounterFamily(
    'tracegate_upstream_attempts_total',
    'Upstream attempts by provider, model and error type',
    ['provider', 'model', 'error_type'],
  )
  private readonly duration = new HistogramFamily(
    'gen_ai_client_operation_duration_seconds',
    'GenAI operation duration (one upstream attempt)',
    ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'error_type'],
    DURATION_BUCKETS,
  )
  private readonly ttft = new HistogramFamily(
    'gen_ai_server_time_to_first_token_seconds',
    'Time to first token of streamed responses',
    ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'],
    TTFT_BUCKETS,
  )
  private readonly tokenUsage = new HistogramFamily(
    'gen_ai_client_token_usage',
    'Tokens per upstream attempt',
    ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_token_type'],
    TOKEN_BUCKETS,
  )
  private readonly tokens = new CounterFamily('tracegate_tokens_total', 'Tokens by provider, model and type', [
    'provider',
    'model',
    'type',
  ])
  private readonly cost = new CounterFamily('tracegate_cost_usd_total', 'Cost in USD by provider and model', [
    'provider',
    'model',
  ])
  /** The families updated per span, written after the registry's metrics at each scrape. */
  private readonly families = [
    this.requests,
    this.attempts,
    this.duration,
    this.ttft,
    this.tokenUsage,
    this.tokens,
    this.cost,
  ]

  /** The whole /metrics text: prom-client's registry, then the per-span families (both the Prometheus 0.0.4 text format, the registry's default). */
  async text(): Promise<string> {
    const registry = await this.registry.metrics()
    return `${registry}\n${this.families.map((f) => f.text()).join('\n\n')}\n`
  }

  constructor(
    writer: SpanWriter,
    private readonly labels: MetricLabels,
    pendingSpans: () => number,
  ) {
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 })
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read())
        },
      })
    gauge('tracegate_spool_bytes', 'Bytes in the write-ahead spool', () => writer.stats.spoolBytes)
    gauge('tracegate_spool_segments', 'Spool segments waiting for ClickHouse', () => writer.stats.segments)
    gauge('tracegate_spans_pending', 'Spans recorded but not yet acknowledged by ClickHouse', pendingSpans)
    this.runningTotal('tracegate_spans_written_total', 'Spans written to ClickHouse', () => writer.stats.written)
    this.runningTotal(
      'tracegate_spans_replayed_total',
      'Spans written from spool segments left by an earlier run',
      () => writer.stats.replayed,
    )
    this.runningTotal(
      'tracegate_span_inserts_failed_total',
      'Failed span inserts (retried)',
      () => writer.stats.failedInserts,
    )
    this.runningTotal(
      'tracegate_spans_dropped_total',
      'Spans dropped: the spool was full, or could not be written and spool.max_memory_rows spans already waited in memory',
      () => writer.stats.dropped,
    )
    this.runningTotal(
      'tracegate_spool_write_errors_total',
      'Failed spool writes (directory deleted or replaced, disk full)',
      () => writer.stats.spoolWriteErrors,
    )
    gauge(
      'tracegate_spans_in_memory',
      'Spans held in memory because the spool could not be written',
      () => writer.stats.memoryRows,
    )
    gauge(
      'tracegate_spool_quarantined_segments',
      'Spool segments ClickHouse rejected for their content, set aside in spool/quarantine',
      () => writer.stats.quarantinedSegments,
    )
    gauge(
      'tracegate_spool_quarantined_spans',
      'Spans in quarantined spool segments',
      () => writer.stats.quarantinedRows,
    )
  }

  /** A span's series by their label values, found once (labels are bounded by MetricLabels). */
  private readonly series = new Map<string, AttemptSeries>()
  private readonly requestSeries = new Map<string, CounterSeries>()

  private requestCounter(route: string, status: string, provider: string, model: string): CounterSeries {
    return cached(this.requestSeries, `${route}\0${status}\0${provider}\0${model}`, () =>
      this.requests.at([route, status, provider, model]),
    )
  }

  private attemptSeries(r: SpanRow, provider: string, model: string): AttemptSeries {
    const op = r.SpanAttributes['gen_ai.operation.name'] ?? r.Operation
    const genaiProvider = r.SpanAttributes['gen_ai.provider.name'] ?? provider
    const key = `${provider}\0${model}\0${op}\0${genaiProvider}\0${r.ErrorType}`
    return cached(this.series, key, () => {
      const base = [op, genaiProvider, model]
      return {
        attempts: this.attempts.at([provider, model, r.ErrorType]),
        duration: this.duration.at([...base, r.ErrorType]),
        ttft: this.ttft.at(base),
        inputUsage: this.tokenUsage.at([...base, 'input']),
        outputUsage: this.tokenUsage.at([...base, 'output']),
        inputTokens: this.tokens.at([provider, model, 'input']),
        outputTokens: this.tokens.at([provider, model, 'output']),
        cost: this.cost.at([provider, model]),
      }
    })
  }

  private readonly shadowCalls = new Counter({
    name: 'tracegate_shadow_calls_total',
    help: 'Shadow calls by target and whether they answered (not in the attempt and cost metrics)',
    labelNames: ['provider', 'model', 'result'],
    registers: [this.registry],
  })
  private readonly shadowCost = new Counter({
    name: 'tracegate_shadow_cost_usd_total',
    help: 'What shadow calls cost, by target: spent on comparison, not billed to any request',
    labelNames: ['provider', 'model'],
    registers: [this.registry],
  })

  /** Shadow calls dropped because the shadow queue was full, read at each scrape. */
  watchShadow(queue: { readonly dropped: number }): void {
    this.runningTotal(
      'tracegate_shadow_dropped_total',
      'Sampled shadow calls not sent: shadow.max_in_flight and shadow.max_queued were full',
      () => queue.dropped,
    )
  }

  /** A counter over a running total kept elsewhere (the writer's, the shadow queue's): it catches up at each scrape. */
  private runningTotal(name: string, help: string, read: () => number): Counter {
    let seen = 0
    return new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        const now = read()
        if (now > seen) this.inc(now - seen)
        seen = now
      },
    })
  }

  private addShadow(r: SpanRow, provider: string, model: string): void {
    this.shadowCalls.labels({ provider, model, result: r.ErrorType ? 'error' : 'ok' }).inc()
    if (r.CostUsd !== null) this.shadowCost.labels({ provider, model }).inc(r.CostUsd)
  }

  add(rows: SpanRow[]): void {
    const L = this.labels
    for (const r of rows) {
      const provider = L.provider(r.Provider)
      const model = L.model(r.Provider, r.RequestModel)
      if (r.SpanAttributes['tracegate.shadow'] === 'true') {
        this.addShadow(r, provider, model)
        continue
      }
      if (r.SpanKind === 'Server') {
        this.requestCounter(L.route(r.Route), L.status(r.HttpStatus), provider, model).value++
        continue
      }
      // A failure `tracegate check` staged never reached its provider: as in the rollups and
      // incidents (storage/span-sql.ts SYNTHETIC_ATTEMPT_SQL), it is no upstream attempt to alert on.
      if (r.SpanAttributes['tracegate.injected_fault']) continue
      const s = this.attemptSeries(r, provider, model)
      s.attempts.value++
      this.duration.observe(s.duration, r.Duration / 1e9)
      if (r.TtftMs !== null) this.ttft.observe(s.ttft, r.TtftMs / 1000)
      if (r.InputTokens !== null) {
        this.tokenUsage.observe(s.inputUsage, r.InputTokens)
        this.tokens.add(s.inputTokens, r.InputTokens)
      }
      if (r.OutputTokens !== null) {
        this.tokenUsage.observe(s.outputUsage, r.OutputTokens)
        this.tokens.add(s.outputTokens, r.OutputTokens)
      }
      if (r.CostUsd !== null) this.cost.add(s.cost, r.CostUsd)
    }
  }
}

/** The entry for `key`, made once; a full map starts over rather than grow. */
function cached<T>(map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key)
  if (v !== undefined) return v
  if (map.size >= MAX_SERIES) map.clear()
  v = make()
  map.set(key, v)
  return v
}

export async function metricsApi(app: FastifyInstance, opts: { metrics: GatewayMetrics }): Promise<void> {
  app.get('/metrics', async (_req, reply) => {
    const text = await opts.metrics.text()
    return reply.type(opts.metrics.registry.contentType).send(text)
  })
}
