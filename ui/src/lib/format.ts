/**
 * Every number, amount and time the explorer prints is formatted here, so a value reads the same on
 * every page: times with their zone, dollars with cents (more digits only below a cent), counts and
 * tokens with thousands separators.
 */
type Num = number | string | null | undefined

export const toNum = (v: Num): number | null =>
  v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v)

const EMPTY = '–'
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const cents = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

export function count(v: Num): string {
  const n = toNum(v)
  return n === null ? EMPTY : grouped.format(Math.round(n))
}

/** Token counts in full, with separators: 1,234,567 (a bill is checked digit by digit). */
export const tokens = count

/**
 * Dollars for humans: $0.04, $1,234.56. Below a cent, two significant digits ($0.0042, $0.000038),
 * so a cheap request still reads as more than zero.
 */
export function usd(v: Num): string {
  const n = toNum(v)
  if (n === null) return EMPTY
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(n)
  if (abs === 0 || abs >= 0.01) return `${sign}$${cents.format(abs)}`
  const digits = Math.min(10, 1 - Math.floor(Math.log10(abs)))
  return `${sign}$${abs.toFixed(digits)}`
}

/** A request's cost: "unpriced" when the model has no price, never $0. */
export function cost(v: Num, source: string): string {
  return toNum(v) === null && source === 'unpriced' ? 'unpriced' : usd(v)
}

/** A total that leaves out unpriced requests says so: "$1.20 + 3 unpriced". */
export function costWithUnpriced(v: Num, unpriced: Num): string {
  const n = toNum(unpriced) ?? 0
  return n > 0 ? `${usd(v)} + ${count(n)} unpriced` : usd(v)
}

/** "3 requests unpriced" (or null when none are). */
export function unpricedNote(unpriced: Num): string | null {
  const n = toNum(unpriced) ?? 0
  return n > 0 ? `${count(n)} ${n === 1 ? 'request' : 'requests'} unpriced` : null
}

export function ms(v: Num): string {
  const n = toNum(v)
  if (n === null) return EMPTY
  if (n >= 10_000) return `${(n / 1000).toFixed(1)} s`
  return n >= 100 ? `${count(n)} ms` : `${n.toFixed(1)} ms`
}

export function pct(v: Num): string {
  const n = toNum(v)
  return n === null ? EMPTY : `${(n * 100).toFixed(n > 0 && n < 0.001 ? 3 : 1)}%`
}

const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
})

/** The one date-time format: "01 Dec 2026, 14:05:09 UTC", in the browser's time zone, named. */
export function dateTime(v: string | number | Date): string {
  const d = v instanceof Date ? v : new Date(v)
  if (Number.isNaN(d.getTime())) return EMPTY
  const p = Object.fromEntries(DATE_TIME.formatToParts(d).map((x) => [x.type, x.value]))
  return `${p.day} ${p.month} ${p.year}, ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName}`
}

/** Kept for callers that format an ISO string: the same format as `dateTime`. */
export const time = (iso: string): string => dateTime(iso)

/** "14:05" today, "17 Nov 14:05" another day. */
export function clock(d: Date): string {
  const hm = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
  return d.toDateString() === new Date().toDateString()
    ? hm
    : `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${hm}`
}

const HOUR_MINUTE = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
const DAY_MONTH = new Intl.DateTimeFormat('en-GB', { day: '2-digit', month: 'short' })

/** Chart time-axis ticks (epoch seconds) in the same 24-hour clock: "14:05", or "01 Dec" across days. */
export function axisTimes(ticks: number[]): string[] {
  const span = ticks.length > 1 ? ticks.at(-1)! - ticks[0]! : 0
  const fmt = span >= 2 * 86_400 ? DAY_MONTH : HOUR_MINUTE
  return ticks.map((t) => fmt.format(t * 1000))
}

/** The browser's time zone as the pages name it ("UTC", "CET"). */
export const zoneName = (d = new Date()): string =>
  DATE_TIME.formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? ''

/** Change against the previous period as "+12%"; null when there is nothing to compare with. */
export function change(now: Num, before: Num): string | null {
  const a = toNum(now)
  const b = toNum(before)
  if (a === null || b === null || b === 0) return null
  const d = (a - b) / Math.abs(b)
  return `${d >= 0 ? '+' : ''}${(d * 100).toFixed(0)}%`
}
