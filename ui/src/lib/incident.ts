import type { QueryResponse } from '@tracegate/schemas'

type Row = QueryResponse['rows'][number]

/** The provider/model to look at first: most errors among those over the threshold, else most errors. */
export function worstTarget(rows: Row[], threshold: number): Row | undefined {
  const failing = rows.filter((r) => Number(r.errors) > 0)
  const over = failing.filter((r) => Number(r.error_rate) >= threshold)
  return [...(over.length ? over : failing)].sort((a, b) => Number(b.errors) - Number(a.errors))[0]
}

/**
 * Start of the latest run of buckets at or over the threshold ("since 14:05"), and whether the
 * last bucket with traffic is still over it. Buckets with no requests neither start nor end a run.
 */
export function crossing(rows: Row[], threshold: number): { since: Date; ongoing: boolean } | null {
  let since: Date | null = null
  let over = false
  for (const r of [...rows].sort((a, b) => String(a.time).localeCompare(String(b.time)))) {
    if (!Number(r.requests)) continue
    const now = Number(r.error_rate) >= threshold
    if (now && !over) since = new Date(String(r.time))
    over = now
  }
  return since ? { since, ongoing: over } : null
}
