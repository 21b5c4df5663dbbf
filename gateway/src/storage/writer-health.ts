import type { Logger } from 'pino'
import { Throttle } from './throttle.ts'

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
  /** Spool writes that failed (directory deleted or replaced, disk full, ...). */
  spoolWriteErrors: number
  /** False from a failed spool write until one succeeds again. */
  spoolWritable: boolean
  /** Rows that could not reach the spool, held in memory until it can be written or ClickHouse takes them. */
  memoryRows: number
  quarantinedSegments: number
  quarantinedRows: number
}

const LOG_EVERY_MS = 30_000

export const errorMessage = (err: unknown) => String((err as Error)?.message ?? err)

/**
 * The writer's counters, and the log lines that go with them. Failures that repeat per span
 * (a spool that cannot be written, spans dropped) are logged at most once per 30 s, with how
 * many happened in between: every one is counted, none floods the log.
 */
export class WriterHealth {
  readonly stats: WriterStats = {
    written: 0,
    replayed: 0,
    failedInserts: 0,
    dropped: 0,
    lastDropAt: 0,
    corruptRecords: 0,
    pending: 0,
    segments: 0,
    spoolBytes: 0,
    lastError: '',
    spoolWriteErrors: 0,
    spoolWritable: true,
    memoryRows: 0,
    quarantinedSegments: 0,
    quarantinedRows: 0,
  }
  private readonly writeErrorLog = new Throttle(LOG_EVERY_MS)
  private readonly dropLog = new Throttle(LOG_EVERY_MS)

  constructor(
    private readonly log: Logger,
    private readonly spoolDir: string,
  ) {}

  /** Count dropped spans; the caller logs why. */
  countDrop(n: number): void {
    if (n <= 0) return
    this.stats.dropped += n
    this.stats.lastDropAt = Date.now()
  }

  /** Count dropped spans and say why (at most once per 30 s: drops come per span). */
  drop(n: number, why: string): void {
    if (n <= 0) return
    this.countDrop(n)
    const skipped = this.dropLog.take()
    if (skipped !== null)
      this.log.error(
        {
          dropped: n,
          total_dropped: this.stats.dropped,
          memory_rows: this.stats.memoryRows,
          spool_bytes: this.stats.spoolBytes,
          drops_since_last_report: skipped,
        },
        why,
      )
  }

  spoolFailed(err: unknown): void {
    this.stats.spoolWriteErrors++
    this.stats.spoolWritable = false
    const skipped = this.writeErrorLog.take()
    if (skipped === null) return
    this.log.error(
      {
        err: { message: errorMessage(err), code: (err as NodeJS.ErrnoException).code },
        spool: this.spoolDir,
        memory_rows: this.stats.memoryRows,
        errors_since_last_report: skipped,
      },
      'spool cannot be written: spans wait in memory (up to spool.max_memory_rows) until it can, or until ClickHouse takes them',
    )
  }

  spoolWorks(): void {
    if (this.stats.spoolWritable) return
    this.stats.spoolWritable = true
    this.log.warn({ spool: this.spoolDir, write_errors: this.stats.spoolWriteErrors }, 'spool can be written again')
  }
}
