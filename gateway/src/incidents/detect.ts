import type { IncidentSettings } from '@tracegate/schemas'

/** One target's attempts in one minute (start of the minute, epoch ms). */
export interface MinuteStat {
  minute: number
  attempts: number
  errors: number
}

export interface DetectedIncident {
  since: number
  /** Start of the run of good minutes that ended it; null while it lasts. */
  recoveredAt: number | null
  /** The target's own error rate before it started; null without enough traffic to say. */
  baseline: number | null
}

const MINUTE = 60_000

/**
 * The incidents in one target's minutes (sorted, oldest first). A minute is bad with enough
 * attempts and an error rate over the threshold or far over the target's own baseline; it is good
 * with traffic under both; anything else (no traffic, too little to judge) neither starts nor ends
 * one. An incident starts at the first bad minute of a window holding enough bad minutes, and ends
 * at the first of enough good minutes in a row.
 */
export function detectIncidents(minutes: MinuteStat[], s: IncidentSettings): DetectedIncident[] {
  const found: DetectedIncident[] = []
  const baseline = new Baseline(s)
  let recentBad: number[] = []
  let open: DetectedIncident | null = null
  let goodRun: number[] = []
  for (const m of minutes) {
    if (m.attempts <= 0) continue
    const base = baseline.rate(m.minute)
    const over = overThreshold(m.errors / m.attempts, base, s)
    const bad = over && m.attempts >= s.min_attempts_per_minute
    if (!over) baseline.add(m)
    if (!open) {
      if (!bad) continue
      recentBad = [...recentBad.filter((t) => t > m.minute - s.window_minutes * MINUTE), m.minute]
      if (recentBad.length >= s.bad_minutes) {
        open = { since: recentBad[0]!, recoveredAt: null, baseline: base }
        found.push(open)
        recentBad = []
        goodRun = []
      }
      continue
    }
    goodRun = over ? [] : [...goodRun, m.minute]
    if (goodRun.length >= s.recover_minutes) {
      open.recoveredAt = goodRun[0]!
      open = null
    }
  }
  return found
}

function overThreshold(rate: number, baseline: number | null, s: IncidentSettings): boolean {
  if (rate >= s.error_rate) return true
  return baseline !== null && rate >= s.min_error_rate && rate >= baseline * s.baseline_factor
}

/** Error rate over the good minutes of the last `baseline_minutes`, when they hold enough attempts to mean something. */
class Baseline {
  private minutes: MinuteStat[] = []

  constructor(private readonly s: IncidentSettings) {}

  add(m: MinuteStat): void {
    this.minutes.push(m)
  }

  rate(now: number): number | null {
    const since = now - this.s.baseline_minutes * MINUTE
    this.minutes = this.minutes.filter((m) => m.minute >= since)
    const attempts = this.minutes.reduce((n, m) => n + m.attempts, 0)
    if (attempts < this.s.min_attempts_per_minute) return null
    return this.minutes.reduce((n, m) => n + m.errors, 0) / attempts
  }
}
