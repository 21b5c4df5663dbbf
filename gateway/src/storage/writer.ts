import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { spanRowLine, type SpanRow } from './span-row.ts'
import type { Store } from './client.ts'
import { Spool } from './spool.ts'
import { Quarantine, type QuarantinedSegment } from './quarantine.ts'
import { SegmentInserter, joined, spoolPayload, type Batch } from './insert.ts'
import { WriterHealth, errorMessage, type WriterStats } from './writer-health.ts'
import { ArenaPool, type RowArena } from './row-arena.ts'
import { WIDE_PART_ROWS } from './span-parts.ts'

export type { WriterStats } from './writer-health.ts'

export interface WriterOptions {
  batchRows: number
  flushMs: number
  /** Spool size at which new spans are refused (counted and logged, never silent). */
  maxSpoolBytes: number
  /** Rows held in memory while the spool cannot be written; beyond it new spans are dropped (counted, logged). */
  maxMemoryRows: number
  /** Failed inserts of one segment, while storage otherwise answers, before it is quarantined. */
  maxInsertAttempts: number
  spoolDir: string
}

interface OpenBatch {
  payloads: Buffer[]
  rows: number
  bytes: number
  held: boolean
  arena: RowArena | null
}

const HELD_RETRY_MS = 1_000
/** The batch being filled, the one being inserted, one waiting; 10,000 rows without bodies take ~10 MB. */
const ARENAS = 3
export const ARENA_BYTES = 16 * 1024 * 1024
/**
 * A batch is inserted once its rows reach this many bytes, even short of batch_rows. The engine
 * holds about three times an insert's body while it parses, sorts and writes it (10,000 spans with
 * 64 KB bodies would be 1.3 GB of body); and the batch fits its arena, with room for the rows that
 * come before the insert starts.
 */
export const BATCH_BYTES = 12 * 1024 * 1024

/**
 * Every recorded row goes to the write-ahead spool first (see Spool), then into ClickHouse one
 * closed segment per insert, in order (see SegmentInserter). Failed inserts are retried with
 * backoff, reading the rows back from disk, so an outage costs disk, not memory. When the spool
 * itself cannot be written, rows wait in memory (up to maxMemoryRows) and go to the spool, or
 * straight to ClickHouse, as soon as either takes them.
 */
export class SpanWriter {
  private readonly spool: Spool
  private readonly quarantine: Quarantine
  private readonly health: WriterHealth
  private readonly inserter: SegmentInserter
  private open: OpenBatch | null = null
  private readonly queue: Batch[] = []
  private readonly arenas = new ArenaPool(ARENAS, ARENA_BYTES)
  private timer: NodeJS.Timeout | null = null
  private heldTimer: NodeJS.Timeout | null = null
  private draining: Promise<void> | null = null
  private closed = false
  readonly stats: WriterStats

  constructor(
    store: Store,
    private readonly opts: WriterOptions,
    private readonly log: Logger,
  ) {
    this.spool = new Spool(opts.spoolDir)
    this.quarantine = new Quarantine(opts.spoolDir)
    this.quarantine.secure()
    this.health = new WriterHealth(log, opts.spoolDir)
    this.stats = this.health.stats
    this.inserter = new SegmentInserter(store, this.spool, this.quarantine, this.health, opts.maxInsertAttempts, log)
    if (opts.batchRows >= WIDE_PART_ROWS)
      log.warn(
        { batchRows: opts.batchRows },
        `storage.batch_rows of ${WIDE_PART_ROWS} and more lets ClickHouse write an insert past 10 MB as a part per column: several times the engine memory per insert`,
      )
    const quarantined = this.quarantine.list()
    this.stats.quarantinedSegments = quarantined.length
    this.stats.quarantinedRows = quarantined.reduce((s, q) => s + q.spans, 0)
    if (quarantined.length)
      log.warn(
        { segments: quarantined.length, dir: this.quarantine.dir },
        'spool segments are in quarantine: see `tracegate spool list`',
      )
    for (const seg of this.spool.leftovers())
      this.queue.push({ seg, rows: 0, payloads: null, held: false, replay: true, attempts: 0 })
    if (this.queue.length) {
      log.warn(
        { segments: this.queue.length, bytes: this.spool.bytesOnDisk },
        'replaying spans left in the spool by an earlier run',
      )
      this.schedule(0)
    }
    this.refreshStats()
  }

