/**
 * The per-span counters and histograms of /metrics, kept as plain numbers. prom-client hashes a
 * series' labels into a string key, validates them and looks the key up on every inc() and
 * observe(), even through a child bound with labels(); with nine updates per request that was ~4%
 * of the gateway's CPU at c=32. A series here is found once (callers cache it) and updated with an
 * addition, and its exposition text is written at scrape time. Only these families live here: the
 * rest of /metrics (gauges read at scrape, Node's own metrics) stays in prom-client's registry.
 */

/** Label values in the order of the family's label names; bounded by MetricLabels. */
type LabelValues = readonly string[]

export interface CounterSeries {
  value: number
}

export interface HistogramSeries {
  /** Observations per bucket, not cumulative; the last slot is above every bound (+Inf). */
  readonly buckets: Float64Array
  sum: number
  count: number
}

/** A label value in the text format: backslash, double quote and newline escaped. */
const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** The `name="value",…` pairs of a series. */
const labelPairs = (names: readonly string[], values: LabelValues) =>
  names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`)

/** A sample line: the name, the label pairs (a bucket's `le` among them) in braces when there are any, the value. */
const sample = (name: string, pairs: string, value: string) => `${name}${pairs ? `{${pairs}}` : ''} ${value}`

/** A sample's value as Prometheus parses it (Go's float syntax; JavaScript's number text is a subset). */
const sampleValue = (v: number) =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : `${v}`

abstract class Family<S> {
  private readonly series = new Map<string, { labels: string; series: S }>()

  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: 'counter' | 'histogram',
    protected readonly labelNames: readonly string[],
  ) {}

  /** The series for these label values, made on first use. Callers keep it: finding it encodes the values. */
  at(values: LabelValues): S {
    const key = JSON.stringify(values)
    let entry = this.series.get(key)
    if (!entry) {
      entry = { labels: labelPairs(this.labelNames, values).join(','), series: this.make() }
      this.series.set(key, entry)
    }
    return entry.series
  }

  /** The family in the Prometheus text format (version 0.0.4), as prom-client writes it. */
  text(): string {
    const lines = [`# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`]
    lines.push(`# TYPE ${this.name} ${this.type}`)
    for (const { labels, series } of this.series.values()) this.samples(lines, labels, series)
    return lines.join('\n')
  }

  protected abstract make(): S
  protected abstract samples(lines: string[], labels: string, series: S): void
}

export class CounterFamily extends Family<CounterSeries> {
  constructor(name: string, help: string, labelNames: readonly string[]) {
    super(name, help, 'counter', labelNames)
  }

  protected make(): CounterSeries {
    return { value: 0 }
  }

  /** Add to a counter; a value that is negative or not a finite number is left out (a NaN would stick for good, a negative would read as a reset). */
  add(s: CounterSeries, value: number): void {
    if (value >= 0 && value !== Infinity) s.value += value
  }

  protected samples(lines: string[], labels: string, s: CounterSeries): void {
    lines.push(sample(this.name, labels, sampleValue(s.value)))
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  private readonly bounds: Float64Array
  private readonly boundLabels: string[]

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, 'histogram', labelNames)
    this.bounds = Float64Array.from(bounds)
    this.boundLabels = [...bounds.map(sampleValue), '+Inf']
  }

  protected make(): HistogramSeries {
    return { buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 }
  }

  /** Count one value: in the first bucket whose bound it does not exceed (`le`), or above them all. */
  observe(s: HistogramSeries, value: number): void {
    if (!Number.isFinite(value)) return // a NaN would make the sum NaN for good
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    s.buckets[i] = s.buckets[i]! + 1
    s.sum += value
    s.count++
  }

  protected samples(lines: string[], labels: string, s: HistogramSeries): void {
    let cumulative = 0
    for (let i = 0; i < this.boundLabels.length; i++) {
      cumulative += s.buckets[i]!
      const le = `le="${this.boundLabels[i]}"`
      lines.push(sample(`${this.name}_bucket`, labels ? `${le},${labels}` : le, `${cumulative}`))
    }
    lines.push(sample(`${this.name}_sum`, labels, sampleValue(s.sum)))
    lines.push(sample(`${this.name}_count`, labels, `${s.count}`))
  }
}
