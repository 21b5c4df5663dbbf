import { z } from 'zod'

/** `cancelled`: the client went away before the answer was complete. */
export const SpanStatusSchema = z.enum(['ok', 'error', 'cancelled'])

/**
 * How a span's cost was obtained, so an unpriced model is never mistaken for a free one.
 * `free`: an operation the provider does not bill (counting tokens). `usage_unreadable`: the
 * response carried usage the gateway could not read, so tokens and cost are missing, not zero.
 */
export const CostSourceSchema = z.enum(['genai-prices', 'override', 'unpriced', 'no_usage', 'free', 'usage_unreadable'])
export type CostSource = z.infer<typeof CostSourceSchema>

/** The span as the explorer API returns it (DESIGN.md, data contract). */
export const SpanSchema = z.object({
  trace_id: z.string(),
  span_id: z.string(),
  parent_span_id: z.string(),
  name: z.string(),
  kind: z.enum(['server', 'client']),
  start_time: z.string(),
  duration_ms: z.number(),
  status: SpanStatusSchema,
  status_message: z.string(),
  provider: z.string(),
  request_model: z.string(),
  response_model: z.string(),
  operation: z.string(),
  stream: z.boolean(),
  input_tokens: z.number().nullable(),
  /** Token counts estimated by the gateway (a stream cut before its usage event), not reported by the provider. */
  tokens_estimated: z.boolean(),
  output_tokens: z.number().nullable(),
  cache_read_tokens: z.number().nullable(),
  cache_write_tokens: z.number().nullable(),
  reasoning_tokens: z.number().nullable(),
  cost_usd: z.number().nullable(),
  cost_source: CostSourceSchema,
  /** The cost the provider reported itself, when it does; null otherwise. */
  provider_cost_usd: z.number().nullable(),
  ttft_ms: z.number().nullable(),
  http_status: z.number(),
  error_type: z.string(),
  attempt: z.number(),
  workflow: z.string(),
  team: z.string(),
  key_name: z.string(),
  user: z.string(),
  session_id: z.string(),
  tags: z.array(z.string()),
  attributes: z.record(z.string(), z.string()),
  events: z.array(z.object({ time: z.string(), name: z.string(), attributes: z.record(z.string(), z.string()) })),
  request_body: z.string(),
  response_body: z.string(),
  body_truncated: z.boolean(),
})
export type Span = z.infer<typeof SpanSchema>

/** How a request ended, one word each (the storage computes it with the same list). */
export const OUTCOMES = [
  'ok',
  '4xx',
  '429',
  '5xx',
  'timeout',
  'reset',
  'stream_interrupted',
  'cancelled',
  'rejected',
  'error',
] as const
