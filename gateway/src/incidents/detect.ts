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
  // The run of good minutes that may end the open incident: its first minute and its length.
  let goodSince = 0
  let goodRun = 0
  for (const m of minutes) {
    if (m.attempts <= 0) continue
    const base = baseline.rate(m.minute)
    const over = overThreshold(m.errors / m.attempts, base, s)
    const bad = over && m.attempts >= s.min_attempts_per_minute
    if (!over) baseline.add(m)
    if (!open) {
      if (!bad) continue
      recentBad = recentBad.filter((t) => t > m.minute - s.window_minutes * MINUTE)
      recentBad.push(m.minute)
      if (recentBad.length >= s.bad_minutes) {
        open = { since: recentBad[0]!, recoveredAt: null, baseline: base }
        found.push(open)
        recentBad = []
        goodRun = 0
      }
      continue
    }
    if (over) goodRun = 0
    else if (goodRun++ === 0) goodSince = m.minute
    if (goodRun >= s.recover_minutes) {
      open.recoveredAt = goodSince
      open = null
    }
  }
  return found
}

function overThreshold(rate: number, baseline: number | null, s: IncidentSettings): boolean {
  if (rate >= s.error_rate) return true
  return baseline !== null && rate >= s.min_error_rate && rate >= baseline * s.baseline_factor
}

/**
 * Error rate over the good minutes of the last `baseline_minutes`, when they hold enough attempts to
 * mean something. Minutes arrive oldest first, so the window is kept as running sums: each minute
 * is added once and dropped once, not summed again for every minute after it.
 */
class Baseline {
  private readonly minutes: MinuteStat[] = []
  private oldest = 0
  private attempts = 0
  private errors = 0

  constructor(private readonly s: IncidentSettings) {}

  add(m: MinuteStat): void {
    this.minutes.push(m)
    this.attempts += m.attempts
    this.errors += m.errors
  }

  rate(now: number): number | null {
    const since = now - this.s.baseline_minutes * MINUTE
    for (; this.oldest < this.minutes.length && this.minutes[this.oldest]!.minute < since; this.oldest++) {
      this.attempts -= this.minutes[this.oldest]!.attempts
      this.errors -= this.minutes[this.oldest]!.errors
    }
    if (this.attempts < this.s.min_attempts_per_minute) return null
    return this.errors / this.attempts
  }
}
