import { describe, expect, it } from 'vitest'
import { UsageChunkFilter } from './usage-chunk-filter.ts'

const content = 'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}\n\n'
const usage = 'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}}\n\n'
const done = 'data: [DONE]\n\n'

function run(parts: string[]): string {
  const f = new UsageChunkFilter()
  let out = ''
  for (const p of parts) for (const b of f.push(Buffer.from(p))) out += b.toString()
  return out + (f.end()?.toString() ?? '')
}

describe('UsageChunkFilter', () => {
  it('drops only the usage-only event', () => {
    expect(run([content + usage + done])).toBe(content + done)
  })

  it('handles events split across chunks at every byte position', () => {
    const whole = content + usage + done
    for (let cut = 1; cut < whole.length; cut++) {
      expect(run([whole.slice(0, cut), whole.slice(cut)])).toBe(content + done)
    }
  })

  it('keeps a usage object that rides on a content chunk, and CRLF-framed events', () => {
    const both = 'data: {"choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1}}\r\n\r\n'
    expect(run([both, done])).toBe(both + done)
    const crlfUsage = usage.replace('\n\n', '\r\n\r\n')
    expect(run([content, crlfUsage, done])).toBe(content + done)
  })

  it('passes an unterminated tail through at the end', () => {
    expect(run([content, 'data: {"partial":'])).toBe(content + 'data: {"partial":')
  })
})