  /** Never throws: the request path must not die of span storage. After close() rows still reach the spool; the next start replays them. */
  add(rows: SpanRow[]): void {
    if (this.spool.bytesOnDisk >= this.opts.maxSpoolBytes)
      return this.health.drop(
        rows.length,
        'span spool is full (spool.max_bytes) and storage is not draining it: spans dropped',
      )
    // Encoded once: the same bytes go to the spool and, later, to ClickHouse.
    let lines = rows.map(spanRowLine)
    // While rows wait in memory, new ones join them (in order) instead of probing the disk per batch.
    const held = this.stats.memoryRows > 0
    // A held batch keeps its rows in buffers of their own (they may be cut short): it needs no arena.
    const open = (this.open ??= { payloads: [], rows: 0, bytes: 0, held, arena: held ? null : this.arenas.take() })
    let payload = encode(open, lines)
    if (!open.held) this.append(open, payload)
    if (open.held) {
      const kept = this.hold(lines)
      if (kept.length < lines.length) payload = spoolPayload(kept)
      lines = kept
    }
    if (lines.length) open.payloads.push(payload)
    open.rows += lines.length
    open.bytes += payload.length
    this.stats.pending += lines.length
    this.refreshStats()
    if (open.rows >= this.opts.batchRows || open.bytes >= BATCH_BYTES) this.schedule(0)
    else this.schedule(this.opts.flushMs)
  }

  private append(open: OpenBatch, payload: Buffer): void {
    try {
      this.spool.append(payload)
      this.health.spoolWorks()
    } catch (err) {
      this.health.spoolFailed(err)
      open.held = true
      this.stats.memoryRows += open.rows // the rows before it: their segment is rewritten whole later
    }
  }

  /** Keep rows that could not reach the spool in memory, up to spool.max_memory_rows; the rest are dropped, counted. */
  private hold(lines: string[]): string[] {
    const room = Math.max(0, this.opts.maxMemoryRows - this.stats.memoryRows)
    if (lines.length > room)
      this.health.drop(
        lines.length - room,
        'the spool cannot be written and spool.max_memory_rows spans already wait in memory: spans dropped',
      )
    const kept = lines.slice(0, room)
    this.stats.memoryRows += kept.length
    this.scheduleHeldRetry()
    return kept
  }

  /** While rows wait in memory, try the spool again every second, off the request path. */
  private scheduleHeldRetry(): void {
    if (this.heldTimer || this.closed) return
    this.heldTimer = setTimeout(() => {
      this.heldTimer = null
      if (this.open?.held) this.roll()
      this.persistHeld()
      if (this.stats.memoryRows > 0) this.scheduleHeldRetry()
    }, HELD_RETRY_MS)
    this.heldTimer.unref()
  }

  /** Write rows held in memory to the spool, oldest first, once it can be written again. */
  private persistHeld(): void {
    for (const batch of this.queue) {
      if (!batch.held) continue
      try {
        this.spool.rewrite(batch.seg, joined(batch.payloads!))
      } catch (err) {
        return this.health.spoolFailed(err)
      }
      batch.held = false
      this.stats.memoryRows -= batch.rows
      this.health.spoolWorks()
    }
    this.refreshStats()
  }

  private schedule(delay: number): void {
    if (this.closed && delay > 0) return
    if (this.timer && delay > 0) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(
      () => {
        this.timer = null
        void this.flush()
      },
      Math.max(delay, this.inserter.backoffMs),
    )
    this.timer.unref()
  }

  /** Close the open segment and insert everything queued, in order; stops at the first failure. Never rejects. */
  async flush(): Promise<void> {
    this.roll()
    this.draining ??= this.drain()
      .catch((err) => {
        this.log.error({ err: { message: errorMessage(err) } }, 'span writer failed; retrying')
        this.schedule(Math.max(this.inserter.backoffMs, 250))
      })
      .finally(() => (this.draining = null))
    await this.draining
  }

