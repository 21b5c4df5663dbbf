import { z } from 'zod'
import { AFTER_FROM, InstantSchema, toAfterFrom } from './api.ts'

export const QUERY_DIMENSIONS = [
  'workflow',
  'model',
  'provider',
  'key',
  'team',
  'user',
  'session',
  'status',
  'outcome',
  'result',
  'error_type',
  'tag',
] as const
export const QUERY_METRICS = [
  'requests',
  'errors',
  'error_rate',
  'p50_latency_ms',
  'p95_latency_ms',
  'p99_latency_ms',
  'ttft_p50_ms',
  'input_tokens',
  'output_tokens',
  'cost_usd',
  'cost_per_request',
  'retries',
  'fallbacks',
  'provider_cost_usd',
  'cost_gap_usd',
  'unpriced_requests',
] as const
export const QUERY_INTERVALS = ['1m', '5m', '15m', '1h', '1d'] as const

/** A dimension, or `meta:<name>` for an x-tracegate-meta-<name> value. */
export const DimensionSchema = z.union([
  z.enum(QUERY_DIMENSIONS),
  z.string().regex(/^meta:[a-z0-9_.-]{1,64}$/, 'meta dimensions are meta:<name> (a-z 0-9 _ . -)'),
])
export type Dimension = z.infer<typeof DimensionSchema>
export type Metric = (typeof QUERY_METRICS)[number]

export const FilterSchema = z
  .object({
    dimension: DimensionSchema,
    op: z.enum(['eq', 'neq', 'in', 'not_in']),
    value: z.union([z.string().max(500), z.array(z.string().max(500)).min(1).max(100)]),
  })
  .strict()
export type Filter = z.infer<typeof FilterSchema>

const MAX_RANGE_MS = 400 * 86_400_000

/** `POST /api/query`: one slice of the request spans. */
export const QueryRequestSchema = z
  .object({
    from: InstantSchema,
    to: InstantSchema,
    group_by: z.array(DimensionSchema).max(3).default([]),
    metrics: z.array(z.enum(QUERY_METRICS)).min(1).max(QUERY_METRICS.length),
    filters: z.array(FilterSchema).max(20).default([]),
    interval: z.enum(QUERY_INTERVALS).optional(),
    order_by: z.enum(QUERY_METRICS).optional(),
    limit: z.number().int().min(1).max(10_000).default(100),
    /**
     * Keep the `top` groups (ranked by `order_by`, else the first metric, over the whole range) and
     * fold every other group into one row with `other: 1`, so nothing is dropped from the totals.
     */
    top: z.number().int().min(1).max(100).optional(),
  })
  .strict()
  .refine(toAfterFrom, AFTER_FROM)
  .refine((q) => !q.top || q.group_by.length > 0, {
    message: 'top needs at least one group_by dimension',
    path: ['top'],
  })
  .refine((q) => q.to.getTime() - q.from.getTime() <= MAX_RANGE_MS, {
    message: 'the range may span at most 400 days',
    path: ['from'],
  })
export type QueryRequest = z.infer<typeof QueryRequestSchema>

export const QueryResponseSchema = z.object({
  source: z.enum(['rollup', 'spans']),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
})
export type QueryResponse = z.infer<typeof QueryResponseSchema>

/** `GET /api/meta-keys`: the metadata names (x-tracegate-meta-<name>) seen in a range, for pickers. */
export const MetaKeysQuerySchema = z
  .object({ from: InstantSchema, to: InstantSchema })
  .strict()
  .refine(toAfterFrom, AFTER_FROM)
export type MetaKeysQuery = z.infer<typeof MetaKeysQuerySchema>
export const MetaKeysResponseSchema = z.object({ keys: z.array(z.string()) })
export type MetaKeysResponse = z.infer<typeof MetaKeysResponseSchema>
