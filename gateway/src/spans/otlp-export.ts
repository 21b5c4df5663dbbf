import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime } from '@opentelemetry/api'
import { BatchSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import type { SpanRow } from '../storage/span-row.ts'
import type { RowSink } from './recorder.ts'

/** Attributes the GenAI and HTTP conventions define as integers; the rest stay strings. */
const INT_ATTRIBUTES = new Set([
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.reasoning.output_tokens',
  'http.response.status_code',
  'server.port',
  'http.request.resend_count',
  'gen_ai.request.max_tokens',
  'gen_ai.request.seed',
])

/** 'YYYY-MM-DD hh:mm:ss.nnnnnnnnn' (UTC) → [seconds, nanoseconds]. */
function hrTime(ts: string): HrTime {
  return [Math.floor(Date.parse(`${ts.slice(0, 10)}T${ts.slice(11, 19)}Z`) / 1000), Number(ts.slice(20).padEnd(9, '0'))]
}

function addNs([s, ns]: HrTime, add: number): HrTime {
  const total = ns + add
  return [s + Math.floor(total / 1e9), total % 1e9]
}

function attributes(row: SpanRow): Attributes {
  const out: Attributes = {}
  for (const [k, v] of Object.entries(row.SpanAttributes)) out[k] = INT_ATTRIBUTES.has(k) ? Number(v) : v
  if (row.CostUsd !== null) out['tracegate.cost_usd'] = row.CostUsd
  for (const [k, v] of [
    ['tracegate.workflow', row.Workflow],
    ['tracegate.team', row.Team],
    ['tracegate.key_name', row.KeyName],
    ['user.id', row.User],
    ['session.id', row.SessionId],
  ] as const) {
    if (v) out[k] = v
  }
  return out
}

/**
 * Sends the same spans that go to ClickHouse to an OTLP/HTTP collector, with the same ids.
 * Rows are turned into finished spans and handed to the SDK's BatchSpanProcessor: batched,
 * exported off the request path, and a collector that is down only costs dropped exports.
 */
export class OtlpExport implements RowSink {
  private readonly processor: BatchSpanProcessor
  private readonly resource

  constructor(endpoint: string, headers: Record<string, string>, serviceName: string) {
    const exporter = new OTLPTraceExporter({ url: endpoint, headers, timeoutMillis: 5000 })
    this.processor = new BatchSpanProcessor(exporter, {
      maxQueueSize: 20_000,
      maxExportBatchSize: 512,
      scheduledDelayMillis: 500,
    })
    this.resource = resourceFromAttributes({ 'service.name': serviceName })
  }

  add(rows: SpanRow[]): void {
    for (const row of rows) this.processor.onEnd(this.toSpan(row))
  }

  private toSpan(row: SpanRow): ReadableSpan {
    const start = hrTime(row.Timestamp)
    const ctx = { traceId: row.TraceId, spanId: row.SpanId, traceFlags: TraceFlags.SAMPLED }
    return {
      name: row.SpanName,
      kind: row.SpanKind === 'Server' ? SpanKind.SERVER : SpanKind.CLIENT,
      spanContext: () => ctx,
      parentSpanContext: row.ParentSpanId
        ? {
            traceId: row.TraceId,
            spanId: row.ParentSpanId,
            traceFlags: TraceFlags.SAMPLED,
            isRemote: row.SpanKind === 'Server',
          }
        : undefined,
      startTime: start,
      endTime: addNs(start, row.Duration),
      duration: [Math.floor(row.Duration / 1e9), row.Duration % 1e9],
      status: {
        code:
          row.StatusCode === 'Error'
            ? SpanStatusCode.ERROR
            : row.StatusCode === 'Ok'
              ? SpanStatusCode.OK
              : SpanStatusCode.UNSET,
        message: row.StatusMessage || undefined,
      },
      attributes: attributes(row),
      links: [],
      events: row['Events.Name'].map((name, i) => ({
        name,
        time: hrTime(row['Events.Timestamp'][i]!),
        attributes: row['Events.Attributes'][i],
      })),
      ended: true,
      resource: this.resource,
      instrumentationScope: { name: row.ScopeName, version: row.ScopeVersion },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    }
  }

  async close(): Promise<void> {
    // A collector that is down makes the final export fail: that must not fail the shutdown.
    await Promise.race([
      this.processor.shutdown().catch(() => undefined),
      new Promise((r) => setTimeout(r, 3000).unref()),
    ])
  }
}
