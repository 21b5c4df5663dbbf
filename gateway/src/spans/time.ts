/** ClickHouse DateTime64(9) text, UTC, from wall-clock milliseconds with a fraction. */
export function formatTimestamp(ms: number): string {
  const whole = Math.floor(ms)
  const iso = new Date(whole).toISOString() // 2026-11-24T07:00:00.123Z
  const subMs = Math.round((ms - whole) * 1e6)
    .toString()
    .padStart(6, '0')
    .slice(0, 6)
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${subMs}`
}

/** DateTime64(9) text back to an ISO-8601 string with microseconds, for the API. */
export function isoFromClickHouse(ts: string): string {
  return `${ts.slice(0, 10)}T${ts.slice(11, 26)}Z`
}
