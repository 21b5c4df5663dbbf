let lastSecond = Number.NaN
let lastPrefix = ''

/**
 * ClickHouse DateTime64(9) text, UTC, from wall-clock milliseconds with a fraction. Every span row
 * carries one, so the date and time of day are formatted once per second and reused.
 */
export function formatTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString() // 2026-11-24T07:00:00.000Z
    lastPrefix = `${iso.slice(0, 10)} ${iso.slice(11, 19)}.`
    lastSecond = second
  }
  // Nanoseconds into the second; a fraction that rounds up to a whole second stays in this one.
  const ns = Math.min(999_999_999, Math.round((ms - second * 1000) * 1e6))
  return lastPrefix + `${ns}`.padStart(9, '0')
}

/** DateTime64(9) text back to an ISO-8601 string with microseconds, for the API. */
export function isoFromClickHouse(ts: string): string {
  return `${ts.slice(0, 10)}T${ts.slice(11, 26)}Z`
}
