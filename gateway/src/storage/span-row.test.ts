import { serialize } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { SPAN_COLUMNS, spanRowLine, spanRowValues, type SpanRow } from './span-row.ts'

/** How V8 holds a string: its serializer tags one-byte strings '"' and two-byte strings 'c'. */
const representation = (s: string) => (serialize(s)[2] === 0x22 ? 'one-byte' : 'two-byte')

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

  it('writes the key name in ASCII escapes, so the line of an ASCII request stays one byte per character', () => {
    const row = Object.fromEntries(SPAN_COLUMNS.map((c) => [c, `value of ${c}`])) as unknown as SpanRow
    row.KeyName = 'sha256:0123456789ab…wxyz'
    const line = spanRowLine(row)
    expect(line).toContain('"sha256:0123456789ab\\u2026wxyz"')
    expect(line).toMatch(/^[\x20-\x7e]*$/)
    expect(representation(line)).toBe('one-byte')
    expect(representation(JSON.stringify(['sha256:0123456789ab…wxyz']).replace('…', '...'))).toBe('two-byte')
    expect(JSON.parse(line)[SPAN_COLUMNS.indexOf('KeyName')]).toBe('sha256:0123456789ab…wxyz')
  })

  it('escapes any key name, a quote, Latin-1 and a surrogate pair included, to the same value', () => {
    const row = Object.fromEntries(SPAN_COLUMNS.map((c, i) => [c, i])) as unknown as SpanRow
    row.KeyName = 'équipe "🚀"\n'
    const line = spanRowLine(row)
    expect(line).toContain('"\\u00e9quipe \\"\\ud83d\\ude80\\"\\n"')
    expect(JSON.parse(line)).toEqual(SPAN_COLUMNS.map((c, i) => (c === 'KeyName' ? 'équipe "🚀"\n' : i)))
  })
})
