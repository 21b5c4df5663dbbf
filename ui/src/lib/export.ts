import { get } from './api.ts'

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

function save(name: string, blob: Blob): void {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(blob)
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
}

export function download(name: string, text: string, type: string): void {
  save(name, new Blob([text], { type }))
}

/** A file the API renders (a report as CSV or JSON), saved as `name`; an API error is thrown as an ApiError. */
export async function downloadFrom(path: string, name: string): Promise<void> {
  save(name, await (await get(path)).blob())
}
