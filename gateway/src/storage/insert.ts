import { Readable } from 'node:stream'
import type { Logger } from 'pino'
import { spanColumnsFor, sqlColumnList } from './span-row.ts'
import type { Store } from './client.ts'
import { Spool, type Segment } from './spool.ts'
import { Quarantine, rejectedForContent } from './quarantine.ts'
import { clickHouseErrorName } from './clickhouse-errors.ts'
import { errorMessage, type WriterHealth } from './writer-health.ts'
import type { RowArena } from './row-arena.ts'

/** A closed segment on its way to ClickHouse; its name is the insert deduplication token. */
export interface Batch {
  seg: Segment
  rows: number
  /** The rows as the spool holds them (JSON lines, one buffer per append), or null to read them back from the segment file. */
  payloads: Buffer[] | null
  /** The segment file does not hold all the rows: they live in `payloads` only, until the spool takes them. */
  held: boolean
  replay: boolean
  /** Failed inserts while storage otherwise answered: its content is the likely problem. */
  attempts: number
  /** Where `payloads` live, when they were placed in a reused arena; given back once the batch leaves the queue. */
  arena?: RowArena | null
}

/** Rows encoded once, as JSONCompactEachRow lines: the spool keeps them and ClickHouse takes them as they are. */
export const spoolPayload = (lines: string[]) => Buffer.from(lines.join('\n'))

const NEWLINE = Buffer.from('\n')

/** The payloads of a batch, one line after another: the request body of its insert. */
function* body(payloads: Buffer[]): Generator<Buffer> {
  for (let i = 0; i < payloads.length; i++) {
    if (i) yield NEWLINE
    yield payloads[i]!
  }
}

/** A batch's payloads as one segment's content (rewriting a segment whose rows were held in memory). */
export const joined = (payloads: Buffer[]) => Buffer.concat([...body(payloads)])

/** The insert statement for rows of this many values; the column names are ours, never input. */
const insertSql = (database: string, width: number) =>
  `INSERT INTO ${database}.spans (${sqlColumnList(spanColumnsFor(width))}) FORMAT JSONCompactEachRow`

/** How many values the first row has: segments written before a column was added have fewer. */
function widthOf(payload: Buffer): number {
  const end = payload.indexOf(0x0a)
  return (JSON.parse(payload.toString('utf8', 0, end < 0 ? payload.length : end)) as unknown[]).length
}

/**
 * On a cluster `spans` is a Distributed table. Written in the foreground it answers only once every
 * shard holds its rows, so an acknowledged segment is safe to delete and a failed one is retried
 * whole: the shards that already took their part drop it again by the same token. (Its newer name
 * is distributed_foreground_insert; this one is accepted by every version.)
 */
const CLUSTER_INSERT = { insert_distributed_sync: 1 } as const

/** The settings of every insert into `spans`; `token` deduplicates a retried insert, views included. */
export const spanInsertSettings = (store: Store, token: string) => ({
  insert_deduplication_token: token,
  deduplicate_blocks_in_dependent_materialized_views: 1 as const,
  // Span ids are unique: collapsing equal sort keys inside a batch finds nothing and costs the engine ~6% per span.
  optimize_on_insert: 0 as const,
  ...(store.cluster && CLUSTER_INSERT),
})

/**
 * Insert encoded span rows; `token` deduplicates a retried insert. The lines go as they are: the
 * rows are encoded once, when recorded, so thousands of rows cost the event loop no second encoding.
 */
export async function insertSpans(
  store: Store,
  payloads: Buffer[],
  token: string,
  joinedBody: Buffer | null = null,
): Promise<void> {
  const width = widthOf(payloads[0]!)
  const settings = spanInsertSettings(store, token)
  if (store.insertRaw) {
    const values = joinedBody ?? (payloads.length === 1 ? payloads[0]! : joined(payloads))
    return store.insertRaw({ table: `${store.database}.spans`, columns: spanColumnsFor(width), settings, values })
  }
  const res = await store.client.exec({
    query: insertSql(store.database, width),
    values: Readable.from(joinedBody ? [joinedBody] : body(payloads), { objectMode: false }),
    clickhouse_settings: settings,
  })
  // Read the (empty) answer to its end: destroying it would close the keep-alive socket each time.
  for await (const chunk of res.stream) void chunk
}

interface EncodedRows {
  payloads: Buffer[]
  count: number
  /** The payloads already joined by newlines, in their arena: the insert's body with no copy. */
  body: Buffer | null
}

const MAX_BACKOFF_MS = 30_000

