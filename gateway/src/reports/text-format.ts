/** Figures as the CLI prints them (compare, check), alike wherever the same figure shows. */

export const NONE = '–'

export const num = (v: number | null, digits = 0) =>
  v === null ? NONE : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

export const pct = (v: number | null) => (v === null ? NONE : `${(v * 100).toFixed(1)}%`)

/** Cents, or two significant digits below a cent, as the explorer prints dollars. */
export function usd(v: number | null): string {
  if (v === null) return NONE
  const abs = Math.abs(v)
  if (abs === 0 || abs >= 0.01) return `${v < 0 ? '-' : ''}$${num(abs, 2)}`
  return `${v < 0 ? '-' : ''}$${abs.toFixed(Math.min(10, 1 - Math.floor(Math.log10(abs))))}`
}
