import { z } from 'zod'

/**
 * Alert rules, their states and notifications: the config section (`alerts:`), the explorer API's
 * bodies and answers. A rule watches one number over its scope, computed from the per-minute
 * rollups; it fires when that number stays above its threshold for `for_minutes`.
 */

/**
 * What a rule watches. Provider health (error rate, latency, time to first token) is judged per
 * upstream attempt; cost and lost requests per request.
 */
export const ALERT_METRICS = ['error_rate', 'latency_p95_ms', 'ttft_p95_ms', 'cost_usd', 'requests_lost'] as const
export type AlertMetric = (typeof ALERT_METRICS)[number]

/**
 * What the gateway itself reports through the same webhooks, with no rule behind it: the shared
 * limits store going away and coming back, and a soft budget reached.
 */
export const SYSTEM_ALERT_METRICS = ['limits_store_up', 'soft_budget_usd'] as const
export type SystemAlertMetric = (typeof SYSTEM_ALERT_METRICS)[number]

/** The dimensions a rule can narrow to; each absent one means "all". */
export const ALERT_SCOPE_KEYS = ['provider', 'model', 'team', 'key', 'workflow'] as const

const scopeValue = z.string().min(1).max(200)
export const AlertScopeSchema = z
  .object({
    provider: scopeValue.optional(),
    model: scopeValue.optional(),
    team: scopeValue.optional(),
    key: scopeValue.optional(),
    workflow: scopeValue.optional(),
  })
  .strict()
export type AlertScope = z.infer<typeof AlertScopeSchema>

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.:/-]*$/
const nameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(NAME, 'letters, digits, spaces and _ . : / -, starting with a letter or digit')

/** A rule as written in the config file or sent to the API. */
export const AlertRuleSpecSchema = z
  .object({
    name: nameSchema,
    metric: z.enum(ALERT_METRICS),
    scope: AlertScopeSchema.default({}),
    /** The last this many minutes (the current one included) are evaluated. 1440: cost per day. */
    window_minutes: z.number().int().min(1).max(1440).default(5),
    /** Fires when the value is above this: a fraction for error_rate, ms, USD or a count. */
    threshold: z.number().min(0).max(1e12),
    /** How long the condition holds (pending) before it fires; 0 fires at the first evaluation. */
    for_minutes: z.number().int().min(0).max(1440).default(0),
    /** Fewer attempts (health metrics) or requests (cost, lost) in the window than this: no verdict. */
    min_attempts: z.number().int().min(0).max(1_000_000).default(0),
    /** Webhook names (alerts.webhooks) told when it fires and when it resolves. */
    notify: z.array(z.string().min(1).max(100)).max(10).default([]),
  })
  .strict()
export type AlertRuleSpec = z.infer<typeof AlertRuleSpecSchema>

/** Minimum evaluation interval: a test replays minutes of span time in seconds. */
export const ALERT_EVALUATE_MIN_S = 1

export const AlertWebhookSchema = z
  .object({
    name: nameSchema,
    url: z
      .string()
      .url()
      .max(2000)
      .regex(/^https?:\/\//i, 'an http:// or https:// URL'),
    /** HMAC-SHA256 key for `x-tracegate-signature`; required for the json format. Use ${ENV}. */
    secret: z.string().min(16).max(512).optional(),
    /** json: tracegate's signed body. slack: a Slack incoming-webhook body ({text, blocks}). */
    format: z.enum(['json', 'slack']).default('json'),
    /** One try gets this long for the whole answer. */
    timeout_ms: z.number().int().min(100).max(60_000).default(5_000),
    /** Tries per notification, the first included: network errors, 5xx and 429 are tried again. */
    max_attempts: z.number().int().min(1).max(10).default(4),
    /** Wait before the second try; doubled before each later one. */
    backoff_ms: z.number().int().min(0).max(600_000).default(1_000),
  })
  .strict()
export type AlertWebhook = z.infer<typeof AlertWebhookSchema>

export const AlertsConfigSchema = z
  .object({
    /** Evaluate rules and send notifications here. Several gateways on one ClickHouse: true on one only. */
    evaluate: z.boolean().default(true),
    evaluate_every_s: z.number().int().min(ALERT_EVALUATE_MIN_S).max(3600).default(60),
    /** The explorer's address for links in notifications; default: the address the gateway listens on. */
    explorer_url: z.string().url().max(2000).optional(),
    webhooks: z.array(AlertWebhookSchema).max(20).default([]),
    rules: z.array(AlertRuleSpecSchema).max(200).default([]),
    /** Webhooks told when the shared limits store stops and starts answering, and when a soft budget is reached. */
    system_notify: z.array(z.string().min(1).max(100)).max(10).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const hooks = new Set<string>()
    cfg.webhooks.forEach((w, i) => {
      if (hooks.has(w.name))
        ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'name'], message: `duplicate webhook "${w.name}"` })
      hooks.add(w.name)
      if (w.format === 'json' && !w.secret)
        ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'secret'], message: 'a json webhook needs a secret' })
    })
    cfg.system_notify.forEach((n, j) => {
      if (!hooks.has(n)) ctx.addIssue({ code: 'custom', path: ['system_notify', j], message: `unknown webhook "${n}"` })
    })
    const rules = new Set<string>()
    cfg.rules.forEach((r, i) => {
      if (rules.has(r.name))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'name'], message: `duplicate rule "${r.name}"` })
      rules.add(r.name)
      r.notify.forEach((n, j) => {
        if (!hooks.has(n))
          ctx.addIssue({ code: 'custom', path: ['rules', i, 'notify', j], message: `unknown webhook "${n}"` })
      })
    })
  })
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>

