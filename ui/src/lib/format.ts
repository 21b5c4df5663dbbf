type Num = number | string | null | undefined

export const toNum = (v: Num): number | null =>
  v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Number(v)

export function count(v: Num): string {
  const n = toNum(v)
  return n === null ? '–' : Math.round(n).toLocaleString('en-US')
}

/** Dollars with enough digits that small per-request costs still read as more than zero. */
export function usd(v: Num): string {
  const n = toNum(v)
  if (n === null) return '–'
  if (n === 0) return '$0'
  const abs = Math.abs(n)
  const digits = abs >= 100 ? 2 : abs >= 1 ? 4 : 6
  return `$${n.toFixed(digits)}`
}

export function ms(v: Num): string {
  const n = toNum(v)
  if (n === null) return '–'
  if (n >= 10_000) return `${(n / 1000).toFixed(1)} s`
  return n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`
}

export function pct(v: Num): string {
  const n = toNum(v)
  return n === null ? '–' : `${(n * 100).toFixed(n > 0 && n < 0.001 ? 3 : 1)}%`
}

export function tokens(v: Num): string {
  const n = toNum(v)
  if (n === null) return '–'
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`
  return count(n)
}

export function time(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', {
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}

/** "14:05" today, "17 Nov 14:05" another day. */
export function clock(d: Date): string {
  const hm = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
  return d.toDateString() === new Date().toDateString()
    ? hm
    : `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${hm}`
}

/** Change against the previous period as "+12%"; null when there is nothing to compare with. */
export function change(now: Num, before: Num): string | null {
  const a = toNum(now)
  const b = toNum(before)
  if (a === null || b === null || b === 0) return null
  const d = (a - b) / Math.abs(b)
  return `${d >= 0 ? '+' : ''}${(d * 100).toFixed(0)}%`
}
