import type { Logger } from 'pino'
import type { SpanRow } from '../storage/span-row.ts'
import type { RequestObservation } from './observation.ts'
import { buildRows, type BuildOptions } from './build.ts'

export interface RowSink {
  add(rows: SpanRow[]): void
}

/**
 * The request path hands finished observations here and returns at once; rows are built
 * (usage parsing, pricing) in a later turn of the event loop, in batches.
 */
export class SpanRecorder {
  private queue: RequestObservation[] = []
  private scheduled = false

  constructor(
    private readonly opts: BuildOptions,
    private readonly sinks: RowSink[],
    private readonly log: Logger,
  ) {}

  record(o: RequestObservation): void {
    if (o.recorded) return
    o.recorded = true
    this.queue.push(o)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.drain())
    }
  }

  /** Build everything queued now (also called before shutdown). */
  drain(): void {
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    const rows: SpanRow[] = []
    for (const o of batch) {
      try {
        rows.push(...buildRows(o, this.opts))
      } catch (err) {
        // A bug in row building must not lose the request: record it bare and say so loudly.
        this.log.error({ err, traceId: o.traceId }, 'building span rows failed; recording request without details')
        rows.push(...buildRows({ ...o, attempts: [], requestBody: null }, this.opts))
      }
    }
    if (!rows.length) return
    for (const sink of this.sinks) sink.add(rows)
  }
}
