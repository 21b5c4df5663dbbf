import { DimensionSchema, QUERY_METRICS, type Dimension, type Filter, type Metric } from '@tracegate/schemas'

/** Explore's state as it lives in the URL: group=a,b  m=requests,cost_usd  f=team:eq:growth (repeated)  top=10. */
export interface SliceState {
  group: Dimension[]
  metrics: Metric[]
  filters: Filter[]
  chart: Metric
  /** How many groups are shown; the rest are folded into one "other" row. */
  top: number
}

export const TOP_CHOICES = [3, 5, 10, 20, 50] as const
const DEFAULT_TOP = 10

const DEFAULT_METRICS: Metric[] = ['requests', 'error_rate', 'p95_latency_ms', 'cost_usd']
const isMetric = (m: string): m is Metric => (QUERY_METRICS as readonly string[]).includes(m)

/** Anything in a hand-edited link that is not a valid dimension, metric or filter is dropped. */
export function readSlice(q: URLSearchParams): SliceState {
  const unique = (list: string) => [...new Set(list.split(','))]
  const group = unique(q.get('group') ?? '')
    .filter((d) => DimensionSchema.safeParse(d).success)
    .slice(0, 3) as Dimension[]
  const listed = unique(q.get('m') ?? '').filter(isMetric)
  const metrics = listed.length ? listed : DEFAULT_METRICS
  const filters = q
    .getAll('f')
    .map(parseFilter)
    .filter((f): f is Filter => f !== null)
  const chart = q.get('chart') ?? ''
  const top = Number(q.get('top'))
  return {
    group,
    metrics,
    filters,
    chart: isMetric(chart) ? chart : metrics[0]!,
    top: (TOP_CHOICES as readonly number[]).includes(top) ? top : DEFAULT_TOP,
  }
}

export function parseFilter(s: string): Filter | null {
  const [dimension, op, ...rest] = s.split(':')
  // meta:<name> dimensions carry their own colon.
  const [dim, op2, value] =
    dimension === 'meta' ? [`meta:${op}`, rest[0], rest.slice(1).join(':')] : [dimension, op, rest.join(':')]
  if (!DimensionSchema.safeParse(dim).success || (op2 !== 'eq' && op2 !== 'neq') || !value) return null
  return { dimension: dim as Dimension, op: op2, value }
}

export const filterParam = (f: Filter) =>
  `${f.dimension}:${f.op}:${Array.isArray(f.value) ? f.value.join(',') : f.value}`