/**
 * Inserts one batch at a time and decides what a failure means: an outage is waited out with
 * backoff; content ClickHouse keeps refusing while it otherwise answers is set aside in the
 * quarantine after `maxAttempts`, so the segments behind it are not held up.
 */
export class SegmentInserter {
  backoffMs = 0

  constructor(
    private readonly store: Store,
    private readonly spool: Spool,
    private readonly quarantine: Quarantine,
    private readonly health: WriterHealth,
    private readonly maxAttempts: number,
    private readonly log: Logger,
  ) {}

  /** True once the batch needs nothing more: inserted, quarantined, or lost with its file. */
  async deliver(batch: Batch): Promise<boolean> {
    const { stats } = this.health
    let rows: EncodedRows | null
    try {
      rows = this.load(batch)
      if (!rows) return true
      if (rows.count) await insertSpans(this.store, rows.payloads, batch.seg.name, rows.body)
    } catch (err) {
      return this.failed(batch, err)
    }
    if (batch.replay) stats.replayed += rows.count
    else stats.written += rows.count
    this.backoffMs = 0
    this.discard(batch.seg)
    return true
  }

  /** Remove a segment whose rows went elsewhere; one left on disk is inserted again at the next start and deduplicated by its name. */
  discard(seg: Segment): void {
    this.spool.remove(seg, (err) => this.health.spoolFailed(err))
  }

  /** The batch's rows: in memory, or read back from its segment; null when the file is gone. */
  private load(batch: Batch): EncodedRows | null {
    if (batch.payloads) {
      const body = batch.arena?.bodyOf(batch.payloads) ?? null
      return { payloads: batch.payloads, count: batch.rows, body }
    }
    let read
    try {
      read = Spool.read(batch.seg)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      this.spool.forget(batch.seg)
      // One line per segment, not throttled: unlike a full spool, this happens once, by someone's hand.
      this.health.countDrop(batch.rows)
      this.log.error(
        { segment: batch.seg.name, spans: batch.rows || 'unknown (an earlier run wrote it)' },
        'spool segment was deleted before ClickHouse took it: its spans are lost',
      )
      return null
    }
    if (read.corrupt || read.truncatedBytes) {
      this.health.stats.corruptRecords += read.corrupt
      this.log.error(
        {
          segment: batch.seg.name,
          corrupt_records: read.corrupt,
          truncated_bytes: read.truncatedBytes,
          rows_kept: read.rows,
        },
        'damaged spool segment: good records replayed, damaged ones skipped',
      )
    }
    if (batch.replay) batch.rows = read.rows
    return { payloads: read.payloads, count: read.rows, body: null }
  }

  /** After a failed insert: quarantine the batch if its content is what ClickHouse keeps refusing, else back off. */
  private async failed(batch: Batch, err: unknown): Promise<boolean> {
    const { stats } = this.health
    if (!batch.held) batch.payloads = null // read back from disk on retry: an outage costs disk, not memory
    stats.failedInserts++
    stats.lastError = errorMessage(err)
    if (await rejectedForContent(this.store, err)) batch.attempts++
    if (batch.attempts >= this.maxAttempts && this.setAside(batch, err)) {
      this.backoffMs = 0
      return true
    }
    this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(250, this.backoffMs * 2))
    this.log.error(
      {
        err: { message: errorMessage(err) },
        segment: batch.seg.name,
        attempts: batch.attempts,
        retry_in_ms: this.backoffMs,
      },
      'span insert failed; spans stay in the spool and will be retried',
    )
    return false
  }

  private setAside(batch: Batch, err: unknown): boolean {
    const { stats } = this.health
    try {
      if (batch.held) {
        this.spool.rewrite(batch.seg, joined(batch.payloads!))
        batch.held = false
        stats.memoryRows -= batch.rows
      }
      const q = this.quarantine.put(batch.seg, {
        spans: batch.rows,
        attempts: batch.attempts,
        error_code: clickHouseErrorName(err),
        error: errorMessage(err).split('\n')[0]!.slice(0, 1000),
      })
      this.spool.forget(batch.seg)
      stats.quarantinedSegments++
      stats.quarantinedRows += q.spans
      this.log.error(
        {
          segment: q.segment,
          spans: q.spans,
          attempts: q.attempts,
          err: { message: q.error },
          dir: this.quarantine.dir,
        },
        'ClickHouse keeps rejecting this spool segment for its content: moved to spool/quarantine; the segments behind it go on',
      )
      return true
    } catch (e) {
      this.health.spoolFailed(e)
      return false
    }
  }
}
