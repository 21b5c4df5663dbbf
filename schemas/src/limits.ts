import { z } from 'zod'

/** Budget periods, calendar-aligned in `limits.time_zone`; `none` never resets. */
export const BUDGET_PERIODS = ['day', 'week', 'month', 'none'] as const
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number]

const usd = z.number().min(0).max(1e9)
const perMinute = z.number().int().min(1).max(1e9)

/**
 * What a key, a team or a user may spend and send. Every field is optional: what is absent is not
 * limited. A request is checked against its key, its team and its user at once.
 */
export const LimitsSchema = z.object({
  /** Spend in USD per `budget_period`; a request that could take it over is refused. */
  budget_usd: usd.optional(),
  budget_period: z.enum(BUDGET_PERIODS).default('month'),
  /** Spend at which an alert is due, nothing is refused. */
  soft_budget_usd: usd.optional(),
  rpm: perMinute.optional(),
  tpm: perMinute.optional(),
  max_parallel: z.number().int().min(1).max(1e6).optional(),
})
export type Limits = z.infer<typeof LimitsSchema>

/** A team or a user with limits of its own, declared in config. */
export const NamedLimitsSchema = LimitsSchema.extend({ name: z.string().min(1).max(200) }).strict()

export const LimitsConfigSchema = z
  .object({
    /** Where day, week and month budgets start: an IANA time zone. */
    time_zone: z
      .string()
      .default('UTC')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz })
          return true
        } catch {
          return false
        }
      }, 'unknown time zone (use an IANA name such as Europe/Paris)'),
    /**
     * Output tokens reserved for a request that sets no max_tokens. A budget can only be held to
     * what a request may cost: without a cap, the model's whole context window is reserved.
     */
    default_max_output_tokens: z.number().int().min(1).max(10_000_000).optional(),
    /** A Redis every replica shares (redis://host:port): limits hold across replicas. Absent: this process's memory. */
    redis_url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL')
      .optional(),
    /**
     * Redis unreachable: `local` enforces each limit's share (limit / replicas) in this process,
     * `allow` admits without limits, `refuse` answers 503. Nothing waits on a dead store.
     */
    on_store_error: z.enum(['local', 'allow', 'refuse']).default('local'),
    /** How often spend is compared with soft budgets (seconds). */
    soft_budget_check_s: z.number().int().min(1).max(3600).default(30),
    /** How many replicas share the limits: a replica's share when Redis is away. */
    replicas: z.number().int().min(1).max(1000).default(1),
  })
  .strict()

/** One key's, team's or user's limits and how much of each is used now (GET /api/limits/usage). */
export const ScopeUsageSchema = z.object({
  kind: z.enum(['key', 'team', 'user']),
  name: z.string(),
  budget_usd: z.number().nullable(),
  budget_period: z.enum(BUDGET_PERIODS),
  soft_budget_usd: z.number().nullable(),
  /** Settled spend this period, and what open requests hold on top of it. */
  spent_usd: z.number(),
  held_usd: z.number(),
  /** When this period's budget starts again (ISO); null for a budget without a period. */
  resets_at: z.string().nullable(),
  rpm: z.number().nullable(),
  rpm_used: z.number(),
  tpm: z.number().nullable(),
  tpm_used: z.number(),
  max_parallel: z.number().nullable(),
  parallel_open: z.number(),
})
export type ScopeUsage = z.infer<typeof ScopeUsageSchema>

export const LimitsUsageResponseSchema = z.object({ scopes: z.array(ScopeUsageSchema) })
export type LimitsUsageResponse = z.infer<typeof LimitsUsageResponseSchema>
