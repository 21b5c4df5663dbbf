/**
 * A slice as a file: CSV (RFC 4180 quoting; a cell that a spreadsheet would run as a formula gets a
 * leading quote, as the gateway's cost reports do) or JSON, handed to the browser as a download.
 */
const FORMULA_START = /^[=+\-@\t\r]/

function cell(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return String(v)
  const s = FORMULA_START.test(String(v)) ? `'${String(v)}` : String(v)
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv(columns: string[], rows: Array<Record<string, unknown>>): string {
  return [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n'
}

export function download(name: string, text: string, type: string): void {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([text], { type }))
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
}
