import type { Logger } from 'pino'
import { SPAN_COLUMNS, spanRowValues, type SpanRow } from '@tracegate/schemas'
import type { Store } from './client.ts'

export interface WriterOptions {
  batchRows: number
  flushMs: number
  /** Rows held in memory while storage is failing before the oldest are dropped (counted, logged). */
  maxPendingRows: number
}

export interface WriterStats { written: number; failedInserts: number; dropped: number; pending: number; lastError: string }

const MAX_BACKOFF_MS = 30_000

/**
 * Batches span rows into ClickHouse inserts: a batch goes out after `flushMs` or as soon as
 * `batchRows` are waiting, one insert at a time. A failed insert keeps its rows and is retried
 * with backoff; the request path never waits on any of this.
 */
export class SpanWriter {
  private pending: SpanRow[] = []
  private timer: NodeJS.Timeout | null = null
  private inflight: Promise<void> | null = null
  private backoffMs = 0
  private closed = false
  readonly stats: WriterStats = { written: 0, failedInserts: 0, dropped: 0, pending: 0, lastError: '' }

  constructor(private readonly store: Store, private readonly opts: WriterOptions, private readonly log: Logger) {}

  add(rows: SpanRow[]): void {
    for (const r of rows) this.pending.push(r)
    const overflow = this.pending.length - this.opts.maxPendingRows
    if (overflow > 0) {
      this.pending.splice(0, overflow)
      this.stats.dropped += overflow
      this.log.error({ dropped: overflow, total_dropped: this.stats.dropped }, 'span buffer full while storage is failing: oldest spans dropped')
    }
    this.stats.pending = this.pending.length
    if (this.pending.length >= this.opts.batchRows && !this.inflight && this.backoffMs === 0) this.flushSoon(0)
    else this.flushSoon(this.backoffMs || this.opts.flushMs)
  }

  private flushSoon(delay: number): void {
    if (this.closed || (this.timer && delay > 0)) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, delay)
    this.timer.unref()
  }

  /** Write everything pending now; resolves when the insert is acknowledged or has failed. */
  async flush(): Promise<void> {
    if (this.inflight) await this.inflight
    if (!this.pending.length) return
    const batch = this.pending.splice(0, this.opts.batchRows)
    this.inflight = this.insert(batch)
    try {
      await this.inflight
    } finally {
      this.inflight = null
      this.stats.pending = this.pending.length
    }
    if (this.pending.length) this.flushSoon(this.backoffMs || (this.pending.length >= this.opts.batchRows ? 0 : this.opts.flushMs))
  }

  private async insert(batch: SpanRow[]): Promise<void> {
    try {
      await this.store.client.insert({
        table: `${this.store.database}.spans`, values: batch.map(spanRowValues), format: 'JSONCompactEachRow', columns: [...SPAN_COLUMNS],
      })
      this.stats.written += batch.length
      this.backoffMs = 0
    } catch (err) {
      this.pending.unshift(...batch)
      this.stats.failedInserts++
      this.stats.lastError = (err as Error).message
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, this.backoffMs * 2))
      this.log.error({ err: { message: (err as Error).message }, rows: batch.length, retry_in_ms: this.backoffMs }, 'span insert failed; will retry')
    }
  }

  /** Flush until empty or until storage keeps failing past `deadlineMs`. */
  async close(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    while (this.pending.length && Date.now() < until) {
      await this.flush()
      if (this.pending.length && this.backoffMs) await new Promise((r) => setTimeout(r, Math.min(this.backoffMs, until - Date.now())))
    }
    this.closed = true
    if (this.pending.length) this.log.error({ lost: this.pending.length }, 'shutting down with unwritten spans')
  }
}
