import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Store } from '../storage/client.ts'
import type { SpanWriter, WriterStats } from '../storage/writer.ts'
import { column, queryRows, rowSchema } from '../storage/rows.ts'

/** Spans dropped this recently mean they are being dropped now: not ready. Older drops are history. */
const DROPPING_MS = 60_000
/** A few segments waiting is normal batching; this many means ClickHouse refuses or is slow. */
const BACKLOG_SEGMENTS = 3

export interface Reason {
  code: string
  message: string
}
interface StorageState {
  reachable: boolean
  spansTable: boolean | null
}

/** Reasons that make the gateway not ready (503); any other reason makes it degraded (200). */
const NOT_READY = new Set(['spans_table_missing', 'spans_dropping'])

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`

const COUNT_ROWS = rowSchema('spans table count', z.object({ n: column.int }))

async function probe(store: Store): Promise<StorageState> {
  const ping = await store.client.ping().catch(() => ({ success: false as const }))
  if (!ping.success) return { reachable: false, spansTable: null }
  try {
    const [row] = await queryRows(
      store.client,
      {
        query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
        query_params: { db: store.database, table: 'spans' },
      },
      COUNT_ROWS,
    )
    return { reachable: true, spansTable: (row?.n ?? 0) > 0 }
  } catch {
    return { reachable: false, spansTable: null }
  }
}

/** Everything that needs a look, worst first. Error text from storage stays out: /readyz is public. */
export function readinessReasons(
  storage: StorageState,
  s: WriterStats,
  db: string,
  now: number,
  limitsFailingSince: number | null = null,
): Reason[] {
  const reasons: Reason[] = []
  const add = (code: string, message: string) => reasons.push({ code, message })
  const dropAgo = Math.round((now - s.lastDropAt) / 1000)
  if (storage.spansTable === false)
    add('spans_table_missing', `the spans table ${db}.spans does not exist: spans wait in the spool`)
  if (s.dropped > 0 && now - s.lastDropAt < DROPPING_MS)
    add(
      'spans_dropping',
      `spans are being dropped (${plural(s.dropped, 'span')} since start, the last ${dropAgo} s ago): see the gateway log`,
    )
  if (!storage.reachable)
    add('storage_unreachable', `ClickHouse does not answer: ${plural(s.pending, 'span')} wait in the spool`)
  if (s.memoryRows > 0 || !s.spoolWritable)
    add(
      'spool_unwritable',
      `the spool cannot be written: ${plural(s.memoryRows, 'span')} wait in memory (up to spool.max_memory_rows)`,
    )
  if (s.quarantinedSegments > 0) {
    add(
      'spans_quarantined',
      `${plural(s.quarantinedSegments, 'spool segment')} (${plural(s.quarantinedRows, 'span')}) rejected by ClickHouse ${s.quarantinedSegments === 1 ? 'was' : 'were'} moved to spool/quarantine: see \`tracegate spool list\``,
    )
  }
  // A backlog behind a missing table or an unreachable server is already explained.
  if (storage.reachable && storage.spansTable && s.segments >= BACKLOG_SEGMENTS)
    add(
      'spool_backlog',
      `${plural(s.segments, 'spool segment')} (${plural(s.pending, 'span')}) wait for ClickHouse: it refuses inserts or is slow`,
    )
  if (limitsFailingSince !== null)
    add(
      'limits_store_unreachable',
      `the shared limits store (Redis) has not answered since ${new Date(limitsFailingSince).toISOString()}: limits.on_store_error applies`,
    )
  if (s.dropped > 0 && now - s.lastDropAt >= DROPPING_MS)
    add(
      'spans_dropped_earlier',
      `${plural(s.dropped, 'span')} were dropped since start, the last ${Math.round(dropAgo / 60)} min ago`,
    )
  return reasons
}

/** Liveness says the process serves; readiness says whether spans are safe, and if not, why. */
export async function healthApi(
  app: FastifyInstance,
  opts: { store: Store; writer: SpanWriter; pendingSpans: () => number; limitsFailingSince?: () => number | null },
): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const storage = await probe(opts.store)
    const s = { ...opts.writer.stats, pending: opts.pendingSpans() }
    const limitsDown = opts.limitsFailingSince?.() ?? null
    const reasons = readinessReasons(storage, s, opts.store.database, Date.now(), limitsDown)
    const notReady = reasons.some((r) => NOT_READY.has(r.code))
    return reply.code(notReady ? 503 : 200).send({
      status: notReady ? 'not_ready' : reasons.length ? 'degraded' : 'ready',
      reasons,
      storage: { engine: opts.store.engine, reachable: storage.reachable, spans_table: storage.spansTable },
      spans: {
        pending: s.pending,
        written: s.written,
        replayed: s.replayed,
        failed_inserts: s.failedInserts,
        dropped: s.dropped,
        last_drop_at: s.lastDropAt ? new Date(s.lastDropAt).toISOString() : null,
        spool_segments: s.segments,
        spool_bytes: s.spoolBytes,
        spool_writable: s.spoolWritable,
        spool_write_errors: s.spoolWriteErrors,
        memory_rows: s.memoryRows,
        quarantined_segments: s.quarantinedSegments,
        quarantined_spans: s.quarantinedRows,
      },
    })
  })
}
