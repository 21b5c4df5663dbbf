import { describe, expect, it } from 'vitest'
import { SPAN_COLUMNS, spanRowLine, spanRowValues, type SpanRow } from './span-row.ts'

describe('spanRowValues', () => {
  it('lists every column, in SPAN_COLUMNS order', () => {
    // Each column holds its own name: a value out of place or missing shows which.
    const row = Object.fromEntries(SPAN_COLUMNS.map((c) => [c, `value of ${c}`])) as unknown as SpanRow
    expect(spanRowValues(row)).toEqual(SPAN_COLUMNS.map((c) => `value of ${c}`))
  })

  it('encodes a row as the JSON array of its values', () => {
    const row = Object.fromEntries(SPAN_COLUMNS.map((c, i) => [c, i])) as unknown as SpanRow
    expect(JSON.parse(spanRowLine(row))).toEqual(SPAN_COLUMNS.map((_, i) => i))
  })
})