  private roll(): void {
    const open = this.open
    if (!open) return
    this.open = null
    const seg = this.spool.roll() ?? this.spool.segment(this.spool.nextName())
    if (!open.rows) {
      this.arenas.give(open.arena)
      return this.inserter.discard(seg)
    }
    let held = open.held
    if (!held && !this.spool.holds(seg)) {
      // Written to a file whose directory was deleted since: the rows are only in memory now.
      this.health.spoolFailed(new Error(`spool segment ${seg.path} vanished before its spans reached ClickHouse`))
      this.spool.forget(seg)
      this.stats.memoryRows += open.rows
      this.scheduleHeldRetry()
      held = true
    }
    const { rows, payloads, arena } = open
    this.queue.push({ seg, rows, payloads, held, replay: false, attempts: 0, arena })
    this.refreshStats()
  }

  private async drain(): Promise<void> {
    if (this.stats.memoryRows > 0) this.persistHeld()
    while (this.queue.length) {
      const batch = this.queue[0]!
      if (!(await this.inserter.deliver(batch))) {
        // Its retries read the rows back from disk: the arena can serve new batches during the outage.
        if (!batch.payloads) {
          this.arenas.give(batch.arena)
          batch.arena = null
        }
        this.refreshStats()
        this.schedule(this.inserter.backoffMs)
        return
      }
      this.queue.shift()
      this.arenas.give(batch.arena)
      if (batch.held) this.stats.memoryRows -= batch.rows
      if (!batch.replay) this.stats.pending = Math.max(0, this.stats.pending - batch.rows)
      this.refreshStats()
    }
  }

  /** Quarantined segments, oldest first. */
  quarantined(): QuarantinedSegment[] {
    return this.quarantine.list()
  }

  /** Move quarantined segments back into the spool and queue them for insert; returns the names moved. */
  retryQuarantined(names: string[]): string[] {
    const moved: string[] = []
    for (const name of names) {
      const back = this.quarantine.restore(name)
      if (!back) continue
      this.spool.adopt(back.seg)
      this.queue.push({ seg: back.seg, rows: 0, payloads: null, held: false, replay: true, attempts: 0 })
      this.stats.quarantinedSegments--
      this.stats.quarantinedRows -= back.spans
      moved.push(name)
    }
    this.refreshStats()
    if (moved.length) this.schedule(0)
    return moved
  }

  private refreshStats(): void {
    this.stats.segments = this.queue.length + (this.open ? 1 : 0)
    this.stats.spoolBytes = this.spool.bytesOnDisk
  }

  /** Insert what can be inserted before `deadlineMs`; whatever is left stays in the spool for the next start. */
  async close(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs
    for (const t of [this.timer, this.heldTimer]) if (t) clearTimeout(t)
    this.timer = this.heldTimer = null
    this.closed = true
    await this.flush()
    while (this.queue.length && Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(this.inserter.backoffMs || 50, Math.max(0, until - Date.now()))))
      await this.flush()
    }
    if (this.timer) clearTimeout(this.timer)
    if (this.stats.memoryRows > 0) this.persistHeld()
    if (this.stats.memoryRows > 0)
      this.health.drop(
        this.stats.memoryRows,
        'shutting down while the spool cannot be written: spans held in memory are lost',
      )
    if (this.queue.length)
      this.log.warn(
        { segments: this.queue.length },
        'storage unavailable at shutdown: spans stay in the spool and are written at the next start',
      )
    // Best effort within the deadline: an unlink cut short replays a segment ClickHouse drops as a
    // duplicate, and an exit loses nothing an fsync had yet to reach.
    await Promise.race([this.spool.settled(), sleep(Math.max(0, until - Date.now()), undefined, { ref: false })])
  }
}

/** A batch's new rows as one payload: in its arena while it has room, else in a buffer of their own. */
function encode(open: OpenBatch, lines: string[]): Buffer {
  if (!lines.length) return spoolPayload(lines)
  const text = lines.join('\n')
  return (!open.held && open.arena?.put(text)) || Buffer.from(text)
}
