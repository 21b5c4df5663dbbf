/** The part of GET /readyz the explorer reads (200 when ready or degraded, 503 when not ready: the body is the same). */
export interface Readiness {
  status: string
  reasons?: Array<{ code: string; message: string }>
  storage: { reachable: boolean; spans_table?: boolean | null }
  spans: {
    pending: number
    dropped: number
    spool_segments: number
    failed_inserts: number
    memory_rows?: number
    spool_writable?: boolean
    quarantined_segments?: number
    quarantined_spans?: number
  }
}

const num = (n: number) => n.toLocaleString('en-US')

/**
 * What to tell someone looking at the explorer about spans it cannot show yet, worst first. A
 * backlog of a few segments is normal batching; more means ClickHouse is refusing or slow.
 */
export function storageWarning(r: Readiness): { level: 'warn' | 'error'; text: string } | null {
  const s = r.spans
  const n = num(s.pending)
  const has = (code: string) => r.reasons?.some((x) => x.code === code) ?? false
  const droppedEarlier = has('spans_dropped_earlier')
  if (s.dropped > 0 && !droppedEarlier)
    return {
      level: 'error',
      text: `${num(s.dropped)} spans were dropped: neither the spool nor storage could take them. See /readyz and the gateway log.`,
    }
  if (r.storage.spans_table === false)
    return {
      level: 'error',
      text: `The spans table is missing in ClickHouse: ${n} spans wait in the spool and appear here once it is back.`,
    }
  if ((s.memory_rows ?? 0) > 0 || s.spool_writable === false) {
    return {
      level: 'error',
      text: `The spool directory cannot be written: ${num(s.memory_rows ?? 0)} spans wait in memory. Check the disk and the data directory.`,
    }
  }
  if (!r.storage.reachable)
    return {
      level: 'warn',
      text: `Storage is unreachable: ${n} spans wait in the spool and appear here when it is back.`,
    }
  if ((s.quarantined_segments ?? 0) > 0) {
    return {
      level: 'warn',
      text: `${num(s.quarantined_spans ?? 0)} spans in ${num(s.quarantined_segments!)} spool segments were rejected by ClickHouse and set aside: see \`tracegate spool list\`.`,
    }
  }
  if (s.pending > 0 && s.spool_segments >= 3)
    return {
      level: 'warn',
      text: `${n} spans are waiting to be written (ClickHouse is refusing or slow); the newest requests are not shown yet.`,
    }
  if (droppedEarlier)
    return { level: 'warn', text: `${num(s.dropped)} spans were dropped earlier; none are being dropped now.` }
  return null
}
