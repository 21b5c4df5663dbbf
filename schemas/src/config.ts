import { z } from 'zod'
import { IncidentSettingsSchema } from './incidents.ts'
import { LimitsConfigSchema, LimitsSchema, NamedLimitsSchema } from './limits.ts'

import { BUILTIN_PROVIDER_NAMES, PROVIDER_TYPES } from './providers.ts'
import { AlertsConfigSchema } from './alerts.ts'
import { ShadowQueueSchema, ShadowSchema } from './shadow.ts'

const url = z.string().url()

export const ProviderConfigSchema = z
  .object({
    type: z.enum(PROVIDER_TYPES).optional(),
    base_url: url.optional(),
    api_key: z.string().min(1).optional(),
    /** Azure's `api-version` query parameter, when a deployment still needs one. */
    api_version: z.string().optional(),
    /** genai-prices provider id used to price this provider's models. */
    pricing_provider: z.string().optional(),
    /** Upstream connections this provider may hold open at once; a slow provider cannot starve the others. */
    max_connections: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()

export const ModelTargetSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    weight: z.number().positive().default(1),
  })
  .strict()

/** What makes an attempt worth repeating or moving on from: a status, a status class, or a failure kind. */
export const RetryConditionSchema = z.union([
  z.number().int().min(400).max(599),
  z.enum(['4xx', '5xx', 'timeout', 'connect_error', 'reset', 'context_length']),
])
export type RetryCondition = z.infer<typeof RetryConditionSchema>

export const BackoffSchema = z
  .object({
    initial_ms: z.number().int().min(0).default(250),
    max_ms: z.number().int().min(0).default(8_000),
    multiplier: z.number().min(1).default(2),
    /** Fraction of each wait drawn at random, so clients retrying together spread out. */
    jitter: z.number().min(0).max(1).default(0.2),
  })
  .strict()

export const CooldownSchema = z
  .object({
    /** Failures within `window_ms` that put a target in cooldown. */
    failures: z.number().int().positive().default(3),
    window_ms: z.number().int().positive().default(60_000),
    /** How long it is skipped; then one probe request decides (half-open). */
    duration_ms: z.number().int().positive().default(30_000),
  })
  .strict()

export const RoutingPolicySchema = z
  .object({
    strategy: z.enum(['fallback', 'loadbalance']).default('fallback'),
    /** Retries per target, after its first attempt. */
    retries: z.number().int().min(0).max(10).default(1),
    retry_on: z.array(RetryConditionSchema).default([429, '5xx', 'timeout', 'connect_error', 'reset']),
    fallback_on: z
      .array(RetryConditionSchema)
      .default([429, '5xx', 'timeout', 'connect_error', 'reset', 'context_length']),
    backoff: BackoffSchema.default(BackoffSchema.parse({})),
    /** A Retry-After longer than this is not waited for: the next target is tried instead. */
    retry_after_max_ms: z.number().int().min(0).default(30_000),
    /** Whole request, all attempts and waits included. */
    timeout_ms: z.number().int().positive().default(600_000),
    /** One attempt: no response headers within this moves on to the next attempt. */
    attempt_timeout_ms: z.number().int().positive().optional(),
    /** Streams: no first byte within this moves on to the next attempt. */
    first_byte_timeout_ms: z.number().int().positive().optional(),
    /** The earlier name of first_byte_timeout_ms, still read (time to first token now means the first output token). */
    first_token_timeout_ms: z.number().int().positive().optional(),
    cooldown: CooldownSchema.default(CooldownSchema.parse({})),
  })
  .strict()
export type RoutingPolicy = z.infer<typeof RoutingPolicySchema>

export interface TargetGroup {
  strategy: 'fallback' | 'loadbalance'
  weight: number
  targets: Array<ModelTarget | TargetGroup>
}

/** A nested pool: e.g. a fallback list whose first member load-balances over two deployments. */
export const TargetGroupSchema: z.ZodType<TargetGroup, unknown> = z.lazy(() =>
  z
    .object({
      strategy: z.enum(['fallback', 'loadbalance']).default('fallback'),
      weight: z.number().positive().default(1),
      targets: z.array(z.union([ModelTargetSchema, TargetGroupSchema])).min(1),
    })
    .strict(),
)

export const ModelAliasSchema = RoutingPolicySchema.extend({
  name: z.string().min(1),
  targets: z.array(z.union([ModelTargetSchema, TargetGroupSchema])).min(1),
  shadow: ShadowSchema.optional(),
}).strict()

export const isTargetGroup = (t: ModelTarget | TargetGroup): t is TargetGroup => 'targets' in t