export const ALERT_STATES = ['ok', 'pending', 'firing'] as const
/** History events: a pending that clears before firing also ends with `resolved` (without a notification). */
export const ALERT_EVENT_STATES = ['pending', 'firing', 'resolved'] as const

export const AlertRuleSchema = AlertRuleSpecSchema.extend({
  id: z.string(),
  /** config: from the config file, read-only here. api: made in the explorer or the API. */
  source: z.enum(['config', 'api']),
  updated_at: z.string().nullable(),
})
export type AlertRule = z.infer<typeof AlertRuleSchema>

export const AlertRulesResponseSchema = z.object({
  rules: z.array(AlertRuleSchema),
  webhooks: z.array(z.object({ name: z.string(), format: z.enum(['json', 'slack']) })),
  evaluate: z.boolean(),
  evaluate_every_s: z.number(),
})
export type AlertRulesResponse = z.infer<typeof AlertRulesResponseSchema>

export const AlertStateSchema = z.object({
  rule_id: z.string(),
  rule_name: z.string(),
  state: z.enum(ALERT_STATES),
  /** When the current pending or firing state began. */
  since: z.string().nullable(),
  value: z.number().nullable(),
  threshold: z.number(),
  evaluated_at: z.string().nullable(),
})
export type AlertState = z.infer<typeof AlertStateSchema>
export const AlertStatesResponseSchema = z.object({ states: z.array(AlertStateSchema) })
export type AlertStatesResponse = z.infer<typeof AlertStatesResponseSchema>

export const AlertEventSchema = z.object({
  time: z.string(),
  rule_id: z.string(),
  rule_name: z.string(),
  metric: z.string(),
  state: z.enum(ALERT_EVENT_STATES),
  value: z.number().nullable(),
  threshold: z.number(),
})
export type AlertEvent = z.infer<typeof AlertEventSchema>
export const AlertHistoryResponseSchema = z.object({ events: z.array(AlertEventSchema) })
export type AlertHistoryResponse = z.infer<typeof AlertHistoryResponseSchema>

export const AlertDeliverySchema = z.object({
  time: z.string(),
  delivery_id: z.string(),
  rule_id: z.string(),
  rule_name: z.string(),
  state: z.string(),
  webhook: z.string(),
  /** Scheme, host and port only: a webhook URL's path can be its secret (Slack). */
  target: z.string(),
  attempt: z.number(),
  http_status: z.number(),
  ok: z.boolean(),
  error: z.string(),
  duration_ms: z.number(),
})
export type AlertDelivery = z.infer<typeof AlertDeliverySchema>
export const AlertDeliveriesResponseSchema = z.object({ deliveries: z.array(AlertDeliverySchema) })
export type AlertDeliveriesResponse = z.infer<typeof AlertDeliveriesResponseSchema>

/** `?rule=<id>&limit=` on the history and delivery log. */
export const AlertLogQuerySchema = z
  .object({
    rule: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict()
export type AlertLogQuery = z.infer<typeof AlertLogQuerySchema>

export const AlertRuleIdSchema = z.string().regex(/^[a-z0-9]{16}$/, 'a rule id is 16 lowercase letters and digits')

/** Sent to a json webhook, signed: `x-tracegate-signature: t=<unix s>,v1=<hex HMAC-SHA256 of "t.body">`. */
export const AlertNotificationSchema = z.object({
  type: z.literal('tracegate.alert'),
  rule: z.object({ id: z.string(), name: z.string() }),
  metric: z.enum([...ALERT_METRICS, ...SYSTEM_ALERT_METRICS]),
  scope: AlertScopeSchema,
  state: z.enum(['firing', 'resolved']),
  value: z.number().nullable(),
  threshold: z.number(),
  window_minutes: z.number(),
  since: z.string(),
  at: z.string(),
  url: z.string(),
})
export type AlertNotification = z.infer<typeof AlertNotificationSchema>
