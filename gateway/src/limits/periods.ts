import type { BudgetPeriod } from '@tracegate/schemas'

const formats = new Map<string, Intl.DateTimeFormat>()

function format(tz: string): Intl.DateTimeFormat {
  let f = formats.get(tz)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formats.set(tz, f)
  }
  return f
}

/** The wall clock in `tz` at `ms`, as the UTC instant with the same digits. */
function wallAsUtc(ms: number, tz: string): number {
  const p = Object.fromEntries(
    format(tz)
      .formatToParts(ms)
      .map((x) => [x.type, Number(x.value)]),
  )
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!)
}

/** The instant it is midnight starting local day (y, m0, d) in `tz` (UTC-based arithmetic normalises overflow). */
function localMidnight(y: number, m0: number, d: number, tz: string): number {
  const wall = Date.UTC(y, m0, d)
  const guess = wall - (wallAsUtc(wall, tz) - wall)
  // A DST change between the guess and midnight moves the offset once: correct with the offset there.
  return wall - (wallAsUtc(guess, tz) - guess)
}

/**
 * The period `ms` falls in: its start and the start of the next one, calendar-aligned in `tz`
 * (weeks start on Monday). A budget without a period started at the epoch and never resets.
 */
export function periodOf(ms: number, period: BudgetPeriod, tz: string): { start: number; end: number } {
  if (period === 'none') return { start: 0, end: Number.POSITIVE_INFINITY }
  const wall = new Date(wallAsUtc(ms, tz))
  const y = wall.getUTCFullYear()
  const m = wall.getUTCMonth()
  const d = wall.getUTCDate()
  if (period === 'day') return { start: localMidnight(y, m, d, tz), end: localMidnight(y, m, d + 1, tz) }
  if (period === 'month') return { start: localMidnight(y, m, 1, tz), end: localMidnight(y, m + 1, 1, tz) }
  const monday = d - ((wall.getUTCDay() + 6) % 7)
  return { start: localMidnight(y, m, monday, tz), end: localMidnight(y, m, monday + 7, tz) }
}

/**
 * periodOf in one time zone, each period's bounds kept until the clock leaves them: every request
 * asks for its scopes' periods, and the answer changes once a day at most (five Intl calls each).
 */
export class Periods {
  private readonly current = new Map<BudgetPeriod, Readonly<{ start: number; end: number }>>()

  constructor(private readonly tz: string) {}

  of(ms: number, period: BudgetPeriod): Readonly<{ start: number; end: number }> {
    const known = this.current.get(period)
    if (known && known.start <= ms && ms < known.end) return known
    const fresh = periodOf(ms, period, this.tz)
    this.current.set(period, fresh)
    return fresh
  }
}