export const GatewayKeySchema = LimitsSchema.extend({
  key: z.string().min(8),
  name: z.string().min(1),
  /** A key's team and user win over the x-tracegate-team / -user headers: a caller cannot bill someone else. */
  team: z.string().default(''),
  user: z.string().default(''),
  /** Models this key may ask for (aliases, provider/model, or globs such as `openai/*`); absent: any. */
  models: z.array(z.string().min(1).max(200)).max(1000).optional(),
  /** After this instant the key is refused (401). */
  expires_at: z.iso.datetime({ offset: true }).optional(),
}).strict()

/** Negotiated prices, per million tokens, keyed by `provider/model`. */
export const PriceOverrideSchema = z
  .object({
    input_mtok: z.number().min(0),
    output_mtok: z.number().min(0).default(0),
    cache_read_mtok: z.number().min(0).optional(),
    cache_write_mtok: z.number().min(0).optional(),
    /** Anthropic's one-hour cache writes, priced apart from the five-minute ones (cache_write_mtok). */
    cache_write_1h_mtok: z.number().min(0).optional(),
    /** Server-side web searches, per thousand. */
    web_searches_kcount: z.number().min(0).optional(),
    /** Server-side web fetches, per thousand (Anthropic charges none beyond their tokens: 0 unless set). */
    web_fetches_kcount: z.number().min(0).optional(),
  })
  .strict()

export const StorageConfigSchema = z
  .object({
    clickhouse_url: url.optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    database: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('tracegate'),
    /**
     * A ClickHouse cluster (a `remote_servers` name) to create the tables on: replicated tables on
     * every shard, Distributed tables over them. A server only; it becomes DDL text, hence an identifier.
     */
    cluster: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a cluster name is letters, digits and underscores, not starting with a digit')
      .optional(),
    data_dir: z.string().default('./data'),
    retention_days: z.number().int().positive().default(30),
    batch_rows: z.number().int().positive().default(10_000),
    flush_ms: z.number().int().positive().max(1000).default(1000),
    /**
     * The embedded engine's threads (and every other thread but the event loop's) run at this
     * nice value, so inserts and merges use the CPU the request path leaves; 0 keeps them equal. Linux only.
     */
    background_nice: z.number().int().min(0).max(19).default(10),
    /** Explorer API reads (traces, slices, reports) stop after this long and answer 504. */
    query_timeout_ms: z.number().int().positive().default(30_000),
  })
  .strict()

export const SpoolConfigSchema = z
  .object({
    /** Disk the write-ahead spool may use while storage is unreachable; beyond it new spans are dropped, loudly. */
    max_bytes: z
      .number()
      .int()
      .positive()
      .default(2 * 1024 ** 3),
    /** Spans kept in memory while the spool directory cannot be written; beyond it new spans are dropped, loudly. */
    max_memory_rows: z.number().int().positive().default(10_000),
    /** Failed inserts of one segment, while storage otherwise answers, before it is moved to spool/quarantine. */
    max_insert_attempts: z.number().int().positive().default(5),
  })
  .strict()

/** Also send every span to an OpenTelemetry collector over OTLP/HTTP (JSON). */
export const OtlpConfigSchema = z
  .object({
    /** Full traces URL, e.g. http://collector:4318/v1/traces. */
    endpoint: url,
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict()

export const ServerConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(4000),
    /** A client must have sent its whole request within this (slow bodies get a 408). */
    request_timeout_ms: z.number().int().positive().default(60_000),
    /** On SIGTERM/SIGINT, in-flight requests and streams get this long to finish. */
    shutdown_grace_ms: z.number().int().min(0).default(30_000),
    /**
     * Host header names accepted besides the loopback ones. On a loopback listener any other Host
     * is refused (421): that is what stops DNS rebinding from reaching a gateway on a laptop.
     */
    allowed_hosts: z
      .array(
        z
          .string()
          .min(1)
          .max(253)
          .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s/]+)$/, "a host name without a port (the Host header's port is ignored)"),
      )
      .max(100)
      .default([]),
    /** Browser origins (scheme://host[:port]) allowed to call /v1, /p and /api cross-origin. */
    cors_origins: z
      .array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'an origin is scheme://host[:port], without a path'))
      .max(100)
      .default([]),
  })
  .strict()

export const AuthConfigSchema = z
  .object({
    /**
     * Let callers without a gateway key spend the provider keys in this config. Off by default:
     * a gateway that holds provider keys is otherwise an open relay. Logged as a warning at start.
     */
    allow_anonymous: z.boolean().default(false),
  })
  .strict()

/** Ceilings on what one request may ask for (x-tracegate-* headers) or an alias may add up to. */
export const RoutingLimitsSchema = z
  .object({
    max_retries: z.number().int().min(0).max(10).default(3),
    max_fallbacks: z.number().int().min(0).max(10).default(3),
    /** Upstream attempts of one request, retries and fallbacks together. */
    max_attempts: z.number().int().min(1).max(50).default(8),
  })
  .strict()

