import { z } from 'zod'
import { SpanSchema } from './span.ts'

const isoOrEpoch = z.string().refine((s) => !Number.isNaN(Date.parse(s)) || /^\d+$/.test(s), 'expected an ISO date or epoch milliseconds')
  .transform((s) => (/^\d+$/.test(s) ? new Date(Number(s)) : new Date(s)))

export const TraceListQuerySchema = z.object({
  from: isoOrEpoch.optional(),
  to: isoOrEpoch.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  provider: z.string().max(200).optional(),
  model: z.string().max(200).optional(),
  team: z.string().max(200).optional(),
  workflow: z.string().max(200).optional(),
  key_name: z.string().max(200).optional(),
  user: z.string().max(200).optional(),
  session_id: z.string().max(200).optional(),
  status: z.enum(['ok', 'error', 'cancelled']).optional(),
  outcome: z.string().max(50).optional(),
  error_type: z.string().max(200).optional(),
  tag: z.string().max(200).optional(),
  /** `name=value`: requests sent with `x-tracegate-meta-<name>: value`. */
  meta: z.string().max(500).regex(/^[a-z0-9_.-]{1,64}=/, 'meta is name=value').optional(),
  /** A trace id, or text found in the model names or the error message. */
  q: z.string().min(1).max(200).optional(),
}).strict()
export type TraceListQuery = z.infer<typeof TraceListQuerySchema>

export const TraceSummarySchema = SpanSchema.pick({
  trace_id: true, span_id: true, name: true, start_time: true, duration_ms: true, status: true,
  provider: true, request_model: true, response_model: true, operation: true, stream: true,
  input_tokens: true, output_tokens: true, cost_usd: true, http_status: true, error_type: true,
  workflow: true, team: true, key_name: true, user: true,
}).extend({ attempts: z.number() })
export type TraceSummary = z.infer<typeof TraceSummarySchema>

export const TraceListResponseSchema = z.object({
  traces: z.array(TraceSummarySchema),
  next_cursor: z.string().nullable(),
})
export type TraceListResponse = z.infer<typeof TraceListResponseSchema>

export const TraceIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'trace id is 32 lowercase hex characters')

export const TraceResponseSchema = z.object({ trace_id: z.string(), spans: z.array(SpanSchema) })
export type TraceResponse = z.infer<typeof TraceResponseSchema>

/** The OpenAI error shape every gateway-raised error uses. */
export const ErrorBodySchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), code: z.string(), param: z.string().nullable().optional() }),
})
export type ErrorBody = z.infer<typeof ErrorBodySchema>

/** Dimensions a cost report can be grouped by, and the rollup column each one reads. */
export const REPORT_DIMENSIONS = { team: 'Team', key: 'KeyName', workflow: 'Workflow', model: 'Model', provider: 'Provider' } as const
export type ReportDimension = keyof typeof REPORT_DIMENSIONS

export const CostReportQuerySchema = z.object({
  from: isoOrEpoch,
  to: isoOrEpoch,
  group_by: z.enum(Object.keys(REPORT_DIMENSIONS) as [ReportDimension, ...ReportDimension[]]).default('team'),
  format: z.enum(['json', 'csv']).default('json'),
}).strict().refine((q) => q.to > q.from, { message: 'to must be after from', path: ['to'] })
export type CostReportQuery = z.infer<typeof CostReportQuerySchema>

export const CostReportRowSchema = z.object({
  group: z.string(),
  requests: z.number(),
  errors: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_tokens: z.number(),
  cost_usd: z.number(),
})
export type CostReportRow = z.infer<typeof CostReportRowSchema>

export const CostReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  group_by: z.string(),
  rows: z.array(CostReportRowSchema),
  totals: CostReportRowSchema.omit({ group: true }),
})
export type CostReport = z.infer<typeof CostReportSchema>
