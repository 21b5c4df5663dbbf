import { z } from 'zod'
import { AFTER_FROM, InstantSchema, toAfterFrom } from './api.ts'
import { REQUEST_RESULTS, type RequestResult } from './results.ts'

/**
 * Incident detection: a provider/model is in an incident when enough of its upstream attempts fail
 * for long enough. Judged per attempt, so a fallback that saves the request does not hide a failing
 * primary, and with a minimum volume and persistence, so one error in a quiet minute is not an incident.
 */
export const IncidentSettingsSchema = z
  .object({
    /** A minute counts only with at least this many attempts to the target. */
    min_attempts_per_minute: z.number().int().min(1).max(1_000_000).default(20),
    /** A minute is bad when this share of its attempts fail… */
    error_rate: z.number().gt(0).max(1).default(0.2),
    /** …or when its error rate is this many times the target's own baseline (and at least `min_error_rate`). */
    baseline_factor: z.number().min(1).max(1000).default(5),
    min_error_rate: z.number().min(0).max(1).default(0.05),
    /** The baseline: the target's error rate over this many minutes before, bad minutes left out. */
    baseline_minutes: z.number().int().min(1).max(1440).default(60),
    /** An incident starts when `bad_minutes` of `window_minutes` consecutive minutes with traffic are bad. */
    window_minutes: z.number().int().min(1).max(60).default(3),
    bad_minutes: z.number().int().min(1).max(60).default(2),
    /** It is over after this many minutes with traffic in a row that are not bad. */
    recover_minutes: z.number().int().min(1).max(240).default(3),
  })
  .strict()
  .refine((s) => s.bad_minutes <= s.window_minutes, {
    message: 'bad_minutes cannot exceed window_minutes',
    path: ['bad_minutes'],
  })
export type IncidentSettings = z.infer<typeof IncidentSettingsSchema>

/** Incidents are found minute by minute: a week of minutes at most per request. */
export const MAX_INCIDENT_RANGE_MS = 7 * 86_400_000

export const IncidentsQuerySchema = z
  .object({ from: InstantSchema, to: InstantSchema })
  .strict()
  .refine(toAfterFrom, AFTER_FROM)
  .refine((q) => q.to.getTime() - q.from.getTime() <= MAX_INCIDENT_RANGE_MS, {
    message: 'the range can span 7 days at most',
    path: ['to'],
  })
export type IncidentsQuery = z.infer<typeof IncidentsQuerySchema>

/** The width of the result series' buckets over a range: about a hundred, in steps a reader counts in. */
export function resultBucketSeconds(rangeMs: number): number {
  for (const s of [60, 300, 900, 3600]) if (rangeMs / (s * 1000) <= 180) return s
  return 10_800
}

const count = z.number().int().nonnegative()
const ms = z.number().nullable()

/** One upstream target's attempts over the range. */
export const TargetHealthSchema = z.object({
  provider: z.string(),
  model: z.string(),
  attempts: count,
  errors: count,
  error_rate: z.number(),
  /** Failed attempts by error class (429, 5xx, timeout, reset, stream_interrupted, 4xx, error). */
  error_types: z.record(z.string(), count),
  p50_ms: ms,
  p95_ms: ms,
  ttft_p95_ms: ms,
})
export type TargetHealth = z.infer<typeof TargetHealthSchema>

/** One caller key's attempts over the range: whose traffic the failures fell on. */
export const KeyHealthSchema = z.object({
  key: z.string(),
  attempts: count,
  errors: count,
  error_rate: z.number(),
  p50_ms: ms,
  p95_ms: ms,
  ttft_p95_ms: ms,
})
export type KeyHealth = z.infer<typeof KeyHealthSchema>

export const ResultCountsSchema = z.object(
  Object.fromEntries(REQUEST_RESULTS.map((r) => [r, count])) as Record<RequestResult, typeof count>,
)
export type ResultCounts = z.infer<typeof ResultCountsSchema>

export const ResultBucketSchema = ResultCountsSchema.extend({ time: z.string() })

export const IncidentMinuteSchema = z.object({ time: z.string(), attempts: count, errors: count })

const affected = z.array(z.object({ name: z.string(), attempts: count, errors: count }))

export const IncidentSchema = z.object({
  provider: z.string(),
  model: z.string(),
  status: z.enum(['ongoing', 'resolved']),
  /** First minute of the sustained crossing. */
  since: z.string(),
  /** First minute of the run of good minutes that ended it; null while ongoing. */
  recovered_at: z.string().nullable(),
  attempts: count,
  errors: count,
  error_rate: z.number(),
  baseline_error_rate: z.number().nullable(),
  error_types: z.record(z.string(), count),
  latency: z.object({ p95_before_ms: ms, p95_during_ms: ms }),
  affected: z.object({ keys: affected, teams: affected, workflows: affected }),
  /** Retries of this target and requests that fell back from it, during the incident. */
  retries: count,
  fallbacks: count,
  /** What became of the requests that had a failed attempt on this target during the incident. */
  requests: ResultCountsSchema,
  example_traces: z.array(z.string()),
  minutes: z.array(IncidentMinuteSchema),
})
export type Incident = z.infer<typeof IncidentSchema>

export const IncidentsResponseSchema = z.object({
  from: z.string(),
  to: z.string(),
  settings: z.object({ min_attempts_per_minute: count, error_rate: z.number() }),
  incidents: z.array(IncidentSchema),
  health: z.array(TargetHealthSchema),
  /** The keys with the most failed attempts (at most 20). */
  key_health: z.array(KeyHealthSchema),
  results: ResultCountsSchema,
  result_series: z.array(ResultBucketSchema),
})
export type IncidentsResponse = z.infer<typeof IncidentsResponseSchema>
