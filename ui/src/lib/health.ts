/** The part of GET /readyz the explorer reads. */
export interface Readiness {
  status: string
  storage: { reachable: boolean }
  spans: { pending: number; dropped: number; spool_segments: number; failed_inserts: number }
}

/**
 * What to tell someone looking at the explorer about spans it cannot show yet. A backlog of a
 * few segments is normal batching; more means ClickHouse is refusing or slow.
 */
export function storageWarning(r: Readiness): { level: 'warn' | 'error'; text: string } | null {
  const n = r.spans.pending.toLocaleString('en-US')
  if (r.spans.dropped > 0) return { level: 'error', text: `${r.spans.dropped.toLocaleString('en-US')} spans were dropped: the spool is full and storage is not draining it.` }
  if (!r.storage.reachable) return { level: 'warn', text: `Storage is unreachable: ${n} spans wait in the spool and appear here when it is back.` }
  if (r.spans.pending > 0 && r.spans.spool_segments >= 3) return { level: 'warn', text: `${n} spans are waiting to be written (ClickHouse is refusing or slow); the newest requests are not shown yet.` }
  return null
}