/** What clients moved from a LiteLLM proxy may still read (`tracegate import litellm` turns it on). */
export const LitellmCompatSchema = z
  .object({
    /**
     * `x-litellm-response-cost` on non-streamed answers: the gateway waits for the whole body (up to
     * 1 MiB, else the header is left out) and prices it before answering. Off by default: it costs
     * the body's transfer time and a parse on the request path. Streams never carry it.
     */
    response_cost_header: z.boolean().default(false),
  })
  .strict()

export const ConfigSchema = z
  .object({
    server: ServerConfigSchema.default(ServerConfigSchema.parse({})),
    auth: AuthConfigSchema.default(AuthConfigSchema.parse({})),
    routing: RoutingLimitsSchema.default(RoutingLimitsSchema.parse({})),
    service_name: z.string().default('tracegate'),
    default_provider: z.string().default('openai'),
    providers: z.record(z.string(), ProviderConfigSchema).default({}),
    models: z.array(ModelAliasSchema).default([]),
    keys: z.array(GatewayKeySchema).default([]),
    /** Teams and users with budgets and limits of their own (a key's team and user name them). */
    teams: z.array(NamedLimitsSchema).default([]),
    users: z.array(NamedLimitsSchema).default([]),
    limits: LimitsConfigSchema.default(LimitsConfigSchema.parse({})),
    prices: z.record(z.string(), PriceOverrideSchema).default({}),
    capture_bodies: z.boolean().default(true),
    max_body_bytes: z.number().int().min(0).default(65_536),
    max_request_bytes: z
      .number()
      .int()
      .positive()
      .default(10 * 1024 * 1024),
    storage: StorageConfigSchema.default(StorageConfigSchema.parse({})),
    spool: SpoolConfigSchema.default(SpoolConfigSchema.parse({})),
    otlp: OtlpConfigSchema.optional(),
    incidents: IncidentSettingsSchema.default(IncidentSettingsSchema.parse({})),
    alerts: AlertsConfigSchema.default(AlertsConfigSchema.parse({})),
    shadow: ShadowQueueSchema.default(ShadowQueueSchema.parse({})),
    litellm: LitellmCompatSchema.default(LitellmCompatSchema.parse({})),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const known = new Set<string>([...BUILTIN_PROVIDER_NAMES, ...Object.keys(cfg.providers)])
    for (const [name, p] of Object.entries(cfg.providers)) {
      const builtin = (BUILTIN_PROVIDER_NAMES as readonly string[]).includes(name)
      if (!builtin && !p.type) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', name, 'type'],
          message: `custom provider "${name}" needs a type (${PROVIDER_TYPES.join(', ')})`,
        })
      }
      if (!builtin && !p.base_url) {
        ctx.addIssue({
          code: 'custom',
          path: ['providers', name, 'base_url'],
          message: `custom provider "${name}" needs a base_url`,
        })
      }
    }
    if (!known.has(cfg.default_provider)) {
      ctx.addIssue({
        code: 'custom',
        path: ['default_provider'],
        message: `unknown provider "${cfg.default_provider}"`,
      })
    }
    const aliases = new Set<string>()
    cfg.models.forEach((m, i) => {
      if (aliases.has(m.name))
        ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `duplicate model alias "${m.name}"` })
      aliases.add(m.name)
      const check = (entries: Array<ModelTarget | TargetGroup>, path: Array<string | number>) =>
        entries.forEach((t, j) => {
          if (isTargetGroup(t)) return check(t.targets, [...path, j, 'targets'])
          if (!known.has(t.provider))
            ctx.addIssue({
              code: 'custom',
              path: [...path, j, 'provider'],
              message: `unknown provider "${t.provider}"`,
            })
        })
      check(m.targets, ['models', i, 'targets'])
      m.shadow?.targets.forEach((t, j) => {
        if (!known.has(t.provider))
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'shadow', 'targets', j, 'provider'],
            message: `unknown provider "${t.provider}"`,
          })
      })
    })
    const keyNames = new Set<string>()
    cfg.keys.forEach((k, i) => {
      if (keyNames.has(k.key))
        ctx.addIssue({ code: 'custom', path: ['keys', i, 'key'], message: 'duplicate gateway key' })
      keyNames.add(k.key)
    })
  })

export type Config = z.infer<typeof ConfigSchema>
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>
export type ModelAlias = z.infer<typeof ModelAliasSchema>
export type ModelTarget = z.infer<typeof ModelTargetSchema>
export type GatewayKey = z.infer<typeof GatewayKeySchema>
export type PriceOverride = z.infer<typeof PriceOverrideSchema>
