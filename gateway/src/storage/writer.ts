import type { Logger } from 'pino'
import { SPAN_COLUMNS, spanRowValues, type SpanRow } from '@tracegate/schemas'
import type { Store } from './client.ts'
import { Spool, type Segment } from './spool.ts'

export interface WriterOptions {
  batchRows: number
  flushMs: number
  /** Spool size at which new spans are refused (counted and logged, never silent). */
  maxSpoolBytes: number
  spoolDir: string
}

export interface WriterStats {
  written: number
  replayed: number
  failedInserts: number
  dropped: number
  /** When spans were last dropped (ms since the epoch; 0: never). */
  lastDropAt: number
  corruptRecords: number
  /** Rows recorded but not yet acknowledged by ClickHouse. */
  pending: number
  segments: number
  spoolBytes: number
  lastError: string
}

interface Batch { seg: Segment; rows: number; values: unknown[][] | null; replay: boolean }

const MAX_BACKOFF_MS = 30_000

/**
 * Every recorded row goes to the write-ahead spool first (see Spool), then into ClickHouse one
 * closed segment per insert, in order, with the segment name as insert deduplication token: a
 * segment inserted again after a crash is recognised and not counted twice. Failed inserts are
 * retried with backoff, reading the rows back from disk, so an outage costs disk, not memory.
 */
export class SpanWriter {
  private readonly spool: Spool
  private openRows: unknown[][] = []
  private readonly queue: Batch[] = []
  private timer: NodeJS.Timeout | null = null
  private draining: Promise<void> | null = null
  private backoffMs = 0
  private closed = false
  readonly stats: WriterStats = { written: 0, replayed: 0, failedInserts: 0, dropped: 0, lastDropAt: 0, corruptRecords: 0, pending: 0, segments: 0, spoolBytes: 0, lastError: '' }

  constructor(private readonly store: Store, private readonly opts: WriterOptions, private readonly log: Logger) {
    this.spool = new Spool(opts.spoolDir)
    for (const seg of this.spool.leftovers()) this.queue.push({ seg, rows: 0, values: null, replay: true })
    if (this.queue.length) {
      log.warn({ segments: this.queue.length, bytes: this.spool.bytesOnDisk }, 'replaying spans left in the spool by an earlier run')
      this.schedule(0)
    }
    this.refreshStats()
  }

  /** After close() rows still reach the spool; the next start replays them. */
  add(rows: SpanRow[]): void {
    if (this.spool.bytesOnDisk >= this.opts.maxSpoolBytes) {
      this.stats.dropped += rows.length
      this.stats.lastDropAt = Date.now()
      this.log.error({ dropped: rows.length, total_dropped: this.stats.dropped, spool_bytes: this.spool.bytesOnDisk }, 'span spool is full (spool.max_bytes) and storage is not draining it: spans dropped')
      return
    }
    const values = rows.map(spanRowValues)
    this.spool.append(Buffer.from(values.map((v) => JSON.stringify(v)).join('\n')))
    for (const v of values) this.openRows.push(v)
    this.stats.pending += rows.length
    this.refreshStats()
    if (this.openRows.length >= this.opts.batchRows) this.schedule(0)
    else this.schedule(this.opts.flushMs)
  }

  private schedule(delay: number): void {
    if (this.closed && delay > 0) return
    if (this.timer && delay > 0) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, Math.max(delay, this.backoffMs))
    this.timer.unref()
  }

  /** Close the open segment and insert everything queued, in order; stops at the first failure. */
  async flush(): Promise<void> {
    const seg = this.spool.roll()
    if (seg) {
      this.queue.push({ seg, rows: this.openRows.length, values: this.openRows, replay: false })
      this.openRows = []
    }
    if (!this.draining) this.draining = this.drain().finally(() => (this.draining = null))
    await this.draining
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue[0]!
      if (!(await this.insert(batch))) {
        this.refreshStats()
        this.schedule(this.backoffMs)
        return
      }
      this.queue.shift()
      this.spool.remove(batch.seg)
      this.refreshStats()
    }
  }

  private async insert(batch: Batch): Promise<boolean> {
    let values = batch.values
    if (!values) {
      const read = Spool.read(batch.seg)
      if (read.corrupt || read.truncatedBytes) {
        this.stats.corruptRecords += read.corrupt
        this.log.error({ segment: batch.seg.name, corrupt_records: read.corrupt, truncated_bytes: read.truncatedBytes, rows_kept: read.lines.length }, 'damaged spool segment: good records replayed, damaged ones skipped')
      }
      values = read.lines.map((l) => JSON.parse(l) as unknown[])
    }
    try {
      if (values.length) {
        await this.store.client.insert({
          table: `${this.store.database}.spans`, values, format: 'JSONCompactEachRow', columns: [...SPAN_COLUMNS],
          clickhouse_settings: { insert_deduplication_token: batch.seg.name, deduplicate_blocks_in_dependent_materialized_views: 1 },
        })
      }
      if (batch.replay) this.stats.replayed += values.length
      else this.stats.written += values.length
      this.stats.pending = Math.max(0, this.stats.pending - batch.rows)
      this.backoffMs = 0
      return true
    } catch (err) {
      batch.values = null // read back from disk on retry: an outage costs disk, not memory
      this.stats.failedInserts++
      this.stats.lastError = (err as Error).message
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, this.backoffMs * 2))
      this.log.error({ err: { message: (err as Error).message }, segment: batch.seg.name, retry_in_ms: this.backoffMs }, 'span insert failed; spans stay in the spool and will be retried')
      return false
    }
  }

  private refreshStats(): void {
    this.stats.segments = this.queue.length + (this.openRows.length ? 1 : 0)
    this.stats.spoolBytes = this.spool.bytesOnDisk
  }

  /** Insert what can be inserted before `deadlineMs`; whatever is left stays in the spool for the next start. */
  async close(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.closed = true
    await this.flush()
    while (this.queue.length && Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(this.backoffMs || 50, Math.max(0, until - Date.now()))))
      await this.flush()
    }
    if (this.timer) clearTimeout(this.timer)
    if (this.queue.length) this.log.warn({ segments: this.queue.length }, 'storage unavailable at shutdown: spans stay in the spool and are written at the next start')
  }
}
