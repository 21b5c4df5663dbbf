import { describe, expect, it } from 'vitest'
import { formatTimestamp, isoFromClickHouse } from './time.ts'

/** The formatting from the Date alone, every time: what the cached prefix must equal. */
function fromDate(ms: number): string {
  const whole = Math.floor(ms)
  const iso = new Date(whole).toISOString()
  const subMs = `${Math.round((ms - whole) * 1e6)}`.padStart(6, '0')
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${subMs}`
}

describe('formatTimestamp', () => {
  it('writes DateTime64(9) text in UTC, to the nanosecond', () => {
    expect(formatTimestamp(Date.UTC(2026, 11, 1, 19, 20, 29, 123) + 0.25)).toBe('2026-12-01 19:20:29.123250000')
    expect(formatTimestamp(Date.UTC(2026, 11, 31, 23, 59, 59, 999))).toBe('2026-12-31 23:59:59.999000000')
    expect(formatTimestamp(Date.UTC(2027, 0, 1))).toBe('2027-01-01 00:00:00.000000000')
  })

  it('agrees with formatting each value from its Date, across seconds, minutes and days', () => {
    let ms = Date.UTC(2026, 11, 1, 23, 59, 50)
    for (let i = 0; i < 20_000; i++) {
      ms += ((i * 7919) % 1000) / 997 // steps of 0 to ~1 ms, with fractions
      if (Math.round((ms - Math.floor(ms)) * 1e6) === 1e6) continue // fromDate's own carry slip, below
      expect(formatTimestamp(ms)).toBe(fromDate(ms))
    }
  })

  it('keeps a fraction that rounds up to a whole second inside its second', () => {
    // Only near the epoch is a double fine enough to come within half a nanosecond of the next second.
    expect(formatTimestamp(999.9999999996)).toBe('1970-01-01 00:00:00.999999999')
  })

  it('reads back as ISO-8601 with microseconds', () => {
    expect(isoFromClickHouse(formatTimestamp(Date.UTC(2026, 11, 1, 19, 20, 29, 123) + 0.25))).toBe(
      '2026-12-01T19:20:29.123250Z',
    )
  })
})
