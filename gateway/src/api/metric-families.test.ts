import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { Counter, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { CounterFamily, HistogramFamily } from './metric-families.ts'

const BOUNDS = [0.01, 0.1, 1, 10]
// On a bound, between bounds, below the first, above the last, zero, and a label value that needs escaping.
const OBSERVED: [string, number][] = [
  ['gpt-4o', 0.01],
  ['gpt-4o', 0.05],
  ['gpt-4o', 0.005],
  ['gpt-4o', 42],
  ['a "quoted" \\ model\nname', 1],
  ['a "quoted" \\ model\nname', 0],
]

/** The same observations through prom-client, the exposition ours must equal. */
async function promClientText(): Promise<string> {
  const registry = new Registry()
  const h = new Histogram({ name: 'h', help: 'help', labelNames: ['model'], buckets: BOUNDS, registers: [registry] })
  const c = new Counter({ name: 'c_total', help: 'help', labelNames: ['model', 'type'], registers: [registry] })
  for (const [model, v] of OBSERVED) {
    h.labels({ model }).observe(v)
    c.labels({ model, type: 'input' }).inc(v)
  }
  return registry.metrics()
}

function ourText(): string {
  const h = new HistogramFamily('h', 'help', ['model'], BOUNDS)
  const c = new CounterFamily('c_total', 'help', ['model', 'type'])
  for (const [model, v] of OBSERVED) {
    h.observe(h.at([model]), v)
    c.at([model, 'input']).value += v
  }
  return `${h.text()}\n\n${c.text()}\n`
}

describe('metric families', () => {
  it('write what prom-client writes for the same observations, label escaping included', async () => {
    expect(ourText()).toBe(await promClientText())
    // The parser leaves a histogram's labels out: the counter shows the escapes read back.
    const counter = parsePrometheusTextFormat(ourText())[1]!
    const quoted = counter.metrics.find((m) => m.labels?.model?.startsWith('a "quoted"'))
    expect(quoted?.labels?.model).toBe('a "quoted" \\ model\nname')
    expect(quoted?.value).toBe('1')
    expect(counter.metrics.find((m) => m.labels?.model === 'gpt-4o')?.value).toBe('42.065')
    const gpt = ourText()
      .split('\n')
      .filter((l) => l.startsWith('h_') && l.includes('model="gpt-4o"'))
    expect(gpt).toEqual([
      'h_bucket{le="0.01",model="gpt-4o"} 2',
      'h_bucket{le="0.1",model="gpt-4o"} 3',
      'h_bucket{le="1",model="gpt-4o"} 3',
      'h_bucket{le="10",model="gpt-4o"} 3',
      'h_bucket{le="+Inf",model="gpt-4o"} 4',
      'h_sum{model="gpt-4o"} 42.065',
      'h_count{model="gpt-4o"} 4',
    ])
  })

  it('keeps one series per label values, found again by the same values', () => {
    const c = new CounterFamily('c_total', 'help', ['provider'])
    c.at(['openai']).value += 2
    c.at(['openai']).value += 3
    c.at(['anthropic']).value++
    expect(c.text().split('\n')).toEqual([
      '# HELP c_total help',
      '# TYPE c_total counter',
      'c_total{provider="openai"} 5',
      'c_total{provider="anthropic"} 1',
    ])
  })

  it('leaves a value that is not a finite number out of a histogram, rather than making its sum NaN', () => {
    const h = new HistogramFamily('h', 'help', ['model'], BOUNDS)
    const s = h.at(['m'])
    h.observe(s, Number.NaN)
    h.observe(s, 0.5)
    expect(s.count).toBe(1)
    expect(s.sum).toBe(0.5)
  })

  it('leaves a negative or non-finite amount out of a counter', () => {
    const c = new CounterFamily('c_total', 'help', ['provider'])
    const s = c.at(['openai'])
    for (const v of [2, Number.NaN, -5, Infinity, 0.5]) c.add(s, v)
    expect(s.value).toBe(2.5)
  })

  it('keeps label values apart whatever characters they hold', () => {
    const c = new CounterFamily('c_total', 'help', ['a', 'b'])
    c.at(['x\0y', 'z']).value++
    c.at(['x', 'y\0z']).value++
    expect(c.at(['x\0y', 'z']).value).toBe(1)
    expect(c.at(['x', 'y\0z']).value).toBe(1)
  })
})
